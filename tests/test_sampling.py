"""Cloud geometry and random positions: moments, characteristic functions, seeding."""

import math

import numpy as np
import pytest

from sampling import CubeCloud, GaussianCloud, TwoClouds, make_cloud, make_rng, probe_weight

N = 200_000


def _within(sample_mean, sample_std, expected, n, k=4.0):
    return abs(sample_mean - expected) <= k * sample_std / math.sqrt(n)


def test_gaussian_per_axis_std_is_L_over_sqrt2():
    cloud = GaussianCloud(L=2.0, center=(1.0, -2.0, 3.0))
    x = cloud.sample(N, make_rng(1))
    assert cloud.sigma == pytest.approx(2.0 / math.sqrt(2.0))
    for a in range(3):
        assert _within(x[:, a].mean(), cloud.sigma, cloud.center[a], N)
        # variance of the sample variance of a normal: 2σ⁴/(n−1)
        v = x[:, a].var(ddof=1)
        assert abs(v - cloud.sigma**2) <= 4 * math.sqrt(2 * cloud.sigma**4 / (N - 1))


def test_cube_is_uniform_with_side_L():
    cloud = CubeCloud(L=3.0, center=(0.0, 1.0, 0.0))
    x = cloud.sample(N, make_rng(2))
    assert np.all(np.abs(x - cloud.center) <= 1.5)
    for a in range(3):
        # sample variance of a uniform: sd √((μ4 − σ⁴)/n) with μ4 = 9σ⁴/5, i.e. σ²√(4/5)/√n
        assert _within(x[:, a].var(ddof=1), math.sqrt(4 / 5) * 3.0**2 / 12, 3.0**2 / 12, N)


@pytest.mark.parametrize("cloud", [GaussianCloud(1.3, (0.2, 0.0, -0.5)), CubeCloud(2.1, (0.0, 0.4, 0.0))])
def test_characteristic_function_matches_drawn_positions(cloud):
    x = cloud.sample(N, make_rng(3))
    for K in ([0.3, -0.7, 1.1], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]):
        K = np.array(K)
        phase = np.exp(1j * x @ K)
        phi = cloud.characteristic_function(K)
        # |e^{iθ}| = 1: each part has standard deviation <= 1
        assert _within(phase.real.mean(), phase.real.std(), phi.real, N)
        assert _within(phase.imag.mean(), max(phase.imag.std(), 1e-12), phi.imag, N)


def test_two_clouds_difference_law():
    tc = TwoClouds("gaussian", L=1.5, R=4.0, R_dir=(0.0, 3.0, 4.0))
    np.testing.assert_allclose(tc.II.center, [0.0, 2.4, 3.2])
    r = tc.sample_pairs(N, make_rng(4), "inter")
    shape, mean, var = tc.difference_law("inter")
    assert shape == "gaussian" and var == pytest.approx(1.5**2)  # Eq. (B6): variance L² per axis
    for a in range(3):
        assert _within(r[:, a].mean(), math.sqrt(var), mean[a], N)
    r = tc.sample_pairs(N, make_rng(5), "intra")
    assert _within(r[:, 0].mean(), 1.5, 0.0, N)


def test_seeding_is_reproducible_and_streams_are_distinct():
    a = GaussianCloud(1.0).sample(10, make_rng(7, 0, 3))
    b = GaussianCloud(1.0).sample(10, make_rng(7, 0, 3))
    c = GaussianCloud(1.0).sample(10, make_rng(7, 0, 4))
    d = GaussianCloud(1.0).sample(10, make_rng(8, 0, 3))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and not np.array_equal(a, d)


def test_realised_clouds():
    tc = TwoClouds("cube", L=2.0, R=10.0)
    I, II = tc.realise(50, make_rng(0))
    assert I.shape == II.shape == (50, 3)
    assert np.all(np.abs(II - [0, 0, 10.0]) <= 1.0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(shape="sphere"), "shape"), (dict(L=0.0), "L"), (dict(L=math.inf), "L"),
    (dict(R=-1.0), "R"), (dict(R_dir=(0, 0, 0)), "R_dir"), (dict(R_dir=(0, math.nan, 1)), "R_dir"),
])
def test_bad_geometry_rejected(kwargs, match):
    args = dict(shape="gaussian", L=1.0, R=1.0, R_dir=(0, 0, 1))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        TwoClouds(**args)


def test_make_cloud_type_errors():
    with pytest.raises(TypeError, match="L"):
        make_cloud("gaussian", "big")


# ----------------------------------------------------------------------------- SPEC §9 clouds

