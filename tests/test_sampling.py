"""Cloud geometry and random positions: moments, characteristic functions, seeding."""

import math

import numpy as np
import pytest

from sampling import CubeCloud, GaussianCloud, TwoClouds, make_cloud, make_rng

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
