"""Structure-factor engine: exact against the pair kernel, Ewald Ḡ, near sums, honest Ḡ bars, memory."""

import math

import numpy as np
import pytest

from lehmberg import structure
from lehmberg import Geometry
from lehmberg.clouds import cloud_rates
from lehmberg.pairsum import fast_pair_sum
from lehmberg.planewave import planewave_rates
from sampling import TwoClouds, make_rng

pytestmark = pytest.mark.skipif(structure.ENGINE != "finufft", reason="finufft not importable")


def _clouds(shape, kL, kR, R_dir, N, seed=3):
    a, b = TwoClouds(shape, kL, kR or 0.0, R_dir).realise(N, make_rng(seed, 1))
    return a, (None if kR is None else b)


def _gamma_tolerance(exact, n_pairs):
    """The documented accuracy of S_γ: 1e-10 relative, or 1e-3·EPS = 1e-13 per pair (the
    finufft floor; it matters only where Γ̄ itself is below ~1e-3, far across the probe)."""
    return 1e-10 * abs(exact) + 1e-3 * structure.EPS * n_pairs


@pytest.mark.parametrize("shape, kL, kR, R_dir, p_hat, N", [
    ("gaussian", 10.0, None, (0, 0, 1), (1.0, 0.0, 0.0), 12_000),
    ("gaussian", 3.0, None, (0, 0, 1), (0.2, -0.5, 0.8), 4000),
    ("gaussian", 5.0, None, (0, 0, 1), None, 4000),
    ("cube", 8.0, None, (0, 0, 1), (0.0, 0.0, 1.0), 3000),
    ("gaussian", 10.0, 0.0, (0, 0, 1), (1.0, 0.0, 0.0), 2000),
    ("gaussian", 10.0, 30.0, (0, 0, 1), (1.0, 0.0, 0.0), 3000),
    ("cube", 6.0, 4.0, (1, 1, 0), (0.3, -0.2, 0.9), 3000),
    ("gaussian", 4.0, 9.0, (0, 1, 1), None, 3000),
    # far apart: along, against, across and oblique to the probe (the rule's size does not
    # depend on the separation; before, k_L R = 1e4 took 32 s and 1e5 exhausted 24 GB)
    ("gaussian", 10.0, 1e3, (0, 0, 1), (1.0, 0.0, 0.0), 2000),
    ("gaussian", 10.0, 1e4, (0, 0, -1), None, 2000),
    ("gaussian", 10.0, 1e5, (0, 0, 1), (1.0, 0.0, 0.0), 2000),
    ("gaussian", 10.0, 1e5, (1, 0, 0), None, 2000),
    ("cube", 10.0, 1e5, (1, 1, 1), (0.0, 0.6, 0.8), 2000),
    ("cube", 8.0, 3e3, (0, 1, -1), None, 2000),
    ("gaussian", 30.0, 3e4, (1, 0, 1), (1.0, 0.0, 0.0), 2000),
])
def test_gamma_pair_sum_exact(shape, kL, kR, R_dir, p_hat, N):
    """S_γ by structure factors equals the fast pair kernel to 1e-10 relative (plus the
    finufft floor of 1e-13 per pair) at separations 0 … 1e5 in every direction."""
    a, b = _clouds(shape, kL, kR, R_dir, N)
    exact = fast_pair_sum(a, b, p_hat)[0]
    got = structure.gamma_pair_sum(a, b, p_hat)
    n_pairs = N * (N - 1) if b is None else N * N
    assert abs(got - exact) <= _gamma_tolerance(exact, n_pairs), (got, exact)
    if b is None:
        assert got.imag == 0.0


def _gamma_mp(a, b, p_hat, dps=40):
    """Σ_(i,j) e^{i(z_i − z_j)} γ(r_i − r_j) in mpmath from the exact double positions."""
    import mpmath
    with mpmath.workdps(dps):
        p = None if p_hat is None else [mpmath.mpf(v) for v in np.asarray(p_hat) / np.linalg.norm(p_hat)]
        total = mpmath.mpc(0)
        B = [[mpmath.mpf(float(v)) for v in r] for r in b]
        for ra in a:
            A = [mpmath.mpf(float(v)) for v in ra]
            for rb in B:
                d = [A[k] - rb[k] for k in range(3)]
                x = mpmath.sqrt(d[0] ** 2 + d[1] ** 2 + d[2] ** 2)
                c2 = 0 if p is None else (sum(p[k] * d[k] for k in range(3)) / x) ** 2
                s, c = mpmath.sin(x), mpmath.cos(x)
                if p is None:
                    g = 1.5 * s / x
                else:
                    g = 1.5 * ((1 - c2) * s / x + (1 - 3 * c2) * (c / x**2 - s / x**3))
                total += mpmath.expj(d[2]) * g
        return complex(total)


