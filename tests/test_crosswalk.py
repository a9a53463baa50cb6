"""Every line of docs/crosswalk.md, checked numerically against the package.

Each table row C<n> of the page has a test ``test_C<n>_...`` here (and the last test
checks that the page and this file name the same rows).  Deterministic numbers are
compared with the quadrature reference within its own error estimate; Monte-Carlo
numbers within 5 standard errors at a fixed seed.
"""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import dawsn

from lehmberg import kernels
from lehmberg.reference import reference_rates
from sampling.clouds import GaussianCloud, make_rng

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "crosswalk.md"

SIGMA0_VECTOR = 6 * math.pi      # resonant cross-section of a two-level atom, units of 1/k²
SIGMA0_SCALAR = 4 * math.pi      # of a resonant scalar scatterer


def _close(value, expected, err):
    """|value − expected| within the quadrature error estimate plus double rounding."""
    return abs(value - expected) <= err + 1e-13 * abs(expected)


# -- C1 ----------------------------------------------------------------------------------------

def test_C1_per_axis_sigma():
    L = 2.7
    cloud = GaussianCloud(L)
    assert cloud.sigma == pytest.approx(L / math.sqrt(2), rel=1e-15)
    # the density of SPEC §1 is the normal density with σ = L/√2, per axis
    x = np.linspace(-4, 4, 9)
    paper = np.exp(-x ** 2 / L ** 2) / (math.sqrt(math.pi) * L)          # one axis of P(r)
    normal = np.exp(-x ** 2 / (2 * cloud.sigma ** 2)) / (math.sqrt(2 * math.pi) * cloud.sigma)
    assert np.allclose(paper, normal, rtol=1e-14, atol=0)
    # the characteristic function exp(−L²K²/4) = exp(−σ²K²/2)
    K = np.array([[0.3, -0.2, 0.5]])
    assert cloud.characteristic_function(K)[0] == pytest.approx(
        math.exp(-0.5 * cloud.sigma ** 2 * float(np.sum(K * K))), rel=1e-14)
    # and the samples: per-axis variance σ² (one cloud), L² (difference of two positions)
    n = 200_000
    rng = make_rng(0, 1)
    a, b = cloud.sample(n, rng), cloud.sample(n, rng)
    for pos, var in ((a, L ** 2 / 2), (a - b, L ** 2)):
        s2 = pos.var(axis=0, ddof=1)
        se = var * math.sqrt(2.0 / (n - 1))      # standard error of a normal sample variance
        assert np.all(np.abs(s2 - var) < 5 * se), (s2, var, se)


# -- C2 ----------------------------------------------------------------------------------------

def test_C2_lengths_in_wavelengths():
    rng = np.random.default_rng(2)
    r_lambda = rng.normal(size=(50, 3)) * 0.7          # separations in units of λ
    p = (1.0, 0.0, 0.0)
    assert np.allclose(kernels.gamma(r_lambda, p, k=2 * math.pi),
                       kernels.gamma(2 * math.pi * r_lambda, p, k=1.0), rtol=1e-13, atol=1e-15)
    assert np.allclose(kernels.g(r_lambda, p, k=2 * math.pi),
                       kernels.g(2 * math.pi * r_lambda, p, k=1.0), rtol=1e-13, atol=1e-15)
    # k_L L = 2π L/λ: the cloud of L = λ has k_L L = 2π, the per-axis σ = λ/√2
    wavelength = 852.347e-9
    L = 3 * wavelength
    assert 2 * math.pi * L / wavelength == pytest.approx(6 * math.pi)


# -- C3 ----------------------------------------------------------------------------------------
# CollectiveSpins.jl, src/interaction.jl, transcribed: positions in units of λ, γ = 1.

def _cs_F(ri, rj, mu):
    rij = ri - rj
    n = np.linalg.norm(rij)
    if n == 0:
        return 2 / 3
    rn = rij / n
    xi = 2 * math.pi * n
    c = mu @ rn
    return (mu @ mu) * (math.sin(xi) / xi + math.cos(xi) / xi ** 2 - math.sin(xi) / xi ** 3) \
        + c * c * (-math.sin(xi) / xi - 3 * math.cos(xi) / xi ** 2 + 3 * math.sin(xi) / xi ** 3)


