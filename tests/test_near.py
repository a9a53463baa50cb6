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


# ----------------------------------------------------------------------------- SPEC §9 laws

from lehmberg.near import difference_law  # noqa: E402
from sampling import make_cloud  # noqa: E402


def _turn(seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


A = _turn(1)
LAWS = {
    "box": (make_cloud("box", (2.0, 3.0, 4.0), axes=A), None),
    "boxes with common axes, offset": (
        make_cloud("box", (2.0, 3.0, 4.0), axes=A),
        make_cloud("box", (3.0, 2.5, 2.0), (0.4, -0.3, 0.6), axes=A[[1, 0, 2]] * [[-1], [1], [1]])),
    "cylinder": (make_cloud("cylinder", (3.0, 3.0, 2.0), axes=A), None),
    "coaxial cylinders, offset": (
        make_cloud("cylinder", (3.0, 3.0, 2.0), axes=A),
        make_cloud("cylinder", (2.0, 2.0, 4.0), (0.5, 0.2, -0.3), axes=A * [[1], [-1], [-1]])),
    "gaussians": (make_cloud("gaussian", (1.0, 2.0, 3.0), axes=A),
                  make_cloud("gaussian", (2.0, 1.0, 1.5), (0.5, 0.0, 1.0), axes=_turn(2))),
}


def _pairs(a, b, n, seed):
    rng = make_rng(seed)
    return a.sample(n, rng) - (a if b is None else b).sample(n, rng)


@pytest.mark.parametrize("name", list(LAWS))
def test_difference_density_against_drawn_pairs(name):
    """The mass of the density in two unit balls (about 0 and about a point near the kinks),
    integrated by uniform points in the ball, against the fraction of drawn pairs there
    (binomial error)."""
    a, b = LAWS[name]
    law = difference_law(a, b)
    r = _pairs(a, b, 300_000, 3)
    rng = make_rng(4)
    u = rng.standard_normal((200_000, 3))
    pts = u / np.linalg.norm(u, axis=1)[:, None] * (rng.random(200_000) ** (1 / 3))[:, None]
    for q in (np.zeros(3), np.array([0.7, 0.2, -0.4])):
        f = law.density(pts + q) * (4 * math.pi / 3)
        mass, mass_se = f.mean(), f.std() / math.sqrt(f.size)
        frac = np.mean(np.linalg.norm(r - q, axis=1) < 1.0)
        se = math.sqrt(frac * (1 - frac) / r.shape[0])
        assert abs(mass - frac) <= 4 * math.hypot(se, mass_se), (q, mass, frac)


@pytest.mark.parametrize("name", list(LAWS))
def test_near_expectation_of_spec9_laws_against_drawn_pairs(name):
    """Without the dipole factor g = −(3/2) cos r/r has finite variance in the ball: the
    quadrature of the density against the mean over drawn pairs (tilted probe)."""
    a, b = LAWS[name]
    k = np.array([0.0, 0.6, 0.8])
    r = _pairs(a, b, 500_000, 5)
    x = np.linalg.norm(r, axis=1)
    h = np.where(x < 1.0, np.exp(1j * (r @ k)) * (-1.5 * np.cos(x) / x), 0.0)
    mc = h.mean()
    se = complex(h.real.std(), h.imag.std()) / math.sqrt(h.size)
    got = near_expectation(difference_law(a, b), None, 1.0, k_hat=k)
    assert abs(got.real - mc.real) <= 4 * se.real
    assert abs(got.imag - mc.imag) <= 4 * se.imag + 1e-12


def test_near_expectation_of_a_complex_dipole_is_linear_in_re_pp_dagger():
    a, b = LAWS["boxes with common axes, offset"]
    law = difference_law(a, b)
    ra, ib = np.array([0.6, 0.0, 0.0]), np.array([0.0, 0.8, 0.0])
    k = (0.0, 0.6, 0.8)
    p = near_expectation(law, ra + 1j * ib, k_hat=k)
    parts = 0.36 * near_expectation(law, ra, k_hat=k) + 0.64 * near_expectation(law, ib, k_hat=k)
    assert abs(p - parts) <= 1e-13 * abs(parts)


def test_near_expectation_turns_with_the_set_up_and_converges():
    """Rotating the boxes, the probe and the dipole together changes nothing (the rule follows
    the law's own axes); the rule with 20 nodes agrees with 40 where the kinks of an offset
    pair of boxes fall inside cells."""
    Q = _turn(7)
    a, b = LAWS["boxes with common axes, offset"]
    a2 = make_cloud("box", a.L, Q @ a.center, axes=a.axes @ Q.T)
    b2 = make_cloud("box", b.L, Q @ b.center, axes=b.axes @ Q.T)
    k, p = np.array([0.0, 0.6, 0.8]), np.array([0.0, 0.0, 1.0])
    one = near_expectation(difference_law(a, b), p, k_hat=k)
    two = near_expectation(difference_law(a2, b2), Q @ p, k_hat=Q @ k)
    assert abs(one - two) <= 1e-12 * abs(one)
    fine = near_expectation(difference_law(a, b), p, k_hat=k, n=40)
    assert abs(one - fine) <= 1e-4 * abs(fine)


def test_difference_law_of_clouds_apart_and_of_clouds_it_does_not_know():
    box = make_cloud("box", (2.0, 3.0, 4.0))
    far = make_cloud("cylinder", (2.0, 2.0, 2.0), (0.0, 0.0, 6.0), axes=_turn(3))
    law = difference_law(box, far)
    assert law.density is None and near_expectation(law) == 0j
    near = make_cloud("cylinder", (2.0, 2.0, 2.0), (0.0, 0.0, 2.0), axes=_turn(3))
    with pytest.raises(ValueError, match="^with_g: Ḡ needs the density"):
        difference_law(box, near)
    with pytest.raises(ValueError, match="^with_g"):
        difference_law(box, make_cloud("box", (2.0, 3.0, 4.0), (1.0, 0, 0), axes=_turn(4)))
    with pytest.raises(ValueError, match="^with_g"):
        difference_law(box, make_cloud("gaussian", 2.0, (0.0, 0.0, 5.0)))