@pytest.mark.parametrize("kR, R_dir, p_hat", [
    (1e6, (0, 0, 1), (1.0, 0.0, 0.0)),
    (1e9, (0, 0, 1), None),
    (1e12, (0, 0, 1), (1.0, 0.0, 0.0)),
    (3e7, (0.3, 0.0, 1.0), (1.0, 0.0, 0.0)),
    (1e12, (0.0, 2e-6, 1.0), None),
])
def test_gamma_pair_sum_very_far_against_mpmath(kR, R_dir, p_hat):
    """Clouds up to 10¹²/k_L apart (the package's limit): the rule has the size it has at
    k_L R = 100, and S_γ equals the pair sum of the same double positions in 40-digit
    arithmetic (the double pair kernel itself loses the phase there) to 1e-10 relative:
    the centres are integers (m = c_a − c_b exact) and |m| and j_l(|m|) carry double-double
    phases."""
    a, b = _clouds("gaussian", 5.0, kR, R_dir, 24)
    exact = _gamma_mp(a, b, p_hat)
    got = structure.gamma_pair_sum(a, b, p_hat)
    assert abs(got - exact) <= _gamma_tolerance(exact, 24 * 24), (got, exact)
    b_near = _clouds("gaussian", 5.0, 100.0, R_dir, 24)[1]
    near = structure._rule(np.ascontiguousarray(a.T), np.ascontiguousarray(b_near.T))
    far = structure._rule(np.ascontiguousarray(a.T), np.ascontiguousarray(b.T))
    assert far.n_theta <= near.n_theta + 2 and far.n_phi <= near.n_phi + 2


@pytest.mark.parametrize("x, x_low", [(0.3, 0.0), (7.5, 0.0), (60.0, 0.0), (833.25, 0.0),
                                      (1e5 + 0.37, 0.0), (1234567891.0, 1e-7), (1e12, 3.1e-5)])
def test_spherical_jn_against_mpmath(x, x_low):
    """j_l(x) for l = 0 … 120 (SciPy below 2l + 20 < x, the double-double upward recurrence
    above) against mpmath: absolute error <= 3e-14 of max |j_l| (measured <= 1.1e-14; j_l ~ 1/x
    far out)."""
    import mpmath
    L = 120
    got = structure._spherical_jn(L, x, x_low)
    with mpmath.workdps(40):
        X = mpmath.mpf(x) + mpmath.mpf(x_low)
        ref = np.array([float(mpmath.sqrt(mpmath.pi / (2 * X)) * mpmath.besselj(l + 0.5, X))
                        for l in range(L + 1)])
    assert np.max(np.abs(got - ref)) <= 3e-14 * np.max(np.abs(ref)), np.max(np.abs(got - ref))


@pytest.mark.parametrize("m", [0.7, 20.0, 300.0])
def test_plane_wave_factor_is_the_plane_wave(m):
    """T(x) = Σ_(l <= |m| + μ_T) (2l+1) i^l j_l(|m|) P_l(x) is e^{i|m|x} to 1e-13 where
    |m| + μ_T(|m|) terms are kept, and visibly not with 10 terms fewer."""
    x = np.linspace(-1.0, 1.0, 41)
    L = int(math.ceil(m + structure._margin_T(m)))
    assert np.max(np.abs(structure._plane_wave_factor(x, m, L) - np.exp(1j * m * x))) < 1e-13
    short = structure._plane_wave_factor(x, m, int(m) + 3)
    assert np.max(np.abs(short - np.exp(1j * m * x))) > 1e-9


def test_plane_wave_margin_is_needed():
    """Two overlapping clouds (|m| ~ 16): T cut at |m| + μ(|m|) (the pair margin) instead of
    μ_T leaves 1.6e-9; with μ_T it is exact."""
    a, b = _clouds("gaussian", 30.0, 0.0, (0, 0, 1), 10_000)
    exact = fast_pair_sum(a, b)[0]
    assert abs(structure.gamma_pair_sum(a, b) - exact) <= 1e-10 * abs(exact)
    old = structure._margin_T
    try:
        structure._margin_T = structure._margin
        worse = structure.gamma_pair_sum(a, b)
    finally:
        structure._margin_T = old
    assert abs(worse - exact) > 1e-10 * abs(exact)


@pytest.mark.parametrize("kR, R_dir, p_hat", [(None, (0, 0, 1), (1.0, 0.0, 0.0)),
                                         (1e4, (1, 0, 1), None)])
def test_gamma_pair_sum_upsampling_125(kR, R_dir, p_hat):
    """Where upsampling-2 grids would need blocks (forced here by a small grid budget; by
    default from k_L L ≈ 40) one unblocked transform at upsampling 1.25 is taken: exact to
    the same law with its tolerance max(EPS, 5e-10)."""
    a, b = _clouds("gaussian", 30.0, kR, R_dir, 3000)
    X = 0.5 * np.ptp(a, axis=0)
    assert structure._transform_plan(X, np.ones(3), structure.EPS, 1.5e8, 10**5, 3000)[:2] == (1.25, 5e-10)
    exact = fast_pair_sum(a, b, p_hat)[0]
    got = structure.gamma_pair_sum(a, b, p_hat, grid_budget=1.5e8)
    n_pairs = 3000 * (2999 if b is None else 3000)
    assert abs(got - exact) <= 1e-10 * abs(exact) + 1e-3 * 5e-10 * n_pairs, (got, exact)


def test_gamma_pair_sum_far_across_the_probe():
    """Clouds displaced across the probe: S_γ is exponentially small; the error stays at
    the transform's floor, ~1e-14 of N_a N_b."""
    a, b = _clouds("gaussian", 20.0, 200.0, (1, 0, 1), 2000)
    exact = fast_pair_sum(a, b)[0]
    assert abs(exact) < 1e-5 * 2000**2
    assert abs(structure.gamma_pair_sum(a, b) - exact) <= 1e-13 * 2000**2


