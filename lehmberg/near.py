"""The expectation of g over the near pairs of a separation law (the honest Ḡ of sampled pairs).

The pairs closer than a radius carry the 1/r³ near field, whose sampled mean has infinite
variance; :func:`lehmberg.clouds.cloud_rates` (realised clouds) and
:func:`lehmberg.average.pair_rates` (independent pairs of any geometry) replace it by the exact
expectation computed here from the law of r = r_i − r_j (:func:`difference_law`).

Densities of r = r_i − r_j near r = 0 in closed form (lengths in units of 1/k_L):

* two Gaussians (covariances Σ_a, Σ_b, centres c_a, c_b): normal with mean m = c_a − c_b and
  covariance Σ_a + Σ_b (inside one cloud 2Σ);
* two boxes with common axes (up to order and sign): along each axis the law of U_a − U_b + m_i
  (U uniform on [−L/2, L/2]), |[−L_a/2, L_a/2] ∩ [t − m_i − L_b/2, t − m_i + L_b/2]|/(L_a L_b)
  (the triangle of the paper's cube for equal sides);
* two cylinders with a common axis: the lens area of disks of radii R_a, R_b at the distance
  |t⊥ − m⊥| over π²R_a²R_b², times the interval law above along the axis;
* clouds whose supports stay farther apart than the near radius (a Gaussian's beyond 40 of its
  standard deviations): no near pairs, the expectation is 0.

Other pairs of overlapping clouds (a box and a cylinder, clouds with different axes, a Gaussian
and a uniform cloud) have no closed-form density there: :func:`difference_law` refuses them.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np
from numpy.polynomial.legendre import leggauss

from ._checks import dipole, unit_vector

__all__ = ["near_expectation", "difference_law", "DifferenceLaw"]

_Z = np.array([0.0, 0.0, 1.0])
#: Standard deviations beyond which a Gaussian's density counts as zero (e^{−800} < 1e-300).
_GAUSS_REACH = 40.0


@dataclasses.dataclass(frozen=True)
class DifferenceLaw:
    """The density of r = r_i − r_j near r = 0 (units of k_L³), for :func:`near_expectation`.

    Attributes
    ----------
    density : callable or None
        ``density(d)`` for d of shape (..., 3) (lab coordinates); None: zero in the near ball.
    axes : 3×3 array
        Rows: the frame whose octants the quadrature follows (the kinks of a box's law lie on
        its coordinate planes).
    kind : str
        What the law is, in words.
    """

    density: Callable | None
    axes: np.ndarray = dataclasses.field(default_factory=lambda: np.eye(3))
    kind: str = ""


def _interval_law(t, m, La, Lb):
    """Density of m + U_a − U_b at t (U uniform on [−L/2, L/2])."""
    lo = np.maximum(-0.5 * La, t - m - 0.5 * Lb)
    hi = np.minimum(0.5 * La, t - m + 0.5 * Lb)
    return np.clip(hi - lo, 0.0, None) / (La * Lb)


def _lens(s, Ra, Rb):
    """Area of the intersection of disks of radii Ra, Rb whose centres are s apart."""
    s = np.asarray(s, dtype=np.float64)
    small, big = min(Ra, Rb), max(Ra, Rb)
    out = np.where(s <= big - small, math.pi * small * small, 0.0)
    part = (s > big - small) & (s < Ra + Rb)
    sp = np.where(part, s, 0.5 * (Ra + Rb + abs(Ra - Rb)))  # a safe value off the part
    ca = np.clip((sp * sp + Ra * Ra - Rb * Rb) / (2.0 * sp * Ra), -1.0, 1.0)
    cb = np.clip((sp * sp + Rb * Rb - Ra * Ra) / (2.0 * sp * Rb), -1.0, 1.0)
    k = (-sp + Ra + Rb) * (sp + Ra - Rb) * (sp - Ra + Rb) * (sp + Ra + Rb)
    area = Ra * Ra * np.arccos(ca) + Rb * Rb * np.arccos(cb) - 0.5 * np.sqrt(np.clip(k, 0.0, None))
    return np.where(part, area, out)


def _describe(c):
    """(kind, sizes, centre, axes rows, covariance or None) of a sampling cloud."""
    shape = getattr(c, "shape", None)
    centre = np.asarray(c.center, dtype=np.float64)
    if shape == "gaussian":
        cov = getattr(c, "cov", None)
        if cov is None:  # the paper's GaussianCloud: σ² per axis
            cov = c.sigma**2 * np.eye(3)
        return "gaussian", None, centre, np.eye(3), np.asarray(cov, dtype=np.float64)
    if shape == "cube":
        return "box", np.full(3, float(c.L)), centre, np.eye(3), None
    if shape in ("box", "cylinder"):
        return shape, np.asarray(c.L, dtype=np.float64), centre, np.asarray(c.axes, float), None
    raise TypeError(f"cloud must be a sampling cloud (gaussian, cube, box or cylinder), got "
                    f"{type(c).__name__}")


def _reach(kind, L, cov):
    """Radius of a ball about the centre holding the support (Gaussians: 40 σ_max)."""
    if kind == "gaussian":
        return _GAUSS_REACH * math.sqrt(float(np.linalg.eigvalsh(cov)[-1]))
    if kind == "box":
        return 0.5 * float(np.linalg.norm(L))
    return 0.5 * math.hypot(L[0], L[2])


def _common_axes(A, B, tol=1e-9):
    """The permutation-with-signs P (B = P A) if the two frames share their axes, else None."""
    P = A @ B.T  # P[i, j] = a_i · b_j
    R = np.round(P)
    if np.max(np.abs(P - R)) > tol or not np.allclose(np.abs(R).sum(axis=0), 1.0) or \
            not np.allclose(np.abs(R).sum(axis=1), 1.0):
        return None
    return R


def difference_law(a, b=None, radius: float = 1.0) -> DifferenceLaw:
    """The law of r = r_i − r_j near r = 0 for atom i in cloud ``a`` and j in ``b``.

    Parameters
    ----------
    a, b : sampling clouds
        ``sampling.make_cloud`` objects (Gaussian, cube, box, cylinder; for a Gaussian with a
        probe waist, the probe-weighted cloud).  ``b=None``: i, j independent in ``a``.
    radius : float
        The near radius: clouds whose supports stay farther apart need no density.

    Returns
    -------
    DifferenceLaw

    Raises
    ------
    ValueError
        For overlapping clouds without a closed-form density near r = 0 (module docstring),
        naming ``with_g``.

    Examples
    --------
    >>> from sampling import make_cloud
    >>> from lehmberg.near import difference_law
    >>> law = difference_law(make_cloud("box", (2.0, 3.0, 4.0)))
    >>> round(float(law.density([0.0, 0.0, 0.0])), 12) == round(1 / 24, 12)   # 1/V at r = 0
    True
    >>> difference_law(make_cloud("box", 2.0), make_cloud("cylinder", 2.0, (0, 0, 9))).density is None
    True
    """
    ka, La, ca, Aa, Sa = _describe(a)
    kb, Lb, cb, Ab, Sb = (ka, La, ca, Aa, Sa) if b is None else _describe(b)
    m = np.zeros(3) if b is None else ca - cb
    if ka == kb == "gaussian":
        S = 2.0 * Sa if b is None else Sa + Sb
        Sinv = np.linalg.inv(S)
        norm = 1.0 / math.sqrt((2.0 * math.pi) ** 3 * float(np.linalg.det(S)))

        def gauss(d):
            x = np.asarray(d, dtype=np.float64) - m
            return norm * np.exp(-0.5 * np.einsum("...i,ij,...j->...", x, Sinv, x))

        return DifferenceLaw(gauss, np.linalg.eigh(S)[1].T, "gaussian")
    gap = float(np.linalg.norm(m)) - _reach(ka, La, Sa) - _reach(kb, Lb, Sb) - float(radius)
    if b is not None and gap > 0.0:
        return DifferenceLaw(None, np.eye(3), "no near pairs")
    P = None if ka != kb else _common_axes(Aa, Ab)
    if ka == kb == "box" and P is not None:
        Lb_a = np.abs(P) @ Lb     # b's sides along a's axes
        ma = Aa @ m

        def box(d):
            t = np.asarray(d, dtype=np.float64) @ Aa.T
            out = _interval_law(t[..., 0], ma[0], La[0], Lb_a[0])
            for i in (1, 2):
                out = out * _interval_law(t[..., i], ma[i], La[i], Lb_a[i])
            return out

        return DifferenceLaw(box, Aa, "boxes with common axes")
    if ka == kb == "cylinder" and abs(abs(float(Aa[2] @ Ab[2])) - 1.0) < 1e-9:
        e3 = Aa[2]
        Ra, Rb = 0.5 * La[0], 0.5 * Lb[0]
        m3 = float(m @ e3)
        mp = m - m3 * e3
        area = math.pi**2 * Ra * Ra * Rb * Rb

        def cylinder(d):
            d = np.asarray(d, dtype=np.float64)
            t3 = d @ e3
            perp = d - mp - t3[..., None] * e3
            s = np.sqrt(np.einsum("...i,...i->...", perp, perp))
            return _lens(s, Ra, Rb) / area * _interval_law(t3, m3, La[2], Lb[2])

        return DifferenceLaw(cylinder, Aa, "cylinders with a common axis")
    raise ValueError(f"with_g: Ḡ needs the density of r_i − r_j near r = 0, known in closed form "
                     f"for two Gaussians, boxes with common axes, cylinders with a common axis or "
                     f"clouds apart; these ({ka} and {kb}) overlap otherwise — use with_g=False "
                     f"(Γ̄ alone)")


def _as_law(law):
    if isinstance(law, DifferenceLaw):
        return law
    if callable(law):
        return DifferenceLaw(law, np.eye(3), "density")
    kind, mean, scale = law  # sampling.TwoClouds.difference_law
    mean = np.asarray(mean, dtype=np.float64)
    if kind == "gaussian":
        def dens(d):
            return np.exp(-np.sum((d - mean) ** 2, axis=-1) / (2.0 * scale)) / (2.0 * math.pi * scale) ** 1.5
    else:
        def dens(d):
            return np.prod(np.clip(1.0 - np.abs(d - mean) / scale, 0.0, None), axis=-1) / scale**3
    return DifferenceLaw(dens, np.eye(3), kind)


def near_expectation(law, p_hat=(1.0, 0.0, 0.0), radius: float = 1.0, n: int = 20, *,
                     k_hat=(0.0, 0.0, 1.0)) -> complex:
    """E[e^{ik_L·r} g(r) 1(|r| < radius)] for the separation law of two atoms (PV at r = 0).

    The pair mean of the near pairs has this expectation; the 1/r³ near field makes its
    scatter heavy-tailed (infinite variance), so the honest estimators of Ḡ replace the sampled
    near sum by this number (``lehmberg.clouds.cloud_rates``, ``lehmberg.average.pair_rates``).
    Computed by a product rule in spherical coordinates about the law's frame (Gauss–Legendre
    in r, and per octant in cos θ and φ, so the kinks of a box's law lie on cell edges); the
    angular rule integrates (1 − 3s) to zero, which takes the principal value.

    Parameters
    ----------
    law : DifferenceLaw, callable or tuple
        :func:`difference_law`; a density ``f(d)`` of d with shape (..., 3); or
        ``sampling.TwoClouds.difference_law(which)``: ("gaussian", mean, variance per axis) or
        ("cube", mean, L).
    p_hat : 3-vector (complex allowed) or None
        Dipole (s = |p̂·r̂|²; None: no dipole factor).
    radius : float
        Near radius (k_L units).
    n : int
        Nodes per dimension and octant.
    k_hat : 3-vector
        Probe direction (|k_L| = 1).

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
    p = dipole(p_hat, "p_hat", allow_none=True)
    k = unit_vector(k_hat, "k_hat")
    law = _as_law(law)
    if law.density is None:
        return 0j
    xr, wr = leggauss(int(n))
    r = 0.5 * radius * (xr + 1.0)
    wr = 0.5 * radius * wr
    xu, wu = leggauss(int(n))
    ct = np.concatenate([0.5 * (xu + 1.0), 0.5 * (xu - 1.0)])  # cos θ on [0, 1] and [−1, 0]
    wct = np.concatenate([0.5 * wu, 0.5 * wu])
    ph = np.concatenate([0.25 * math.pi * (xu + 1.0) + 0.5 * math.pi * k_ for k_ in range(4)])
    wph = np.tile(0.25 * math.pi * wu, 4)
    st = np.sqrt(1.0 - ct * ct)
    u = np.stack(np.broadcast_arrays((st[:, None] * np.cos(ph)), (st[:, None] * np.sin(ph)),
                                     ct[:, None]), axis=-1).reshape(-1, 3)
    axes = np.asarray(law.axes, dtype=np.float64)
    if not np.array_equal(axes, np.eye(3)):
        u = u @ axes  # the law's frame in lab coordinates
    wu_ = (wct[:, None] * wph).ravel()
    d = r[:, None, None] * u[None, :, :]  # (nr, nang, 3)
    dens = law.density(d)
    phase = np.exp(1j * (d[..., 2] if np.array_equal(k, _Z) else d @ k))
    if p is None:
        g = -1.5 * np.cos(r)[:, None] / r[:, None] * np.ones(u.shape[0])
    else:
        if isinstance(p[0], complex):
            pc = np.asarray(p, dtype=complex)
            s = (u @ pc.real) ** 2 + (u @ pc.imag) ** 2
        else:
            s = (u @ np.asarray(p)) ** 2
        x = r[:, None]
        g = 1.5 * (-(1.0 - s) * np.cos(x) / x + (1.0 - 3.0 * s) * (np.sin(x) / x**2 + np.cos(x) / x**3))
    val = np.einsum("ij,j,i->", dens * phase * g, wu_, wr * r * r)
    return complex(val)
