"""Pair sums over realised clouds: the fast SIMD pair kernel and its naive baseline.

A realised cloud is one snapshot of the experiment: N atoms drawn once (SPEC §4).
Lengths are in units of 1/k_L (k = k_L = 1), the probe is along ẑ, rates are in
units of Γ.  For atoms i in cloud a and j in cloud b the pair sums are::

    S_γ = Σ_(i,j) e^{i(z_i − z_j)} γ(r_i − r_j),    S_g = Σ_(i,j) e^{i(z_i − z_j)} g(r_i − r_j)

over the ordered pairs i ≠ j of one cloud (``b is None``) or all i ∈ a, j ∈ b; optional
per-atom weights (the probe amplitudes u_i of a waist, SPEC §9) multiply each term by
wa_i wb_j.

Fast kernel
-----------
* Structure of arrays: positions are a (3, N) array, rows x, y, z contiguous.
* The probe phase factorises, e^{i(z_i − z_j)} = e^{iz_i} e^{−iz_j}: one sincos per
  atom, a complex product per pair.
* Inside one cloud only i < j is evaluated (γ, g are even, so the i > j terms are the
  complex conjugates); rows i and N−1−i are handled together so every chunk has the
  same work.
* sin and cos of k r come from a branch-free Cody–Waite reduction and the fdlibm
  minimax polynomials, γ's cancelling radial function (cos x/x² − sin x/x³) from its
  Taylor polynomial below ``kernels.SERIES_X`` selected without a branch, so LLVM
  vectorises the inner loop (4 doubles per AVX2 register).  float64 throughout.
* Sums are taken over a fixed number of row chunks, each reduced in a fixed order,
  so a given input gives the same numbers for any thread count.

The naive baseline (:func:`naive_pair_sum`) is the straightforward ``prange``
double loop over ordered pairs that calls ``math.sqrt``, ``math.sin`` and
``math.cos`` per pair (through ``kernels.kernel_xs``).  Both agree to rounding
(``tests/test_pairsum.py``); ``benchmarks/bench.py`` measures their pairs per second.
"""

import math

import numba as nb
import numpy as np

from ._checks import unit_vector
from ._jit import function, kernel, loop, sincos
from .kernels import SERIES_X, kernel_xs

__all__ = ["fast_pair_sum", "naive_pair_sum", "as_soa", "RANGE"]


_NCHUNKS = 64
# cos x/x² − sin x/x³ = Σ_n (−1)^(n+1) (2n+2) x^(2n)/(2n+3)!, n = 0..7 (error < 3e-21 for x < 0.5)
_B = tuple((-1.0) ** (n + 1) * (2 * n + 2) / math.factorial(2 * n + 3) for n in range(8))


@kernel(fast=True)
def _pair(dx, dy, dz, px, py, pz, dip):
    """(2γ/3, 2g/3, near) of one separation, branch-free.

    p = (px, py, pz) is p̂, or 0 with ``dip`` = 0 to drop the dipole factor.  For
    x = k r < SERIES_X the cancelling term (1−3s)(cos x/x² − sin x/x³) of γ is left
    out and ``near`` is 1: :func:`_near_fixup` adds it from the series.
    """
    r2 = dx * dx + dy * dy + dz * dz
    inv_r = 1.0 / math.sqrt(r2)
    inv_r2 = inv_r * inv_r
    x = r2 * inv_r
    pr = px * dx + py * dy + pz * dz
    s = pr * pr * inv_r2
    sx, cx = sincos(x)
    a = sx * inv_r
    near = x < SERIES_X
    b = 0.0 if near else (cx - a) * inv_r2
    c = cx * inv_r
    d = (sx + c) * inv_r2
    w1 = 1.0 - s
    w2 = dip - 3.0 * s
    return w1 * a + w2 * b, w2 * d - w1 * c, 1.0 if near else 0.0


@kernel
def _series_b(x):
    """cos x/x² − sin x/x³ from its Taylor polynomial (x < SERIES_X)."""
    x2 = x * x
    return _B[0] + x2 * (_B[1] + x2 * (_B[2] + x2 * (_B[3] + x2 * (_B[4] + x2 * (_B[5] + x2 * (
        _B[6] + x2 * _B[7]))))))


@function
def _near_fixup(xi, yi, zi, xs, ys, zs, cs, ss, px, py, pz, dip):
    """The (2/3) γ terms :func:`_pair` left out for the (rare) pairs with k r < SERIES_X."""
    a0 = a1 = 0.0
    t2 = SERIES_X * SERIES_X
    for j in range(xs.shape[0]):
        dx = xi - xs[j]
        dy = yi - ys[j]
        dz = zi - zs[j]
        r2 = dx * dx + dy * dy + dz * dz
        if r2 < t2:
            pr = px * dx + py * dy + pz * dz
            gb = (dip - 3.0 * pr * pr / r2) * _series_b(math.sqrt(r2))
            a0 += cs[j] * gb
            a1 += ss[j] * gb
    return a0, a1