def test_band_limit_rule_converges():
    """The margin μ(D) is needed and sufficient: clouds 800/k_L apart (D ≈ 830) are exact
    with it, and a rule without the margin is visibly off."""
    a, b = _clouds("cube", 20.0, 800.0, (0, 0, 1), 1500)
    exact = fast_pair_sum(a, b)[0]
    assert abs(structure.gamma_pair_sum(a, b) - exact) <= 1e-9 * abs(exact)
    old = structure._margin
    try:
        structure._margin = lambda D: -4
        worse = structure.gamma_pair_sum(a, b)
    finally:
        structure._margin = old
    assert abs(worse - exact) > 1e-6 * abs(exact)


def test_blocks_give_the_same_structure_factors():
    """A grid budget that forces spatial blocks (27 here) changes nothing but the cost."""
    a, _ = _clouds("gaussian", 30.0, None, (0, 0, 1), 2000)
    q, _ = structure.sphere_rule(20, 21)
    K = q + np.array([0.0, 0.0, 1.0])
    one = structure.structure_factors(a, K)
    blocks = structure.structure_factors(a, K, grid_budget=2e7, upsampfac=2.0)
    auto = structure.structure_factors(a, K, grid_budget=2e7)  # upsampling 1.25, fewer blocks
    direct = np.exp(1j * (K @ a.T)).sum(axis=1)
    assert np.max(np.abs(one - direct)) < 1e-9 * a.shape[0]
    assert np.max(np.abs(blocks - direct)) < 1e-9 * a.shape[0]
    assert np.max(np.abs(auto - direct)) < 5e-9 * a.shape[0]
    centred = structure.structure_factors(a, K, centre=(3.0, -2.0, 40.0))
    assert np.max(np.abs(centred * np.exp(1j * (K @ [3.0, -2.0, 40.0])) - direct)) < 1e-9 * a.shape[0]


def test_sphere_rule_axis_normalised_by_unit_vector():
    """The axis goes through _checks.unit_vector: zero or non-finite axes raise, huge and
    tiny components give unit nodes."""
    for bad in ((0.0, 0.0, 0.0), (np.nan, 0.0, 1.0), (np.inf, 0.0, 0.0)):
        with pytest.raises(ValueError, match="axis"):
            structure.sphere_rule(3, 4, axis=bad)
    for axis in ((1e300, 0.0, 0.0), (1e-320, 0.0, 1e-320), (0.0, 3e200, 4e200)):
        q, w = structure.sphere_rule(4, 5, axis=axis)
        assert np.max(np.abs(np.linalg.norm(q, axis=1) - 1.0)) < 1e-15
        e = np.asarray(axis) / np.max(np.abs(axis))
        e /= np.linalg.norm(e)
        assert abs(w @ (q @ e) ** 2 - 4 * math.pi / 3) < 1e-13


def test_sphere_rule_large_n():
    """Beyond 100 nodes in cos θ the Gauss–Legendre rule comes from SciPy (O(n) memory):
    exact for (q·n)^(2k) at degree 2n − 2 with n = 2000."""
    n = 2000
    q, w = structure.sphere_rule(n, 1)
    assert abs(w.sum() - 4 * math.pi) < 1e-12
    assert abs(w @ q[:, 2] ** (2 * n - 2) - 4 * math.pi / (2 * n - 1)) < 1e-12


def test_sphere_rule_exactness():
    q, w = structure.sphere_rule(6, 12, axis=(1.0, 2.0, 2.0))
    # ∫ (q·n)^10 dΩ = 4π/11 and ∫ q_x^4 q_y^2 dΩ = 4π/35 (degree 11 and 6)
    n = np.array([1.0, 2.0, 2.0]) / 3.0
    assert abs(w @ (q @ n) ** 10 - 4 * math.pi / 11) < 1e-13
    assert abs(w @ (q[:, 0] ** 4 * q[:, 1] ** 2) - 4 * math.pi / 35) < 1e-13
    with pytest.raises(ValueError, match="n_theta"):
        structure.sphere_rule(0, 3)


@pytest.mark.parametrize("kR, p_hat", [(None, (1.0, 0.0, 0.0)), (None, None), (1.5, (0.0, 0.6, 0.8))])
def test_g_pair_sum_ewald_exact(kR, p_hat):
    """Ḡ of one realisation by the Ewald split equals the direct sum to 1e-6 (measured 1e-10)."""
    a, b = _clouds("gaussian", 2.0, kR, (0, 0, 1), 700)
    exact_g = fast_pair_sum(a, b, p_hat)[1]
    got, near, n_near = structure.g_pair_sum(a, b, p_hat, a_screen=1.0, near_radius=0.8)
    assert abs(got - exact_g) <= 1e-6 * abs(exact_g), (got, exact_g)
    brute, nb_ = structure.near_pair_sum(a, b, p_hat, 0.8)
    assert n_near == nb_ and abs(near - brute) <= 1e-12 * max(1.0, abs(brute))


def _g_tolerance(exact, n_pairs, tol=structure.G_TOL):
    """The documented accuracy of S_g by the Ewald split with tails ``tol``:
    tol (|S_g|/5 + 2e-5 per pair); measured at tol = 1e-8: <= 2.4e-13 per pair, 1e-10 …
    2e-9 relative for k_L L <= 30, 1.1e-8 at k_L L = 100 (where Ḡ ~ 2e-6)."""
    return tol * (0.2 * abs(exact) + 2e-5 * n_pairs)


