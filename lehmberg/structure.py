"""Exact pair sums of realised clouds through structure factors (type-3 NUFFT).

Lengths are in units of 1/k_L (k = k_L = 1), the probe is along ẑ, rates are in units
of Γ.  For atoms i in cloud a and j in cloud b (``b=None``: the ordered pairs i ≠ j of
one cloud) the pair sums of one realisation are::

    S_γ = Σ_(i,j) e^{ik_L·(r_i − r_j)} γ(r_i − r_j),   S_g = Σ_(i,j) e^{ik_L·(r_i − r_j)} g(r_i − r_j)

Γ̄ on shell: an exact quadrature over emission directions
---------------------------------------------------------
γ(r) = (3/8π) ∫dΩ_q (1 − (p̂·q̂)²) e^{iq̂·r} (without the dipole factor (3/2)(1/4π)∫dΩ_q)
turns the pair sum into a direction integral of structure factors::

    S_γ = (3/8π) ∫dΩ_q (1 − (p̂·q̂)²) (S_a(K) S_b(K)* − δ_ab N),   S_a(K) = Σ_(j∈a) e^{iK·r_j},
    K = ẑ + q̂                                                                         (E1)

(the δ_ab N removes the self terms, γ(0) = 1).  As a function of q̂ the integrand is a
finite sum of e^{iq̂·(r_i − r_j)} times a polynomial of degree 2, i.e. band-limited: its
spherical-harmonic degree is at most D + 2 up to a super-exponentially small tail, with
D the largest pair distance, bounded by 2 max_j |r_j − c| inside one cloud and by
ρ_a + ρ_b + |c_a − c_b| between clouds (c the centre of a cloud's bounding box, ρ its
largest distance from it).  A Gauss–Legendre rule in cos θ (n_θ nodes, exact to degree
2n_θ − 1) times the trapezoid rule in φ (n_φ nodes, exact for |m| < n_φ) about a polar
axis ê is then exact to rounding when

    2 n_θ − 1 >= D + μ(D) + 2,     n_φ >= D_⊥ + μ(D_⊥) + 3,      μ(D) = ⌈6 + 2 D^{1/3}⌉

where D_⊥ bounds the pair distances across ê (ê = ẑ inside one cloud, ê along
c_a − c_b between clouds, so far-apart clouds cost n_θ ∝ k_L R but n_φ only ∝ k_L L).
The margin μ is the excess bandwidth of e^{iq̂·r} (its Legendre coefficients j_l(r) fall
like (er/2l)^l for l > r): measured, the relative error against the direct sum falls from
1e-9 at μ = 0 to the 1e-13 floor at μ ≈ 8 for D = 20…70 (``tests/test_structure.py``
checks the rule at D up to ~800).

S_a at all nodes is one type-3 non-uniform FFT (``finufft.nufft3d3``, tolerance
``EPS = 1e-10``, upsampling 2) per cloud, so the cost is O(N w³ + nf³ log nf) with w ≈ 11
the spreading width and nf ≈ (4/π) X + w per axis (X the half-width of the cloud, |K| <= 2
fixes the target half-width to 1): N = 10⁷ atoms at k_L L = 10 take ~20 s on 2 cores,
against ~10⁵ s for the O(N²) pair kernel.  Measured against ``pairsum.fast_pair_sum`` the
relative error of S_γ is < 1e-10 (``tests/test_structure.py`` asserts 1e-9).

Ḡ off shell: an Ewald split
---------------------------
g is not band-limited (its 1/r³ near field).  With G = e^{ir}/r and the Ewald split of the
Helmholtz Green function, G = G_l + G_s, Ĝ_l(q) = 4π e^{−a²(q²−1)/4}/(q² − 1 − i0) and
G_s(r) = Re[e^{ir} erfc(r/a + ia/2)]/r real and short-ranged (~e^{a²/4 − r²/a²}), the long
part of g is smooth (entire) with the Fourier transform

    ĝ_l(q) = −6π (1 − (p̂·q)²) e^{−a²(q²−1)/4} PV 1/(q² − 1)     (no dipole: without (1 − (p̂·q)²))

and g = g_l + g_s pointwise for r ≠ 0, with g_l = −(3/2)[F + F'/r + s (F'' − F'/r)],
F = Re G_l = Re[e^{ir} erf(r/a + ia/2)]/r, s = (p̂·r̂)²::

    S_g = (2π)⁻³ ∫d³q ĝ_l(q) (S_a(ẑ+q) S_b(ẑ+q)* − δ_ab N) ... (E2, long part, see below)
          + Σ_(pairs, r < r_c) e^{ik_L·r} g_s(r)                  (short part, cell list)

The long part is integrated in spherical coordinates q = κq̂: κ on [0, 2] by an even
Gauss–Legendre rule symmetric about κ = 1 (so the principal value at the shell is taken
exactly: Σ w_i/(κ_i − 1) = 0) and on [2, q_max] by Gauss–Legendre, each shell with the
exact sphere rule of degree κD; all nodes go through one type-3 NUFFT per cloud (in
chunks of nodes).  The self terms use g_l(0).  F is represented by a Chebyshev series in
t = r² on [0, r_c²] fitted once per a (from scipy's erf of complex argument), so g_s =
g − g_l costs one sincos and three Clenshaw sums per pair.  a, q_max and r_c are chosen
by :func:`ewald_parameters` (measured error < 1e-8 relative against the direct sum).

Memory
------
Bounded and stated by :func:`estimate_memory`: positions (24 bytes per atom and cloud,
kept), per transform 88 bytes per atom of a block plus 16 (nf³ + (2 nf)³) bytes of
finufft grids, 72 bytes per quadrature node; clouds whose grids would exceed
``grid_budget`` (default 1 GiB) are cut into spatial blocks (S is additive over blocks,
S = Σ_b e^{iK·c_b} S_b), the Ḡ nodes into chunks of at most 2²¹.  :func:`check_memory`
refuses a request beyond the machine's available memory before anything is allocated.

Without finufft (no wheel for the platform) every function falls back to the fast pair
kernel (``ENGINE`` says which engine is in use).
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Callable

import numba as nb
import numpy as np
from numpy.polynomial import chebyshev as _cheb
from numpy.polynomial.legendre import leggauss

from ._checks import unit_vector

try:  # finufft is a declared dependency; a platform without a wheel falls back
    import finufft as _finufft
except ImportError:  # pragma: no cover - exercised by monkeypatching in the tests
    _finufft = None

__all__ = ["ENGINE", "EPS", "PairSums", "sphere_rule", "structure_factors", "gamma_pair_sum",
           "g_pair_sum", "pair_sums", "ewald_parameters", "estimate_memory", "check_memory",
           "available_memory"]

#: The engine in use: "finufft" or the fallback ("fast pair kernel (finufft not importable)").
ENGINE = "finufft" if _finufft is not None else "fast pair kernel (finufft not importable)"

#: finufft tolerance (relative to Σ|c_j| per output): measured S_γ error < 1e-10 relative.
EPS = 1e-10
_UPSAMP = 2.0
_GRID_BUDGET = 2**30  # bytes of finufft grids per transform
_NODE_CHUNK = 2**21  # quadrature nodes per transform (Ḡ long part)
_NODE_BYTES = 72  # K (24) + S (16) + weights, phases, products (32)
_ATOM_BYTES = 88  # finufft type 3 per atom: rescaled x, y, z (24), sort index (8), c' (16),
#                   our contiguous block copy (24) and unit strengths (16)


def _margin(D):
    """Excess bandwidth μ(D) = ⌈6 + 2 D^{1/3}⌉ of the sphere rule (module docstring)."""
    return int(math.ceil(6.0 + 2.0 * max(D, 0.0) ** (1.0 / 3.0)))


def _nthreads():
    return max(1, nb.get_num_threads())


# ----------------------------------------------------------------------------- geometry

def _frame(axis):
    """Orthonormal (e1, e2, e) with e along ``axis``."""
    e = np.asarray(axis, dtype=np.float64)
    e = e / np.linalg.norm(e)
    t = np.array([1.0, 0.0, 0.0]) if abs(e[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = t - (t @ e) * e
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(e, e1), e


def sphere_rule(n_theta: int, n_phi: int, axis=(0.0, 0.0, 1.0)):
    """Gauss–Legendre (in cos θ) × trapezoid (in φ) rule on the unit sphere.

    Exact for spherical harmonics Y_lm about ``axis`` with l <= 2 n_theta − 1 and
    |m| < n_phi.

    Parameters
    ----------
    n_theta, n_phi : int
        Nodes in cos θ and in φ (>= 1).
    axis : 3-vector
        Polar axis (normalised here).

    Returns
    -------
    q : ndarray, shape (n_theta·n_phi, 3)
        Unit vectors.
    w : ndarray, shape (n_theta·n_phi,)
        Weights (they sum to 4π).

    Examples
    --------
    >>> from lehmberg.structure import sphere_rule
    >>> q, w = sphere_rule(3, 5)
    >>> round(float(w.sum()), 12), round(float(w @ q[:, 2] ** 4), 12)  # 4π, 4π/5
    (12.566370614359, 2.513274122872)
    """
    n_theta, n_phi = int(n_theta), int(n_phi)
    if n_theta < 1 or n_phi < 1:
        raise ValueError(f"n_theta and n_phi must be >= 1, got {n_theta}, {n_phi}")
    x, wx = leggauss(n_theta)
    phi = 2.0 * math.pi * np.arange(n_phi) / n_phi
    e1, e2, e = _frame(axis)
    st = np.sqrt(1.0 - x * x)
    q = (x[:, None, None] * e + (st[:, None] * np.cos(phi))[:, :, None] * e1
         + (st[:, None] * np.sin(phi))[:, :, None] * e2).reshape(-1, 3)
    w = np.repeat(wx * (2.0 * math.pi / n_phi), n_phi)
    return q, w


def _soa(r, name):
    r = np.asarray(r, dtype=np.float64)
    if r.ndim != 2 or 3 not in r.shape:
        raise ValueError(f"{name} must have shape (3, N) or (N, 3), got {r.shape}")
    if r.shape[0] != 3:
        r = r.T
    if r.shape[1] < 1 or not np.all(np.isfinite(r)):
        raise ValueError(f"{name}: positions must be finite and non-empty")
    return np.ascontiguousarray(r)


def _extent(pos, axis):
    """(centre, ρ, ρ_⊥): bounding-box centre, largest distance from it, and across ``axis``."""
    c = 0.5 * (pos.max(axis=1) + pos.min(axis=1))
    d = pos - c[:, None]
    r2 = np.einsum("ij,ij->j", d, d)
    along = axis @ d
    return c, math.sqrt(r2.max()), math.sqrt(max(0.0, float((r2 - along * along).max())))


def _band(pa, pb):
    """Polar axis, pair-distance bound D and transverse bound D_⊥ (module docstring)."""
    z = np.array([0.0, 0.0, 1.0])
    if pb is None:
        c, rho, rho_t = _extent(pa, z)
        return z, 2.0 * rho, 2.0 * rho_t
    ca = 0.5 * (pa.max(axis=1) + pa.min(axis=1))
    cb = 0.5 * (pb.max(axis=1) + pb.min(axis=1))
    m = ca - cb
    nm = float(np.linalg.norm(m))
    axis = m / nm if nm > 0.0 else z
    _, ra, ra_t = _extent(pa, axis)
    _, rb, rb_t = _extent(pb, axis)
    m_t = math.sqrt(max(0.0, nm * nm - float(axis @ m) ** 2))
    return axis, ra + rb + nm, ra_t + rb_t + m_t


def _rule_for(D, D_t, extra=2):
    """(n_theta, n_phi) exact for pair distances <= D (<= D_t across the axis)."""
    deg = D + _margin(D) + extra
    deg_t = D_t + _margin(D_t) + extra
    return int(math.ceil((deg + 1) / 2.0)), int(math.ceil(deg_t)) + 1


# ----------------------------------------------------------------------------- finufft

def _w(eps):
    """finufft's spreading width at upsampling 2: ⌈log10(10/eps)⌉."""
    return int(math.ceil(-math.log10(eps / 10.0)))