def _cs_G(ri, rj, mu):
    rij = ri - rj
    n = np.linalg.norm(rij)
    rn = rij / n
    xi = 2 * math.pi * n
    c = mu @ rn
    return (mu @ mu) * (-math.cos(xi) / xi + math.sin(xi) / xi ** 2 + math.cos(xi) / xi ** 3) \
        + c * c * (math.cos(xi) / xi - 3 * math.sin(xi) / xi ** 2 - 3 * math.cos(xi) / xi ** 3)


def _cs_green(r, k=2 * math.pi):
    n = np.linalg.norm(r)
    rn = r / n
    kn = k * n
    return np.exp(1j * kn) * ((1 / kn + 1j / kn ** 2 - 1 / kn ** 3) * np.eye(3)
                              - (1 / kn + 3j / kn ** 2 - 3 / kn ** 3) * np.outer(rn, rn))


def test_C3_collectivespins_gamma_omega():
    rng = np.random.default_rng(3)
    mu = np.array([1.0, 0.0, 0.0])
    checked = 0
    for scale in (0.02, 0.2, 1.0, 5.0):     # near field (x ≈ 0.1) to far field
        for _ in range(25):
            ri, rj = rng.normal(size=3) * scale, rng.normal(size=3) * scale
            gamma_cs = 1.5 * _cs_F(ri, rj, mu)
            omega_cs = 0.75 * _cs_G(ri, rj, mu)
            G = _cs_green(ri - rj)
            gamma_green = 1.5 * mu @ G.imag @ mu
            omega_green = -0.75 * mu @ G.real @ mu
            ours_gamma = float(kernels.gamma(ri - rj, mu, k=2 * math.pi))
            ours_g = float(kernels.g(ri - rj, mu, k=2 * math.pi))
            tol = 1e-9 * max(1.0, abs(ours_g))
            assert gamma_cs == pytest.approx(ours_gamma, abs=tol)
            assert gamma_green == pytest.approx(ours_gamma, abs=tol)
            assert omega_cs == pytest.approx(ours_g / 2, abs=tol)
            assert omega_green == pytest.approx(ours_g / 2, abs=tol)
            checked += 1
    # the self term: CollectiveSpins' Gamma(r, r) = 1 = γ(0)
    assert 1.5 * _cs_F(np.zeros(3), np.zeros(3), mu) == pytest.approx(float(kernels.gamma([0, 0, 0], mu)))
    assert checked == 100


# -- C4 ----------------------------------------------------------------------------------------

def _column_density_through_centre(L, N=1.0):
    """N ∫ P(0, 0, z) dz for the density of SPEC §1, by quadrature."""
    def P(z):
        return math.exp(-z * z / L ** 2) / (math.pi ** 1.5 * L ** 3)

    val, err = quad(P, -math.inf, math.inf, epsabs=0, epsrel=1e-13)
    return N * val


@pytest.mark.parametrize("kL", [3.0, 10.0, 30.0, 100.0])
def test_C4_resonant_optical_depth_vector(kL):
    N = 1e6
    col = _column_density_through_centre(kL, N)             # lengths in units of 1/k
    assert col == pytest.approx(N / (math.pi * kL ** 2), rel=1e-12)
    b0 = SIGMA0_VECTOR * col
    assert b0 == pytest.approx(6 * N / kL ** 2, rel=1e-12)
    sigma = kL / math.sqrt(2)
    assert b0 == pytest.approx(3 * N / sigma ** 2, rel=1e-12)
    est = reference_rates(kL)                                 # p̂ = x̂ ⊥ k_L = ẑ
    d, d_err = N * est.Gamma_ij, N * est.Gamma_ij_err
    ratio = 8 * d / b0
    # b₀ = 8d up to the relative correction −1/(k_L L)² (and O((k_L L)^−4))
    assert abs(ratio - 1) <= 1.0 / kL ** 2 + 8 * d_err / b0
    assert abs(ratio - (1 - 1 / kL ** 2)) <= 1.5 / kL ** 4 + 8 * d_err / b0
    # any dipole not along k_L: d and b₀ both carry sin²θ (θ = 45° here)
    tilted = reference_rates(kL, p_hat=(1.0, 0.0, 1.0))
    ratio_t = 8 * N * tilted.Gamma_ij / (b0 * 0.5)
    assert abs(ratio_t - 1) <= 3.0 / kL ** 2


# -- C5 ----------------------------------------------------------------------------------------

def _scalar_rate(kL):
    ks2 = 0.5 * kL * kL                                     # (kσ)²
    return -math.expm1(-4 * ks2) / (4 * ks2)