@pytest.mark.parametrize("shape, kL, kR, R_dir, p_hat, N", [
    ("gaussian", 5.0, None, (0, 0, 1), (1.0, 0.0, 0.0), 10_000),
    ("gaussian", 10.0, None, (0, 0, 1), None, 3000),
    ("cube", 4.0, 6.0, (1, 1, 0), (0.0, 0.6, 0.8), 8000),
    ("gaussian", 3.0, 200.0, (0, 0, 1), None, 2000),
    ("gaussian", 10.0, 30.0, (1, 0, 0), (1.0, 0.0, 0.0), 3000),
    ("gaussian", 10.0, 1e4, (0, 0, -1), None, 2000),
    ("cube", 10.0, 1e5, (1, 1, 1), (1.0, 0.0, 0.0), 2000),
])
def test_g_pair_sum_default_parameters_exact(shape, kL, kR, R_dir, p_hat, N):
    """With the parameters cloud_rates uses (a from the cost model, tails G_TOL) the Ewald
    split equals the direct sum to tol (|S_g|/5 + 2e-5 per pair): inside one cloud at
    N = 1e4, between overlapping cube clouds, and between clouds up to 10⁵/k_L apart along,
    across and oblique to the probe (the grid does not grow with the separation)."""
    a, b = _clouds(shape, kL, kR, R_dir, N)
    exact_g = fast_pair_sum(a, b, p_hat)[1]
    got = structure.g_pair_sum(a, b, p_hat, tol=structure.G_TOL)[0]
    n_pairs = N * (N - 1) if b is None else N * N
    assert abs(got - exact_g) <= _g_tolerance(exact_g, n_pairs), (got, exact_g)


def test_g_pair_sum_wide_screening_loses_digits():
    """The cause of the earlier 1e-8 errors of small clouds: g_l and g_s each grow like
    e^{a²/4}, so g_s = g − g_l per pair rounded ~e^{a²/4}·1e-16 and a = 6 left several times
    the error of a = 4.  The short part now takes g_s from erfc directly (no per-pair
    cancellation); what remains is the long part's e^{a²/4} (measured 6e-11 relative at
    a = 4, 1.2e-10 at a = 6).  a = 4 stays below 1e-10, a = 6 below 4e-10, and the balance
    never takes more than _A_MAX = 4."""
    a, _ = _clouds("gaussian", 10.0, None, (0, 0, 1), 2000)
    exact = fast_pair_sum(a)[1]
    err = {s: abs(structure.g_pair_sum(a, a_screen=s, tol=1e-9)[0] - exact) for s in (4.0, 6.0)}
    assert err[6.0] <= 4e-10 * abs(exact), err
    assert err[4.0] <= 1e-10 * abs(exact)
    assert structure.ewald_parameters(100, 1e-3, 60.0, tol=1e-8)[0] <= structure._A_MAX


def test_g_pair_sum_far_clouds_skip_the_short_part(monkeypatch):
    """Clouds whose boxes are farther apart than r_c have no short part and no near pairs:
    the cell list is not built (nothing scales with the separation), the cross density is 0,
    and the Ḡ request's plan takes the same a as the run."""
    a, b = _clouds("gaussian", 5.0, 1e5, (0, 1, 1), 1000)
    A, B = np.ascontiguousarray(a.T), np.ascontiguousarray(b.T)
    assert structure._cross_density(A, B) == 0.0
    assert structure._cross_density(A, A) > 0.5 * structure._mean_density(A)

    def boom(*args, **kw):
        raise AssertionError("short part built for clouds 1e5 apart")

    monkeypatch.setattr(structure, "_short_part", boom)
    got, near, n_near = structure.g_pair_sum(a, b, tol=structure.G_TOL)
    exact = fast_pair_sum(a, b)[1]
    assert abs(got - exact) <= _g_tolerance(exact, 1000 * 1000) and near == 0 and n_near == 0
    assert structure._g_plan("gaussian", 5.0, 1e5, 1000)[0] == structure.ewald_parameters(
        2000, 0.0, 10.0, tol=structure.G_TOL, clouds=2)[0]


def test_g_pair_sum_outliers_enter_through_the_pair_kernel():
    """A far outlier is left out of the Ewald box (the grid stays that of the bulk) and its
    pairs are summed exactly: the total equals the direct sum, near pairs included."""
    a, _ = _clouds("gaussian", 4.0, None, (0, 0, 1), 20_000)
    a = np.concatenate([a, [[40.0, 0.0, 3.0]]])
    inside, outside = structure._trim(np.ascontiguousarray(a.T))[:2]
    assert outside is not None and np.any(np.isclose(outside[0], 40.0))
    assert np.ptp(inside[0]) < 30.0
    exact_g = fast_pair_sum(a, None, (0.0, 0.6, 0.8))[1]
    got, near, n_near = structure.g_pair_sum(a, None, (0.0, 0.6, 0.8), tol=structure.G_TOL,
                                             near_radius=0.5)
    assert abs(got - exact_g) <= 1e-6 * abs(exact_g), (got, exact_g)
    brute, nb_ = structure.near_pair_sum(a, None, (0.0, 0.6, 0.8), 0.5)
    assert n_near == nb_ and abs(near - brute) <= 1e-9 * max(1.0, abs(brute))


def test_near_pair_sum_brute_force():
    a, b = _clouds("cube", 3.0, 1.0, (1, 0, 0), 300)
    from lehmberg.kernels import g as g_kernel
    for bb in (None, b):
        s, n = structure.near_pair_sum(a, bb, (1.0, 1.0, 0.0), 0.7)
        other = a if bb is None else bb
        d = (a[:, None, :] - other[None, :, :]).reshape(-1, 3)
        r = np.linalg.norm(d, axis=1)
        keep = (r < 0.7) & (r > 0)
        ref = np.sum(np.exp(1j * d[keep, 2]) * g_kernel(d[keep], (1.0, 1.0, 0.0)))
        assert n == keep.sum() and abs(s - ref) < 1e-10 * np.sum(np.abs(g_kernel(d[keep], (1, 1, 0))))
    with pytest.raises(ValueError, match="radius"):
        structure.near_pair_sum(a, None, None, -1.0)


