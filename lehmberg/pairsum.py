"""Pair sums over realised clouds: the fast SIMD pair kernel, its naive baseline, and ``cloud_rates``.

A realised cloud is one snapshot of the experiment: N atoms drawn once (SPEC §4).
Lengths are in units of 1/k_L (k = k_L = 1), the probe is along ẑ, rates are in
units of Γ.  For atoms i in cloud a and j in cloud b the pair sums are::

    S_γ = Σ_(i,j) e^{i(z_i − z_j)} γ(r_i − r_j),    S_g = Σ_(i,j) e^{i(z_i − z_j)} g(r_i − r_j)

over the ordered pairs i ≠ j of one cloud (``b is None``) or all i ∈ a, j ∈ b.

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

from sampling import STREAMS, TwoClouds, make_rng

from ._checks import unit_vector
from ._fastmath import _FAST, _sincos
from .kernels import SERIES_X, kernel_xs
from .result import Rates

__all__ = ["fast_pair_sum", "naive_pair_sum", "cloud_rates", "rates_from_rows", "as_soa"]


_NCHUNKS = 64
# cos x/x² − sin x/x³ = Σ_n (−1)^(n+1) (2n+2) x^(2n)/(2n+3)!, n = 0..7 (error < 3e-21 for x < 0.5)
_B = tuple((-1.0) ** (n + 1) * (2 * n + 2) / math.factorial(2 * n + 3) for n in range(8))


@nb.njit(cache=True, inline="always", fastmath=_FAST, error_model="numpy")
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
    sx, cx = _sincos(x)
    a = sx * inv_r
    near = x < SERIES_X
    b = 0.0 if near else (cx - a) * inv_r2
    c = cx * inv_r
    d = (sx + c) * inv_r2
    w1 = 1.0 - s
    w2 = dip - 3.0 * s
    return w1 * a + w2 * b, w2 * d - w1 * c, 1.0 if near else 0.0


@nb.njit(cache=True, inline="always", error_model="numpy")
def _series_b(x):
    """cos x/x² − sin x/x³ from its Taylor polynomial (x < SERIES_X)."""
    x2 = x * x
    return _B[0] + x2 * (_B[1] + x2 * (_B[2] + x2 * (_B[3] + x2 * (_B[4] + x2 * (_B[5] + x2 * (
        _B[6] + x2 * _B[7]))))))


@nb.njit(cache=True, error_model="numpy")
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


@nb.njit(cache=True, fastmath=_FAST, error_model="numpy")
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


@nb.njit(parallel=True, cache=True, fastmath=_FAST, error_model="numpy")
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


@nb.njit(parallel=True, cache=True, fastmath=_FAST, error_model="numpy")
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


@nb.njit(parallel=True, cache=True, error_model="numpy")
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


def _check_range(*arrays):
    for a in arrays:
        # k r <= √3 × extent must stay below 1.6e6, where n·_P1 stops being exact
        if a.shape[1] and np.ptp(a, axis=1).max() > 9e5:
            raise ValueError("clouds wider than k_L·extent = 9e5 exceed the fast sincos range")


def fast_pair_sum(a, b=None, p_hat=(1.0, 0.0, 0.0), nchunks=_NCHUNKS):
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

    Returns
    -------
    (complex, complex, int)
        Σ e^{i(z_i−z_j)} γ(r_ij), Σ e^{i(z_i−z_j)} g(r_ij), and the number of ordered pairs.
    """
    px, py, pz, dip = _dipole(p_hat)
    pa = as_soa(a)
    if b is None:
        _check_range(pa)
        n = pa.shape[1]
        out = _fast_intra(pa, np.cos(pa[2]), np.sin(pa[2]), px, py, pz, dip, int(nchunks))
        s = 2.0 * out.sum(axis=0)
        return complex(s[0]), complex(s[1]), n * (n - 1)
    pb = as_soa(b)
    _check_range(np.concatenate([pa, pb], axis=1))
    out = _fast_inter(pa, np.cos(pa[2]), np.sin(pa[2]), pb, np.cos(pb[2]), np.sin(pb[2]),
                      px, py, pz, dip, int(nchunks))
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


