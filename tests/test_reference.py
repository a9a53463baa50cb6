"""The quadrature reference (lehmberg.reference) against independent calculations.

Independent routes used here:
- closed forms in modified Bessel functions / Dawson's integral, evaluated with mpmath
  (Gradshteyn–Ryzhik 6.633.2: ∫₀^∞ e^{−p²t²} J_ν(at) J_ν(bt) t dt = e^{−(a²+b²)/4p²} I_ν(ab/2p²)/2p²,
  continued analytically to complex b);
- the paper's no-dipole inter-cloud formula (Appendix B);
- the 2D plane-wave integral over emission directions (Γ̄);
- a direct 2D (r, cos θ) quadrature of the kernels of SPEC §2 written out here (Ḡ);
- the kernels themselves in the k_L L → 0 limit;
- Monte Carlo (lehmberg.average) within 4 standard errors, fixed seed.
"""

import math

import mpmath as mp
import numpy as np
import pytest

from lehmberg import reference as ref
from lehmberg.kernels import g as g_kernel
from lehmberg.kernels import gamma as gamma_kernel
from lehmberg.reference import gamma_bar_plane_wave, reference_rates
from _stats import K


def _unit(v):
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


def closed_gamma_bar(kL, kR=0.0, R_dir=(0, 0, 1), p_hat=(1, 0, 0), dipole=True):
    """Γ̄ in closed form (mpmath): A e^{−R²/2L²} (π/2) L² e^{−(1+s²)L²/2}/√s [I½(sL²) − Q/s² I_{5/2}(sL²)]."""
    with mp.workdps(40):
        L, R = mp.mpf(kL), mp.mpf(kR)
        Rd, p = _unit(R_dir), _unit(p_hat)
        u = R / L**2
        w = [mp.mpc(0, u * Rd[0]), mp.mpc(0, u * Rd[1]), 1 + mp.mpc(0, u * Rd[2])]
        ww = sum(x * x for x in w)
        s = mp.sqrt(ww)
        wp = sum(w[i] * p[i] for i in range(3))
        Q = (3 * wp**2 - ww) / 2
        A = mp.sqrt(2 / mp.pi) / L**3
        pref = A * mp.exp(-R**2 / (2 * L**2)) * mp.pi / 2 * L**2 * mp.exp(-(1 + ww) * L**2 / 2) / mp.sqrt(s)
        if not dipole:
            return complex(1.5 * pref * mp.besseli(0.5, s * L**2))
        return complex(pref * (mp.besseli(0.5, s * L**2) - Q / ww * mp.besseli(2.5, s * L**2)))


def closed_g_bar_nodipole(kL, kR=0.0, R_dir=(0, 0, 1)):
    """Ḡ without the dipole factor: (3/2) A e^{−R²/2L²} (−√2 L/2s) [F((s+1)L/√2) + F((s−1)L/√2)], F Dawson."""
    with mp.workdps(40):
        L, R = mp.mpf(kL), mp.mpf(kR)
        Rd = _unit(R_dir)
        u = R / L**2
        ww = 1 - u**2 + 2j * u * mp.mpf(Rd[2])
        s = mp.sqrt(ww)
        A = mp.sqrt(2 / mp.pi) / L**3

        def F(z):  # Dawson's integral, entire
            return mp.sqrt(mp.pi) / 2 * mp.exp(-z * z) * mp.erfi(z)

        val = F((s + 1) * L / mp.sqrt(2)) + F((s - 1) * L / mp.sqrt(2))
        return complex(1.5 * A * mp.exp(-R**2 / (2 * L**2)) * (-mp.sqrt(2) * L / (2 * s)) * val)


def paper_inter(kL, kR):
    """The paper's Γ̄_I,II without the dipole factor, R ∥ k_L (Appendix B, erratum 1 applied at R=0)."""
    return 3.0 / (4.0 * (kL**2 + 1j * kR)) * (1.0 - np.exp(-2.0 * kL**2 - 2j * kR))


def _close(a, b, rtol, atol=0.0):
    return abs(a - b) <= rtol * abs(b) + atol


# --- Γ̄ against closed forms --------------------------------------------------------------