def test_ewald_parameters():
    a, r_c, q_max = structure.ewald_parameters(10**5, 10.0, 60.0)
    assert r_c > 3 * a and q_max > 1
    # a grid budget too small for the balanced a forces a wider screening (fewer modes)
    a_small, _, _ = structure.ewald_parameters(10**5, 10.0, 60.0, grid_budget=2**26)
    assert a_small > a
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="grid_budget"):
            structure.ewald_parameters(10**5, 10.0, 60.0, grid_budget=bad)
    with pytest.raises(ValueError, match="clouds"):
        structure.ewald_parameters(10**5, 10.0, 60.0, clouds=3)
    a2, r_c2, q2 = structure.ewald_parameters(10, 1.0, 5.0, a=0.7, tol=1e-6)
    assert a2 == 0.7 and abs(r_c2 - 0.7 * math.sqrt(0.49 / 4 + math.log(1e6))) < 1e-12


def _z_scores(kL, kR, N, R, seeds, quantity):
    ref = planewave_rates(kL, kR, rel_err=2e-4, seed=5)
    z = []
    for s in range(seeds):
        e = cloud_rates(Geometry(kL, kR), atoms=N, replicas=R, seed=1000 + s)
        v, err = quantity(e)
        rv, rerr = quantity(ref)
        z.append((v - rv) / math.hypot(err, rerr))
    return np.array(z)


def _gbar_re(e):
    return e.g_bar.real, e.g_bar_err.real


def test_g_bar_error_bar_honest_short():
    """Ḡ inside one cloud: z-scores over 120 seeds have a standard deviation in 0.85–1.15
    (expected √(31/29) = 1.03 for 32 replicas; its sampling error is 0.07)."""
    z = _z_scores(3.0, None, 100, 32, 120, _gbar_re)
    assert 0.85 <= z.std(ddof=1) <= 1.15, z.std(ddof=1)
    assert abs(z.mean()) < 3 * 1.03 / math.sqrt(z.size)


@pytest.mark.slow
@pytest.mark.parametrize("kL, kR, N, quantity", [
    (3.0, None, 300, _gbar_re),
    (10.0, None, 400, _gbar_re),
    (2.0, 1.0, 200, lambda e: (e.Gamma_ij, e.Gamma_ij_err)),  # overlapping clouds: close pairs
])
def test_g_bar_error_bar_honest_long(kL, kR, N, quantity):
    z = _z_scores(kL, kR, N, 32, 400, quantity)
    assert 0.85 <= z.std(ddof=1) <= 1.15, z.std(ddof=1)
    assert abs(z.mean()) < 3 * 1.03 / math.sqrt(z.size)


def test_cloud_rates_structure_engine_matches_pairs():
    """Same snapshots, two engines: Γ̄ agrees to 1e-9; auto takes the structure engine here."""
    e_s = cloud_rates(Geometry(3.0), atoms=20_000, replicas=2, seed=4)
    e_p = cloud_rates(Geometry(3.0), atoms=20_000, replicas=2, seed=4, engine="pairs")
    assert e_s.notes[0].startswith("engine: structure factors")
    assert e_p.notes[0] == "engine: fast pair kernel"
    assert abs(e_s.gamma_bar.real - e_p.gamma_bar.real) <= 1e-9 * abs(e_p.gamma_bar.real)
    assert e_s.Gamma_ij == e_s.gamma_bar.real and math.isnan(e_s.g_bar.real)
    assert abs(e_s.gamma_bar_err.real - e_p.gamma_bar_err.real) <= 1e-6 * e_p.gamma_bar_err.real


