"""lehmberg.uniform_g: Ḡ of boxes, cylinders and Gaussians by q-space Monte Carlo.

Every comparison is with an independent computation: the deterministic Gaussian reference
(lehmberg.anisotropic, per-ray closed form), independent pairs in r-space with the kernels of
lehmberg.kernels and the near pairs by their exact expectation (lehmberg.average.pair_rates,
today's cube Ḡ through lehmberg.rates), and the Fresnel law (F1) derived in the module notes.
Statistical comparisons use fixed seeds and combined standard errors (4σ: a false alarm
once in ~10⁴ runs per comparison).
"""

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

import lehmberg
from lehmberg import Cloud, Geometry
from lehmberg.anisotropic import rates as gaussian_rates
from lehmberg.average import pair_rates
from lehmberg.uniform_g import GRates, fresnel_law, g_rates

Q = Rotation.from_euler("zyx", [0.4, 0.7, -0.3]).as_matrix()
SIGMA_PLUS = (-1 / math.sqrt(2), -1j / math.sqrt(2), 0.0)
N_FAST = 2**18


def _z(a, b, ea, eb):
    """Real and imaginary z-scores of a − b with independent errors ea, eb (complex)."""
    d = complex(a) - complex(b)
    er = math.hypot(ea.real, eb.real)
    ei = math.hypot(ea.imag, eb.imag)
    return (d.real / er if er > 0 else (0.0 if d.real == 0 else math.inf),
            d.imag / ei if ei > 0 else (0.0 if d.imag == 0 else math.inf))


# ----------------------------------------------------------------------------- 1. Gaussians

GAUSS_CASES = [
    # (cloud_a, cloud_b, k_hat, p_hat)
    (Cloud(kL=(3.0, 5.0, 9.0), axes=Q), None, (0.3, -0.2, 1.0), (1.0, 0.0, 0.0)),
    (Cloud(kL=(3.0, 5.0, 9.0), axes=Q), None, (0.3, -0.2, 1.0), SIGMA_PLUS),
    (Cloud(kL=(20.0, 20.0, 60.0)), None, (0.0, 0.0, 1.0), None),
    (Cloud(kL=(2.0, 3.0, 4.0), axes=Q), Cloud(kL=(3.0, 2.0, 2.5), centre=(2.0, -1.0, 6.0)),
     (0.0, 0.0, 1.0), (1.0, 0.0, 0.0)),
    (Cloud(kL=(2.0, 3.0, 4.0), axes=Q), Cloud(kL=(3.0, 2.0, 2.5), centre=(2.0, -1.0, 6.0)),
     (0.0, 1.0, 1.0), SIGMA_PLUS),
]


@pytest.mark.parametrize("ca, cb, k, p", GAUSS_CASES)
def test_gaussians_match_the_deterministic_reference(ca, cb, k, p):
    """Fed a Gaussian φ, the Monte Carlo reproduces anisotropic.rates (rtol 1e-10) within
    4σ, and its error bar is a useful one: below 3 % of max(|Ḡ|, |Γ̄|) at 2¹⁸ samples (so 1 %
    takes at most ~2.4·10⁶ samples, a few seconds)
    (the per-sample spread is of Γ̄'s size; a cloud tilted against the probe has a Ḡ that
    is itself a small difference, ~0.3 % of Γ̄ in the first case)."""
    ref = gaussian_rates(ca.covariance(), None if cb is None else cb.covariance(),
                         centre_a=ca.centre, centre_b=None if cb is None else cb.centre,
                         k_hat=k, p_hat=p, rtol=1e-10)
    out = g_rates(ca, cb, k_hat=k, p_hat=p, max_samples=N_FAST, seed=11)
    zr, zi = _z(out.g_bar, ref.g_bar, out.g_bar_err, ref.g_bar_err)
    assert abs(zr) < 4 and abs(zi) < 4, (out, ref.g_bar)
    assert abs(out.g_bar_err) < 0.03 * max(abs(ref.g_bar), abs(ref.gamma_bar))
    if cb is None:
        assert out.g_bar.imag == 0.0


# ----------------------------------------------------------------------------- 2. brute force

