"""Lehmberg's dipole-dipole kernels, Eqs. (9) and (10) with their full near field.

With x = k r and s = (p̂·r̂)²::

    γ(r) = (3Γ/2) [ (1−s) sin x / x + (1−3s) (cos x / x² − sin x / x³) ]
    g(r) = (3Γ/2) [ −(1−s) cos x / x + (1−3s) (sin x / x² + cos x / x³) ]
    J(r) = γ(r) + i g(r)

All rates are in units of the single-atom decay rate Γ.  The paper's Eqs. (9)
and (10) keep only the first (radiative, 1/x) terms; the second ones are the
intermediate and near field (SPEC §2).

``cos x/x² − sin x/x³`` loses all its digits to cancellation as x → 0, so below
``SERIES_X`` both radial functions of γ come from their Taylor series; γ(0) = Γ
for every p̂.  g diverges like 1/x³ (the static dipole-dipole shift) and is NaN
at r = 0: self terms are excluded (single-atom Lamb shifts sit in detunings).

The scalar functions are Numba ``njit`` functions meant to be called inside
other Numba loops; ``gamma``, ``g`` and ``J`` are their vectorised versions for
arrays of separation vectors.
"""

import math

import numba as nb
import numpy as np

from ._checks import unit_vector

__all__ = ["SERIES_X", "radial", "combine", "kernel_xs", "kernel_vec", "gamma", "g", "J"]

#: Below this x = k r the radial functions of γ come from their series.
SERIES_X = 0.5

_NSERIES = 14  # x^(2n) / (2n+3)! < 1e-30 for x < SERIES_X


@nb.njit(cache=True, inline="always")
def _radial_gamma(x):
    """Return (sin x/x, cos x/x² − sin x/x³), from series below SERIES_X."""
    if x < SERIES_X:
        x2 = x * x
        a = 0.0
        b = 0.0
        term_a = 1.0  # (-1)^n x^(2n) / (2n+1)!
        term_b = -1.0 / 3.0  # (-1)^(n+1) (2n+2) x^(2n) / (2n+3)!
        for n in range(_NSERIES):
            a += term_a
            b += term_b
            term_a *= -x2 / ((2 * n + 2) * (2 * n + 3))
            term_b *= -x2 * (2 * n + 4) / ((2 * n + 2) * (2 * n + 4) * (2 * n + 5))
        return a, b
    sx = math.sin(x)
    cx = math.cos(x)
    return sx / x, (cx - sx / x) / (x * x)


@nb.njit(cache=True, inline="always")
def _one_minus_3s(s):
    """1 − 3s without the rounding of 3s: 3s = 2s + s is split exactly (TwoSum), so
    near the magic angle s ≈ 1/3 the result keeps its digits."""
    t = 2.0 * s
    hi = t + s
    bb = hi - t
    lo = (t - (hi - bb)) + (s - bb)
    return (1.0 - hi) - lo


@nb.njit(cache=True, inline="always")
def radial(x):
    """The four radial functions of γ and g at x = k r > 0:
    (sin x/x, cos x/x² − sin x/x³, cos x/x, sin x/x² + cos x/x³)."""
    a, b = _radial_gamma(x)
    cx = math.cos(x)
    sx = math.sin(x)
    return a, b, cx / x, sx / (x * x) + cx / (x * x * x)


@nb.njit(cache=True, inline="always")
def combine(a, b, c, d, s):
    """(γ, g) in units of Γ from the radial functions of :func:`radial` and s = (p̂·r̂)²."""
    q = _one_minus_3s(s)
    return 1.5 * ((1.0 - s) * a + q * b), 1.5 * (-(1.0 - s) * c + q * d)


@nb.njit(cache=True, inline="always")
def kernel_xs(x, s):
    """(γ, g) in units of Γ for x = k r and s = (p̂·r̂)².

    γ uses the series branch below ``SERIES_X``; γ(0) = 1 and g(0) is NaN.
    """
    if x == 0.0:
        return 1.0, math.nan
    a, b, c, d = radial(x)
    return combine(a, b, c, d, s)


@nb.njit(cache=True, inline="always")
def kernel_vec(rx, ry, rz, px, py, pz, k):
    """(γ, g) in units of Γ for the separation r = (rx, ry, rz), unit dipole p̂, wavenumber k."""
    r2 = rx * rx + ry * ry + rz * rz
    if r2 == 0.0:
        return 1.0, math.nan
    r = math.sqrt(r2)
    pr = px * rx + py * ry + pz * rz
    return kernel_xs(k * r, pr * pr / r2)


@nb.vectorize(["float64(float64, float64, float64, float64, float64, float64, float64)"], cache=True)
def _gamma_ufunc(rx, ry, rz, px, py, pz, k):
    return kernel_vec(rx, ry, rz, px, py, pz, k)[0]


@nb.vectorize(["float64(float64, float64, float64, float64, float64, float64, float64)"], cache=True)
def _g_ufunc(rx, ry, rz, px, py, pz, k):
    return kernel_vec(rx, ry, rz, px, py, pz, k)[1]


def _split(r):
    r = np.asarray(r, dtype=np.float64)
    if r.shape[-1:] != (3,):
        raise ValueError(f"r must have shape (..., 3), got {r.shape}")
    return r[..., 0], r[..., 1], r[..., 2]


def gamma(r, p_hat=(1.0, 0.0, 0.0), k=1.0):
    """Collective decay kernel γ(r) of Eq. (9) with its near field, in units of Γ.

    Parameters
    ----------
    r : array_like, shape (..., 3)
        Separation vectors r_i − r_j (any length unit, the inverse of k's).
    p_hat : 3-vector
        Dipole direction; normalised here.
    k : float
        Wavenumber of the emitted light.

    Examples
    --------
    >>> from lehmberg.kernels import gamma
    >>> float(gamma([0.0, 0.0, 0.0]))
    1.0
    """
    px, py, pz = unit_vector(p_hat, "p_hat")
    return _gamma_ufunc(*_split(r), px, py, pz, float(k))


def g(r, p_hat=(1.0, 0.0, 0.0), k=1.0):
    """Collective Lamb-shift kernel g(r) of Eq. (10) with its near field, in units of Γ (NaN at r = 0)."""
    px, py, pz = unit_vector(p_hat, "p_hat")
    return _g_ufunc(*_split(r), px, py, pz, float(k))


def J(r, p_hat=(1.0, 0.0, 0.0), k=1.0):
    """Complex kernel J(r) = γ(r) + i g(r), in units of Γ."""
    return gamma(r, p_hat, k) + 1j * g(r, p_hat, k)