def test_cloud_rates_progress_and_inter_engine():
    calls = []
    e = cloud_rates(Geometry(3.0, 9.0), atoms=300, replicas=3, seed=1, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert e.notes[0] == "engine: fast pair kernel" and "expectation" in e.notes[1]
    assert math.isfinite(e.Gamma_ij)


def test_fallback_without_finufft(monkeypatch):
    a, _ = _clouds("gaussian", 3.0, None, (0, 0, 1), 500)
    monkeypatch.setattr(structure, "_finufft", None)
    monkeypatch.setattr(structure, "ENGINE", "fast pair kernel (finufft not importable)")
    assert structure.gamma_pair_sum(a) == fast_pair_sum(a)[0]
    e = cloud_rates(Geometry(3.0), atoms=5000, replicas=2, seed=1)
    assert e.notes[0].startswith("engine: fast pair kernel")
    with pytest.raises(ValueError, match="finufft"):
        cloud_rates(Geometry(3.0), atoms=50, replicas=2, engine="structure")


def test_memory_refused_before_allocation():
    est = structure.estimate_memory(10**7, 10.0)
    assert est > 120 * 10**7
    with pytest.raises(ValueError, match="limit of 0.093 GiB"):
        cloud_rates(Geometry(10.0), atoms=10**7, replicas=2, max_memory=1e8)
    with pytest.raises(ValueError, match="available"):
        structure.check_memory(1e30)
    assert structure.available_memory() > 0


def test_validation():
    with pytest.raises(ValueError, match="engine"):
        cloud_rates(Geometry(3.0), atoms=10, replicas=2, engine="fmm")
    with pytest.raises(ValueError, match="near_radius"):
        cloud_rates(Geometry(3.0), atoms=10, replicas=2, near_radius=0.0)
    with pytest.raises(ValueError, match="p_hat"):
        structure.gamma_pair_sum(np.zeros((5, 3)), None, (0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="engine"):
        structure.predicted_seconds("fmm", 3.0)


@pytest.mark.parametrize("shape, kL", [("gaussian", 10.0), ("cube", 30.0), ("gaussian", 100.0)])
def test_plans_do_not_grow_with_the_separation(shape, kL):
    """predicted_seconds and estimate_memory are the same from k_L R = 100 to 10¹² (before,
    the node count grew like k_L R: 0.69 GB predicted where 24 GB were not enough), and the
    planned rule bounds the rule of drawn clouds at any separation."""
    N = 2000
    for with_g in (False, True):
        t = {kR: structure.predicted_seconds("structure", kL, kR, N, shape, with_g) for kR in (1e2, 1e5, 1e12)}
        m = {kR: structure.estimate_memory(N, kL, kR, shape, "structure", with_g) for kR in (1e2, 1e5, 1e12)}
        assert len(set(m.values())) == 1 and max(t.values()) <= 1.0001 * min(t.values()), (t, m)
    n_theta, n_phi = structure._gamma_rule_plan(shape, kL, 1e5, N)
    for kR, R_dir in ((0.0, (0, 0, 1)), (30.0, (1, 0, 0)), (1e5, (1, 1, 1)), (1e9, (0, 0, 1))):
        a, b = _clouds(shape, kL, kR, R_dir, N)
        r = structure._rule(np.ascontiguousarray(a.T), np.ascontiguousarray(b.T))
        assert r.n_theta <= n_theta and r.n_phi <= n_phi, (r, n_theta, n_phi)
    a, _ = _clouds(shape, kL, None, (0, 0, 1), N)
    r = structure._rule(np.ascontiguousarray(a.T), None)
    n_theta, n_phi = structure._gamma_rule_plan(shape, kL, None, N)
    assert r.n_theta <= n_theta and r.n_phi <= n_phi


def test_pair_kernel_cost_model():
    """The pair kernel's model is 2.2e8 pairs/s: N(N−1)/2 pairs inside one cloud, N² between."""
    N = 10**5
    assert abs(structure.predicted_seconds("pairs", 10.0, None, N) - N * N / 2 / 2.2e8) < 0.05 * N * N / 2 / 2.2e8
    assert abs(structure.predicted_seconds("pairs", 10.0, 1e3, N) - N * N / 2.2e8) < 0.05 * N * N / 2.2e8


# ----------------------------------------------------------------------------- per-atom weights

def _weighted_brute(a, b, wa, wb, p_hat, r_near):
    """Σ_(i,j) wa_i wb_j e^{i(z_i − z_j)} (γ, g, g below r_near) and the near count, by NumPy
    over every pair with the kernels' ufuncs (independent of the engine's loops)."""
    from lehmberg.kernels import g as g_kernel, gamma as gamma_kernel
    same = b is None
    bb, wbb = (a, wa) if same else (b, wb)
    d = (a[:, None, :] - bb[None, :, :]).reshape(-1, 3)
    w = (wa[:, None] * wbb[None, :]).ravel()
    if same:
        off = ~np.eye(a.shape[0], dtype=bool).ravel()
        d, w = d[off], w[off]
    r = np.linalg.norm(d, axis=1)
    if p_hat is None:
        ga, gg = 1.5 * np.sin(r) / r, -1.5 * np.cos(r) / r
    else:
        ga, gg = gamma_kernel(d, p_hat), g_kernel(d, p_hat)
    ph = w * np.exp(1j * d[:, 2])
    near = r < r_near
    return np.sum(ph * ga), np.sum(ph * gg), np.sum((ph * gg)[near]), int(near.sum()), np.sum(np.abs(ph * gg)[near])


@pytest.mark.parametrize("kR, p_hat, trim", [(None, (1.0, 0.0, 0.0), False), (None, None, True),
                                             (1.5, (0.0, 0.6, 0.8), False), (2.0, (1.0, 0.0, 0.0), True)])
def test_weighted_pair_sums_brute_force(kR, p_hat, trim, monkeypatch):
    """Per-atom weights (uniform in [0, 2], some zero): S_γ, S_g and the near sum equal the
    weighted direct sum over every pair within the documented tolerances (with W_a W_b =
    Σwa Σwb in place of N_a N_b), inside one cloud and between overlapping clouds, with the
    Ewald box trimmed (outliers through the weighted direct sum; forced by a larger _TRIM)."""
    if trim:
        monkeypatch.setattr(structure, "_TRIM", 0.01)
    a, b = _clouds("gaussian", 4.0, kR, (0, 1, 1), 800)
    rng = np.random.default_rng(7)
    wa = rng.uniform(0.0, 2.0, 800)
    wa[:40] = 0.0
    wb = None if b is None else rng.uniform(0.0, 2.0, 800)
    ref_gamma, ref_g, ref_near, ref_n, ref_abs = _weighted_brute(a, b, wa, wb, p_hat, 0.8)
    W2 = wa.sum() * (wa.sum() if b is None else wb.sum())
    got = structure.gamma_pair_sum(a, b, p_hat, wa=wa, wb=wb)
    assert abs(got - ref_gamma) <= _gamma_tolerance(ref_gamma, W2), (got, ref_gamma)
    sg, near, n_near = structure.g_pair_sum(a, b, p_hat, tol=structure.G_TOL, near_radius=0.8,
                                            wa=wa, wb=wb)
    assert abs(sg - ref_g) <= _g_tolerance(ref_g, W2), (sg, ref_g)
    assert n_near == ref_n and abs(near - ref_near) <= 1e-12 * ref_abs
    s, n = structure.near_pair_sum(a, b, p_hat, 0.8, wa=wa, wb=wb)
    assert n == ref_n and abs(s - ref_near) <= 1e-12 * ref_abs
    if trim:
        assert structure._trim(np.ascontiguousarray(a.T))[1] is not None


def test_weights_of_a_subset_are_the_subset_sum():
    """Weights 1 on a random half of N = 2·10⁴ atoms and 0 elsewhere (the Ewald box is
    trimmed at this N, so outliers carry weights) give the unweighted sums of that half,
    computed by the fast pair kernel on the half alone."""
    a, _ = _clouds("gaussian", 5.0, None, (0, 0, 1), 20_000)
    sel = np.random.default_rng(11).random(20_000) < 0.5
    w = sel.astype(float)
    assert structure._trim(np.ascontiguousarray(a.T))[1] is not None
    ref_gamma, ref_g, _ = fast_pair_sum(a[sel])
    n = int(sel.sum())
    got = structure.gamma_pair_sum(a, wa=w)
    assert abs(got - ref_gamma) <= _gamma_tolerance(ref_gamma, n * n), (got, ref_gamma)
    sg = structure.g_pair_sum(a, tol=structure.G_TOL, wa=w)[0]
    assert abs(sg - ref_g) <= _g_tolerance(ref_g, n * n), (sg, ref_g)


def test_weighted_fallback_without_finufft(monkeypatch):
    """Without finufft, weighted sums come from the weighted direct loop: equal to the
    NumPy brute force to rounding."""
    a, b = _clouds("cube", 3.0, 1.0, (1, 0, 0), 300)
    rng = np.random.default_rng(3)
    wa, wb = rng.uniform(0, 1, 300), rng.uniform(0, 1, 300)
    monkeypatch.setattr(structure, "_finufft", None)
    for bb, wbb in ((None, None), (b, wb)):
        ref = _weighted_brute(a, bb, wa, wbb, (1.0, 0.0, 0.0), 0.5)
        got = structure.gamma_pair_sum(a, bb, wa=wa, wb=wbb)
        sg, near, n = structure.g_pair_sum(a, bb, near_radius=0.5, wa=wa, wb=wbb)
        assert abs(got - ref[0]) <= 1e-12 * np.sum(wa) * np.sum(wa if bb is None else wbb)
        assert abs(sg - ref[1]) <= 1e-11 * max(1.0, abs(ref[1])) + 1e-12 * ref[4]
        assert n == ref[3] and abs(near - ref[2]) <= 1e-12 * ref[4]


def test_weights_validation():
    a = np.random.default_rng(0).normal(size=(20, 3))
    for f in (structure.gamma_pair_sum, structure.g_pair_sum, structure.near_pair_sum):
        with pytest.raises(ValueError, match="wb"):
            f(a, wa=np.ones(20), wb=np.ones(20))
        with pytest.raises(ValueError, match="wa"):
            f(a, wa=-np.ones(20))
        with pytest.raises(ValueError, match=r"wa must have shape \(20,\)"):
            f(a, wa=np.ones(19))
        with pytest.raises(ValueError, match="wb"):
            f(a, a + 1.0, wb=[1.0] * 19 + [float("nan")])


# ----------------------------------------------------------------------------- short part, long part, eps_for

def _g_s_mpmath(r, s, a, dps=30):
    """g_s = −(3/2)[G_s + G_s'/r + s (G_s'' − G_s'/r)] with G_s = Re[e^{ir} erfc(r/a + ia/2)]/r,
    derivatives by mpmath (independent of the table's closed forms)."""
    import mpmath
    with mpmath.workdps(dps):
        a = mpmath.mpf(a)
        G = lambda x: mpmath.re(mpmath.expj(x) * mpmath.erfc(x / a + 0.5j * a)) / x
        r = mpmath.mpf(r)
        g0, g1, g2 = G(r), mpmath.diff(G, r, 1), mpmath.diff(G, r, 2)
        return float(-1.5 * (g0 + g1 / r + s * (g2 - g1 / r)))


@pytest.mark.parametrize("a", [0.3, 0.7, 1.5, 4.0])
def test_short_table_against_mpmath(a):
    """The piecewise polynomials of the short part give g_s = −(3/2)(P_U + s P_V)/r³ equal
    to the screened kernel differentiated by mpmath, to 3e-14 of the near-field scale
    (1/r³ + e^{a²/4}/a³) from r = 1e-3 to r_c, at s = 0, 1/3, 1."""
    _, r_c, _ = structure.ewald_parameters(10, 1.0, 5.0, a=a, tol=structure.G_TOL)
    tab, pieces = structure._short_table(a, r_c, 1.0)
    deg, stride = structure._DEG, structure._STRIDE
    for r in np.concatenate([[1e-3, 0.05], np.linspace(0.1, 0.999 * r_c, 9)]):
        u = r * pieces / r_c
        m = min(int(u), pieces - 1)
        v = 2.0 * (u - m) - 1.0
        c = tab[m * stride:(m + 1) * stride]
        pu = np.polyval(c[:deg + 1][::-1], v)
        pv = np.polyval(c[deg + 1:][::-1], v)
        for s in (0.0, 1.0 / 3.0, 1.0):
            got = -1.5 * (pu + s * pv) / r**3
            ref = _g_s_mpmath(r, s, a)
            assert abs(got - ref) <= 3e-14 * (1.0 / r**3 + math.exp(a * a / 4) / a**3), (r, s, got, ref)


@pytest.mark.parametrize("kR", [None, 2.0])
def test_short_part_cell_sizes_agree(kR):
    """Cells of 1 … 6 per cut length (ball-shaped stencils) give the same short and near sums
    to rounding (1e-12), inside one cloud and between overlapping clouds."""
    a, b = _clouds("gaussian", 6.0, kR, (1, 0, 1), 6000)
    A = np.ascontiguousarray(a.T)
    B = None if b is None else np.ascontiguousarray(b.T)
    sp = structure._split(1.2, 5.0, 7.0)
    p = np.array([0.0, 0.6, 0.8])
    ref = structure._short_part(A, B, p, sp, 1.0, cells_per_cut=1)
    for per in (2, 3, 6):
        got = structure._short_part(A, B, p, sp, 1.0, cells_per_cut=per)
        assert abs(got[0] - ref[0]) <= 1e-12 * abs(ref[0]) and got[2] == ref[2]
        assert abs(got[1] - ref[1]) <= 1e-12 * abs(ref[1])


@pytest.mark.parametrize("stretch, kR", [((0.15, 1.0, 4.0), None), ((3.0, 0.3, 1.0), 1.5),
                                         ((1.0, 1.0, 0.05), None)])
def test_g_pair_sum_non_cubic_extents(stretch, kR):
    """Clouds stretched into cigars and pancakes (extents 0.05 … 4 × a cube's; grids and cell
    lists far from cubic) and partly overlapping cigars: S_g equals the direct sum to the
    documented tolerance."""
    a, b = _clouds("gaussian", 5.0, kR, (1, 1, 0), 3000)
    a = a * np.asarray(stretch)
    b = None if b is None else b * np.asarray(stretch)
    exact = fast_pair_sum(a, b, (1.0, 0.0, 0.0))[1]
    got = structure.g_pair_sum(a, b, (1.0, 0.0, 0.0), tol=structure.G_TOL)[0]
    n_pairs = 3000 * (2999 if b is None else 3000)
    assert abs(got - exact) <= _g_tolerance(exact, n_pairs), (got, exact)


def test_long_part_slabs_agree(monkeypatch):
    """Inside one cloud the long part is summed slab by slab against K̂'s real half spectrum:
    2 and 4 slabs (different transforms) agree to the transforms' error, 1e-3 ε per pair
    (ε = _LONG_EPS), and equal the two-cloud path (full complex K̂, one transform) of the
    cloud with itself less its self terms N K(0), K(0) = g_l(0) from the series."""
    a, _ = _clouds("gaussian", 6.0, None, (0, 0, 1), 3000)
    A = np.ascontiguousarray(a.T)
    p = np.array([1.0, 0.0, 0.0])
    sp = structure._split(1.0, 4.4, 8.7)
    vals = {}
    for n in (2, 4):
        monkeypatch.setattr(structure, "_SLABS", n)
        vals[n] = structure._long_part(A, None, p, sp, structure._LONG_EPS)
    both = structure._long_part(A, A.copy(), p, sp, structure._LONG_EPS)  # self terms in
    bound = 1e-3 * structure._LONG_EPS * 3000**2
    assert abs(vals[2] - vals[4]) <= bound, (vals[2], vals[4])
    cheb = np.polynomial.chebyshev.chebval
    gl0 = -1.5 * (cheb(-1.0, sp.c0) + 2.0 * cheb(-1.0, sp.c1))
    assert abs((both - vals[4]) - 3000 * gl0) <= 2 * bound, (both - vals[4], 3000 * gl0)


@pytest.mark.parametrize("rel_err", [1e-3, 1e-5])
def test_eps_for_keeps_the_share(rel_err):
    """Sums at eps_for(rel_err, pair mean) stay within share·rel_err of the direct sum
    (Γ̄ and Ḡ of N = 12 000 atoms at k_L L = 10), and the rule is clipped to [EPS, EPS_LOOSEST]."""
    a, _ = _clouds("gaussian", 10.0, None, (0, 0, 1), 12_000)
    exact_gamma, exact_g, n_pairs = fast_pair_sum(a)
    eps = structure.eps_for(rel_err, exact_gamma.real / n_pairs)
    assert structure.EPS <= eps <= structure.EPS_LOOSEST
    got = structure.gamma_pair_sum(a, eps=eps)
    assert abs(got - exact_gamma) <= structure.EPS_SHARE * rel_err * abs(exact_gamma), (got, exact_gamma)
    eps_g = structure.eps_for(rel_err, exact_g.real / n_pairs)
    got_g = structure.g_pair_sum(a, eps=eps_g, tol=structure.G_TOL)[0]
    assert abs(got_g - exact_g) <= _g_tolerance(exact_g, n_pairs) + structure.EPS_SHARE * rel_err * abs(exact_g)
    assert structure.eps_for(1e-12, 1.0) == structure.EPS and structure.eps_for(1.0, 1.0) == structure.EPS_LOOSEST
    for bad in ((0.0, 1.0), (1e-3, 0.0), (1e-3, 1.0, 2.0), (float("nan"), 1.0)):
        with pytest.raises(ValueError):
            structure.eps_for(*bad)