def _nf(X, S, eps):
    """finufft type-3 fine-grid size per axis for source half-width X, target half-width S."""
    return max(2 * _w(eps), int(2.0 * _UPSAMP * S * X / math.pi) + _w(eps) + 1)


def _grid_bytes(X, S, eps):
    n = np.prod([_nf(x, s, eps) for x, s in zip(X, S)])
    return 16.0 * n * (1.0 + _UPSAMP**3)  # spreading grid + the inner type-2 grid


def _blocks(X, S, eps, budget):
    """Blocks per axis so that one transform's grids stay within ``budget`` bytes."""
    k = 1
    while _grid_bytes(np.asarray(X) / k, S, eps) > budget and k < 64:
        k += 1
    return k


def structure_factors(pos, K, eps: float = EPS, grid_budget: float = _GRID_BUDGET,
                      progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """S(K) = Σ_j e^{iK·r_j} at many wave vectors by type-3 NUFFT (finufft).

    Parameters
    ----------
    pos : array_like, shape (3, N) or (N, 3)
        Positions in units of 1/k_L.
    K : array_like, shape (M, 3)
        Wave vectors in units of k_L.
    eps : float
        finufft tolerance (error per output <= ~eps·N).
    grid_budget : float
        Bytes of finufft grids per transform; a wider cloud is cut into spatial blocks
        (S = Σ_b e^{iK·c_b} S_b, c_b the block centres).
    progress : callable, optional
        ``progress(blocks_done, blocks)``.

    Returns
    -------
    ndarray, shape (M,), complex

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.structure import structure_factors
    >>> r = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, np.pi]])
    >>> S = structure_factors(r, [[0.0, 0.0, 1.0], [0.0, 0.0, 2.0]])  # 1 + e^{iπ}, 1 + e^{2iπ}
    >>> np.abs(S).round(9).tolist()
    [0.0, 2.0]
    """
    if _finufft is None:
        raise RuntimeError("finufft is not importable: structure factors are unavailable")
    pos = _soa(pos, "pos")
    K = np.ascontiguousarray(np.asarray(K, dtype=np.float64).reshape(-1, 3))
    lo, hi = pos.min(axis=1), pos.max(axis=1)
    kc = 0.5 * (K.max(axis=0) + K.min(axis=0))
    S_half = np.maximum(0.5 * (K.max(axis=0) - K.min(axis=0)), 1e-3)
    k = _blocks(0.5 * (hi - lo), S_half, eps, grid_budget)
    out = np.zeros(K.shape[0], dtype=np.complex128)
    kx, ky, kz = (np.ascontiguousarray(K[:, d]) for d in range(3))
    if k == 1:
        groups = [(None, 0.5 * (hi + lo))]
    else:
        width = (hi - lo) / k
        idx = np.minimum(((pos - lo[:, None]) / np.where(width > 0, width, 1.0)[:, None]).astype(np.int64),
                         k - 1)
        lin = (idx[0] * k + idx[1]) * k + idx[2]
        order = np.argsort(lin, kind="stable")
        bounds = np.searchsorted(lin[order], np.arange(k**3 + 1))
        groups = []
        for b in range(k**3):
            if bounds[b + 1] > bounds[b]:
                ijk = np.array([b // (k * k), (b // k) % k, b % k])
                groups.append((order[bounds[b]:bounds[b + 1]], lo + (ijk + 0.5) * width))
    for n, (sel, c) in enumerate(groups):
        sub = pos if sel is None else pos[:, sel]
        x, y, z = (np.ascontiguousarray(sub[d] - c[d]) for d in range(3))
        s = _finufft.nufft3d3(x, y, z, np.ones(x.shape[0], dtype=np.complex128), kx, ky, kz,
                              eps=eps, isign=1, upsampfac=_UPSAMP, nthreads=_nthreads())
        out += s * np.exp(1j * (K @ c))
        del x, y, z, s, sub
        if progress is not None:
            progress(n + 1, len(groups))
    return out


# ----------------------------------------------------------------------------- Γ̄ (on shell)

def _dipole_weight(p, q, kappa=1.0):
    """(3/8π)(1 − κ²(p̂·q̂)²), or 3/8π without the dipole factor (p None)."""
    if p is None:
        return np.full(q.shape[0], 3.0 / (8.0 * math.pi))
    pq = q @ p
    return (3.0 / (8.0 * math.pi)) * (1.0 - kappa * kappa * pq * pq)


def gamma_pair_sum(a, b=None, p_hat=(1.0, 0.0, 0.0), eps: float = EPS,
                   grid_budget: float = _GRID_BUDGET,
                   progress: Callable[[int, int], None] | None = None) -> complex:
    """S_γ = Σ_(i,j) e^{ik_L·(r_i−r_j)} γ(r_i − r_j) of one realisation, exact (Eq. E1).

    Parameters
    ----------
    a, b : array_like, shape (3, N) or (N, 3)
        Positions in units of 1/k_L; ``b=None``: ordered pairs i ≠ j of ``a``, otherwise all
        i in a, j in b.
    p_hat : 3-vector or None
        Dipole direction; None drops the dipole factor ((3/2) sin x/x).
    eps : float
        finufft tolerance.
    grid_budget : float
        Bytes of finufft grids per transform (wider clouds are cut into blocks).
    progress : callable, optional
        ``progress(transforms_done, transforms)``.

    Returns
    -------
    complex
        S_γ in units of Γ (real inside one cloud).

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.structure import gamma_pair_sum
    >>> from lehmberg.pairsum import fast_pair_sum
    >>> r = np.random.default_rng(1).normal(scale=2.0, size=(300, 3))
    >>> exact = fast_pair_sum(r)[0]
    >>> bool(abs(gamma_pair_sum(r) - exact) < 1e-9 * abs(exact))
    True
    """
    p = unit_vector(p_hat, "p_hat", allow_none=True)
    pa = _soa(a, "a")
    pb = None if b is None else _soa(b, "b")
    if _finufft is None:
        from .pairsum import fast_pair_sum
        return fast_pair_sum(pa, pb, p)[0]
    axis, D, D_t = _band(pa, pb)
    q, w = sphere_rule(*_rule_for(D, D_t), axis=axis)
    K = q + np.array([0.0, 0.0, 1.0])
    w = w * _dipole_weight(p, q)
    n_tr = 1 if pb is None else 2
    prog = None if progress is None else (lambda i, n, o=0: progress(o + i, n_tr * n))
    Sa = structure_factors(pa, K, eps, grid_budget, prog)
    if pb is None:
        return complex(np.dot(w, Sa.real * Sa.real + Sa.imag * Sa.imag - pa.shape[1]))
    prog_b = None if progress is None else (lambda i, n: progress(n + i, 2 * n))
    Sb = structure_factors(pb, K, eps, grid_budget, prog_b)
    return complex(np.dot(w, Sa * np.conj(Sb)))