@function(fast=True)
def _row(xi, yi, zi, ci, si, x, y, z, cz, sz, lo, hi, px, py, pz, dip):
    """Σ_{j in [lo, hi)} e^{i(z_i − z_j)} (γ, g): (Re γ-sum, Im γ-sum, Re g-sum, Im g-sum).

    e^{i(z_i − z_j)} = e^{iz_i} e^{−iz_j}: the loop sums e^{−iz_j}(γ, g), the row's
    phase and the factor 3/2 are applied once at the end.
    """
    a0 = a1 = a2 = a3 = 0.0
    nnear = 0.0
    # slices start the loop at 0, so LLVM proves j >= 0, drops Numba's index wraparound and vectorises
    xs, ys, zs, cs, ss = x[lo:hi], y[lo:hi], z[lo:hi], cz[lo:hi], sz[lo:hi]
    for j in range(xs.shape[0]):
        gam, gg, near = _pair(xi - xs[j], yi - ys[j], zi - zs[j], px, py, pz, dip)
        a0 += cs[j] * gam
        a1 += ss[j] * gam
        a2 += cs[j] * gg
        a3 += ss[j] * gg
        nnear += near
    if nnear > 0.0:
        f0, f1 = _near_fixup(xi, yi, zi, xs, ys, zs, cs, ss, px, py, pz, dip)
        a0 += f0
        a1 += f1
    # e^{iz_i} (a0 − i a1) and e^{iz_i} (a2 − i a3), times 3/2
    return (1.5 * (ci * a0 + si * a1), 1.5 * (si * a0 - ci * a1),
            1.5 * (ci * a2 + si * a3), 1.5 * (si * a2 - ci * a3))


@loop(fast=True)
def _fast_intra(pos, cz, sz, px, py, pz, dip, nchunks):
    """Chunk sums over i < j of Re(e^{i(z_i−z_j)}γ), Re(e^{i(z_i−z_j)}g): shape (nchunks, 2)."""
    x, y, z = pos[0], pos[1], pos[2]
    n = x.shape[0]
    half = (n + 1) // 2
    out = np.zeros((nchunks, 2))
    for c in nb.prange(nchunks):
        lo = c * half // nchunks
        hi = (c + 1) * half // nchunks
        s0 = s2 = 0.0
        for i in range(lo, hi):
            a0, a1, a2, a3 = _row(x[i], y[i], z[i], cz[i], sz[i], x, y, z, cz, sz, i + 1, n,
                                  px, py, pz, dip)
            s0 += a0
            s2 += a2
            k = n - 1 - i
            if k > i:
                a0, a1, a2, a3 = _row(x[k], y[k], z[k], cz[k], sz[k], x, y, z, cz, sz, k + 1, n,
                                      px, py, pz, dip)
                s0 += a0
                s2 += a2
        out[c, 0] = s0
        out[c, 1] = s2
    return out


@loop(fast=True)
def _fast_inter(pa, ca, sa, pb, cb, sb, px, py, pz, dip, nchunks):
    """Chunk sums over i in a, j in b of e^{i(z_i−z_j)}(γ, g) as 4 reals: shape (nchunks, 4)."""
    n = pa.shape[1]
    m = pb.shape[1]
    xb, yb, zb = pb[0], pb[1], pb[2]
    out = np.zeros((nchunks, 4))
    for c in nb.prange(nchunks):
        lo = c * n // nchunks
        hi = (c + 1) * n // nchunks
        s0 = s1 = s2 = s3 = 0.0
        for i in range(lo, hi):
            a0, a1, a2, a3 = _row(pa[0, i], pa[1, i], pa[2, i], ca[i], sa[i], xb, yb, zb, cb, sb,
                                  0, m, px, py, pz, dip)
            s0 += a0
            s1 += a1
            s2 += a2
            s3 += a3
        out[c, 0] = s0
        out[c, 1] = s1
        out[c, 2] = s2
        out[c, 3] = s3
    return out


@loop
def _naive(pa, pb, same, px, py, pz, dip):
    """The baseline: every ordered pair, math.sqrt / math.sin / math.cos per pair. Shape (n, 4)."""
    n = pa.shape[1]
    m = pb.shape[1]
    out = np.zeros((n, 4))
    for i in nb.prange(n):
        s0 = s1 = s2 = s3 = 0.0
        for j in range(m):
            if same and j == i:
                continue
            dx = pa[0, i] - pb[0, j]
            dy = pa[1, i] - pb[1, j]
            dz = pa[2, i] - pb[2, j]
            r2 = dx * dx + dy * dy + dz * dz
            r = math.sqrt(r2)
            if dip:
                pr = px * dx + py * dy + pz * dz
                gam, gg = kernel_xs(r, pr * pr / r2)
            else:
                gam = 1.5 * math.sin(r) / r
                gg = -1.5 * math.cos(r) / r
            cp = math.cos(dz)
            sp = math.sin(dz)
            s0 += cp * gam
            s1 += sp * gam
            s2 += cp * gg
            s3 += sp * gg
        out[i, 0] = s0
        out[i, 1] = s1
        out[i, 2] = s2
        out[i, 3] = s3
    return out


