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

from __future__ import annotations

import functools
import math

import numba as nb
import numpy as np
from numpy.typing import ArrayLike

from ._checks import unit_vector
from ._jit import kernel

__all__ = ["SERIES_X", "radial", "combine", "kernel_xs", "kernel_vec", "gamma", "g", "J"]

#: Below this x = k r the radial functions of γ come from their series.
SERIES_X = 0.5

_NSERIES = 14  # x^(2n) / (2n+3)! < 1e-30 for x < SERIES_X


@kernel
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


@kernel
def _one_minus_3s(s):
    """1 − 3s without the rounding of 3s: 3s = 2s + s is split exactly (TwoSum), so
    near the magic angle s ≈ 1/3 the result keeps its digits."""
    t = 2.0 * s
    hi = t + s
    bb = hi - t
    lo = (t - (hi - bb)) + (s - bb)
    return (1.0 - hi) - lo


@kernel
def radial(x: float) -> tuple[float, float, float, float]:
    """The four radial functions of γ and g at x = k r > 0 (Numba, scalar).

    Parameters
    ----------
    x : float
        k r > 0, dimensionless.

    Returns
    -------
    a, b, c, d : float
        ``sin x/x``, ``cos x/x² − sin x/x³`` (both from their Taylor series below
        ``SERIES_X``), ``cos x/x`` and ``sin x/x² + cos x/x³``.

    Examples
    --------
    >>> from lehmberg.kernels import radial
    >>> a, b, c, d = radial(1e-3)
    >>> round(a, 12), round(b, 12)                 # 1 − x²/6, −1/3 + x²/30
    (0.999999833333, -0.3333333)
    """
    a, b = _radial_gamma(x)
    cx = math.cos(x)
    sx = math.sin(x)
    return a, b, cx / x, sx / (x * x) + cx / (x * x * x)


@kernel
def combine(a: float, b: float, c: float, d: float, s: float) -> tuple[float, float]:
    """(γ, g) in units of Γ from the radial functions of :func:`radial` (Numba, scalar).

    ``γ = (3/2)[(1−s) a + (1−3s) b]``, ``g = (3/2)[−(1−s) c + (1−3s) d]``: Eqs. (9),
    (10) with the near field; ``1 − 3s`` is computed without the rounding of 3s.

    Parameters
    ----------
    a, b, c, d : float
        The radial functions of :func:`radial` at the same x.
    s : float
        (p̂·r̂)², the squared cosine between dipole and separation, in [0, 1].

    Returns
    -------
    gamma, g : float
        In units of Γ.

    Examples
    --------
    >>> from lehmberg.kernels import combine, radial
    >>> import math
    >>> x = 2.0                                      # r ⊥ p̂: s = 0
    >>> math.isclose(combine(*radial(x), 0.0)[0],
    ...              1.5 * (math.sin(x) / x + math.cos(x) / x**2 - math.sin(x) / x**3))
    True
    """
    q = _one_minus_3s(s)
    return 1.5 * ((1.0 - s) * a + q * b), 1.5 * (-(1.0 - s) * c + q * d)


@kernel
def kernel_xs(x: float, s: float) -> tuple[float, float]:
    """(γ, g) in units of Γ for x = k r and s = (p̂·r̂)² (Numba, scalar).

    γ uses the series branch below ``SERIES_X``; γ(0) = 1 and g(0) is NaN.

    Parameters
    ----------
    x : float
        k r ≥ 0.
    s : float
        (p̂·r̂)² in [0, 1] (ignored at x = 0).

    Returns
    -------
    gamma, g : float
        In units of Γ (Eqs. 9, 10 with the near field).

    Examples
    --------
    >>> from lehmberg.kernels import kernel_xs
    >>> kernel_xs(0.0, 0.3)
    (1.0, nan)
    """
    if x == 0.0:
        return 1.0, math.nan
    a, b, c, d = radial(x)
    return combine(a, b, c, d, s)


@kernel
def kernel_vec(rx: float, ry: float, rz: float, px: float, py: float, pz: float,
               k: float) -> tuple[float, float]:
    """(γ, g) in units of Γ for the separation r = (rx, ry, rz), unit dipole p̂, wavenumber k.

    Numba, scalar; p̂ must already be a unit vector (:func:`gamma` normalises it).

    Parameters
    ----------
    rx, ry, rz : float
        Separation r_i − r_j (any length unit, the inverse of k's).
    px, py, pz : float
        Unit dipole vector p̂.
    k : float
        Wavenumber of the emitted light.

    Returns
    -------
    gamma, g : float
        In units of Γ; (1, NaN) at r = 0.

    Examples
    --------
    >>> from lehmberg.kernels import kernel_vec
    >>> kernel_vec(0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0)
    (1.0, nan)
    """
    r2 = rx * rx + ry * ry + rz * rz
    if r2 == 0.0:
        return 1.0, math.nan
    r = math.sqrt(r2)
    pr = px * rx + py * ry + pz * rz
    return kernel_xs(k * r, pr * pr / r2)