@pytest.mark.parametrize("kL", [0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0, 1e3, 1e4])
@pytest.mark.parametrize("p_hat", [(1, 0, 0), (0, 0, 1), (1, 2, 2)])
def test_intra_gamma_bar_closed_form(kL, p_hat):
    est = reference_rates(kL, p_hat=p_hat)
    exact = closed_gamma_bar(kL, p_hat=p_hat)
    assert _close(est.gamma_bar, exact, 1e-10)
    assert abs(est.gamma_bar - exact) <= 10 * abs(est.gamma_bar_err) + 1e-14 * abs(exact)
    assert abs(est.gamma_bar_err) <= 1e-8 * abs(exact)


@pytest.mark.parametrize("kL, kR, R_dir, p_hat", [
    (3.0, 2.0, (0, 0, 1), (1, 0, 0)),
    (3.0, 20.0, (0, 0, 1), (0, 1, 1)),
    (10.0, 1000.0, (0, 0, 1), (1, 0, 0)),
    (1.0, 0.5, (0, 1, 0), (1, 0, 0)),
    (3.0, 5.0, (1, 1, 1), (1, 2, 3)),
    (30.0, 400.0, (0.1, 0.0, 1.0), (1, 0, 0)),
    (0.2, 0.1, (1, 0, 0), (0, 0, 1)),
])
def test_inter_gamma_bar_closed_form(kL, kR, R_dir, p_hat):
    est = reference_rates(kL, kR, R_dir, p_hat)
    exact = closed_gamma_bar(kL, kR, R_dir, p_hat)
    assert _close(est.gamma_bar, exact, 1e-9)


@pytest.mark.parametrize("kL, kR", [(0.3, 0.0), (1.0, 0.5), (3.0, 20.0), (10.0, 300.0), (100.0, 1e5),
                                    (1e3, 1e4), (30.0, 0.0)])
def test_paper_nodipole_formula(kL, kR):
    """The paper's inter-cloud formula with the dipole factor switched off, R ∥ k_L."""
    est = reference_rates(kL, kR, dipole=False)
    assert _close(est.gamma_bar, paper_inter(kL, kR), 1e-10)


@pytest.mark.parametrize("kL, kR, R_dir", [(0.5, 0.0, (0, 0, 1)), (3.0, 0.0, (0, 0, 1)), (3.0, 20.0, (0, 0, 1)),
                                           (2.0, 3.0, (1, 1, 0)), (10.0, 200.0, (0.3, 0.2, 1))])
def test_nodipole_g_bar_closed_form(kL, kR, R_dir):
    est = reference_rates(kL, kR, R_dir, dipole=False)
    exact = closed_g_bar_nodipole(kL, kR, R_dir)
    assert _close(est.g_bar, exact, 1e-9)


@pytest.mark.parametrize("kL, kR, R_dir, p_hat", [
    (0.3, 0.0, (0, 0, 1), (1, 0, 0)),
    (3.0, 0.0, (0, 0, 1), (0, 0, 1)),
    (3.0, 5.0, (1, 1, 1), (1, 2, 3)),
    (10.0, 300.0, (0.3, 0.2, 1), (1, 0, 0)),
    (1e3, 0.0, (0, 0, 1), (1, 0, 0)),
])
def test_gamma_bar_plane_wave_route(kL, kR, R_dir, p_hat):
    """The 2D integral over emission directions agrees with the radial route."""
    pw, pw_err = gamma_bar_plane_wave(kL, kR, R_dir, p_hat)
    est = reference_rates(kL, kR, R_dir, p_hat)
    assert _close(est.gamma_bar, pw, 1e-9, 10 * pw_err)


# --- Ḡ against a direct 2D quadrature of the kernels -----------------------------------

def _kernels_spec(x, s):
    """γ, g of SPEC §2 (straight from the formulas, large x only used here with x > 1e-3)."""
    sx, cx = np.sin(x), np.cos(x)
    gam = 1.5 * ((1 - s) * sx / x + (1 - 3 * s) * (cx / x**2 - sx / x**3))
    gg = 1.5 * (-(1 - s) * cx / x + (1 - 3 * s) * (sx / x**2 + cx / x**3))
    return gam, gg