@pytest.mark.parametrize("kL", [0.1, 0.5, 1.0, 3.0, 10.0, 100.0, 300.0])
def test_C5_scalar_timed_dicke_rate(kL):
    est = reference_rates(kL, dipole=False)
    assert _close(2.0 / 3.0 * est.Gamma_ij, _scalar_rate(kL), 2.0 / 3.0 * est.Gamma_ij_err)
    # and the closed form in k_L L: (1 − e^{−2(k_L L)²})/(2(k_L L)²)
    assert _scalar_rate(kL) == pytest.approx(-math.expm1(-2 * kL * kL) / (2 * kL * kL), rel=1e-14)


def test_C5_scalar_rate_by_independent_monte_carlo():
    """E[e^{ik z} sin(k r)/(k r)] over pair differences drawn here, with its standard error."""
    kL, n = 1.0, 400_000
    cloud = GaussianCloud(kL)
    rng = make_rng(5, 0)
    r = cloud.sample(n, rng) - cloud.sample(n, rng)
    x = np.linalg.norm(r, axis=1)
    f = np.cos(r[:, 2]) * np.sinc(x / math.pi)       # np.sinc(t) = sin(πt)/(πt); Im part is odd
    mean, se = f.mean(), f.std(ddof=1) / math.sqrt(n)
    assert abs(mean - _scalar_rate(kL)) < 5 * se
    assert se < 0.01 * _scalar_rate(kL)             # a test that can fail


# -- C6 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kL", [10.0, 100.0])
def test_C6_resonant_optical_depth_scalar(kL):
    N = 1e6
    col = _column_density_through_centre(kL, N)
    sigma = kL / math.sqrt(2)
    assert col == pytest.approx(N / (2 * math.pi * sigma ** 2), rel=1e-12)
    est = reference_rates(kL, dipole=False)
    d_nd = N * est.Gamma_ij
    d_scalar = N * 2.0 / 3.0 * est.Gamma_ij
    assert d_scalar == pytest.approx(N * _scalar_rate(kL), rel=1e-12)
    assert d_scalar == pytest.approx(N / (4 * sigma ** 2), rel=1e-12)   # e^{−4(kσ)²} is nothing here
    b0_atom = SIGMA0_VECTOR * col
    b0_scalar_wave = SIGMA0_SCALAR * col
    assert b0_atom == pytest.approx(3 * N / sigma ** 2, rel=1e-12)
    assert b0_atom / d_scalar == pytest.approx(12.0, rel=1e-12)
    assert b0_scalar_wave / d_scalar == pytest.approx(8.0, rel=1e-12)
    assert b0_atom / d_nd == pytest.approx(8.0, rel=1e-12)


# -- C7 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kL", [0.1, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0])
def test_C7_no_dipole_collective_shift(kL):
    est = reference_rates(kL, dipole=False)
    exact = -3.0 * dawsn(math.sqrt(2.0) * kL) / (2.0 * math.sqrt(math.pi) * kL ** 2)
    assert _close(est.G_ij, exact, est.G_ij_err)
    assert est.g_bar.imag == 0.0 or abs(est.g_bar.imag) <= est.g_bar_err.imag   # real in one cloud
    asymptote = -3.0 / (4.0 * math.sqrt(2.0 * math.pi)) / kL ** 3
    if kL >= 10:
        ratio = est.G_ij / asymptote
        assert abs(ratio - 1) <= 1.0 / (4.0 * kL ** 2) + 1.0 / kL ** 4
        assert abs(ratio - 1 - 1.0 / (4.0 * kL ** 2)) <= 1.0 / kL ** 4
    # one power of k_L L faster than Γ_ij: |G_ij/Γ_ij| ~ 1/(√(2π) k_L L)
    if kL >= 10:
        assert abs(est.G_ij / est.Gamma_ij) < 1.0 / kL


# -- the page ----------------------------------------------------------------------------------

def test_every_line_of_the_page_has_its_test():
    text = PAGE.read_text()
    rows = re.findall(r"^\| (C\d+) \|.*\| `(test_C\d+_\w+)` \|$", text, flags=re.M)
    assert [r for r, _ in rows] == [f"C{i}" for i in range(1, len(rows) + 1)] and len(rows) >= 7
    here = {name for name in globals() if name.startswith("test_C")}
    for row, test in rows:
        assert test in here and test.startswith(f"test_{row}_"), (row, test)