def _gamma_scalar(rx, ry, rz, px, py, pz, k):
    return kernel_vec(rx, ry, rz, px, py, pz, k)[0]


def _g_scalar(rx, ry, rz, px, py, pz, k):
    return kernel_vec(rx, ry, rz, px, py, pz, k)[1]


@functools.cache
def _ufunc(scalar):
    """The NumPy ufunc of ``scalar``, compiled (or loaded from Numba's cache) on first use."""
    return nb.vectorize(["float64(float64, float64, float64, float64, float64, float64, float64)"],
                        cache=True)(scalar)


def _split(r):
    r = np.asarray(r, dtype=np.float64)
    if r.shape[-1:] != (3,):
        raise ValueError(f"r must have shape (..., 3), got {r.shape}")
    return r[..., 0], r[..., 1], r[..., 2]


def gamma(r: ArrayLike, p_hat: ArrayLike = (1.0, 0.0, 0.0), k: float = 1.0) -> np.ndarray:
    """Collective decay kernel γ(r) of Eq. (9) with its near field, in units of Γ.

    ``γ(r) = (3/2)[(1−c²) sin x/x + (1−3c²)(cos x/x² − sin x/x³)]``, x = k r,
    c = p̂·r̂; γ(0) = 1 for every p̂.

    Parameters
    ----------
    r : array_like, shape (..., 3)
        Separation vectors r_i − r_j (any length unit, the inverse of k's).
    p_hat : 3-vector
        Dipole direction; normalised here.
    k : float
        Wavenumber of the emitted light.

    Returns
    -------
    numpy.ndarray, shape (...)
        γ in units of Γ.

    Raises
    ------
    ValueError
        If r is not of shape (..., 3) or p_hat is not a finite non-zero 3-vector.

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.kernels import gamma
    >>> float(gamma([0.0, 0.0, 0.0]))
    1.0
    >>> x = 2.0                                      # r = 2 ẑ ⊥ p̂ = x̂, so c = 0
    >>> bool(np.isclose(gamma([0.0, 0.0, x]),
    ...                 1.5 * (np.sin(x) / x + np.cos(x) / x**2 - np.sin(x) / x**3)))
    True
    """
    px, py, pz = unit_vector(p_hat, "p_hat")
    return _ufunc(_gamma_scalar)(*_split(r), px, py, pz, float(k))


def g(r: ArrayLike, p_hat: ArrayLike = (1.0, 0.0, 0.0), k: float = 1.0) -> np.ndarray:
    """Collective Lamb-shift kernel g(r) of Eq. (10) with its near field, in units of Γ.

    ``g(r) = (3/2)[−(1−c²) cos x/x + (1−3c²)(sin x/x² + cos x/x³)]``, x = k r,
    c = p̂·r̂; it diverges like 1/x³ and is NaN at r = 0 (self terms are excluded).

    Parameters
    ----------
    r : array_like, shape (..., 3)
        Separation vectors r_i − r_j (any length unit, the inverse of k's).
    p_hat : 3-vector
        Dipole direction; normalised here.
    k : float
        Wavenumber of the emitted light.

    Returns
    -------
    numpy.ndarray, shape (...)
        g in units of Γ.

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.kernels import g
    >>> x = 2.0                                      # r ⊥ p̂
    >>> bool(np.isclose(g([0.0, 0.0, x]),
    ...                 1.5 * (-np.cos(x) / x + np.sin(x) / x**2 + np.cos(x) / x**3)))
    True
    """
    px, py, pz = unit_vector(p_hat, "p_hat")
    return _ufunc(_g_scalar)(*_split(r), px, py, pz, float(k))


def J(r: ArrayLike, p_hat: ArrayLike = (1.0, 0.0, 0.0), k: float = 1.0) -> np.ndarray:
    """Complex kernel J(r) = γ(r) + i g(r), in units of Γ.

    Parameters
    ----------
    r : array_like, shape (..., 3)
        Separation vectors r_i − r_j (any length unit, the inverse of k's).
    p_hat : 3-vector
        Dipole direction; normalised here.
    k : float
        Wavenumber of the emitted light.

    Returns
    -------
    numpy.ndarray of complex, shape (...)
        :func:`gamma` + 1j :func:`g`.

    Examples
    --------
    >>> from lehmberg.kernels import J, g, gamma
    >>> r = [0.3, -1.0, 2.0]
    >>> complex(J(r)) == complex(gamma(r) + 1j * g(r))
    True
    """
    return gamma(r, p_hat, k) + 1j * g(r, p_hat, k)
