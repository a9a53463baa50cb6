"""Kernels against mpmath at 40 digits, both branches of γ, limits and symmetries."""

import math

import mpmath as mp
import numpy as np
import pytest

from lehmberg import kernels
from lehmberg.kernels import SERIES_X, J, g, gamma

mp.mp.dps = 40


def exact(r, p):
    """γ, g from Eqs. (9), (10) with their near field, evaluated in 40-digit arithmetic."""
    r = [mp.mpf(float(v)) for v in r]
    p = [mp.mpf(float(v)) for v in p]
    pn = mp.sqrt(sum(v * v for v in p))
    rn = mp.sqrt(sum(v * v for v in r))
    x = rn
    s = (sum(a * b for a, b in zip(p, r)) / (pn * rn)) ** 2
    ga = mp.mpf(3) / 2 * ((1 - s) * mp.sin(x) / x + (1 - 3 * s) * (mp.cos(x) / x**2 - mp.sin(x) / x**3))
    gg = mp.mpf(3) / 2 * (-(1 - s) * mp.cos(x) / x + (1 - 3 * s) * (mp.sin(x) / x**2 + mp.cos(x) / x**3))
    return ga, gg


RADII = [1e-9, 1e-5, 1e-2, 0.2, SERIES_X * (1 - 1e-12), SERIES_X, SERIES_X * (1 + 1e-12), 0.9, 2.0,
         math.pi, 10.0, 123.4, 1e4, 1e7]


def exact_xs(x, s):
    x = mp.mpf(float(x))
    s = mp.mpf(float(s))
    ga = mp.mpf(3) / 2 * ((1 - s) * mp.sin(x) / x + (1 - 3 * s) * (mp.cos(x) / x**2 - mp.sin(x) / x**3))
    gg = mp.mpf(3) / 2 * (-(1 - s) * mp.cos(x) / x + (1 - 3 * s) * (mp.sin(x) / x**2 + mp.cos(x) / x**3))
    return ga, gg


@pytest.mark.parametrize("x", RADII)
@pytest.mark.parametrize("s", [0.0, 0.1234, 1.0 / 3.0, 0.75, 1.0])
def test_scalar_kernel_relative_accuracy(x, s):
    """kernel_xs(x, s) to 1e-12 relative for exactly given x = k r and s = (p̂·r̂)², all x."""
    ga, gg = exact_xs(x, s)
    got_ga, got_gg = kernels.kernel_xs(x, s)
    assert abs(got_ga - ga) <= 1e-12 * abs(ga)
    assert abs(got_gg - gg) <= 1e-12 * abs(gg)


@pytest.mark.parametrize("x", RADII)
def test_vector_kernel_against_mpmath(x):
    """From vectors r the only extra error is the rounding of |r| (≤ 2 ulp of x), amplified by dγ/dx."""
    rng = np.random.default_rng(int(x * 1e6) % 2**32)
    eps = np.finfo(float).eps
    for _ in range(4):
        u = rng.standard_normal(3)
        p = rng.standard_normal(3)
        r = x * u / np.linalg.norm(u)
        ga, gg = exact(r, p)
        # |dγ/dx| and |dg/dx| are at most ~1.5 (1/x + 3/x² + ...) — bound them generously
        xx = float(np.linalg.norm(r))
        slope_g = 1.5 * (1 / xx + 3 / xx**2 + 6 / xx**3 + 6 / xx**4)
        slope_gamma = min(slope_g, 0.5)
        assert abs(gamma(r, p) - ga) <= 1e-12 * abs(ga) + 4 * eps * xx * slope_gamma
        assert abs(g(r, p) - gg) <= 1e-12 * abs(gg) + 4 * eps * xx * slope_g


@pytest.mark.parametrize("x", [1e-6, 0.1, 0.45])
@pytest.mark.parametrize("s", [0.0, 1.0 / 3.0, 1.0])
def test_series_branch_equals_closed_form_in_high_precision(x, s):
    """Below SERIES_X γ comes from the series: its value equals the 40-digit closed form."""
    r = np.array([math.sqrt(s) * x, math.sqrt(1 - s) * x, 0.0])
    ga, _ = exact(r, (1, 0, 0))
    assert abs(gamma(r) - ga) <= 1e-13 * abs(ga)


def test_gamma_at_origin_is_one_for_every_dipole():
    rng = np.random.default_rng(0)
    for p in rng.standard_normal((20, 3)):
        assert gamma([0.0, 0.0, 0.0], p) == 1.0
        # and continuously so
        for d in rng.standard_normal((5, 3)):
            assert gamma(1e-7 * d, p) == pytest.approx(1.0, abs=1e-13)
    assert math.isnan(g([0.0, 0.0, 0.0]))


def test_symmetry_under_inversion_and_wavenumber_scaling():
    rng = np.random.default_rng(1)
    r = rng.standard_normal((1000, 3)) * 5
    p = (0.3, -0.2, 0.9)
    np.testing.assert_array_equal(gamma(r, p), gamma(-r, p))
    np.testing.assert_array_equal(g(r, p), g(-r, p))
    # depends on k and r only through k r
    np.testing.assert_allclose(gamma(r, p, k=2.5), gamma(2.5 * r, p), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(J(r, p), gamma(r, p) + 1j * g(r, p))


def test_far_field_is_the_papers_eq_9_and_10():
    """At large x the near-field terms fade and Eqs. (9), (10) of the paper remain."""
    x = 1e6
    p = np.array([1.0, 0.0, 0.0])
    r = np.array([0.6, 0.8, 0.0]) * x
    s = 0.36
    assert gamma(r, p) == pytest.approx(1.5 * (1 - s) * math.sin(x) / x, rel=1e-5)
    assert g(r, p) == pytest.approx(-1.5 * (1 - s) * math.cos(x) / x, rel=1e-5)


def test_dipole_is_normalised_and_shapes_kept():
    r = np.ones((2, 5, 3))
    assert gamma(r, (2.0, 0.0, 0.0)).shape == (2, 5)
    np.testing.assert_array_equal(gamma(r, (2.0, 0.0, 0.0)), gamma(r, (1.0, 0.0, 0.0)))


@pytest.mark.parametrize("p", [(0.0, 0.0, 0.0), (np.nan, 0.0, 1.0), (1.0, 2.0)])
def test_bad_dipole_rejected(p):
    with pytest.raises(ValueError, match="p_hat"):
        gamma([1.0, 0.0, 0.0], p)


def test_kernels_callable_inside_numba():
    import numba as nb

    @nb.njit
    def total(n):
        acc = 0.0
        for i in range(1, n):
            ga, gg = kernels.kernel_vec(0.01 * i, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0)
            acc += ga
        return acc

    expected = sum(float(gamma([0.01 * i, 0, 0], (0, 0, 1))) for i in range(1, 50))
    assert total(50) == pytest.approx(expected, rel=1e-14)