def direct_2d(kL, kR, p_hat):
    """Γ̄, Ḡ for R ∥ ẑ by Gauss–Legendre in r (panels) and u = cos θ (the φ average of
    (p̂·r̂)² is p_z² u² + (1 − p_z²)(1 − u²)/2, and the kernels are linear in it)."""
    p = _unit(p_hat)
    pz2 = p[2] ** 2
    ur, wr = np.polynomial.legendre.leggauss(24)
    uu, wu = np.polynomial.legendre.leggauss(96)
    lo, hi = max(0.0, kR - 10 * kL), kR + 10 * kL
    edges = np.linspace(lo, hi, int(np.ceil((hi - lo) / min(0.5, kL / 8))) + 1)
    mid = (edges[1:] + edges[:-1]) / 2
    half = (edges[1:] - edges[:-1]) / 2
    r = (mid[:, None] + half[:, None] * ur).ravel()
    w_r = (half[:, None] * wr).ravel()
    R, U = np.meshgrid(r, uu, indexing="ij")
    s = pz2 * U**2 + (1 - pz2) * (1 - U**2) / 2
    gam, gg = _kernels_spec(R, s)
    # density of r = r_i − r_j: N(m, L²), m = −R ẑ; |r − m|² = r² + R² + 2 r R u
    rho = np.exp(-(R**2 + kR**2 + 2 * R * kR * U) / (2 * kL**2)) / ((2 * np.pi) ** 1.5 * kL**3)
    f = 2 * np.pi * R**2 * rho * np.exp(1j * R * U)
    gb = np.sum((f * gam) @ wu * w_r)
    Gb = np.sum((f * gg) @ wu * w_r)
    return complex(gb), complex(Gb)


@pytest.mark.parametrize("kL, kR, p_hat", [(1.0, 0.0, (1, 0, 0)), (1.0, 0.0, (1, 0, 1)),
                                           (2.0, 3.0, (1, 0, 0)), (0.5, 1.0, (0, 1, 2))])
def test_g_bar_direct_2d(kL, kR, p_hat):
    gb, Gb = direct_2d(kL, kR, p_hat)
    est = reference_rates(kL, kR, (0, 0, 1), p_hat)
    assert _close(est.gamma_bar, gb, 1e-8)
    assert _close(est.g_bar, Gb, 1e-8)


# --- limits -----------------------------------------------------------------------------------

@pytest.mark.parametrize("p_hat", [(1, 0, 0), (0, 0, 1), (1, 1, 1)])
def test_small_cloud_limit_intra(p_hat):
    """k_L L → 0: Γ̄ → γ(0) = Γ (corrections O((k_L L)²))."""
    for kL in (1e-2, 1e-3):
        est = reference_rates(kL, p_hat=p_hat)
        assert abs(est.Gamma_ij - 1.0) < kL**2 * 2
        assert est.Gamma_ij < 1.0


@pytest.mark.parametrize("kR, R_dir, p_hat", [(2.0, (0, 0, 1), (1, 0, 0)), (1.5, (1, 1, 0), (0, 0, 1)),
                                              (5.0, (1, 2, 3), (1, 0, 1))])
def test_small_cloud_limit_inter(kR, R_dir, p_hat):
    """Point-like clouds: Γ̄ → e^{ik_L·m} γ(m), Ḡ → e^{ik_L·m} g(m), m = −R R̂ (the kernels themselves)."""
    m = -kR * _unit(R_dir)
    phase = np.exp(1j * m[2])
    est = reference_rates(1e-3, kR, R_dir, p_hat)
    # corrections are O((k_L L)²) times second derivatives of the kernels
    assert _close(est.gamma_bar, phase * float(gamma_kernel(m, p_hat)), 1e-5, 1e-6)
    assert _close(est.g_bar, phase * float(g_kernel(m, p_hat)), 1e-5, 1e-6)


# --- symmetries ------------------------------------------------------------------------------

def test_intra_rates_are_real_and_even_in_p_hat():
    a = reference_rates(5.0, p_hat=(1, 2, 3))
    b = reference_rates(5.0, p_hat=(-1, -2, -3))
    assert abs(a.gamma_bar.imag) < 1e-16 and abs(a.g_bar.imag) < 1e-16
    assert a.Gamma_ij == pytest.approx(b.Gamma_ij, rel=1e-14)
    assert a.Gamma_ij == a.gamma_bar.real and a.G_ij == a.g_bar.real


