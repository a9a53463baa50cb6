"""The expectation of g over the near pairs of a separation law (the honest Ḡ of realised clouds).

A realised cloud's pairs closer than a radius carry the 1/r³ near field, whose sampled mean has
infinite variance; :func:`lehmberg.clouds.cloud_rates` replaces it by the exact expectation
computed here from the law of r = r_i − r_j.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial.legendre import leggauss

from ._checks import unit_vector

__all__ = ["near_expectation"]


def near_expectation(law, p_hat=(1.0, 0.0, 0.0), radius: float = 1.0, n: int = 20) -> complex:
    """E[e^{ik_L·r} g(r) 1(|r| < radius)] for the separation law of two atoms (PV at r = 0).

    The pair mean of the near pairs of a realised cloud has this expectation; the 1/r³ near
    field makes its scatter heavy-tailed (infinite variance), so the honest estimator of Ḡ
    replaces the sampled near sum by this number (``lehmberg.clouds.cloud_rates``).  Computed by a
    product rule in spherical coordinates (Gauss–Legendre in r, and per octant in cos θ and
    φ, so the kinks of a cube's triangular law lie on cell edges); the angular rule
    integrates (1 − 3s) to zero, which takes the principal value.

    Parameters
    ----------
    law : tuple
        ``sampling.TwoClouds.difference_law(which)``: ("gaussian", mean, variance per axis)
        or ("cube", mean, L).
    p_hat : 3-vector or None
        Dipole direction (None: no dipole factor).
    radius : float
        Near radius (k_L units).
    n : int
        Nodes per dimension and octant.

    Returns
    -------
    complex
        The expectation, in units of Γ.

    Examples
    --------
    >>> from lehmberg.near import near_expectation
    >>> from sampling import TwoClouds
    >>> e = near_expectation(TwoClouds("gaussian", 3.0).difference_law("intra"))
    >>> abs(e.imag) < 1e-15, e.real < 0
    (True, True)
    """
    p = unit_vector(p_hat, "p_hat", allow_none=True)
    kind, mean, scale = law
    mean = np.asarray(mean, dtype=np.float64)
    xr, wr = leggauss(int(n))
    r = 0.5 * radius * (xr + 1.0)
    wr = 0.5 * radius * wr
    xu, wu = leggauss(int(n))
    ct = np.concatenate([0.5 * (xu + 1.0), 0.5 * (xu - 1.0)])  # cos θ on [0, 1] and [−1, 0]
    wct = np.concatenate([0.5 * wu, 0.5 * wu])
    ph = np.concatenate([0.25 * math.pi * (xu + 1.0) + 0.5 * math.pi * k for k in range(4)])
    wph = np.tile(0.25 * math.pi * wu, 4)
    st = np.sqrt(1.0 - ct * ct)
    u = np.stack(np.broadcast_arrays((st[:, None] * np.cos(ph)), (st[:, None] * np.sin(ph)),
                                     ct[:, None]), axis=-1).reshape(-1, 3)
    wu_ = (wct[:, None] * wph).ravel()
    d = r[:, None, None] * u[None, :, :]  # (nr, nang, 3)
    if kind == "gaussian":
        dens = np.exp(-np.sum((d - mean) ** 2, axis=-1) / (2.0 * scale)) / (2.0 * math.pi * scale) ** 1.5
    else:
        dens = np.prod(np.clip(1.0 - np.abs(d - mean) / scale, 0.0, None), axis=-1) / scale**3
    if p is None:
        g = -1.5 * np.cos(r)[:, None] / r[:, None] * np.ones(u.shape[0])
    else:
        s = (u @ p) ** 2
        x = r[:, None]
        g = 1.5 * (-(1.0 - s) * np.cos(x) / x + (1.0 - 3.0 * s) * (np.sin(x) / x**2 + np.cos(x) / x**3))
    val = np.einsum("ij,j,i->", dens * np.exp(1j * d[..., 2]) * g, wu_, wr * r * r)
    return complex(val)
