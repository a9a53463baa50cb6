"""The exact expectation of g over near pairs (lehmberg.near), against independent integrals."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from lehmberg.near import near_expectation
from sampling import TwoClouds, make_rng


def _j(n, x):
    from scipy.special import spherical_jn
    return spherical_jn(n, x)


@pytest.mark.parametrize("p_hat", [None, (1.0, 0.0, 0.0), (0.0, 0.6, 0.8)])
def test_near_expectation_gaussian_against_radial_integral(p_hat):
    """Inside a Gaussian cloud the angular integrals are closed form: ∫dΩ e^{ir ẑ·r̂} = 4π j0(r),
    ∫dΩ e^{ir ẑ·r̂} (p̂·r̂)² = 4π [j0(r)/3 − (2/3) P2(p̂_z) j2(r)]."""
    kL, rn = 3.0, 1.0
    law = TwoClouds("gaussian", kL).difference_law("intra")
    v = law[2]
    p = None if p_hat is None else np.asarray(p_hat) / np.linalg.norm(p_hat)

    def f(r):
        dens = math.exp(-r * r / (2 * v)) / (2 * math.pi * v) ** 1.5
        j0, j2 = _j(0, r), _j(2, r)
        if p is None:
            ang = 4 * math.pi * j0 * (-1.5 * math.cos(r) / r)
        else:
            P2 = 0.5 * (3 * p[2] ** 2 - 1)
            s_av = 4 * math.pi * (j0 / 3 - (2 / 3) * P2 * j2)
            one = 4 * math.pi * j0
            ang = 1.5 * (-(one - s_av) * math.cos(r) / r
                         + (one - 3 * s_av) * (math.sin(r) / r**2 + math.cos(r) / r**3))
        return dens * ang * r * r

    ref = quad(f, 0.0, rn, epsabs=1e-15, epsrel=1e-12, limit=200)[0]
    got = near_expectation(law, p_hat, rn)
    assert abs(got.real - ref) < 1e-10 * abs(ref) + 1e-15 and abs(got.imag) < 1e-14


def test_near_expectation_cube_monte_carlo():
    """Cube clouds (triangular separation law, kinks on the octant edges): against Monte
    Carlo in the ball without the dipole factor (g ~ 1/r: finite variance)."""
    law = TwoClouds("cube", 2.0, 0.5, (1, 0, 0)).difference_law("inter")
    rn = 1.0
    rng = make_rng(5)
    n = 2_000_000
    u = rng.standard_normal((n, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    d = u * (rng.random(n) ** (1 / 3))[:, None] * rn
    r = np.linalg.norm(d, axis=1)
    dens = np.prod(np.clip(1 - np.abs(d - law[1]) / law[2], 0, None), axis=1) / law[2] ** 3
    h = (4 * math.pi / 3) * rn**3 * dens * np.exp(1j * d[:, 2]) * (-1.5 * np.cos(r) / r)
    mc, se = h.mean(), (h.real.std() + 1j * h.imag.std()) / math.sqrt(n)
    got = near_expectation(law, None, rn)
    assert abs(got.real - mc.real) < 5 * se.real and abs(got.imag - mc.imag) < 5 * se.imag + 1e-12
