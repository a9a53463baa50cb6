"""lehmberg.anisotropic: the direction-integral reference for Gaussian clouds of any shape."""

import math

import numpy as np
import pytest
from _stats import agree_complex

from lehmberg.anisotropic import gaussian_cov, rates, weighted_cloud
from lehmberg.reference import paper_inter, reference_rates


def _rotation(seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def _close(a, a_err, b, b_err, rel):
    """|a − b| within rel·|b| or the two error estimates (each rule can fail)."""
    tol = max(rel * abs(b), 4.0 * (abs(a_err) + abs(b_err)))
    assert abs(a - b) <= tol, (a, a_err, b, b_err, abs(a - b) / abs(b))


# --------------------------------------------------------------------- 1. isotropic = reference

CASES = [(kL, kR, d, p) for kL in (1.0, 10.0, 100.0, 1000.0)
         for kR, d, p in ((None, (0, 0, 1), (1, 0, 0)), (None, (0, 0, 1), None),
                          (2.0 * kL * kL, (0, 0, 1), (1, 0, 0)),     # along the probe
                          (3.0 * kL, (1, 0, 0), (0.0, 1.0, 0.0)),    # across
                          (kL, (1, 0, 1), (0.3, 0.5, 0.8)),          # oblique
                          (5.0 * kL, (1, 1, 0.3), None))]


@pytest.mark.parametrize("kL, kR, R_dir, p", CASES)
def test_isotropic_equals_reference(kL, kR, R_dir, p):
    ref = reference_rates(kL, kR, R_dir, p)
    cov = gaussian_cov(kL)
    if kR is None:
        out = rates(cov, p_hat=p)
        assert out.gamma_bar.imag == 0.0 and out.g_bar.imag == 0.0  # exactly, by symmetry
    else:
        d = np.asarray(R_dir, float) / np.linalg.norm(R_dir)
        out = rates(cov, cov, centre_b=kR * d, p_hat=p)
    assert out.target_met
    assert abs(out.gamma_bar_err) < 1e-8 * abs(out.gamma_bar)
    _close(out.gamma_bar, out.gamma_bar_err, ref.gamma_bar, ref.gamma_bar_err, 1e-9)
    _close(out.g_bar, out.g_bar_err, ref.g_bar, ref.g_bar_err, 1e-9)
    assert out.eta_a == out.eta_b == 1.0


def test_small_cloud_equals_reference():
    ref = reference_rates(0.1, 0.5, (1, 1, 0.3), (0.3, 0.5, 0.8))
    out = rates(gaussian_cov(0.1), gaussian_cov(0.1), centre_b=0.5 * np.array([1, 1, 0.3]) /
                math.sqrt(2.09), p_hat=(0.3, 0.5, 0.8))
    _close(out.gamma_bar, out.gamma_bar_err, ref.gamma_bar, ref.gamma_bar_err, 1e-10)
    _close(out.g_bar, out.g_bar_err, ref.g_bar, ref.g_bar_err, 1e-10)


def test_far_along_probe_equals_reference():
    """k_L R = 10³ (k_L L)²: the cascaded regime, many more nodes."""
    kL = 3.0
    ref = reference_rates(kL, 1e3 * kL * kL)
    out = rates(gaussian_cov(kL), gaussian_cov(kL), centre_b=(0, 0, 1e3 * kL * kL))
    _close(out.gamma_bar, out.gamma_bar_err, ref.gamma_bar, ref.gamma_bar_err, 1e-9)
    _close(out.g_bar, out.g_bar_err, ref.g_bar, ref.g_bar_err, 1e-9)


# --------------------------------------------------------------------- 2. symmetries

def _setup(Q):
    """An anisotropic, rotated, offset set-up with waists and a complex dipole, rotated by Q."""
    A = _rotation(3)
    cov_a = gaussian_cov([4.0, 7.0, 15.0], A)
    cov_b = gaussian_cov([5.0, 3.0, 9.0], _rotation(4))
    k = np.array([0.2, -0.3, 1.0])
    p = np.array([1.0, 0.4j, 0.2 - 0.3j])
    return dict(cov_a=Q @ cov_a @ Q.T, cov_b=Q @ cov_b @ Q.T, centre_a=Q @ [1.0, -2.0, 0.5],
                centre_b=Q @ [6.0, 3.0, 40.0], k_hat=Q @ k, p_hat=Q @ p, waist_a=9.0, waist_b=12.0)


def test_rotation_of_everything_changes_nothing():
    base = rates(**_setup(np.eye(3)))
    rot = rates(**_setup(_rotation(7)))
    assert abs(base.gamma_bar) > 1e-4
    for q in ("gamma_bar", "g_bar"):
        _close(getattr(rot, q), getattr(rot, q + "_err"), getattr(base, q),
               getattr(base, q + "_err"), 1e-10)
    assert rot.eta_a == pytest.approx(base.eta_a, rel=1e-13)
    assert rot.eta_b == pytest.approx(base.eta_b, rel=1e-13)


def test_global_phase_and_circular_dipoles():
    kw = _setup(np.eye(3))
    base = rates(**kw)
    phased = rates(**{**kw, "p_hat": np.exp(0.7j) * kw["p_hat"]})
    assert phased.gamma_bar == pytest.approx(base.gamma_bar, rel=1e-14)
    assert phased.g_bar == pytest.approx(base.g_bar, rel=1e-14)
    kw.pop("p_hat")
    res = {name: rates(**kw, p_hat=p) for name, p in
           (("x", (1, 0, 0)), ("y", (0, 1, 0)), ("plus", (-1, -1j, 0)), ("minus", (1, -1j, 0)))}
    # |σ±·r̂|² = (|x̂·r̂|² + |ŷ·r̂|²)/2 and the kernels are linear in it: σ+ = σ− = mean of x̂, ŷ
    for q in ("gamma_bar", "g_bar"):
        plus, minus = getattr(res["plus"], q), getattr(res["minus"], q)
        mean = 0.5 * (getattr(res["x"], q) + getattr(res["y"], q))
        assert abs(plus - minus) <= 1e-12 * abs(plus)
        _close(plus, getattr(res["plus"], q + "_err"), mean, getattr(res["x"], q + "_err"), 1e-10)
        assert abs(plus - getattr(res["x"], q)) > 1e-3 * abs(plus)  # differs from linear x̂


# --------------------------------------------------------------------- 3. independent checks

def _kernels(r, p):
    """γ, g of SPEC §9 for separations r (n, 3) and a complex dipole p (r-space, direct)."""
    x = np.linalg.norm(r, axis=-1)
    c2 = np.abs(r @ p) ** 2 / (x * x)
    sn, cs = np.sin(x), np.cos(x)
    a = np.where(x < 0.3, 1 - x**2 / 6 + x**4 / 120 - x**6 / 5040, sn / x)
    b = np.where(x < 0.3, -1 / 3 + x**2 / 30 - x**4 / 840 + x**6 / 45360,
                 cs / x**2 - sn / x**3)
    gam = 1.5 * ((1 - c2) * a + (1 - 3 * c2) * b)
    g = 1.5 * (-(1 - c2) * cs / x + (1 - 3 * c2) * (sn / x**2 + cs / x**3))
    return gam, g


def _r_space(S, m, k, p, n_r=96, n_t=48, n_p=96):
    """E_{N(m,S)}[e^{ik̂·r}(γ, g)] in spherical coordinates about r = 0 (spherical PV):
    Gauss–Legendre in r and cos ϑ, trapezoid in φ.  Independent of the plane waves."""
    Si = np.linalg.inv(S)
    norm = 1.0 / math.sqrt((2 * math.pi) ** 3 * np.linalg.det(S))
    r_max = np.linalg.norm(m) + 11.0 * math.sqrt(np.linalg.eigvalsh(S)[-1])
    edges = np.linspace(0.0, r_max, 9)
    xg, wg = np.polynomial.legendre.leggauss(n_r // 8)
    rr = ((edges[1:] + edges[:-1])[:, None] / 2 + (edges[1:] - edges[:-1])[:, None] / 2 * xg).ravel()
    wr = ((edges[1:] - edges[:-1])[:, None] / 2 * wg).ravel()
    ct, wt = np.polynomial.legendre.leggauss(n_t)
    ph = 2 * math.pi * np.arange(n_p) / n_p
    st = np.sqrt(1 - ct**2)
    u = np.stack([st[:, None] * np.cos(ph), st[:, None] * np.sin(ph),
                  ct[:, None] * np.ones(n_p)], axis=-1).reshape(-1, 3)
    wu = (wt[:, None] * np.full(n_p, 2 * math.pi / n_p)).ravel()
    out = np.zeros(2, complex)
    for r, w in zip(rr, wr):
        v = r * u
        d = v - m
        dens = norm * np.exp(-0.5 * np.einsum("ij,jk,ik->i", d, Si, d)) * np.exp(1j * (v @ k))
        gam, g = _kernels(v, p)
        out += w * r * r * np.array([np.sum(wu * dens * gam), np.sum(wu * dens * g)])
    return out


@pytest.mark.parametrize("inter", [False, True])
def test_anisotropic_against_r_space(inter):
    Q = _rotation(11)
    cov_a = gaussian_cov([1.0, 1.6, 2.4], Q)
    k = np.array([0.3, -0.2, 1.0]) / math.sqrt(1.13)
    p = np.array([0.6, 0.3 + 0.5j, -0.2j])
    p = p / np.linalg.norm(p)
    if inter:
        cov_b = gaussian_cov([2.0, 1.2, 1.5], _rotation(12))
        m = np.array([0.8, -0.5, 1.5])
        out = rates(cov_a, cov_b, centre_a=m, centre_b=(0, 0, 0), k_hat=k, p_hat=p)
        S = cov_a + cov_b
    else:
        out = rates(cov_a, k_hat=k, p_hat=p)
        S, m = 2 * cov_a, np.zeros(3)
    gam, g = _r_space(S, m, k, p)
    _close(out.gamma_bar, out.gamma_bar_err, gam, 0, 1e-10)  # measured: 1e-12 and 1e-14
    _close(out.g_bar, out.g_bar_err, g, 0, 1e-10)


def test_large_gaussian_law():
    """Γ_ij L₁L₂ → 3/4 for a Gaussian probed along its axis 3 (SPEC §9); L₃ enters at
    O(L₃²/(L₁L₂)²)."""
    Q = _rotation(5)
    for L1, L2, L3 in ((300.0, 500.0, 100.0), (400.0, 200.0, 800.0)):
        out = rates(gaussian_cov([L1, L2, L3], Q), k_hat=Q[:, 2], p_hat=Q[:, 0])
        assert out.Gamma_ij * L1 * L2 == pytest.approx(0.75, abs=2e-4)
        # dipole along the probe: no forward emission, the leading law drops out
        along = rates(gaussian_cov([L1, L2, L3], Q), k_hat=Q[:, 2], p_hat=Q[:, 2])
        assert abs(along.Gamma_ij * L1 * L2) < 1e-3


def test_waist_against_monte_carlo():
    """η and the weighted Γ̄ against a brute-force Monte Carlo of the weighted average."""
    rng = np.random.default_rng(2024)
    Qa, Qb = _rotation(21), _rotation(22)
    cov_a = gaussian_cov([1.5, 2.5, 1.0], Qa)
    cov_b = gaussian_cov([2.0, 1.0, 1.5], Qb)
    ca, cb = np.array([0.3, 0.2, -0.4]), np.array([-0.5, 1.0, 1.5])
    k = np.array([0.1, 0.2, 1.0]) / math.sqrt(1.05)
    p = np.array([1.0, 1j, 0.3]) / math.sqrt(2.09)
    wa, wb = 1.7, 2.2
    out = rates(cov_a, cov_b, ca, cb, k, p, wa, wb)

    def weight(x, c, w):
        d = x - c
        return np.exp(-(np.sum(d * d, 1) - (d @ k) ** 2) / w**2)  # ρ⊥² = |d|² − (d·k̂)²

    n, batches = 100_000, 20
    vals, ua, ub, ua2, ub2 = [], [], [], [], []
    La, Lb = np.linalg.cholesky(cov_a), np.linalg.cholesky(cov_b)
    for _ in range(batches):
        xa = ca + rng.standard_normal((n, 3)) @ La.T
        xb = cb + rng.standard_normal((n, 3)) @ Lb.T
        u_a, u_b = weight(xa, ca, wa), weight(xb, cb, wb)
        r = xa - xb
        gam, _ = _kernels(r, p)
        vals.append(np.mean(u_a * u_b * np.exp(1j * (r @ k)) * gam))
        ua.append(u_a.mean()), ub.append(u_b.mean())
        ua2.append(np.mean(u_a**2)), ub2.append(np.mean(u_b**2))
    vals = np.array(vals)
    mc = vals.mean() / math.sqrt(np.mean(ua2) * np.mean(ub2))
    err = (vals.real.std(ddof=1) + 1j * vals.imag.std(ddof=1)) / math.sqrt(batches) \
        / math.sqrt(np.mean(ua2) * np.mean(ub2))
    agree_complex(out.gamma_bar, err, mc, out.gamma_bar_err)
    eta_a_mc = np.mean(ua) ** 2 / np.mean(ua2)
    eta_err = 2 * np.std(ua, ddof=1) / math.sqrt(batches) / np.mean(ua)  # dominant term
    assert abs(out.eta_a - eta_a_mc) <= 4 * eta_err * eta_a_mc
    assert 0.3 < out.eta_a < 0.95 and 0.3 < out.eta_b < 0.95
    assert abs(out.gamma_bar) > 5 * abs(err)


def test_waist_closed_form():
    """Isotropic cloud (Σ = L²/2), waist w: E[u] = 1/(1 + L²/w²), E[u²] = 1/(1 + 2L²/w²)."""
    L, w = 3.0, 2.0
    S1, eta, eu, eu2 = weighted_cloud(gaussian_cov(L), (0, 0, 1), w)
    assert eu == pytest.approx(1 / (1 + L**2 / w**2), rel=1e-14)
    assert eu2 == pytest.approx(1 / (1 + 2 * L**2 / w**2), rel=1e-14)
    assert eta == pytest.approx(eu**2 / eu2, rel=1e-14)
    # transverse variance 1/(2/L² + 2/w²), along the probe unchanged
    assert np.allclose(S1, np.diag([1 / (2 / L**2 + 2 / w**2)] * 2 + [L**2 / 2]), rtol=1e-14)
    # a huge waist is no waist
    big = rates(gaussian_cov(L), waist_a=1e9)
    none = rates(gaussian_cov(L))
    assert big.gamma_bar == pytest.approx(none.gamma_bar, rel=1e-12)


# --------------------------------------------------------------------- 4. the line route far apart

def _bounded(out, q, value, value_err=0j):
    """|out.q − value| within out's own error estimate (plus the other's), part by part."""
    got, err = getattr(out, q), getattr(out, q + "_err")
    assert abs(got.real - value.real) <= err.real + abs(value_err.real), (q, got, err, value)
    assert abs(got.imag - value.imag) <= err.imag + abs(value_err.imag), (q, got, err, value)


FAR = [(kL, f * kL * kL, d, p) for kL in (10.0, 100.0, 1000.0) for f in (1.0, 1e3)
       for d, p in (((0, 0, 1), (1, 0, 0)), ((1, 0, 0), (0, 1, 0)))]


@pytest.mark.parametrize("kL, kR, R_dir, p", FAR)
def test_far_isotropic_equals_reference(kL, kR, R_dir, p):
    """k_L R = (k_L L)² and 10³ (k_L L)², along and across the probe: the radial reference.
    Across, the rates are e^{−(k_L L)²}-small (0 in double at k_L L ≥ 100): there both sides
    must agree within the error estimates, which bound the difference."""
    ref = reference_rates(kL, kR, R_dir, p)
    cov = gaussian_cov(kL)
    out = rates(cov, cov, centre_b=kR * np.asarray(R_dir, float), p_hat=p)
    assert out.target_met
    assert out.evaluations < 2e4                 # the direction route: ~10⁷ at 10³ (k_L L)²
    for q in ("gamma_bar", "g_bar"):
        ref_v, ref_e = getattr(ref, q), getattr(ref, q + "_err")
        if abs(ref_v) > 1e3 * abs(ref_e):        # a value the reference resolves
            assert abs(getattr(out, q) - ref_v) <= 1e-10 * abs(ref_v)
            assert abs(getattr(out, q + "_err")) <= 1e-10 * abs(ref_v)
        _bounded(out, q, ref_v, ref_e)


def _closed_no_dipole(kL, m):
    """Γ̄ without the dipole factor for S = (k_L L)²·1 and any mean m (mpmath): the full-sphere
    (3/8π)∫dΩ exp(i(k̂−q̂)·m − ½(k_L L)²|k̂−q̂|²) = (3/2) e^{ik̂·m − (k_L L)²} sinh(w)/w,
    w² = b·b, b = (k_L L)² k̂ − i m (k̂ = ẑ)."""
    mp = pytest.importorskip("mpmath")
    with mp.workdps(40):
        s2 = mp.mpf(kL) ** 2
        b = [-1j * mp.mpf(m[0]), -1j * mp.mpf(m[1]), s2 - 1j * mp.mpf(m[2])]
        w = mp.sqrt(sum(x * x for x in b))
        return complex(mp.mpf(1.5) * mp.exp(1j * mp.mpf(m[2]) - s2) * mp.sinh(w) / w)


@pytest.mark.parametrize("kL", [3.0, 10.0, 20.0])
@pytest.mark.parametrize("f, R_dir", [(1.0, (0, 0, 1)), (1e3, (0, 0, 1)), (1e3, (1, 0, 0)),
                                      (1e3, (1, 0, 1)), (3.0, (1, 1, 0.3))])
def test_no_dipole_closed_form(kL, f, R_dir):
    """Relative accuracy at any separation, even where Γ̄ is e^{−(k_L L)²}-small (across the
    probe at 10³ (k_L L)²: down to 1e-180), which no cancelling quadrature can give."""
    d = np.asarray(R_dir, float) / np.linalg.norm(R_dir)
    kR = f * kL * (1.0 if f == 3.0 else kL)
    cov = gaussian_cov(kL)
    out = rates(cov, cov, centre_b=kR * d, p_hat=None)
    exact = _closed_no_dipole(kL, -kR * d)
    assert abs(out.gamma_bar - exact) <= 1e-9 * abs(exact)
    _bounded(out, "gamma_bar", exact)


@pytest.mark.parametrize("kL", [10.0, 1e3, 1e5])
def test_kr_max_along_probe_paper_formula(kL):
    """k_L R = 1e12 (the package's largest) along the probe, no dipole factor: the paper's
    Appendix B formula is exact there; a few thousand evaluations whatever k_L L."""
    cov = gaussian_cov(kL)
    out = rates(cov, cov, centre_b=(0.0, 0.0, 1e12), p_hat=None)
    exact = complex(paper_inter(kL, 1e12))
    assert out.target_met and out.evaluations < 1e4
    assert abs(out.gamma_bar - exact) <= 1e-10 * abs(exact)
    _bounded(out, "gamma_bar", exact, 1e-15 * abs(exact) * (1 + 1j))


def _line_brute(S, m, k, p, n=200_000):
    """(D5) straight from its definition with NumPy linear algebra (no eigenframe, no saddle):
    Gauss–Legendre on the real t axis to T = 4(|m| + λ_max) + 40, then up to T + 80i."""
    T = 4.0 * (np.linalg.norm(m) + np.linalg.eigvalsh(S)[-1]) + 40.0
    x, w = np.polynomial.legendre.leggauss(20)
    e = np.linspace(0.0, T, n // 20 + 1)
    t = (0.5 * (e[1:] + e[:-1])[:, None] + 0.5 * (e[1:] - e[:-1])[:, None] * x).ravel()
    wt = (0.5 * (e[1:] - e[:-1])[:, None] * w).ravel().astype(complex)
    ey = np.linspace(0.0, 80.0, 41)
    y = (0.5 * (ey[1:] + ey[:-1])[:, None] + 0.5 * (ey[1:] - ey[:-1])[:, None] * x).ravel()
    t = np.concatenate([t, T + 1j * y])
    wt = np.concatenate([wt, 1j * (0.5 * (ey[1:] - ey[:-1])[:, None] * w).ravel()])
    M = np.real(np.outer(p, p.conj()))

    def J(mm):
        A = S[None] + 2j * t[:, None, None] * np.eye(3)
        nv = mm[None] + 2.0 * t[:, None] * k[None]
        v = np.linalg.solve(A, nv[..., None])[..., 0]
        mu = k[None] - 1j * v
        Ainv_tr = np.trace(np.linalg.solve(A, np.broadcast_to(M, A.shape)), axis1=1, axis2=2)
        br = 1.0 - Ainv_tr - np.einsum("ti,ij,tj->t", mu, M, mu)
        lam = np.linalg.eigvals(A)      # det^{-1/2} as the product of principal roots
        f = np.exp(-0.5 * np.sum(nv * v, 1)) * np.prod(lam ** -0.5, axis=1) * br
        rho0 = math.exp(-0.5 * mm @ np.linalg.solve(S, mm)) / math.sqrt(
            (2 * math.pi) ** 3 * np.linalg.det(S))
        return 3.0 / math.sqrt(2 * math.pi) * np.sum(wt * f) - 2j * math.pi * rho0

    a, b = J(m), J(-m)
    return 0.5 * (a + b.conjugate()), -0.5j * (a - b.conjugate())


@pytest.mark.parametrize("case", ["along", "across", "oblique", "cigars_apart"])
def test_far_anisotropic_against_real_axis(case):
    """Cigars, a tilted probe and a complex dipole at k_L R = 10³ (k_L L_⊥)²: the saddle
    contour (D6) against plain quadrature of (D5) on the real axis (another contour, another
    implementation); the error estimate bounds the difference."""
    Q = _rotation(31)
    cov_a = gaussian_cov([2.0, 2.5, 6.0], Q)
    cov_b = gaussian_cov([3.0, 1.5, 4.0], _rotation(32))
    k = np.array([0.1, -0.2, 1.0]) / math.sqrt(1.05)
    p = np.array([1.0, 0.5j, 0.2 - 0.1j])
    p = p / np.linalg.norm(p)
    R = 1e3 * 4.0
    far = {"along": R * k, "across": R * np.cross(k, [1.0, 0, 0]) / np.linalg.norm(
        np.cross(k, [1.0, 0, 0])), "oblique": R * (k + np.array([0.3, 0.0, 0.0])),
        "cigars_apart": 0.05 * R * k + np.array([3.0, -2.0, 0.0])}[case]
    out = rates(cov_a, cov_b, centre_a=(0.5, 0.2, -0.3), centre_b=far, k_hat=k, p_hat=p)
    assert out.target_met and out.evaluations < 3e4
    m = np.array([0.5, 0.2, -0.3]) - far
    gam, g = _line_brute(cov_a + cov_b, m, k, p)
    for q, v in (("gamma_bar", gam), ("g_bar", g)):
        got = getattr(out, q)
        assert abs(got - v) <= max(1e-9 * abs(v), 1e-12 * abs(out.gamma_bar)), (q, got, v)
        _bounded(out, q, v, 1e-12 * abs(v) * (1 + 1j))


def test_far_rotation_changes_nothing():
    """k_L R = 10³ (k_L L)² along a tilted probe, waists and a complex dipole: rotate all."""
    def setup(Q):
        cov_a = gaussian_cov([4.0, 7.0, 15.0], _rotation(3))
        cov_b = gaussian_cov([5.0, 3.0, 9.0], _rotation(4))
        k = np.array([0.2, -0.3, 1.0]) / math.sqrt(1.13)
        p = np.array([1.0, 0.4j, 0.2 - 0.3j])
        return dict(cov_a=Q @ cov_a @ Q.T, cov_b=Q @ cov_b @ Q.T, centre_a=Q @ [1.0, -2.0, 0.5],
                    centre_b=Q @ (3e4 * k + np.array([6.0, 3.0, 0.0])), k_hat=Q @ k,
                    p_hat=Q @ p, waist_a=9.0, waist_b=12.0)
    base = rates(**setup(np.eye(3)))
    rot = rates(**setup(_rotation(8)))
    assert abs(base.gamma_bar) > 1e-6
    for q in ("gamma_bar", "g_bar"):
        assert abs(getattr(rot, q) - getattr(base, q)) <= 1e-10 * abs(getattr(base, q))


@pytest.mark.parametrize("inter", [False, True])
def test_line_equals_directions(inter):
    """The two routes of the module (D5–D6 and D2–D4: different derivations) agree on rotated
    cigars with waists, a tilted probe and a complex dipole, inside a cloud and apart."""
    kw = dict(cov_a=gaussian_cov([3.0, 4.0, 8.0], _rotation(41)), k_hat=(0.2, 0.1, 1.0),
              p_hat=(1.0, 0.3 - 0.2j, 0.1j), waist_a=6.0)
    if inter:
        kw.update(cov_b=gaussian_cov([2.0, 5.0, 3.0], _rotation(42)), centre_a=(1.0, 0.5, 0.0),
                  centre_b=(4.0, -3.0, 60.0), waist_b=7.0)
    line = rates(**kw)
    dirs = rates(**kw, method="directions")
    assert line.target_met and dirs.target_met
    assert line.evaluations < dirs.evaluations
    for q in ("gamma_bar", "g_bar"):
        _close(getattr(line, q), getattr(line, q + "_err"), getattr(dirs, q),
               getattr(dirs, q + "_err"), 1e-9)


@pytest.mark.parametrize("along", [True, False])
def test_far_line_equals_directions(along):
    """Rotated cigars ~10³ (k_L L_⊥)² apart along a tilted probe (or 30 L across it): the
    direction route (D2–D4, another derivation; ~10⁶ nodes) against the line route."""
    k = np.array([0.1, -0.2, 1.0]) / math.sqrt(1.05)
    far = 4e3 * k if along else 30.0 * np.cross(k, [1.0, 0, 0]) / np.linalg.norm(
        np.cross(k, [1.0, 0, 0]))
    kw = dict(cov_a=gaussian_cov([2.0, 2.5, 3.0], _rotation(51)),
              cov_b=gaussian_cov([2.5, 2.0, 2.0], _rotation(52)), centre_b=far, k_hat=k,
              p_hat=(1.0, 0.5j, 0.2))
    line = rates(**kw)
    dirs = rates(**kw, method="directions")
    assert line.target_met and dirs.target_met
    for q in ("gamma_bar", "g_bar"):
        _close(getattr(line, q), getattr(line, q + "_err"), getattr(dirs, q),
               getattr(dirs, q + "_err"), 1e-9)


def test_elongated_cloud_against_r_space():
    """A cigar 8:1 probed across its long axis: Ḡ takes directions far from the forward cone,
    where the line route needs no cut-off; the r-space quadrature decides (to 2e-10)."""
    cov = gaussian_cov([1.5, 8.0, 1.0])
    k = np.array([0.0, 0.0, 1.0])
    p = np.array([1.0, 0.3j, 0.2]) / math.sqrt(1.13)
    out = rates(cov, p_hat=p)
    gam, g = _r_space(2 * cov, np.zeros(3), k, p, n_r=192, n_t=96, n_p=192)
    _close(out.gamma_bar, out.gamma_bar_err, gam, 0, 2e-10)
    _close(out.g_bar, out.g_bar_err, g, 0, 2e-10)


# --------------------------------------------------------------------- 5. bad input

@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(cov_a=[[1, 0.5, 0], [0, 1, 0], [0, 0, 1]]), ValueError, "cov_a"),
    (dict(cov_a=np.diag([1.0, -1.0, 1.0])), ValueError, "cov_a"),
    (dict(cov_a=np.eye(2)), ValueError, "cov_a"),
    (dict(cov_a=np.eye(3), cov_b=np.diag([1.0, 0.0, 1.0])), ValueError, "cov_b"),
    (dict(cov_a=np.full((3, 3), np.nan)), ValueError, "cov_a"),
    (dict(cov_a="eye"), TypeError, "cov_a"),
    (dict(cov_a=np.eye(3), k_hat=(0, 0, 0)), ValueError, "k_hat"),
    (dict(cov_a=np.eye(3), k_hat=(0, np.inf, 1)), ValueError, "k_hat"),
    (dict(cov_a=np.eye(3), p_hat=(0, 0, 0j)), ValueError, "p_hat"),
    (dict(cov_a=np.eye(3), p_hat=(1, np.nan * 1j, 0)), ValueError, "p_hat"),
    (dict(cov_a=np.eye(3), p_hat=(1, 0)), ValueError, "p_hat"),
    (dict(cov_a=np.eye(3), waist_a=0.0), ValueError, "waist_a"),
    (dict(cov_a=np.eye(3), waist_a=-1.0), ValueError, "waist_a"),
    (dict(cov_a=np.eye(3), cov_b=np.eye(3), waist_b=math.inf), ValueError, "waist_b"),
    (dict(cov_a=np.eye(3), centre_b=(1, 0, 0)), ValueError, "centre_b"),
    (dict(cov_a=np.eye(3), cov_b=np.eye(3), centre_b=(1, 0)), ValueError, "centre_b"),
    (dict(cov_a=np.eye(3), rtol=0.0), ValueError, "rtol"),
    (dict(cov_a=np.eye(3), method="radial"), ValueError, "method"),
])
def test_bad_input(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        rates(**kwargs)