def test_rotation_about_probe_axis():
    """Rotating R̂ and p̂ together about k_L ∥ ẑ changes nothing."""
    c, s = math.cos(0.7), math.sin(0.7)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    R_dir, p_hat = np.array([0.3, 0.5, 0.8]), np.array([1.0, -0.2, 0.4])
    a = reference_rates(4.0, 10.0, R_dir, p_hat)
    b = reference_rates(4.0, 10.0, rot @ R_dir, rot @ p_hat)
    assert _close(b.gamma_bar, a.gamma_bar, 1e-12) and _close(b.g_bar, a.g_bar, 1e-12)


def test_reversed_separation_is_complex_conjugate():
    """Γ̄(−R̂) = conj Γ̄(R̂), Ḡ likewise (γ, g real and even in r)."""
    a = reference_rates(3.0, 7.0, (0.2, 0.4, 1.0), (1, 0, 0))
    b = reference_rates(3.0, 7.0, (-0.2, -0.4, -1.0), (1, 0, 0))
    assert _close(b.gamma_bar, a.gamma_bar.conjugate(), 1e-12)
    assert _close(b.g_bar, a.g_bar.conjugate(), 1e-12)


def test_inter_tends_to_intra_at_zero_distance():
    a = reference_rates(3.0, 1e-9, (1, 1, 0))
    b = reference_rates(3.0, None)
    assert _close(a.gamma_bar, b.gamma_bar, 1e-8) and _close(a.g_bar, b.g_bar, 1e-8)


# --- the quadrature itself ----------------------------------------------------------------------

@pytest.mark.parametrize("kL, kR", [(0.01, 0.0), (1.0, 0.0), (100.0, 0.0), (1e4, 0.0), (10.0, 300.0)])
def test_convergence_finer_panels_and_wider_window(kL, kR, monkeypatch):
    """Halving the panel length and widening the window move the result by less than its error estimate."""
    est = reference_rates(kL, kR)
    edges_orig = ref._panels

    def finer(kL_, r_star):
        e = edges_orig(kL_, r_star)
        return np.sort(np.concatenate([e, (e[1:] + e[:-1]) / 2]))

    monkeypatch.setattr(ref, "_panels", finer)
    monkeypatch.setattr(ref, "_WINDOW", 12.0)
    fine = reference_rates(kL, kR)
    for name in ("gamma_bar", "g_bar"):
        v, f, e = getattr(est, name), getattr(fine, name), getattr(est, name + "_err")
        assert abs(v.real - f.real) <= e.real + 1e-300
        assert abs(v.imag - f.imag) <= e.imag + 1e-300
        assert abs(e) <= 1e-8 * abs(v)


def test_result_fields():
    est = reference_rates(2.0, 3.0)
    assert est.method == "reference"
    assert est.error_kind == "quadrature error estimate"
    assert est.n_samples > 0


@pytest.mark.parametrize("kwargs, match", [({"shape": "cube"}, "Gaussian"), ({"kL": 0.0}, "kL"),
                                           ({"kL": float("nan")}, "kL"), ({"kR": -1.0}, "kR"),
                                           ({"p_hat": (0, 0, 0)}, "p_hat")])
def test_bad_input(kwargs, match):
    args = {"kL": 1.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        reference_rates(**args)


# --- Monte Carlo ---------------------------------------------------------------------------

@pytest.mark.parametrize("kL, kR, R_dir, p_hat", [
    (0.5, None, (0, 0, 1), (1, 0, 0)),
    (3.0, None, (0, 0, 1), (0, 1, 1)),
    (3.0, 5.0, (0, 0, 1), (1, 0, 0)),
    (2.0, 3.0, (1, 1, 0), (0, 0, 1)),
    (10.0, 50.0, (0, 0, 1), (1, 0, 0)),
    (1.0, 2.0, (1, 0, 0), (1, 0, 0)),
])
def test_reference_against_monte_carlo(kL, kR, R_dir, p_hat):
    from lehmberg.average import mc_rates

    mc = mc_rates(kL, kR, R_dir, p_hat, samples=400_000, seed=7)
    est = reference_rates(kL, kR, R_dir, p_hat)
    for name in ("Gamma_ij", "G_ij"):
        assert abs(getattr(mc, name) - getattr(est, name)) <= K * getattr(mc, name + "_err")
    for name in ("gamma_bar", "g_bar"):
        m, e, r = getattr(mc, name), getattr(mc, name + "_err"), getattr(est, name)
        assert abs(m.real - r.real) <= K * e.real + 1e-15
        assert abs(m.imag - r.imag) <= K * e.imag + 1e-15