def _turn(seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def _ks(u):
    """Kolmogorov–Smirnov p-value of samples against U(0, 1)."""
    from scipy.stats import kstest
    return kstest(u, "uniform").pvalue


def test_covariance_gaussian_has_its_mean_and_covariance():
    """Sample mean and covariance within their error bars (var of a sample covariance entry:
    (Σ_aa Σ_bb + Σ_ab²)/n for a normal)."""
    A = _turn(1)
    cloud = make_cloud("gaussian", (1.0, 2.0, 5.0), (1.0, -2.0, 3.0), axes=A)
    S = A.T @ np.diag(np.square([1.0, 2.0, 5.0]) / 2) @ A   # rows of A are the axes
    x = cloud.sample(N, make_rng(11))
    for a in range(3):
        assert _within(x[:, a].mean(), math.sqrt(S[a, a]), cloud.center[a], N)
    C = np.cov(x.T)
    for a in range(3):
        for b in range(3):
            sd = math.sqrt((S[a, a] * S[b, b] + S[a, b] ** 2) / N)
            assert abs(C[a, b] - S[a, b]) <= 4 * sd, (a, b)


def test_box_is_uniform_along_its_own_axes():
    A = _turn(2)
    L = np.array([1.0, 2.0, 4.0])
    cloud = make_cloud("box", L, (0.5, 0.0, -1.0), axes=A)
    x = cloud.offsets(N, make_rng(12))
    local = x @ A.T                                 # coordinates along the axes
    for i in range(3):
        assert np.all(np.abs(local[:, i]) <= L[i] / 2)
        assert _ks(local[:, i] / L[i] + 0.5) > 1e-3
    # the axes are independent: correlations of the local coordinates within their errors
    c = np.corrcoef(local.T)
    assert np.max(np.abs(c - np.eye(3))) <= 4 / math.sqrt(N)


def test_cylinder_is_uniform_in_its_volume():
    """ρ²/R² and (axial + L/2)/L are U(0, 1), the azimuth is uniform."""
    A = _turn(3)
    cloud = make_cloud("cylinder", (2.0, 2.0, 5.0), (0.0, 1.0, 0.0), axes=A)
    local = cloud.offsets(N, make_rng(13)) @ A.T
    rho2 = local[:, 0] ** 2 + local[:, 1] ** 2
    assert _ks(rho2 / 1.0) > 1e-3 and rho2.max() <= 1.0
    assert _ks(local[:, 2] / 5.0 + 0.5) > 1e-3
    assert _ks((np.arctan2(local[:, 1], local[:, 0]) + math.pi) / (2 * math.pi)) > 1e-3
    with pytest.raises(ValueError, match="^L: a cylinder has one diameter"):
        make_cloud("cylinder", (1.0, 2.0, 3.0))


@pytest.mark.parametrize("shape, L", [("box", (1.0, 2.0, 3.0)), ("cylinder", (2.0, 2.0, 3.0)),
                                      ("gaussian", (1.0, 1.5, 2.5))])
def test_spec9_clouds_against_their_closed_form_characteristic_functions(shape, L):
    """φ(K) = e^{iK·c} × (box: ∏ sinc(K·a_i L_i/2); cylinder: sinc(K·a₃ L₃/2) 2J₁(s)/s,
    s = (D/2)|K⊥|; Gaussian: exp(−½ KᵀΣK)), written out here, against the drawn positions."""
    from scipy.special import j1

    A = _turn(4)
    c = np.array([0.3, -0.2, 0.5])
    cloud = make_cloud(shape, L, c, axes=A)
    x = cloud.sample(N, make_rng(14))
    for K in ([0.9, -0.7, 1.3], [2.0, 0.0, 0.0], [0.0, 1.1, -0.4]):
        K = np.asarray(K)
        k = A @ K                                  # components along the axes
        if shape == "box":
            mod = np.prod(np.sinc(k * np.asarray(L) / (2 * math.pi)))
        elif shape == "cylinder":
            s = 0.5 * L[0] * math.hypot(k[0], k[1])
            mod = np.sinc(k[2] * L[2] / (2 * math.pi)) * 2 * j1(s) / s
        else:
            mod = math.exp(-0.25 * np.sum((np.asarray(L) * k) ** 2))
        phi = np.exp(1j * K @ c) * mod
        phase = np.exp(1j * x @ K)
        assert _within(phase.real.mean(), phase.real.std(), phi.real, N)
        assert _within(phase.imag.mean(), phase.imag.std(), phi.imag, N)


def test_probe_weight_is_the_gaussian_of_the_distance_from_the_probe_axis():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(50, 3)) * 3
    c, k, w = np.array([1.0, 2.0, -1.0]), np.array([1.0, 2.0, 2.0]) / 3.0, 1.7
    d = x - c
    rho2 = np.sum(np.cross(d, k) ** 2, axis=1)      # |d × k̂|² = ρ⊥²
    np.testing.assert_allclose(probe_weight(x, c, k * 3.0, w), np.exp(-rho2 / w**2), rtol=1e-13)


def test_the_paper_streams_are_the_plain_numpy_draws():
    """TwoClouds draws exactly c + σ·N(0, 1) (σ = L/√2, Gaussian) and c + L(U − ½) (cube), cloud
    I then cloud II, from the generator it is given."""
    for shape in ("gaussian", "cube"):
        tc = TwoClouds(shape, L=2.0, R=3.0)
        I, II = tc.realise(7, make_rng(3, 10, 2))
        rng = make_rng(3, 10, 2)
        if shape == "gaussian":
            s = 2.0 / math.sqrt(2.0)
            a, b = s * rng.standard_normal((7, 3)), s * rng.standard_normal((7, 3))
        else:
            a, b = 2.0 * (rng.random((7, 3)) - 0.5), 2.0 * (rng.random((7, 3)) - 0.5)
        np.testing.assert_array_equal(I, a)
        np.testing.assert_array_equal(II, np.array([0.0, 0.0, 3.0]) + b)


def test_sampling_depends_on_numpy_alone():
    import subprocess
    import sys

    code = ("import sys, sampling; sampling.make_cloud('box', (1, 2, 3)).sample(3, sampling.make_rng(1)); "
            "sampling.TwoClouds('cube', 2.0, 1.0); print(any(m.startswith('lehmberg') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("args, exc, match", [
    (("box", (1.0, -2.0, 3.0)), ValueError, "^L"), (("box", (1.0, 2.0)), ValueError, "^L"),
    (("gaussian", 1.0, (0, 0, 0), [[1, 0, 0], [0, 1, 0], [0, 1, 1]]), ValueError, "^axes"),
    (("cylinder", "big"), TypeError, "^L"), (("sphere", 1.0), ValueError, "shape"),
])
def test_spec9_clouds_refuse_bad_input_naming_it(args, exc, match):
    with pytest.raises(exc, match=match):
        make_cloud(*args)