def as_soa(r):
    """Positions as a C-contiguous float64 (3, N) array (accepts (N, 3) or (3, N) with N != 3)."""
    r = np.asarray(r, dtype=np.float64)
    if r.ndim != 2 or 3 not in r.shape:
        raise ValueError(f"positions must have shape (3, N) or (N, 3), got {r.shape}")
    if r.shape[0] != 3:
        r = r.T
    if r.shape[1] < 1 or not np.all(np.isfinite(r)):
        raise ValueError("positions must be finite and non-empty")
    return np.ascontiguousarray(r)


def _dipole(p_hat):
    """(p̂_x, p̂_y, p̂_z, dip): the unit dipole and 1, or zeros without the dipole factor (None)."""
    p = unit_vector(p_hat, "p_hat", allow_none=True)
    if p is None:
        return 0.0, 0.0, 0.0, 0.0
    return float(p[0]), float(p[1]), float(p[2]), 1.0


#: Largest extent (per axis, units of 1/k_L) of all atoms of a call: k r <= √3 × extent must
#: stay below 1.6e6, where the Cody–Waite reduction of ``_jit.sincos`` stops being exact.
RANGE = 9e5


def _check_range(*arrays):
    for a in arrays:
        if a.shape[1] and np.ptp(a, axis=1).max() > RANGE:
            raise ValueError(f"clouds wider than k_L·extent = {RANGE:g} exceed the fast sincos range")


def _phases(pos, w, name):
    """cos z, sin z of each atom, times its weight w (None: 1)."""
    c, s = np.cos(pos[2]), np.sin(pos[2])
    if w is None:
        return c, s
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (pos.shape[1],) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"{name} must be {pos.shape[1]} finite weights >= 0 (one per atom)")
    return w * c, w * s


def fast_pair_sum(a, b=None, p_hat=(1.0, 0.0, 0.0), nchunks=_NCHUNKS, *, wa=None, wb=None):
    """Pair sums (S_γ, S_g, n_pairs) of realised clouds with the fast kernel.

    Parameters
    ----------
    a, b : array_like, shape (3, N) (SoA; (N, 3) is transposed)
        Positions in units of 1/k_L.  ``b=None``: ordered pairs i ≠ j of ``a``
        (S_γ, S_g are then real); otherwise all i in a, j in b.
    p_hat : 3-vector or None
        Dipole direction; None drops the dipole factor ((3/2) sin x/x, −(3/2) cos x/x).
    nchunks : int
        Fixed number of chunks (results do not depend on the thread count).
    wa, wb : array_like, optional
        Per-atom weights (finite, >= 0; default 1), e.g. the probe amplitudes u_i of a waist:
        the sums become Σ wa_i wb_j e^{i(z_i−z_j)} (γ, g).  Inside one cloud (``b=None``) wa
        weighs both atoms of a pair and wb must be None.  They ride on the per-atom phases
        e^{±iz}, so the kernel's cost is unchanged.

    Returns
    -------
    (complex, complex, int)
        Σ e^{i(z_i−z_j)} γ(r_ij), Σ e^{i(z_i−z_j)} g(r_ij), and the number of ordered pairs.

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.pairsum import fast_pair_sum, naive_pair_sum
    >>> r = np.random.default_rng(1).normal(scale=2.0, size=(3, 200))
    >>> fast, naive = fast_pair_sum(r), naive_pair_sum(r)
    >>> bool(abs(fast[0] - naive[0]) < 1e-10 * abs(naive[0])), fast[2]
    (True, 39800)
    """
    px, py, pz, dip = _dipole(p_hat)
    pa = as_soa(a)
    if b is None:
        if wb is not None:
            raise ValueError("wb: inside one cloud (b=None) the weights are wa on both sides")
        _check_range(pa)
        n = pa.shape[1]
        ca, sa = _phases(pa, wa, "wa")
        out = _fast_intra(pa, ca, sa, px, py, pz, dip, int(nchunks))
        s = 2.0 * out.sum(axis=0)
        return complex(s[0]), complex(s[1]), n * (n - 1)
    pb = as_soa(b)
    _check_range(np.concatenate([pa, pb], axis=1))
    ca, sa = _phases(pa, wa, "wa")
    cb, sb = _phases(pb, wb, "wb")
    out = _fast_inter(pa, ca, sa, pb, cb, sb, px, py, pz, dip, int(nchunks))
    s = out.sum(axis=0)
    return complex(s[0], s[1]), complex(s[2], s[3]), pa.shape[1] * pb.shape[1]


def naive_pair_sum(a, b=None, p_hat=(1.0, 0.0, 0.0)):
    """The same pair sums as :func:`fast_pair_sum` by the naive ``prange`` double loop (baseline)."""
    px, py, pz, dip = _dipole(p_hat)
    pa = as_soa(a)
    pb = pa if b is None else as_soa(b)
    out = _naive(pa, pb, b is None, px, py, pz, bool(dip)).sum(axis=0)
    n = pa.shape[1] * (pa.shape[1] - 1) if b is None else pa.shape[1] * pb.shape[1]
    return complex(out[0], out[1]), complex(out[2], out[3]), n