UNIFORM_CASES = [
    (Cloud(shape="box", kL=(2.0, 3.0, 4.0), axes=Q), None, (0.0, 0.0, 1.0), (1.0, 0.0, 0.0)),
    (Cloud(shape="box", kL=(2.0, 3.0, 4.0), axes=Q), None, (0.0, 0.0, 1.0), SIGMA_PLUS),
    (Cloud(shape="cylinder", kL=(3.0, 3.0, 2.0), axes=Q), None, (0.3, 0.0, 1.0), None),
    (Cloud(shape="box", kL=1.0), None, (1.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    (Cloud(shape="box", kL=(2.0, 2.0, 3.0)), Cloud(shape="box", kL=(2.0, 2.0, 3.0),
                                                   centre=(1.0, 0.0, 1.5)),
     (0.0, 0.0, 1.0), SIGMA_PLUS),
    (Cloud(shape="cylinder", kL=(2.0, 2.0, 3.0)),
     Cloud(shape="cylinder", kL=(2.0, 2.0, 3.0), centre=(0.0, 3.0, 1.0)),
     (0.0, 0.0, 1.0), (0.0, 0.0, 1.0)),
    (Cloud(shape="box", kL=(2.0, 2.0, 3.0)), Cloud(shape="box", kL=(2.0, 2.0, 3.0),
                                                   centre=(0.0, 0.0, 5.0)),
     (0.0, 0.0, 1.0), None),
]


@pytest.mark.parametrize("ca, cb, k, p", UNIFORM_CASES)
def test_boxes_and_cylinders_match_independent_pairs(ca, cb, k, p):
    """Small k_L L, rotated, intra and inter, σ+, real and no dipole: r-space pairs with the
    kernels of lehmberg.kernels (near pairs by their exact expectation) agree within 4σ."""
    out = g_rates(ca, cb, k_hat=k, p_hat=p, max_samples=N_FAST, seed=12)
    ref = pair_rates(Geometry.of(ca, cb, probe=k, p_hat=p), samples=2**20, seed=13)
    zr, zi = _z(out.g_bar, ref.g_bar, out.g_bar_err, ref.g_bar_err)
    assert abs(zr) < 4 and abs(zi) < 4, (out, ref.g_bar, ref.g_bar_err)
    assert out.rel_err < 0.02


def _box_gaussian_reference(box, gau, k, p, n=5):
    """Ḡ of (atom i in a box, atom j in a Gaussian) as a Gauss–Legendre average over the box
    (n³ nodes) of the deterministic point-versus-Gaussian Ḡ of lehmberg.anisotropic (the
    point a Gaussian of per-axis variance 10⁻⁶: a shift of O(10⁻⁶)); the node error is
    ~10⁻⁵ relative at n = 5 (n = 4, 6, 8 compared)."""
    x, w = np.polynomial.legendre.leggauss(n)
    A, L = np.asarray(box.axes), np.asarray(box.kL)
    tot = 0j
    for i in range(n):
        for j in range(n):
            for m in range(n):
                c = np.asarray(box.centre) + A.T @ (0.5 * L * np.array([x[i], x[j], x[m]]))
                o = gaussian_rates(1e-6 * np.eye(3), gau.covariance(), centre_a=c,
                                   centre_b=gau.centre, k_hat=k, p_hat=p, rtol=1e-8)
                tot += w[i] * w[j] * w[m] * o.g_bar / 8.0
    return tot


@pytest.mark.parametrize("gau, p", [
    (Cloud(kL=(2.0, 3.0, 2.0), centre=(0.5, 0.0, 0.5)), SIGMA_PLUS),
    (Cloud(kL=(2.0, 3.0, 2.0), centre=(0.5, 0.0, 5.0)), (1.0, 0.0, 0.0)),
])
def test_box_with_a_gaussian(gau, p):
    """Mixed pairs (inside each other and in series) against a deterministic r-space
    average of the Gaussian reference over the box, within 4σ."""
    box = Cloud(shape="box", kL=(2.0, 2.0, 3.0), axes=Q)
    ref = _box_gaussian_reference(box, gau, (0.0, 0.0, 1.0), p)
    out = g_rates(box, gau, p_hat=p, max_samples=N_FAST, seed=16)
    zr, zi = _z(out.g_bar, ref, out.g_bar_err, 0j)
    assert abs(zr) < 4 and abs(zi) < 4, (out, ref)


@pytest.mark.parametrize("kR", [None, 3.0])
def test_the_equal_sided_box_is_todays_cube(kR):
    """Box with equal sides = the paper's shape="cube" through lehmberg.rates (Ḡ from pairs)."""
    g = Geometry(kL=2.0, kR=kR, shape="cube")
    ref = lehmberg.rates(g, rel_err=0.005, seed=2)
    out = g_rates(Cloud(shape="box", kL=2.0),
                  None if kR is None else Cloud(shape="box", kL=2.0, centre=(0.0, 0.0, kR)),
                  max_samples=N_FAST, seed=14)
    zr, zi = _z(out.g_bar, ref.g_bar, out.g_bar_err, ref.g_bar_err)
    assert abs(zr) < 4 and abs(zi) < 4, (out, ref.g_bar)


# ----------------------------------------------------------------------------- 4. large k_L L

@pytest.mark.parametrize("shape", ["box", "cylinder"])
@pytest.mark.parametrize("p", [(1.0, 0.0, 0.0), None, (0.0, 0.0, 1.0)])
def test_large_kL_follows_the_fresnel_law(shape, p):
    """k_L L = 10⁴ and 10⁵, aspect 2 along the probe: Ḡ against (F1), within 4σ plus the
    omitted terms (module notes: of relative order (k_L L)^{-1/2} of the constant C/V, |C| ≤ 4π
    here; bounded by 3·4π/(V √(k_L L))).  With p̂ ∥ k̂ the edge term vanishes and this is a
    test of C = 4π itself."""
    for L in (1e4, 1e5):
        c = Cloud(shape=shape, kL=(L, L, 2 * L))
        out = g_rates(c, p_hat=p, rel_err=0.03, seed=15)
        F = fresnel_law(c, p)
        omitted = 3.0 / math.sqrt(L) * 4.0 * math.pi / c.volume
        assert out.target_met
        assert abs(out.g_bar.real - F) < 4 * out.g_bar_err.real + omitted, (L, out, F)


# ----------------------------------------------------------------------------- 5. dipoles, rotations

def test_sigma_plus_is_the_mean_of_x_and_y():
    """Ḡ(σ±) = ½(Ḡ(x̂) + Ḡ(ŷ)) about ẑ: with the same samples it holds to rounding (the
    weights are linear in |p̂·q̂|² = ½(q_x² + q_y²)), for σ+ and σ−."""
    ca = Cloud(shape="box", kL=(3.0, 4.0, 5.0), axes=Q)
    cb = Cloud(shape="cylinder", kL=(3.0, 3.0, 2.0), centre=(1.0, 0.5, 6.0))
    for cloud_b in (None, cb):
        gx, gy = (g_rates(ca, cloud_b, p_hat=p, max_samples=2**16, seed=3).g_bar
                  for p in ((1, 0, 0), (0, 1, 0)))
        for sign in (1, -1):
            gs = g_rates(ca, cloud_b, p_hat=(-sign / math.sqrt(2), -1j / math.sqrt(2), 0),
                         max_samples=2**16, seed=3).g_bar
            assert abs(gs - 0.5 * (gx + gy)) < 1e-12 * abs(gx + gy)


def test_global_phase_of_the_dipole_changes_nothing():
    ca = Cloud(shape="cylinder", kL=(3.0, 3.0, 5.0), axes=Q)
    p = np.array([0.3, -0.5j, 0.8])
    a = g_rates(ca, p_hat=p, max_samples=2**16, seed=4)
    b = g_rates(ca, p_hat=np.exp(0.7j) * p, max_samples=2**16, seed=4)
    assert abs(a.g_bar - b.g_bar) < 1e-12 * abs(a.g_bar)


def test_rotating_the_whole_set_up_leaves_g_unchanged():
    """Clouds (axes and centres), probe and dipole rotated together: the frame and hence the
    samples differ, so the two estimates agree within their combined errors."""
    R = Rotation.from_euler("xyz", [1.1, -0.4, 2.0]).as_matrix()
    ca = Cloud(shape="box", kL=(2.0, 3.0, 4.0), axes=Q)
    cb = Cloud(shape="box", kL=(3.0, 2.0, 2.0), centre=(1.0, 2.0, 4.0))
    k, p = np.array([0.2, 0.1, 1.0]), np.array([1.0, 1j, 0.3])

    def rot(c):
        return Cloud(shape=c.shape, kL=c.kL, axes=np.asarray(c.axes) @ R.T,
                     centre=R @ np.asarray(c.centre))
    a = g_rates(ca, cb, k_hat=k, p_hat=p, max_samples=N_FAST, seed=5)
    b = g_rates(rot(ca), rot(cb), k_hat=R @ k, p_hat=R @ p, max_samples=N_FAST, seed=6)
    zr, zi = _z(a.g_bar, b.g_bar, a.g_bar_err, b.g_bar_err)
    assert abs(zr) < 4 and abs(zi) < 4


# ----------------------------------------------------------------------------- 6. error bars

def _z_over_seeds(ca, k, p, ref, seeds, n):
    z = []
    for s in seeds:
        out = g_rates(ca, k_hat=k, p_hat=p, max_samples=n, seed=s, batch_size=min(n, 2**16))
        z.append((out.g_bar.real - ref) / out.g_bar_err.real)
    return np.asarray(z)


def test_z_scores_over_seeds():
    """20 seeds of a rotated Gaussian cigar against the deterministic reference: mean z and
    spread of z inside the 99.9 % bounds of 20 standard normals (|mean| < 0.74,
    spread in [0.55, 1.5])."""
    ca = Cloud(kL=(4.0, 4.0, 10.0), axes=Q)
    ref = gaussian_rates(ca.covariance(), k_hat=(0.2, 0.0, 1.0), rtol=1e-10).g_bar.real
    z = _z_over_seeds(ca, (0.2, 0.0, 1.0), (1.0, 0.0, 0.0), ref, range(100, 120), 2**14)
    assert abs(z.mean()) < 0.74 and 0.55 < z.std(ddof=1) < 1.5, z


@pytest.mark.slow
def test_z_scores_over_seeds_slow():
    """200 seeds: a box at k_L L = 10³ (against the mean of 200 runs: spread only) and a
    Gaussian (against the reference: mean and spread), spread in [0.85, 1.15]."""
    ca = Cloud(kL=(30.0, 30.0, 90.0), axes=Q)
    ref = gaussian_rates(ca.covariance(), rtol=1e-10).g_bar.real
    z = _z_over_seeds(ca, (0, 0, 1), (1, 0, 0), ref, range(1000, 1200), 2**15)
    assert abs(z.mean()) < 0.25 and 0.85 < z.std(ddof=1) < 1.15, (z.mean(), z.std())
    box = Cloud(shape="box", kL=(1e3, 1e3, 2e3), axes=Q)
    outs = [g_rates(box, max_samples=2**16, seed=s) for s in range(2000, 2200)]
    v = np.array([o.g_bar.real for o in outs])
    e = np.array([o.g_bar_err.real for o in outs])
    zz = (v - v.mean()) / e
    assert 0.85 < zz.std(ddof=1) < 1.15, zz.std(ddof=1)


# ----------------------------------------------------------------------------- contract

def test_result_and_stopping_rule():
    out = g_rates(Cloud(shape="box", kL=(50.0, 50.0, 100.0)), rel_err=0.02, seed=1)
    assert isinstance(out, GRates) and out.target_met is True and out.rel_err <= 0.02
    assert out.evaluations >= 8 * 2**16
    capped = g_rates(Cloud(shape="box", kL=3.0), rel_err=1e-6, max_samples=2**17, seed=1)
    assert capped.target_met is False and capped.rel_err > 1e-6
    assert g_rates(Cloud(shape="box", kL=3.0), max_samples=2**16).target_met is None


@pytest.mark.parametrize("kw, exc, word", [
    ({"cloud_a": "box"}, TypeError, "cloud_a"),
    ({"cloud_b": 3}, TypeError, "cloud_b"),
    ({"k_hat": (0, 0, 0)}, ValueError, "k_hat"),
    ({"p_hat": (0, 0, 0)}, ValueError, "p_hat"),
    ({"rel_err": 0.0}, ValueError, "rel_err"),
    ({"rel_err": "1%"}, TypeError, "rel_err"),
    ({"max_samples": 10}, ValueError, "max_samples"),
    ({"seed": -1}, ValueError, "seed"),
    ({"cloud_a": Cloud(shape="box", kL=3.0), "cloud_b": Cloud(kL=3.0, waist=1.0)}, None, None),
])
def test_validation_names_the_parameter(kw, exc, word):
    args = {"cloud_a": Cloud(shape="box", kL=3.0), "max_samples": 2**16}
    args.update(kw)
    if exc is None:      # a Gaussian with a waist may pair with a box
        assert math.isfinite(g_rates(**args).g_bar.real)
        return
    with pytest.raises(exc, match=word):
        g_rates(**args)
    with pytest.raises(ValueError, match="waist"):
        g_rates(Cloud(shape="box", kL=3.0), Cloud(shape="box", kL=3.0, waist=2.0))


def test_tail_share_flags_a_heavy_tailed_run():
    """At k_L L = 10 no sample carries the error bar; at k_L L = 10⁵ rare samples can (U7): a
    run where one sample holds most of the sum of squares is flagged, and lehmberg.rates says
    that its Ḡ error bar is indicative only."""
    import lehmberg
    from lehmberg import Cloud, Geometry
    from lehmberg.uniform_g import TAIL_SHARE_MAX, g_rates

    small = g_rates(Cloud(shape="box", kL=10.0), seed=205, max_samples=2**20)
    assert small.tail_share < 1e-3
    big = g_rates(Cloud(shape="box", kL=1e5), seed=205, max_samples=2**20)
    assert big.tail_share > TAIL_SHARE_MAX
    # the same run through the face (a cube is the paper's shorthand: same seed, same samples)
    est = lehmberg.rates(Geometry(kL=1e5, shape="cube"), samples=2**20, seed=205)
    assert est.g_bar == big.g_bar and "indicative only" in est.notes[-1]