def cloud_rates(kL: float, kR: float | None = None, R_dir=(0.0, 0.0, 1.0), p_hat=(1.0, 0.0, 0.0),
                shape: str = "gaussian", atoms: int = 1000, replicas: int = 32, seed: int = 0,
                progress=None, engine: str = "auto", with_g: bool | None = None,
                near_radius: float = 1.0, max_memory: float | None = None) -> Rates:
    """Rates averaged over the pairs of realised clouds, mean and standard error over replicas.

    Each replica r draws ``atoms`` positions per cloud from ``make_rng(seed, stream, r)``
    and evaluates its pair means S_γ/n_pairs, S_g/n_pairs (pairs i ≠ j inside cloud I for
    ``kR=None``, else i in I, j in II) exactly, with one of two engines:

    * ``"pairs"``: the fast O(N²) pair kernel (:func:`fast_pair_sum`), Γ̄ and Ḡ together;
    * ``"structure"``: Γ̄ by structure factors and an exact direction quadrature
      (``lehmberg.structure.gamma_pair_sum``, O(N) plus a grid that grows like (k_L L)³),
      Ḡ (when asked for) by the Ewald split of ``structure.g_pair_sum`` (long part on a
      uniform grid by finufft type 1, short part over neighbours; ~10⁻⁹ relative).

    ``engine="auto"`` takes the structure engine where ``structure.predicted_seconds``
    says it is faster.  For Γ̄ alone (inside one cloud Ḡ is real, so Γ_ij = Re Γ̄ without
    Ḡ) the measured crossover is N ≈ 3·10³ at k_L L = 3 and 10, 1.3·10⁴ at 30, ~10⁵ at
    100 (``benchmarks/structure.py``); with Ḡ (between clouds Γ_ij = Re Γ̄ − Im Ḡ needs it)
    it comes later, N ≈ 2·10⁴ at k_L L = 3–10, inside one cloud and between (the Ewald split's
    short part costs ~N n̄ r_c³ pairs, n̄ the density an atom sees).  Every replica is an
    unbiased estimate of the position average, so the replica mean is too; the replica
    scatter is the speckle of one snapshot.

    What the error bars mean.  Γ̄ (bounded kernel): the standard error over replicas.
    Ḡ: the pairs closer than ``near_radius`` carry the 1/(k r)³ near field, whose pair
    mean has a Cauchy-like tail (infinite variance; the closest pair of a snapshot shifts
    Ḡ by O(1/L³) whatever N), so the raw replica mean has no honest standard error.  The
    Ḡ reported is the replica mean of the pairs farther apart than ``near_radius`` plus
    the exact expectation of the nearer ones (``structure.near_expectation``): unbiased,
    finite variance, and its standard error is honest (z-scores over seeds,
    ``tests/test_structure.py``).  The result's ``notes`` say so and give the raw
    snapshot mean, for which no honest error bar exists.

    Parameters
    ----------
    kL, kR, R_dir, p_hat, shape
        As in :func:`lehmberg.average.mc_rates` (``p_hat=None``: no dipole factor).
    atoms : int
        Atoms per realised cloud, >= 2.
    replicas : int
        Independent realisations, >= 2.
    seed : int
        Master seed.
    progress : callable, optional
        ``progress(replicas_done, replicas)``.
    engine : {"auto", "structure", "pairs"}
        Which exact engine; "structure" without finufft falls back to "pairs" (the
        result's first note says which engine ran).
    with_g : bool or None
        Compute Ḡ (None: where it is needed for Γ_ij, i.e. between clouds, or free, i.e.
        with the pair kernel).  Without it Ḡ and G_ij are NaN (and Γ_ij between clouds).
    near_radius : float
        Pairs closer than this (units of 1/k_L) enter Ḡ through their expectation.
    max_memory : float, optional
        Refuse requests whose ``structure.estimate_memory`` exceeds this many bytes
        (default: 80% of the machine's available memory), before anything is allocated.

    Returns
    -------
    Rates
        method ``"clouds"``, n_samples = replicas × pairs per replica; ``notes[0]`` is
        ``"engine: …"`` (the engine used), ``notes[1]`` (with Ḡ) says how Ḡ's error bar is
        made and gives the raw snapshot mean.

    Examples
    --------
    >>> from lehmberg.pairsum import cloud_rates
    >>> est = cloud_rates(3.0, atoms=200, replicas=4, seed=1)
    >>> est.method, est.notes[0]
    ('clouds', 'engine: fast pair kernel')
    >>> from lehmberg.planewave import planewave_rates
    >>> ref = planewave_rates(3.0, rel_err=1e-3, seed=2).Gamma_ij  # the position average
    >>> bool(abs(est.Gamma_ij - ref) < 5 * est.Gamma_ij_err)
    True
    """
    from . import structure

    atoms = int(atoms)
    replicas = int(replicas)
    if atoms < 2:
        raise ValueError(f"atoms must be >= 2, got {atoms}")
    if replicas < 2:
        raise ValueError(f"replicas must be >= 2 for a standard error, got {replicas}")
    if engine not in ("auto", "structure", "pairs"):
        raise ValueError(f"engine must be 'auto', 'structure' or 'pairs', got {engine!r}")
    near_radius = float(near_radius)
    if not (math.isfinite(near_radius) and near_radius > 0.0):
        raise ValueError(f"near_radius must be finite and > 0, got {near_radius!r}")
    p = unit_vector(p_hat, "p_hat", allow_none=True)
    clouds = TwoClouds(shape, kL, 0.0 if kR is None else kR, R_dir)
    which = "intra" if kR is None else "inter"
    has_nufft = structure.ENGINE == "finufft"
    note = ""
    if engine == "auto":
        if not has_nufft:
            eng, note = "pairs", " (finufft not importable)"
        else:
            need_g = bool(with_g) or (with_g is None and which == "inter")
            faster = (structure.predicted_seconds("structure", kL, kR, atoms, shape, need_g)
                      < structure.predicted_seconds("pairs", kL, kR, atoms, shape))
            eng = "structure" if faster else "pairs"
    elif engine == "structure" and not has_nufft:
        eng, note = "pairs", " (structure engine requested; finufft not importable)"
    else:
        eng = engine
    g_on = (eng == "pairs" or which == "inter") if with_g is None else bool(with_g)
    structure.check_memory(structure.estimate_memory(atoms, kL, kR, shape, eng, g_on), max_memory)
    if eng == "pairs":
        label = "fast pair kernel" + note
    else:
        label = f"structure factors (finufft type 3, eps {structure.EPS:g})"
        label += (f"; Ḡ: Ewald split (finufft type 1, tails {structure._G_TOL:g})" if g_on
                  else "; Ḡ not computed")
    e_near = structure.near_expectation(clouds.difference_law(which), p, near_radius) if g_on else 0j
    vals = np.empty((replicas, 4))
    raw = np.empty(replicas, dtype=np.complex128)
    npairs = 0
    for r in range(replicas):
        a, b = clouds.realise(atoms, make_rng(seed, STREAMS["clouds"][which], r))
        bb = None if which == "intra" else b
        if eng == "pairs":
            sg, sG, npairs = fast_pair_sum(a.T, None if bb is None else bb.T, p)
            if g_on:
                near = structure.near_pair_sum(a, bb, p, near_radius)[0]
        else:
            sg = structure.gamma_pair_sum(a, bb, p)
            npairs = atoms * (atoms - 1) if bb is None else atoms * atoms
            sG = near = complex("nan")
            if g_on:
                sG, near, _ = structure.g_pair_sum(a, bb, p, tol=structure._G_TOL,
                                                   near_radius=near_radius)
        far = (sG - near) / npairs + e_near if g_on else complex("nan")
        raw[r] = sG / npairs
        vals[r] = [sg.real / npairs, sg.imag / npairs, far.real, far.imag]
        if progress is not None:
            progress(r + 1, replicas)
    notes = [f"engine: {label}"]
    if g_on:
        m = complex(raw.mean())
        notes.append(f"Ḡ: pairs closer than {near_radius:g}/k_L enter through their exact expectation "
                     f"{e_near.real:.6g}{e_near.imag:+.6g}j; their sampled 1/r³ shifts have infinite "
                     f"variance, so the raw snapshot mean ({m.real:.6g}{m.imag:+.6g}j) has no honest "
                     "standard error")
    est = rates_from_rows(vals, replicas * npairs, "clouds", notes=tuple(notes))
    return est if g_on else est.without_g(which == "intra")


def rates_from_rows(vals, n_samples, method, **kw):
    """Rates from independent rows (Re Γ̄, Im Γ̄, Re Ḡ, Im Ḡ): mean and standard error of the mean
    (``Rates.from_rows``; keyword arguments such as ``notes`` pass through)."""
    return Rates.from_rows(vals, n_samples, method, **kw)
