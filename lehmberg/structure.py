"""Exact pair sums of realised clouds through structure factors (type-3 NUFFT).

Lengths are in units of 1/k_L (k = k_L = 1), the probe is along ẑ, rates are in units
of Γ.  For atoms i in cloud a and j in cloud b (``b=None``: the ordered pairs i ≠ j of
one cloud) the pair sums of one realisation are::

    S_γ = Σ_(i,j) e^{ik_L·(r_i − r_j)} γ(r_i − r_j),   S_g = Σ_(i,j) e^{ik_L·(r_i − r_j)} g(r_i − r_j)

With per-atom weights (``wa``, ``wb``: real, >= 0, e.g. the probe amplitudes u_i of a waist,
SPEC §9) every pair carries wa_i wb_j (inside one cloud wb = wa): the structure factors take
the weights as strengths, the self terms removed are Σ wa_i², the cell list multiplies its
phase factors by them, and the error bounds below hold with W_a W_b = Σ wa Σ wb in place of
N_a N_b.

Γ̄ on shell: an exact quadrature over emission directions
---------------------------------------------------------
γ(r) = (3/8π) ∫dΩ_q (1 − (p̂·q̂)²) e^{iq̂·r} (without the dipole factor (3/2)(1/4π)∫dΩ_q)
turns the pair sum into a direction integral of structure factors::

    S_γ = (3/8π) ∫dΩ_q (1 − (p̂·q̂)²) (S_a(K) S_b(K)* − δ_ab N),   S_a(K) = Σ_(j∈a) e^{iK·r_j},
    K = ẑ + q̂                                                                         (E1)

(the δ_ab N removes the self terms, γ(0) = 1).  As a function of q̂ the integrand is a
finite sum of e^{iq̂·(r_i − r_j)} times a polynomial of degree 2, i.e. band-limited: a
plane wave e^{iq̂·r} has spherical-harmonic degree at most |r| + μ(|r|) up to a
super-exponentially small tail, μ(D) = ⌈6 + 4 D^{1/3}⌉ (its Legendre coefficients j_l(r)
fall off in an Airy layer of width ~r^{1/3} beyond l = r).  A Gauss–Legendre rule in cos θ
(n_θ nodes, exact to degree 2n_θ − 1) times the trapezoid rule in φ (n_φ nodes, exact for
|m| < n_φ) about a polar axis ê is then exact to rounding.

Inside one cloud (ê = ẑ, c the centre of the bounding box, ρ the largest distance from it,
ρ_⊥ across ẑ): 2 n_θ − 1 >= D + μ(D) + 2 with D = 2ρ, and n_φ >= D_⊥ + μ(D_⊥) + 3 with
D_⊥ = 2ρ_⊥.  Measured against the direct sum with μ = 6 + c D^{1/3}: c = 2 leaves 5e-8 at
D = 833, c = 3 1e-9, c = 4 reaches the 1e-11 floor.

Between clouds: each structure factor about its own (integer) box centre,
S_a(K) = e^{iK·c_a} S̃_a(K), so that with m = c_a − c_b::

    S_a S_b* = e^{i m_z} f(q̂) e^{iq̂·m},   f = S̃_a S̃_b*   (times the weight (1 − (p̂·q̂)²))

f has degree <= L_f = D_f + μ(D_f) + 2 with D_f = ρ_a + ρ_b whatever |m| is, and the plane
wave e^{iq̂·m} = Σ_l (2l + 1) i^l j_l(|m|) P_l(q̂·m̂).  Since f has no component above L_f,
∫dΩ f e^{iq̂·m} = ∫dΩ f T with T = Σ_(l <= L) (2l + 1) i^l j_l(|m|) P_l(q̂·m̂) and
L = min(L_f, |m| + μ_T(|m|)), μ_T(x) = ⌈10 + 10 x^{1/3}⌉ (the whole of f multiplies T's
tail, so its cut is deeper than μ: the pair margin μ there left 1.6e-9).  The product f T
has degree L_f + L, so about ê = m̂ a rule with 2n_θ − 1 >= L_f + L and n_φ from
D_⊥ = ρ_⊥a + ρ_⊥b (across m̂) is exact: its size does not depend on the separation, and T
(one value per θ-node, n_θ L operations) is all that |m| enters.  The centres are rounded to
integers, so m and r_j − c are exact far from the origin, |m| is a double-double and
j_l(|m|) comes from the upward recurrence with the double-double phase (SciPy's
``spherical_jn`` where |m| < 2L + 20), so the phase stays exact up to k_L R = 10¹².

S̃ at all nodes is one type-3 non-uniform FFT (``finufft.nufft3d3``, tolerance
``EPS = 1e-10``, upsampling 2) per cloud, so the cost is O(N w³ + nf³ log nf) with w ≈ 11
the spreading width and nf ≈ (4/π) X + w per axis.  Where the upsampling-2 grids of a cloud
would pass ``grid_budget`` (k_L L ≳ 40 at 1 GiB), the faster by the cost model of blocks at
upsampling 2 and a transform at upsampling 1.25 (grids 4.6× smaller, w = 16, tolerance
max(EPS, 5e-10)) is taken: at k_L L = 100, N = 10⁵ one transform at 1.25 took 5 s where
27 blocks at 2 took 25 s (``_transform_plan``) (X the half-width of the cloud, |K| <= 2
fixes the target half-width to 1), at every separation: N = 10⁷ atoms at k_L L = 10 take
~20 s on 2 cores, against ~10⁵ s for the O(N²) pair kernel.  Accuracy against
``pairsum.fast_pair_sum`` (``tests/test_structure.py``, separations 0 … 10⁵ along, against,
across and oblique to the probe, Gaussian and cube clouds, with and without the dipole
factor; 10⁶ … 10¹² against 40-digit arithmetic)::

    |ΔS_γ| <= 1e-10 |S_γ| + 1e-3 ε N_a N_b      (ε = EPS, or max(EPS, 5e-10) at upsampling 1.25)

measured 1e-13 … 3e-11 relative inside one cloud and along the probe; the absolute term
(the finufft floor, ~1e-14 per pair at EPS = 1e-10; ``eps=1e-12`` lowers it 100×) matters
only where Γ̄ itself is small, far across the probe (there 1e-10 … 1e-9 relative).

Ḡ off shell: an Ewald split
---------------------------
g is not band-limited (its 1/r³ near field).  With G = e^{ir}/r and the Ewald split of the
Helmholtz Green function, G = G_l + G_s, Ĝ_l(q) = 4π e^{−a²(q²−1)/4}/(q² − 1 − i0) and
G_s(r) = Re[e^{ir} erfc(r/a + ia/2)]/r real and short-ranged (~e^{a²/4 − r²/a²}), the long
part of g is smooth (entire) with the Fourier transform

    ĝ_l(q) = −6π (1 − (p̂·q)²) e^{−a²(q²−1)/4} PV 1/(q² − 1)     (no dipole: without (1 − (p̂·q)²))

and g = g_l + g_s pointwise for r ≠ 0, with g_l = −(3/2)[F + F'/r + s (F'' − F'/r)],
F = Re G_l = Re[e^{ir} erf(r/a + ia/2)]/r, s = (p̂·r̂)²::

    S_g = (2π)⁻³ ∫d³q ĝ_l(q) (S_a(ẑ+q) S_b(ẑ+q)* − δ_ab N)      (E2: long part, self terms out)
          + Σ_(pairs, r < r_c) e^{ik_L·r} g_s(r)                  (short part, cell list)

The long part is a pair sum of a smooth kernel over a bounded set of separations: the
separations r_i − r_j = R + v (R the offset of the two clouds' box centres, 0 inside one
cloud) have |v_d| <= E_d per axis (E: the cloud's width inside one cloud, the mean width
between clouds).  Multiplied by a smooth box window W(v) = Π_d erfc((|v_d| − E_d − 6δ)/δ)/2
(1 to 10⁻¹⁷ on the separations, zero beyond E_d + 12δ, δ = 2a) the kernel
K(v) = W(v) g_l(R + v) is compactly supported and smooth, so by Poisson's formula the
trapezoid rule on the grid q_k = 2πk/P (P_d = 2E_d + 24a, no periodic image reaches a
separation) is exact up to the Gaussian tail beyond q_max::

    Σ_(i,j) e^{ik_L·(r_i−r_j)} g_l(r_i − r_j) = (1/P³) Σ_k K̂(q_k) S_a(q_k) S_b(q_k)*,
    S_a(q) = Σ_(j∈a) e^{iz_j} e^{iq·(r_j − c_a)}

with S_a on all M_d = q_max P_d/π modes from type-1 NUFFTs (finufft, upsampling 1.25)
and K̂ from one FFT of K sampled on the dual grid (aliasing below the same tail); inside
one cloud Σ_k K̂_k/P³ = K(0) removes the self terms.  Inside one cloud K is even, so K̂ is
real and even: the samples of one half are mirrored, K̂ is the real half spectrum of one
real FFT, and S is made in ``_SLABS`` = 4 slabs along x (modes shifted to the centre of a
smaller transform by the strengths' phase e^{isx̃}), each |S|² summed against K̂ as it comes
(~16 bytes per mode at the peak instead of 48).  No shell singularity appears (the
window cuts the 1/r tail), and the grid does not depend on how far apart the clouds are.
F (for the long part's kernel samples) is a Chebyshev series in t = r² on [0, r_c²] fitted
once per a (from scipy's erf of complex argument).  The short part takes g_s directly from
G_s = Re[e^{ir} erfc(r/a + ia/2)]/r: with φ = r G_s, g_s = −(3/2)(P_U + s P_V)/r³, P_U and
P_V entire and tabulated as piecewise degree-7 polynomials on [0, r_c] (``_short_table``),
so a pair costs a square root, a division and two Horner sums, g (a sincos) only for the
pairs below ``near_radius``.  The pairs are found with a cell list of ~8 atoms per cell (up
to 6 cells per r_c; the stencil the cells within r_c, nearly a ball, so 1.9–2.9 candidates
per pair instead of 7.3 with cells of side r_c), their distances in vectorised passes and
their indices compacted without a branch (~3·10⁸ ordered pairs per s on 2 cores; 4.0× the
earlier Chebyshev/sincos evaluation at N = 10⁶, ``benchmarks/structure_short.py``).
a (<= ``_A_MAX`` = 4), q_max
and r_c are chosen by :func:`ewald_parameters`; between clouds the short part's density is
that of b's atoms around a's (0 for clouds apart, whose short part is skipped when their
boxes are farther apart than r_c, so nothing in it scales with the separation).  Accuracy
against the direct sum with tails ``tol`` (``tests/test_structure.py``)::

    |ΔS_g| <= tol (|S_g|/5 + 2e-5 N_a N_b)

measured at tol = 1e-8 (what ``cloud_rates`` uses): <= 2.4e-13 per pair; 1e-10 … 2e-9
relative at k_L L <= 30, 1.1e-8 at k_L L = 100 (Ḡ ∝ (k_L L)⁻³ there, while the tail errors
follow the near-field scale; tol = 1e-9 gives 2.6e-9).  The earlier 1e-8 errors at
k_L L = 30 had two causes: the balance took a = 6 for small dilute clouds, where g_l and g_s
each grow like e^{a²/4} = 8·10³ and their sum rounds accordingly (9e-15 per pair; 8e-16 at
a = 4), and the long part's type-1 transforms ran at eps 1e-9 (1.3e-13 per pair; now
3e-10, the smallest with finufft's 16-point kernel at upsampling 1.25).

Memory
------
Bounded and stated by :func:`estimate_memory`: positions (24 bytes per atom and cloud,
kept), per transform 88 bytes per atom of a block plus 16 (nf³ + (2 nf)³) bytes of
finufft grids, 256 bytes per quadrature node (independent of the separation); clouds whose grids would exceed
``grid_budget`` (default 1 GiB) are cut into spatial blocks (S is additive over blocks,
S = Σ_b e^{iK·c_b} S_b); Ḡ's long part takes ~20 bytes per mode inside one cloud and ~72
between clouds (M³ modes; at most 40% of the available memory and 16 GiB:
:func:`ewald_parameters` picks a larger a otherwise).  :func:`check_memory`
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
from scipy.special import roots_legendre, spherical_jn

from ._checks import array, number, unit_vector
from ._jit import kernel, loop, sincos
from .kernels import combine, radial

try:  # finufft is a declared dependency; a platform without a wheel falls back
    import finufft as _finufft
except ImportError:  # pragma: no cover - exercised by monkeypatching in the tests
    _finufft = None

__all__ = ["ENGINE", "EPS", "EPS_LOOSEST", "EPS_SHARE", "eps_for", "sphere_rule", "structure_factors", "gamma_pair_sum", "g_pair_sum",
           "near_pair_sum", "ewald_parameters", "estimate_memory",
           "check_memory", "available_memory", "predicted_seconds", "G_TOL"]

#: The engine in use: "finufft" or the fallback ("fast pair kernel (finufft not importable)").
ENGINE = "finufft" if _finufft is not None else "fast pair kernel (finufft not importable)"

#: finufft tolerance (relative to Σ|c_j| per output): measured S_γ error < 1e-10 relative.
EPS = 1e-10
#: Loosest finufft tolerance :func:`eps_for` gives (spreading width 7 instead of 11 at
#: upsampling 2: 2.4–2.7× faster Γ̄ at N >= 10⁶; S_γ changed by 3e-8 relative at N = 10⁷).
EPS_LOOSEST = 1e-6
#: Share of the requested statistical error the transform may add (eps_for).
EPS_SHARE = 0.01


def eps_for(rel_err: float, pair_mean: float, share: float = EPS_SHARE) -> float:
    """finufft tolerance for a pair sum wanted to relative standard error ``rel_err``.

    The rule: the transform's error is held to ``share`` (default 1%) of the statistical
    error, so that it changes the total error by less than share²/2 (5e-5 of it) in
    quadrature, and never looser than :data:`EPS_LOOSEST` nor tighter than :data:`EPS`::

        eps = min(EPS_LOOSEST, max(EPS, 10³ · share · rel_err · |pair_mean|))

    Justification: the documented bounds of :func:`gamma_pair_sum` and :func:`g_pair_sum`
    put the transform's part of the error at <= 1e-3 ε per pair (W_a W_b pairs; measured
    ~1e-4 ε), i.e. 1e-3 ε / |pair_mean| relative to the sum, where pair_mean = S/(W_a W_b)
    is the mean pair value (Γ̄ or Ḡ of the snapshot).  Requiring that to be <= share ·
    rel_err gives the rule (``tests/test_structure.py`` checks the sums against the direct
    pair sum at the tolerance it gives).  A realised-cloud request whose replicas scatter by
    σ passes rel_err = σ/|mean| (or its target) and a lower bound of |pair_mean| (e.g. the
    position average from the reference, or its leading order 3/(4 k_L²L²) for Γ̄).

    Parameters
    ----------
    rel_err : float
        Requested relative standard error of the sum (> 0).
    pair_mean : float
        A lower bound of |S|/(W_a W_b), the magnitude of the mean pair value (nonzero).
    share : float
        Part of ``rel_err`` the transform may take, in (0, 1].

    Returns
    -------
    float
        The tolerance, for ``eps=`` of :func:`gamma_pair_sum` or :func:`g_pair_sum`.

    Examples
    --------
    >>> from lehmberg.structure import eps_for, EPS
    >>> eps_for(1e-3, 0.0075)                     # Γ̄ at k_L L = 10 to 0.1 %: the loosest
    1e-06
    >>> round(eps_for(1e-6, 0.0075), 12), eps_for(1e-9, 0.0075) == EPS
    (7.5e-08, True)
    """
    rel_err = number(rel_err, "rel_err", 0.0, lo_open=True)
    pair_mean = number(pair_mean, "pair_mean")
    if pair_mean == 0.0:
        raise ValueError("pair_mean must be nonzero (a lower bound of the mean pair value)")
    share = number(share, "share", 0.0, 1.0, lo_open=True)
    return float(min(EPS_LOOSEST, max(EPS, 1e3 * share * rel_err * abs(pair_mean))))


_UPSAMP = 2.0
_GRID_BUDGET = 2**30  # bytes of finufft grids per transform
_NODE_BYTES = 256  # q, K (48), weights (16), finufft's targets and output (~64), S_a, S_b (32),
#                    phases and products (~64), the rule's temporaries
_GRID_MARGIN = 1.3  # finufft's own arrays beside the two grids (measured peak 0.98 of the
#                     estimate at k_L L = 100 without it)
_ATOM_BYTES = 88  # finufft type 3 per atom: rescaled x, y, z (24), sort index (8), c' (16),
#                   our contiguous block copy (24) and unit strengths (16)


def _margin(D):
    """Excess bandwidth μ(D) = ⌈6 + 4 D^{1/3}⌉ of the sphere rule (module docstring)."""
    return int(math.ceil(6.0 + 4.0 * max(D, 0.0) ** (1.0 / 3.0)))


def _margin_T(x):
    """Degrees μ_T(x) = ⌈10 + 10 x^{1/3}⌉ beyond l = x at which the plane-wave factor T is
    cut: (2l + 1)|j_l(x)| there is below 1e-14 of its largest value for x <= 10⁴ (the
    whole of T multiplies the truncation, not only the farthest pairs as with μ)."""
    return int(math.ceil(10.0 + 10.0 * max(x, 0.0) ** (1.0 / 3.0)))


def _nthreads():
    return max(1, nb.get_num_threads())


# ----------------------------------------------------------------------------- geometry

def _frame(axis):
    """Orthonormal (e1, e2, e) with e along ``axis``."""
    e = unit_vector(axis, "axis")
    t = np.array([1.0, 0.0, 0.0]) if abs(e[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = t - (t @ e) * e
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(e, e1), e


def _gauss_legendre(n):
    """Gauss–Legendre nodes and weights on [−1, 1]: NumPy's companion-matrix rule up to
    n = 100 (as before), SciPy's ``roots_legendre`` beyond (O(n) memory; ``leggauss`` builds
    an n × n matrix and costs O(n³))."""
    if n <= 100:
        return leggauss(n)
    x, w = roots_legendre(n)
    return np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)


def sphere_rule(n_theta: int, n_phi: int, axis=(0.0, 0.0, 1.0)):
    """Gauss–Legendre (in cos θ) × trapezoid (in φ) rule on the unit sphere.

    Exact for spherical harmonics Y_lm about ``axis`` with l <= 2 n_theta − 1 and
    |m| < n_phi.

    Parameters
    ----------
    n_theta, n_phi : int
        Nodes in cos θ and in φ (>= 1).
    axis : 3-vector
        Polar axis (normalised by ``lehmberg._checks.unit_vector``: the zero vector or a
        non-finite one raises ValueError, huge or tiny components are scaled first).

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
    return _sphere_rule(n_theta, n_phi, axis)[:2]


def _sphere_rule(n_theta, n_phi, axis):
    """(q, w, x) of :func:`sphere_rule`, x the n_theta Gauss–Legendre nodes in cos θ."""
    x, wx = _gauss_legendre(n_theta)
    phi = 2.0 * math.pi * np.arange(n_phi) / n_phi
    e1, e2, e = _frame(axis)
    st = np.sqrt(1.0 - x * x)
    q = (x[:, None, None] * e + (st[:, None] * np.cos(phi))[:, :, None] * e1
         + (st[:, None] * np.sin(phi))[:, :, None] * e2).reshape(-1, 3)
    w = np.repeat(wx * (2.0 * math.pi / n_phi), n_phi)
    return q, w, x


def _soa(r, name):
    r = np.asarray(r, dtype=np.float64)
    if r.ndim != 2 or 3 not in r.shape:
        raise ValueError(f"{name} must have shape (3, N) or (N, 3), got {r.shape}")
    if r.shape[0] != 3:
        r = r.T
    if r.shape[1] < 1 or not np.all(np.isfinite(r)):
        raise ValueError(f"{name}: positions must be finite and non-empty")
    return np.ascontiguousarray(r)


def _weights(w, n, name):
    """Per-atom weights ``w`` (None: all 1) as a float64 array of shape (n,), real, finite
    and >= 0; ValueError naming ``name`` otherwise."""
    if w is None:
        return None
    w = array(w, name, lo=0.0, ndim=1)
    if w.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) (one weight per atom), got {w.shape}")
    return np.ascontiguousarray(w)


def _pair_weights(wa, wb, pa, pb):
    """(wa, wb) checked against the clouds; inside one cloud (pb None) wb must be None."""
    wa = _weights(wa, pa.shape[1], "wa")
    if pb is None:
        if wb is not None:
            raise ValueError("wb: inside one cloud (b=None) the weights are wa on both sides; "
                             "give wb only with b")
        return wa, None
    return wa, _weights(wb, pb.shape[1], "wb")


def _total(w, n):
    """Σ w (n without weights)."""
    return float(n) if w is None else float(w.sum())


def _centre(pos):
    """Centre of the bounding box of ``pos`` (3, N)."""
    return 0.5 * (pos.max(axis=1) + pos.min(axis=1))


def _extent(pos, axis, c=None):
    """(centre, ρ, ρ_⊥): bounding-box centre c, largest distance from it, and across ``axis``."""
    if c is None:
        c = _centre(pos)
    d = pos - c[:, None]
    r2 = np.einsum("ij,ij->j", d, d)
    along = axis @ d
    return c, math.sqrt(r2.max()), math.sqrt(max(0.0, float((r2 - along * along).max())))


@dataclasses.dataclass(frozen=True)
class _Rule:
    """The direction rule of one Γ̄ sum (module docstring, "Between clouds").

    axis: polar axis ê; n_theta, n_phi: nodes; m: offset c_a − c_b of the (integer) box
    centres (zeros inside one cloud), |m| = m_norm + m_low (double-double); L: degree of
    the plane-wave factor T (0: T = 1);
    ca, cb: the centres the structure factors are taken about."""

    axis: np.ndarray
    n_theta: int
    n_phi: int
    m: np.ndarray
    m_norm: float
    m_low: float
    L: int
    ca: np.ndarray
    cb: np.ndarray


def _degrees(rho_a, rho_b, rho_ta, rho_tb, m_norm, extra=2):
    """(n_theta, n_phi, L) for structure factors about the box centres: f = w S̃_a S̃_b* has
    degree <= L_f = D_f + μ(D_f) + extra (D_f = ρ_a + ρ_b) and azimuthal order < D_⊥ + μ(D_⊥)
    + extra + 1 about ê = m̂ (D_⊥ = ρ_⊥a + ρ_⊥b); the plane-wave factor needs L = min(L_f,
    |m| + μ_T(|m|)) terms, and the product degree L_f + L (independent of |m|)."""
    D_f = rho_a + rho_b
    D_t = rho_ta + rho_tb
    L_f = int(math.ceil(D_f + _margin(D_f) + extra))
    if m_norm == 0.0:
        L = 0
    elif m_norm >= L_f:
        L = L_f
    else:
        L = min(L_f, int(math.ceil(m_norm + _margin_T(m_norm))))
    n_theta = int(math.ceil((L_f + L + 1) / 2.0))
    n_phi = int(math.ceil(D_t + _margin(D_t) + extra)) + 1
    return n_theta, n_phi, L


def _rule(pa, pb):
    """The :class:`_Rule` of S_γ for positions pa (and pb; None inside one cloud)."""
    z = np.array([0.0, 0.0, 1.0])
    ca = _centre(pa)
    if pb is None:
        _, rho, rho_t = _extent(pa, z, ca)
        n_theta, n_phi, _ = _degrees(rho, rho, rho_t, rho_t, 0.0)
        return _Rule(z, n_theta, n_phi, np.zeros(3), 0.0, 0.0, 0, ca, ca)
    # integer centres: m = c_a − c_b is then exact, and so are r_j − c far from the origin
    ca, cb = np.round(ca), np.round(_centre(pb))
    m = ca - cb
    m_norm, m_low = _norm2(m)
    axis = unit_vector(m, "m") if m_norm > 0.0 else z
    _, ra, ra_t = _extent(pa, axis, ca)
    _, rb, rb_t = _extent(pb, axis, cb)
    n_theta, n_phi, L = _degrees(ra, rb, ra_t, rb_t, m_norm)
    return _Rule(axis, n_theta, n_phi, m, m_norm, m_low, L, ca, cb)


def _norm2(m):
    """|m| of an integer-valued 3-vector as a double-double (hi, lo): hi + lo = |m| to
    ~1e-32 relative (the phase of j_l(|m|) at |m| = 10¹² needs |m| to better than 10⁻⁴)."""
    from fractions import Fraction
    s = sum(int(v) * int(v) for v in m)
    if s == 0:
        return 0.0, 0.0
    hi = math.sqrt(float(s))
    lo = float((Fraction(s) - Fraction(hi) ** 2) / (2 * Fraction(hi)))
    return hi, lo


def _spherical_jn(L, x, x_low=0.0):
    """j_l(x + x_low) for l = 0 … L (x + x_low a double-double, x >= 0).

    For x > 2L + 20 by the upward recurrence j_(l+1) = (2l + 1) j_l / x − j_(l−1) from
    j_0 = sin x / x, j_1 = (j_0 − cos x)/x (stable for l < x), with sin and cos of the
    double-double argument, so that the phase stays exact at x = 10¹²; SciPy's
    ``spherical_jn`` otherwise (``tests/test_structure.py`` checks both against mpmath)."""
    if not x > 2 * L + 20:
        return spherical_jn(np.arange(L + 1), x + x_low)
    sx, cx = math.sin(x), math.cos(x)
    s_lo, c_lo = math.sin(x_low), math.cos(x_low)
    sin_x, cos_x = sx * c_lo + cx * s_lo, cx * c_lo - sx * s_lo
    j = np.empty(L + 1)
    j[0] = sin_x / x
    if L >= 1:
        j[1] = (j[0] - cos_x) / x
    for l in range(1, L):
        j[l + 1] = (2 * l + 1) * j[l] / x - j[l - 1]
    return j


def _plane_wave_factor(x, m_norm, L, m_low=0.0):
    """T(x) = Σ_(l <= L) (2l + 1) i^l j_l(|m|) P_l(x) at the nodes x = q̂·m̂ (complex),
    |m| = m_norm + m_low."""
    T = np.zeros(x.shape[0], dtype=np.complex128)
    if m_norm == 0.0:
        T += 1.0
        return T
    jl = _spherical_jn(L, m_norm, m_low)
    if L == 0:
        T += jl[0]
        return T
    il = (1j) ** (np.arange(L + 1) % 4)
    c = (2.0 * np.arange(L + 1) + 1.0) * il * jl
    p0 = np.ones_like(x)
    p1 = x.copy()
    T += c[0] * p0 + c[1] * p1
    for l in range(1, L):  # (l + 1) P_(l+1) = (2l + 1) x P_l − l P_(l−1)
        p0, p1 = p1, ((2 * l + 1) * x * p1 - l * p0) / (l + 1)
        T += c[l + 1] * p1
    return T


# ----------------------------------------------------------------------------- finufft

def _w(eps, ups=_UPSAMP):
    """finufft's spreading width: ⌈log10(10/eps)⌉ at upsampling 2, ≈ 1.6× that at 1.25 (<= 16)."""
    w = int(math.ceil(-math.log10(eps / 10.0)))
    return w if ups >= 2.0 else min(16, int(math.ceil(1.6 * w)))


def _nf(X, S, eps, ups=_UPSAMP):
    """finufft type-3 fine-grid size per axis for source half-width X, target half-width S."""
    w = _w(eps, ups)
    return max(2 * w, int(2.0 * ups * S * X / math.pi) + w + 1)


def _grid_bytes(X, S, eps, ups=_UPSAMP):
    n = float(np.prod([_nf(x, s, eps, ups) for x, s in zip(X, S)]))
    return 16.0 * n * (1.0 + ups**3)  # spreading grid + the inner type-2 grid


def _blocks(X, S, eps, budget, ups=_UPSAMP):
    """Blocks per axis so that one transform's grids stay within ``budget`` bytes."""
    k = 1
    while _grid_bytes(np.asarray(X) / k, S, eps, ups) > budget and k < 64:
        k += 1
    return k


#: Smallest finufft tolerance of a type-3 transform at upsampling 1.25 without widening
#: the kernel past finufft's 16 points (below it finufft clips and warns).
_EPS_125 = 5e-10


def _transform_plan(X, S, eps, budget, nodes, atoms, upsampfac=None):
    """(upsampfac, eps, blocks per axis) of one type-3 transform for source half-widths X,
    target half-widths S, ``nodes`` targets and ``atoms`` sources.

    Upsampling 2 where its grids fit ``budget`` unblocked (spreading, O(N w³), dominates
    there and w = 11 instead of 16); otherwise the faster by the cost model of
    :func:`predicted_seconds` of upsampling 2 in blocks and upsampling 1.25 (grids 4.6×
    smaller, so fewer or no blocks, at eps >= ``_EPS_125``): each block repeats the inner
    FFT and the interpolation to every node (k_L L = 100, N = 10⁵: 27 blocks at 2 took 25 s,
    one transform at 1.25 5 s, the sums equal to 3e-12)."""
    X = np.asarray(X, dtype=np.float64)
    if upsampfac is not None:
        return float(upsampfac), eps, _blocks(X, S, eps, budget, upsampfac)
    k2 = _blocks(X, S, eps, budget, 2.0)
    if k2 == 1:
        return 2.0, eps, 1
    e125 = max(eps, _EPS_125)
    k125 = _blocks(X, S, e125, budget, 1.25)

    def seconds(ups, e, k):
        points = k**3 * _grid_bytes(X / k, S, e, ups) / 16.0
        return 1.1e-6 * atoms * (_w(e, ups) / 11.0) ** 3 + 8e-9 * points + 1e-6 * nodes * k**3

    if seconds(1.25, e125, k125) < seconds(2.0, eps, k2):
        return 1.25, e125, k125
    return 2.0, eps, k2


def structure_factors(pos, K, eps: float = EPS, grid_budget: float = _GRID_BUDGET,
                      progress: Callable[[int, int], None] | None = None,
                      upsampfac: float | None = None, centre=None, weights=None) -> np.ndarray:
    """S(K) = Σ_j w_j e^{iK·(r_j − c)} at many wave vectors by type-3 NUFFT (finufft).

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
    upsampfac : float, optional
        finufft upsampling, 2 or 1.25 (grids 4.6× smaller, tolerance >= 5e-10); default:
        2 where its grids fit ``grid_budget`` unblocked, else the faster of 2 in blocks and
        1.25 (at tolerance max(eps, 5e-10)) by the cost model.
    centre : 3-vector, optional
        Origin c of the phases (units of 1/k_L); default 0, i.e. S(K) = Σ_j e^{iK·r_j}.
        Far from the origin, S about the cloud's own centre keeps its digits.
    weights : array_like, shape (N,), optional
        Real weights w_j >= 0 (default 1); the error per output is then <= ~eps Σ_j w_j.

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
    weights = _weights(weights, pos.shape[1], "weights")
    K = np.ascontiguousarray(np.asarray(K, dtype=np.float64).reshape(-1, 3))
    lo, hi = pos.min(axis=1), pos.max(axis=1)
    kc = 0.5 * (K.max(axis=0) + K.min(axis=0))
    S_half = np.maximum(0.5 * (K.max(axis=0) - K.min(axis=0)), 1e-3)
    upsampfac, eps, k = _transform_plan(0.5 * (hi - lo), S_half, eps, grid_budget, K.shape[0],
                                        pos.shape[1], upsampfac)
    c0 = np.zeros(3) if centre is None else np.asarray(centre, dtype=np.float64).reshape(3)
    if not np.all(np.isfinite(c0)):
        raise ValueError(f"centre must be a finite 3-vector, got {centre!r}")
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
        if weights is None:
            strength = np.ones(x.shape[0], dtype=np.complex128)
        else:
            strength = (weights if sel is None else weights[sel]).astype(np.complex128)
        s = _finufft.nufft3d3(x, y, z, strength, kx, ky, kz,
                              eps=eps, isign=1, upsampfac=upsampfac, nthreads=_nthreads())
        del strength
        out += s * np.exp(1j * (K @ (c - c0)))
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
                   progress: Callable[[int, int], None] | None = None, *,
                   wa=None, wb=None) -> complex:
    """S_γ = Σ_(i,j) wa_i wb_j e^{ik_L·(r_i−r_j)} γ(r_i − r_j) of one realisation, exact (Eq. E1).

    Parameters
    ----------
    a, b : array_like, shape (3, N) or (N, 3)
        Positions in units of 1/k_L; ``b=None``: ordered pairs i ≠ j of ``a``, otherwise all
        i in a, j in b.
    p_hat : 3-vector or None
        Dipole direction; None drops the dipole factor ((3/2) sin x/x).
    eps : float
        finufft tolerance; it sets the absolute error floor, ~1e-4 eps per pair.
    grid_budget : float
        Bytes of finufft grids per transform (wider clouds are cut into blocks).
    progress : callable, optional
        ``progress(transforms_done, transforms)``.
    wa, wb : array_like, shape (N_a,) and (N_b,), optional
        Per-atom weights (real, finite, >= 0; default 1), e.g. the probe amplitudes u_i of a
        waist: the structure factors carry them as strengths, S_a(K) = Σ_j wa_j e^{iK·r_j},
        and the self terms removed inside one cloud are Σ_i wa_i².  Inside one cloud
        (``b=None``) the weights are wa on both sides and wb must be None.

    Returns
    -------
    complex
        S_γ in units of Γ (real inside one cloud), to |ΔS_γ| <= 1e-10 |S_γ| + 1e-3 ε W_a W_b
        (W = Σ w, N without weights; ε = eps, or max(eps, 5e-10) where upsampling 1.25 is
        taken) at any separation (module docstring; the cost and the memory do not depend
        on it).

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
    wa, wb = _pair_weights(wa, wb, pa, pb)
    if _finufft is None:
        if wa is None and wb is None:
            from .pairsum import fast_pair_sum
            return fast_pair_sum(pa, pb, p)[0]
        return _direct(pa, wa, pb, wb, p, 0.0, with_gamma=True)[0]
    rule = _rule(pa, pb)
    q, w, x = _sphere_rule(rule.n_theta, rule.n_phi, rule.axis)
    K = q + np.array([0.0, 0.0, 1.0])
    w = w * _dipole_weight(p, q)
    n_tr = 1 if pb is None else 2
    prog = None if progress is None else (lambda i, n: progress(i, n_tr * n))
    Sa = structure_factors(pa, K, eps, grid_budget, prog, centre=rule.ca, weights=wa)
    if pb is None:
        self_terms = float(pa.shape[1]) if wa is None else float(wa @ wa)  # γ(0) = 1
        return complex(np.dot(w, Sa.real * Sa.real + Sa.imag * Sa.imag - self_terms))
    del q
    prog_b = None if progress is None else (lambda i, n: progress(n + i, 2 * n))
    Sb = structure_factors(pb, K, eps, grid_budget, prog_b, centre=rule.cb, weights=wb)
    del K
    np.conjugate(Sb, out=Sb)
    np.multiply(Sa, Sb, out=Sa)
    del Sb
    # S_a S_b* = e^{iK·m} S̃_a S̃_b*, K = ẑ + q̂; e^{iq̂·m} -> T(q̂·m̂), one value per θ-node
    T = np.repeat(_plane_wave_factor(x, rule.m_norm, rule.L, rule.m_low), rule.n_phi)
    return complex(np.exp(1j * rule.m[2]) * np.dot(w * T, Sa))


# ----------------------------------------------------------------------------- Ḡ (Ewald split)

@dataclasses.dataclass(frozen=True)
class _Split:
    """Ewald split of g: screening width a, real-space cut r_c, k-space cut q_max and the
    Chebyshev series (in x = 2t/r_c² − 1, t = r²) of F = Re G_l and of its t-derivatives."""

    a: float
    r_c: float
    q_max: float
    c0: np.ndarray
    c1: np.ndarray
    c2: np.ndarray


def _F(r, a):
    """F(r) = Re G_l(r) = Re[e^{ir} erf(r/a + ia/2)]/r (smooth, even; r > 0)."""
    from scipy.special import erf
    return (np.exp(1j * r) * erf(r / a + 0.5j * a)).real / r


def _split(a, r_c, q_max, n=96):
    T = r_c * r_c
    k = np.arange(n)
    x = np.cos(math.pi * (k + 0.5) / n)  # Chebyshev points of the first kind (no endpoint)
    t = 0.5 * T * (x + 1.0)
    c0 = _cheb.chebfit(x, _F(np.sqrt(t), a), n - 1)
    # beyond ~30 terms the coefficients are the fit's rounding noise (~1e-15 of the largest):
    # cut at 4e-14 of it, which drops the noise and keeps F to ~1e-13 (3× fewer terms)
    c0 = c0[: int(np.nonzero(np.abs(c0) > 4e-14 * np.abs(c0).max())[0][-1]) + 1]
    c1 = _cheb.chebder(c0) * (2.0 / T)  # dP/dt
    c2 = _cheb.chebder(c1) * (2.0 / T)  # d²P/dt²
    return _Split(float(a), float(r_c), float(q_max), c0, c1, c2)


def ewald_parameters(n_atoms: int, density: float, D: float, a: float | None = None,
                     tol: float = 1e-9, grid_budget: float | None = None,
                     clouds: int = 1) -> tuple[float, float, float]:
    """Screening width a, real-space cut r_c and k-space cut q_max of the Ewald split.

    The cuts make both neglected tails <= ``tol`` relative to the near-field scale:
    r_c = a √(a²/4 + ln(1/tol)) (g_s ∝ e^{a²/4 − r²/a²}) and
    q_max = √(1 + 4 ln(1/tol)/a²) (ĝ_l ∝ e^{−a²(q²−1)/4}).  Without ``a`` it minimises the
    measured cost (``benchmarks/README.md``, 2-core machine) of the two parts: ordered
    pairs within r_c, N·n̄·(4π/3) r_c³ at ~3·10⁸ per s, against the M³ modes of the long
    part's grid (M = q_max P/π, P = 2D + 24a) at ~4.5·10⁶ per s, among the a whose grids
    (~20 M³ bytes inside one cloud, 72 M³ between) fit ``grid_budget``: a smaller a costs
    fewer pairs and more modes (N = 10⁶ at k_L L = 10: a = 0.70, M = 512, r_c = 3.0).

    Parameters
    ----------
    n_atoms : int
        Atoms (both clouds together).
    density : float
        Mean density seen by an atom, n̄ = Σ_i n(r_i)/N, in k_L³.
    D : float
        Largest per-axis extent of the pair separations about their centre (k_L units):
        the cloud's width inside one cloud, the mean of the two widths between clouds.
    a : float, optional
        Fix the screening width instead of balancing.
    tol : float
        Neglected tails, relative.
    grid_budget : float, optional
        Bytes the long part's grids may take (default: 40% of the memory available now,
        at most 16 GiB).
    clouds : {1, 2}
        One cloud (~20 bytes per mode) or two (~72: both structure factors are held).

    Returns
    -------
    (a, r_c, q_max) : floats

    Examples
    --------
    >>> from lehmberg.structure import ewald_parameters
    >>> a, r_c, q_max = ewald_parameters(10**6, 60.0, 70.0)
    >>> 0.3 < a < 3.0 and r_c > 3 * a
    True
    """
    L = math.log(1.0 / tol)

    def cuts(a):
        return a * math.sqrt(a * a / 4.0 + L), math.sqrt(1.0 + 4.0 * L / (a * a))

    if clouds not in (1, 2):
        raise ValueError(f"clouds must be 1 or 2, got {clouds!r}")
    if a is not None:
        return (float(a),) + cuts(float(a))
    if grid_budget is None:
        grid_budget = min(16.0 * 2**30, 0.4 * available_memory())
    elif not (math.isfinite(float(grid_budget)) and float(grid_budget) > 0.0):
        raise ValueError(f"grid_budget must be finite and > 0 bytes, got {grid_budget!r}")

    def modes(a):
        return (cuts(a)[1] * (2.0 * D + 24.0 * a) / math.pi) ** 3

    def cost(a):
        r_c = cuts(a)[0]
        pairs = n_atoms * density * (4.0 * math.pi / 3.0) * r_c**3
        return pairs / _SHORT_PAIRS_S + modes(a) / _LONG_MODES_S

    per_mode = _LONG_BYTES if clouds == 1 else _LONG_BYTES_2
    widths = np.geomspace(0.15, 6.0, 80)
    fit = [x for x in widths if per_mode * modes(x) <= grid_budget]
    # a <= _A_MAX keeps the e^{a²/4} growth of both parts (and their cancellation) small;
    # wider screenings only where the grid would not fit otherwise
    grid = [x for x in fit if x <= _A_MAX] or fit[:1] or [6.0]
    best = float(grid[int(np.argmin([cost(x) for x in grid]))])
    return (best,) + cuts(best)


#: Widest screening the balance picks when the grid fits: g_l and g_s each grow like
#: e^{a²/4} (8·10³ at a = 6), and so does the rounding of g = g_l + g_s (measured: 9e-15 per
#: pair at a = 6, 8e-16 at a = 4, k_L L = 30, N = 3000).
_A_MAX = 4.0
#: finufft tolerance of the long part's type-1 transforms (upsampling 1.25): the smallest
#: without widening the kernel past finufft's 16 (1e-9 left 1.3e-13 per pair).
_LONG_EPS = 3e-10
#: Ewald tails of the Ḡ of realised clouds (``lehmberg.clouds``; error bound in the docstring).
G_TOL = 1e-8
_LONG_BYTES = 20  # per mode of the long part inside one cloud: the kernel samples and their
#                   half spectrum (8 + 8; later K̂ 4 + a slab's S 4 and finufft grid 8) + margin
#: Cost model of the Ewald split on a quiet 2-core machine (fitted at N = 10⁶, k_L L = 10,
#: ``benchmarks/structure_short.py``): ordered pairs within r_c per second of the short part
#: (before the polynomial pieces 9·10⁷ was assumed, 6.3·10⁷ measured) and grid modes per
#: second of the long part (type-1 transforms, kernel samples, FFT).
_SHORT_PAIRS_S = 3e8
_LONG_MODES_S = 4.5e6
_LONG_BYTES_2 = 72  # between clouds: S_a is held while S_b is transformed (measured peak 11.2 GB
#                     at an estimate of 10.9 with 64)


def _good_size(n):
    """Smallest even n' >= n with no prime factor above 5 (fast FFT sizes)."""
    n = max(int(n), 8)
    while True:
        m = n
        for f in (2, 3, 5):
            while m % f == 0:
                m //= f
        if m == 1 and n % 2 == 0:
            return n
        n += 1


def _long_modes(E, a, q_max):
    """(M, P): modes and period per axis of the long part's grid for half-widths E."""
    P = 2.0 * np.asarray(E, dtype=np.float64) + 24.0 * a
    M = np.array([_good_size(math.ceil(q_max * p / math.pi)) for p in P], dtype=np.int64)
    return M, P


def _window_table(M, h, P, E, delta):
    """Per-axis samples v = h m (m in FFT order) with up to two periodic images each:
    offsets (M, 2) and window weights (M, 2), w(x) = erfc((|x| − E − 6δ)/δ)/2 (zero beyond
    |x| = E + 12δ, 1 − 1e-17 for |x| <= E)."""
    from scipy.special import erfc
    m = np.fft.fftfreq(M, 1.0 / M)
    v = h * m
    off = np.stack([v, v - np.sign(v) * P + (v == 0) * P], axis=1)
    arg = (np.abs(off) - E - 6.0 * delta) / delta
    w = np.where(arg < 6.0, 0.5 * erfc(arg), 0.0)
    return np.ascontiguousarray(off), np.ascontiguousarray(w)


@loop(fast=True)
def _kernel_samples(o0, w0, o1, w1, o2, w2, R0, R1, R2, px, py, pz, dip, r_c, c0, c1, c2, out,
                    rows):
    """out[i,j,k] = Σ_images W(v) g_l(R + v) on the long part's grid (g_l: Chebyshev series
    below r_c, the full kernel above, where g_s < tol), for the first ``rows`` rows i."""
    inv_T = 1.0 / (r_c * r_c)
    rc2 = r_c * r_c
    for i0 in nb.prange(rows):
        for i1 in range(o1.shape[0]):
            for i2 in range(o2.shape[0]):
                acc = 0.0
                for n0 in range(2):
                    if w0[i0, n0] == 0.0:
                        continue
                    for n1 in range(2):
                        ww = w0[i0, n0] * w1[i1, n1]
                        if ww == 0.0:
                            continue
                        for n2 in range(2):
                            w = ww * w2[i2, n2]
                            if w == 0.0:
                                continue
                            dx = R0 + o0[i0, n0]
                            dy = R1 + o1[i1, n1]
                            dz = R2 + o2[i2, n2]
                            r2 = dx * dx + dy * dy + dz * dz
                            pr = px * dx + py * dy + pz * dz
                            if r2 < rc2:
                                x = 2.0 * r2 * inv_T - 1.0
                                gl = _cheb_eval(c0, x)
                                if dip != 0.0:
                                    gl += 2.0 * _cheb_eval(c1, x) + 4.0 * pr * pr * _cheb_eval(c2, x)
                                g = -1.5 * gl
                            else:
                                g = _g_full(dx, dy, dz, px, py, pz, dip)[0]
                            acc += w * g
                out[i0, i1, i2] = acc
    return out


@loop
def _mirror_rows(out, rows):
    """out[i] for i >= rows from out[−i] (all three indices reversed, FFT order): the samples
    of an even kernel, K(−v) = K(v) (the grid's offsets are exact negatives)."""
    n0, n1, n2 = out.shape
    for i0 in nb.prange(rows, n0):
        for i1 in range(n1):
            for i2 in range(n2):
                out[i0, i1, i2] = out[n0 - i0, (n1 - i1) % n1, (n2 - i2) % n2]


def _box_gap(pa, pb):
    """Distance between the bounding boxes of two clouds (0 where they overlap)."""
    gap = np.maximum(0.0, np.maximum(pa.min(axis=1) - pb.max(axis=1), pb.min(axis=1) - pa.max(axis=1)))
    big = float(gap.max())
    return big * float(np.linalg.norm(gap / big)) if big > 0.0 else 0.0


def _separation_box(pa, pb):
    """(c_a, c_b, E, R): box centres, per-axis half-widths E of the separations about R =
    c_a − c_b (inside one cloud: E its width, R = 0; between clouds: the mean width)."""
    lo_a, hi_a = pa.min(axis=1), pa.max(axis=1)
    ca = 0.5 * (lo_a + hi_a)
    if pb is None:
        return ca, ca, hi_a - lo_a, np.zeros(3)
    lo_b, hi_b = pb.min(axis=1), pb.max(axis=1)
    cb = 0.5 * (lo_b + hi_b)
    return ca, cb, 0.5 * ((hi_a - lo_a) + (hi_b - lo_b)), ca - cb


@loop(fast=True)
def _slab_dot(Ss, ix, Kr, Mx, My, Mz):
    """Σ K̂(k) |S(k)|² over one slab: row r of Ss (modes along y, z in FFT order) holds the
    modes at FFT-order x index ix[r]; Kr is the real half spectrum (k_z index < Kr.shape[2])
    of an even kernel, K̂(k) = K̂(−k) for the rest.  Row sums in a fixed order."""
    hz = Kr.shape[2]
    rows = np.zeros(Ss.shape[0])
    for r in nb.prange(Ss.shape[0]):
        i = ix[r]
        im = (Mx - i) % Mx
        acc = 0.0
        for iy in range(My):
            iym = (My - iy) % My
            lo = Kr[i, iy]
            hi = Kr[im, iym]
            srow = Ss[r, iy]
            for iz in range(hz):
                v = srow[iz]
                acc += lo[iz] * (v.real * v.real + v.imag * v.imag)
            for iz in range(hz, Mz):
                v = srow[iz]
                acc += hi[Mz - iz] * (v.real * v.real + v.imag * v.imag)
        rows[r] = acc
    return rows.sum()


#: Slabs (along x) of the long part's type-1 transform inside one cloud: each slab is its own
#: transform of the atoms (spreading repeated, grids 1/_SLABS of the size).
_SLABS = 4


def _slabs(M):
    """FFT-order index ranges [i0, i1) along one axis of M modes, _SLABS of them where M is
    large, none crossing from the k >= 0 half to the k < 0 half."""
    n = _SLABS if M >= 64 else 1
    half = (M + 1) // 2  # indices 0 … half−1 are k >= 0
    out = []
    for lo, hi in ((0, half), (half, M)):
        cuts = np.linspace(lo, hi, max(1, n // 2) + 1).round().astype(int)
        out += [(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]
    return out


def _long_part(pa, pb, p, split, eps, wa=None, wb=None):
    """Σ_(i,j) wa_i wb_j e^{i(z_i−z_j)} g_l(r_i − r_j) (self terms out) on a uniform grid
    (Eq. E2; weights None: 1).

    Inside one cloud K is even, so K̂ is real and even: it is kept as the real part of the
    half spectrum of one real FFT (rfftn, K̂(k) = K̂(−k) for the other half), and S is made
    slab by slab along x (:func:`_slabs`: strengths times e^{i s x̃} shift the slab's modes to
    the centre of a transform of Mx/_SLABS modes), each slab's |S|² summed against K̂ at
    once (:func:`_slab_dot`): ~16 bytes per mode at the peak (ker and its spectrum; a slab:
    K̂ 4, S 4, finufft's grid 8) instead of 48.  The kernel samples of one half in x are
    mirrored (K(−v) = K(v) exactly on the grid)."""
    import scipy.fft as sfft
    same = pb is None
    ca, cb, E, R = _separation_box(pa, pb)
    delta = 2.0 * split.a
    M, P = _long_modes(E, split.a, split.q_max)
    h, dq = P / M, 2.0 * math.pi / P
    modes = tuple(int(m) for m in M)

    def coords(pos, c):
        return tuple(np.ascontiguousarray((pos[d] - c[d]) * dq[d]) for d in range(3))

    def strengths(pos, w):
        st = np.exp(1j * pos[2])
        if w is not None:
            st *= w
        return st

    def kernel_samples():
        tabs = [_window_table(int(M[d]), h[d], P[d], E[d], delta) for d in range(3)]
        px, py, pz, dip = (0.0, 0.0, 0.0, 0.0) if p is None else (float(p[0]), float(p[1]), float(p[2]), 1.0)
        ker = np.empty(modes)
        rows = modes[0] // 2 + 1 if same else modes[0]  # inside one cloud K is even: mirror
        _kernel_samples(tabs[0][0], tabs[0][1], tabs[1][0], tabs[1][1], tabs[2][0], tabs[2][1],
                        float(R[0]), float(R[1]), float(R[2]), px, py, pz, dip, split.r_c,
                        split.c0, split.c1, split.c2, ker, rows)
        if rows < modes[0]:
            _mirror_rows(ker, rows)
        return ker

    inv = 1.0 / float(np.prod(M))
    if not same:
        def S(pos, c, w):
            x, y, z = coords(pos, c)
            return _finufft.nufft3d1(x, y, z, strengths(pos, w), modes, eps=eps, isign=1,
                                     upsampfac=1.25, modeord=1, nthreads=_nthreads())

        Sa = S(pa, ca, wa)
        Sb = S(pb, cb, wb)
        np.conjugate(Sb, out=Sb)
        np.multiply(Sa, Sb, out=Sa)
        del Sb
        ker = kernel_samples()
        Kh = sfft.fftn(ker, workers=_nthreads())  # K̂(q_k) / h³
        del ker
        return complex(np.dot(Kh.ravel(), Sa.ravel()) * inv)
    ker = kernel_samples()
    K0 = float(ker[0, 0, 0])  # Σ_k K̂_k / M³ = K(0): the self terms (Σ wa_i²)
    Kh = sfft.rfftn(ker, workers=_nthreads())  # K̂(q_k) / h³ for k_z >= 0
    del ker
    Kr = np.ascontiguousarray(Kh.real)
    del Kh
    Mx, My, Mz = modes
    x, y, z = coords(pa, ca)
    st = strengths(pa, wa)
    total = 0.0
    for i0, i1 in _slabs(Mx):
        k0 = i0 if i0 < (Mx + 1) // 2 else i0 - Mx  # the slab's k_x: k0 … k0 + ms − 1
        ms = i1 - i0
        shift = k0 + ms // 2  # the transform's modes −⌊ms/2⌋ … are k_x − shift
        Ss = _finufft.nufft3d1(x, y, z, st * np.exp(1j * shift * x), (ms, My, Mz), eps=eps,
                               isign=1, upsampfac=1.25, modeord=1, nthreads=_nthreads())
        # row r of the transform (FFT order over ms modes) holds k_x = fftfreq(ms)·ms + shift
        ix = (np.fft.fftfreq(ms, 1.0 / ms).astype(np.int64) + shift) % Mx
        total += _slab_dot(Ss, ix, Kr, Mx, My, Mz)
        del Ss
    self_w = float(pa.shape[1]) if wa is None else float(wa @ wa)
    return complex(total * inv - self_w * K0)


# cell list ------------------------------------------------------------------------------


_NCH = 64


@kernel(fast=True)
def _cheb_eval(c, x):
    """Clenshaw sum Σ c_k T_k(x)."""
    b1 = 0.0
    b2 = 0.0
    x2 = 2.0 * x
    for k in range(c.shape[0] - 1, 0, -1):
        b1, b2 = c[k] + x2 * b1 - b2, b1
    return c[0] + x * b1 - b2


@kernel(fast=True)
def _g_full(dx, dy, dz, px, py, pz, dip):
    """(g, s = (p̂·r̂)², r²) at separation d, units of Γ (dip = 0: no dipole factor)."""
    r2 = dx * dx + dy * dy + dz * dz
    r = math.sqrt(r2)
    inv_r = 1.0 / r
    pr = px * dx + py * dy + pz * dz
    s = pr * pr / r2
    sx, cx = sincos(r)
    g = 1.5 * (-(1.0 - s) * cx * inv_r + (dip - 3.0 * s) * (sx + cx * inv_r) * inv_r * inv_r)
    return g, s, r2


@kernel(fast=True)
def _g_r2(r2, pr, dip):
    """g at a separation of squared length r2 with p̂·r = pr (units of Γ; dip = 0: no dipole factor)."""
    r = math.sqrt(r2)
    inv_r = 1.0 / r
    s = pr * pr / r2
    sx, cx = sincos(r)
    return 1.5 * (-(1.0 - s) * cx * inv_r + (dip - 3.0 * s) * (sx + cx * inv_r) * inv_r * inv_r)


#: Degree of the polynomial pieces of the short part's screening functions (8 coefficients).
_DEG = 7
_STRIDE = 2 * (_DEG + 1)  # coefficients per piece: P_U, P_V
_BUF = 2048  # pairs of one atom compacted before their vectorised evaluation
_RUN = 256  # candidates per vectorised distance pass


def _short_table(a, r_c, dip):
    """(table, pieces): g_s on [0, r_c] as r⁻³ times two piecewise polynomials.

    With h(r) = e^{ir} erfc(r/a + ia/2) (so that G_s = Re h / r) and q(r) = (2/(a√π))
    e^{a²/4 − r²/a²}: φ = Re h, φ' = −χ with χ = Im h + q, and φ'' = −φ + r ϖ with
    ϖ = 2q/a².  Then the dipole kernel of §2 applied to G_s = φ/r is

        g_s = −(3/2) (P_U + s P_V) / r³,   s = (p̂·r̂)²,
        P_U = r²φ − d (rχ + φ),   P_V = −r²φ + r³ϖ + 3(rχ + φ)

    (d = 1; without the dipole factor d = 0 and s = 0, g_s = −(3/2) φ/r), both entire: no
    sine, cosine or series per pair, and P_U(0) = −d gives g's 1/r³ near field exactly.
    [0, r_c] is cut into ``pieces`` equal parts, each with the degree-``_DEG`` interpolants
    of P_U, P_V at its Chebyshev points (monomials in v ∈ [−1, 1]); ``pieces`` doubles from
    8 until they match to 4e-15 of the largest |P| on a 4× finer grid, or stop improving
    (SciPy's erfc floor, ~5e-15 at a = 4).  ``table`` (flat, ``_STRIDE`` per piece) holds the
    coefficients of P_U, then P_V, in increasing degree."""
    from scipy.special import erfc

    def funcs(r):
        h = np.exp(1j * r) * erfc(r / a + 0.5j * a)
        q = (2.0 / (a * math.sqrt(math.pi))) * np.exp(a * a / 4.0 - (r / a) ** 2)
        phi, chi, w = h.real, h.imag + q, 2.0 * q / (a * a)
        return np.stack([r * r * phi - dip * (r * chi + phi),
                         -r * r * phi + r**3 * w + 3.0 * (r * chi + phi)], axis=1)  # (len(r), 2)

    k = np.arange(_DEG + 1)
    v = np.cos(math.pi * (k + 0.5) / (_DEG + 1))
    V = np.vander(v, _DEG + 1, increasing=True)
    vt = np.linspace(-1.0, 1.0, 4 * (_DEG + 1) + 1)
    Vt = np.vander(vt, _DEG + 1, increasing=True)
    scale = np.abs(funcs(np.linspace(0.0, r_c, 2001))).max()
    best = None
    for n in (8, 16, 32, 64, 128, 256):
        m = np.arange(n)[:, None]
        coef = np.linalg.solve(V, funcs(((m + 0.5 * (v + 1.0)) * (r_c / n)).ravel())
                               .reshape(n, _DEG + 1, 2))  # (n, deg+1, 2)
        test = funcs(((m + 0.5 * (vt + 1.0)) * (r_c / n)).ravel()).reshape(n, -1, 2)
        err = float(np.abs(np.einsum("tq,nqf->ntf", Vt, coef) - test).max() / scale)
        table = np.ascontiguousarray(coef.transpose(0, 2, 1)).ravel()  # piece, function, degree
        if best is not None and err > 0.5 * best[2]:
            break  # at the floor of the functions themselves
        best = (table, n, err)
        if err <= 4e-15:
            break
    return best[0], best[1]


@kernel(fast=True)
def _flush(n, idx, r2c, prc, nidx, cb, sb, dip, tab, pieces, scale, rn2, short):
    """Evaluate the n compacted pairs (i, idx[k]) of one atom i (r2c: their r², prc:
    p̂·r): returns Σ (cb − i sb) g_s (Re, Im, with ``short``) and Σ (cb − i sb) g over
    the pairs with r² < rn2 (Re, Im) and their number.  The g_s loop is branch-free
    (vectorised, the polynomial pieces of :func:`_short_table`); g (a sincos each) is
    evaluated only for the near pairs, compacted first."""
    s0 = s1 = 0.0
    if short:
        for k in range(n):
            j = idx[k]
            r2 = r2c[k]
            r = math.sqrt(r2)
            inv_r = 1.0 / r
            pr = prc[k]
            s = pr * pr * (inv_r * inv_r)
            u = r * scale
            m = min(int(u), pieces - 1)
            v = 2.0 * (u - m) - 1.0
            b = m * _STRIDE
            fu = tab[b + _DEG]
            fv = tab[b + 2 * _DEG + 1]
            for q in range(_DEG - 1, -1, -1):
                fu = fu * v + tab[b + q]
                fv = fv * v + tab[b + _DEG + 1 + q]
            gs = -1.5 * (fu + s * fv) * (inv_r * inv_r * inv_r)
            s0 += cb[j] * gs
            s1 += sb[j] * gs
        nn = 0
        for k in range(n):  # branch-free compaction of the near pairs
            nidx[nn] = k
            nn += 1 if r2c[k] < rn2 else 0
    else:
        nn = n
        for k in range(n):
            nidx[k] = k
    s2 = s3 = 0.0
    for kk in range(nn):
        k = nidx[kk]
        j = idx[k]
        g = _g_r2(r2c[k], prc[k], dip)
        s2 += cb[j] * g
        s3 += sb[j] * g
    return s0, s1, s2, s3, nn


@loop(fast=True)
def _short_sum(xa, ya, za, ca, sa, cell_a, xb, yb, zb, cb, sb, starts, dims, cols,
               same, rcut2, rn2, px, py, pz, dip, tab, pieces, scale, short):
    """Σ over pairs with r² < rcut2 of e^{i(z_i−z_j)} g_s and over r² < rn2 of e^{i(z_i−z_j)} g.

    b's atoms are sorted by cell (``starts``: CSR offsets over the dims[0]·dims[1]·dims[2]
    cells, z fastest), ``cell_a`` holds the (ix, iy, iz) cell of each atom of a in b's grid,
    ``cols`` the stencil: rows (ox, oy, oz) of the columns of cells, from iz − oz to iz + oz,
    that can hold a partner of an atom in cell (ix, iy, iz) (cells smaller than the cut, so
    the stencil is nearly a ball).  ``same``: a is b (pairs j > i only, conjugates added by
    the caller); ``short`` False: the near sum alone (rcut2 = rn2, g_s not evaluated).  Per
    atom i: the squared distances (and p̂·r, from the differences, exact for close pairs) of
    each run of candidates in one vectorised pass, the indices of those within the cut
    compacted without a branch, then :func:`_flush`.  ca, sa, cb, sb: the (weighted) phases
    cos z, sin z.  Fixed chunks over a: the
    result does not depend on the thread count.  Returns (_NCH, 5): Re, Im of the g_s sum,
    Re, Im of the near g sum and the number of near pairs.
    """
    n = xa.shape[0]
    out = np.zeros((_NCH, 5))
    nx, ny, nz = dims[0], dims[1], dims[2]
    ncol = cols.shape[0]
    for ch in nb.prange(_NCH):
        idx = np.empty(_BUF, dtype=np.int64)
        nidx = np.empty(_BUF, dtype=np.int64)
        r2c = np.empty(_BUF)
        prc = np.empty(_BUF)
        d2 = np.empty(_RUN)
        dp = np.empty(_RUN)
        lo = ch * n // _NCH
        hi = (ch + 1) * n // _NCH
        t0 = t1 = t2 = t3 = t4 = 0.0
        for i in range(lo, hi):
            ix, iy, iz = cell_a[0, i], cell_a[1, i], cell_a[2, i]
            xi, yi, zi = xa[i], ya[i], za[i]
            a0 = a1 = a2 = a3 = 0.0
            cnt = 0
            nbuf = 0
            for c in range(ncol):
                jx = ix + cols[c, 0]
                jy = iy + cols[c, 1]
                if jx < 0 or jx >= nx or jy < 0 or jy >= ny:
                    continue
                zlo = max(iz - cols[c, 2], 0)
                zhi = min(iz + cols[c, 2], nz - 1)
                if zlo > zhi:
                    continue
                row = (jx * ny + jy) * nz
                j0 = starts[row + zlo]
                j1 = starts[row + zhi + 1]
                if same:
                    j0 = max(j0, i + 1)
                while j0 < j1:
                    if nbuf > _BUF - _RUN:
                        s0, s1, s2, s3, nn = _flush(nbuf, idx, r2c, prc, nidx, cb, sb, dip,
                                                    tab, pieces, scale, rn2, short)
                        a0 += s0
                        a1 += s1
                        a2 += s2
                        a3 += s3
                        cnt += nn
                        nbuf = 0
                    m = min(j1 - j0, _RUN)
                    xs, ys, zs = xb[j0:j0 + m], yb[j0:j0 + m], zb[j0:j0 + m]
                    for k in range(m):
                        dx = xi - xs[k]
                        dy = yi - ys[k]
                        dz = zi - zs[k]
                        d2[k] = dx * dx + dy * dy + dz * dz
                        dp[k] = px * dx + py * dy + pz * dz
                    for k in range(m):
                        idx[nbuf] = j0 + k
                        r2c[nbuf] = d2[k]
                        prc[nbuf] = dp[k]
                        nbuf += 1 if d2[k] < rcut2 else 0
                    j0 += m
            if nbuf > 0:
                s0, s1, s2, s3, nn = _flush(nbuf, idx, r2c, prc, nidx, cb, sb, dip,
                                            tab, pieces, scale, rn2, short)
                a0 += s0
                a1 += s1
                a2 += s2
                a3 += s3
                cnt += nn
            # e^{iz_i} Σ_j e^{−iz_j} (·)
            t0 += ca[i] * a0 + sa[i] * a1
            t1 += sa[i] * a0 - ca[i] * a1
            t2 += ca[i] * a2 + sa[i] * a3
            t3 += sa[i] * a2 - ca[i] * a3
            t4 += cnt
        out[ch, 0] = t0
        out[ch, 1] = t1
        out[ch, 2] = t2
        out[ch, 3] = t3
        out[ch, 4] = t4
    return out


@loop(fast=True)
def _direct_sum(xa, ya, za, ca, sa, xb, yb, zb, cb, sb, same, px, py, pz, dip, rn2, with_gamma):
    """Every pair (i in a, j in b; j ≠ i when ``same``) of (ca_i + i sa_i)(cb_j − i sb_j)
    times g, times g where r² < rn2, and with ``with_gamma`` times γ (series near 0, not
    vectorised); fixed chunks over a.  Returns (_NCH, 7): Re, Im of the g sum, of the near
    g sum, the near count, Re, Im of the γ sum."""
    n = xa.shape[0]
    m = xb.shape[0]
    out = np.zeros((_NCH, 7))
    for ch in nb.prange(_NCH):
        lo = ch * n // _NCH
        hi = (ch + 1) * n // _NCH
        acc = np.zeros(7)
        for i in range(lo, hi):
            g0 = g1 = n0 = n1 = cnt = y0 = y1 = 0.0
            if with_gamma:
                for j in range(m):
                    if same and j == i:
                        continue
                    dx = xa[i] - xb[j]
                    dy = ya[i] - yb[j]
                    dz = za[i] - zb[j]
                    r2 = dx * dx + dy * dy + dz * dz
                    r = math.sqrt(r2)
                    ra, rb, rc, rd = radial(r)
                    if dip != 0.0:
                        pr = px * dx + py * dy + pz * dz
                        gam, gg = combine(ra, rb, rc, rd, pr * pr / r2)
                    else:
                        gam, gg = 1.5 * ra, -1.5 * rc
                    g0 += cb[j] * gg
                    g1 += sb[j] * gg
                    y0 += cb[j] * gam
                    y1 += sb[j] * gam
                    if r2 < rn2:
                        n0 += cb[j] * gg
                        n1 += sb[j] * gg
                        cnt += 1.0
            else:
                for j in range(m):
                    g, _, r2 = _g_full(xa[i] - xb[j], ya[i] - yb[j], za[i] - zb[j],
                                       px, py, pz, dip)
                    ok = (j != i) or not same
                    g = g if ok else 0.0
                    near = 1.0 if (r2 < rn2) and ok else 0.0
                    g0 += cb[j] * g
                    g1 += sb[j] * g
                    n0 += near * cb[j] * g
                    n1 += near * sb[j] * g
                    cnt += near
            # (ca + i sa) Σ_j (cb − i sb) X
            acc[0] += ca[i] * g0 + sa[i] * g1
            acc[1] += sa[i] * g0 - ca[i] * g1
            acc[2] += ca[i] * n0 + sa[i] * n1
            acc[3] += sa[i] * n0 - ca[i] * n1
            acc[4] += cnt
            acc[5] += ca[i] * y0 + sa[i] * y1
            acc[6] += sa[i] * y0 - ca[i] * y1
        out[ch] = acc
    return out


def _direct(pa, wa, pb, wb, p, r_near, with_gamma=False):
    """(S_γ, S_g, S_near, n_near) of every pair (ordered pairs i ≠ j of a where pb is None)
    with weights (None: 1), O(N_a N_b): the outliers of the Ewald box, and the engine without
    finufft when weights are given (S_γ 0j unless ``with_gamma``)."""
    same = pb is None
    pbb = pa if same else pb
    wbb = wa if same else wb

    def phases(pos, w):
        c, s_ = np.cos(pos[2]), np.sin(pos[2])
        if w is not None:
            c *= w
            s_ *= w
        return c, s_

    ca, sa = phases(pa, wa)
    cb, sb = (ca, sa) if same else phases(pbb, wbb)
    px, py, pz, dip = (0.0, 0.0, 0.0, 0.0) if p is None else (float(p[0]), float(p[1]), float(p[2]), 1.0)
    o = _direct_sum(pa[0], pa[1], pa[2], ca, sa, pbb[0], pbb[1], pbb[2], cb, sb, same,
                    px, py, pz, dip, float(r_near) ** 2, bool(with_gamma)).sum(axis=0)
    gam = complex(o[5], o[6]) if with_gamma else 0j
    return gam, complex(o[0], o[1]), complex(o[2], o[3]), int(round(o[4]))


def _grid(pos, h, lo, dims):
    idx = np.floor((pos - lo[:, None]) / h).astype(np.int64)
    np.clip(idx, 0, (dims - 1)[:, None], out=idx)
    return idx


#: Most cells per cut length of the short part's cell list, and the atoms a cell should
#: hold (N = 10⁵ … 10⁶ at k_L L = 10: 4–6 cells per r_c were 1.2–1.4× faster than 1–2 and
#: flat beyond; CPU time, one process).
_CELLS_PER_CUT = 6
_CELL_ATOMS = 8.0


def _stencil(h, cut):
    """Columns (ox, oy, oz) of the cells (ix + ox, iy + oy, iz − oz … iz + oz) whose nearest
    point can lie within ``cut`` of a point in cell (ix, iy, iz) (cells of side h)."""
    reach = int(math.ceil(cut / h - 1e-12))
    rows = []
    for ox in range(-reach, reach + 1):
        for oy in range(-reach, reach + 1):
            gap2 = (max(abs(ox) - 1, 0) ** 2 + max(abs(oy) - 1, 0) ** 2) * h * h
            if gap2 >= cut * cut:
                continue
            oz = 0
            while oz < reach and gap2 + (oz * h) ** 2 < cut * cut:
                oz += 1
            rows.append((ox, oy, oz))
    return np.array(rows, dtype=np.int64).reshape(-1, 3), reach


def _short_part(pa, pb, p, split, r_near, wa=None, wb=None, cells_per_cut=None):
    """(S_short, S_near, n_near) with the cell list (cells of side cut/``_CELLS_PER_CUT``
    where the density fills them, at most ~2N cells; stencil: the cells within the cut).

    ``split`` None: the near sum alone (S_short = 0).  Weights (None: 1) multiply the
    phase factors e^{±iz}."""
    same = pb is None
    pbb = pa if same else pb
    lo = pbb.min(axis=1)
    ext = pbb.max(axis=1) - lo
    short = split is not None
    cut = split.r_c if short else max(r_near, 1e-300)
    n_b = pbb.shape[1]
    if cells_per_cut is None:
        # cells of ~_CELL_ATOMS atoms (n̄ the density an atom sees): with per cells per cut
        # the stencil approaches the ball of the cut (27/(4π/3) = 6.4 candidates per pair
        # at per = 1, 3.7 at 2, 2.3 at 4, 1.9 at 5; ball-shaped stencil, `_stencil`)
        dens = _mean_density(pbb)
        per = int(min(_CELLS_PER_CUT, max(1.0, cut * (dens / _CELL_ATOMS) ** (1.0 / 3.0))))
    else:
        per = int(cells_per_cut)
    h = cut / per
    while np.prod(np.floor(ext / h) + 1) > 2 * n_b + 64:
        h *= 1.25
    cols, reach = _stencil(h, cut)
    dims = (np.floor(ext / h) + 1).astype(np.int64)
    cell_b = _grid(pbb, h, lo, dims)
    lin = (cell_b[0] * dims[1] + cell_b[1]) * dims[2] + cell_b[2]
    order = np.argsort(lin, kind="stable")
    starts = np.searchsorted(lin[order], np.arange(int(np.prod(dims)) + 1)).astype(np.int64)
    del lin
    xb, yb, zb = (np.ascontiguousarray(pbb[d, order]) for d in range(3))
    cb, sb = np.cos(zb), np.sin(zb)
    wbb = wa if same else wb
    if wbb is not None:
        cb *= wbb[order]
        sb *= wbb[order]
    px, py, pz, dip = (0.0, 0.0, 0.0, 0.0) if p is None else (float(p[0]), float(p[1]), float(p[2]), 1.0)
    if same:
        xa, ya, za, ca, sa = xb, yb, zb, cb, sb
        cell_a = np.ascontiguousarray(cell_b[:, order])
    else:
        xa, ya, za = (np.ascontiguousarray(pa[d]) for d in range(3))
        ca, sa = np.cos(za), np.sin(za)
        if wa is not None:
            ca *= wa
            sa *= wa
        cell_a = np.ascontiguousarray(np.floor((pa - lo[:, None]) / h).astype(np.int64))
        # atoms of a outside b's grid: park them beyond the stencil's reach when far
        for d in range(3):
            np.clip(cell_a[d], -reach - 1, dims[d] + reach, out=cell_a[d])
    del cell_b
    if short:
        tab, pieces = _short_table(split.a, split.r_c, dip)
    else:
        tab, pieces = np.zeros(_STRIDE), 1
    out = _short_sum(xa, ya, za, ca, sa, cell_a, xb, yb, zb, cb, sb, starts, dims, cols, same,
                     cut * cut, r_near**2, px, py, pz, dip, tab, pieces, pieces / cut,
                     short).sum(axis=0)
    short = complex(out[0], out[1])
    near = complex(out[2], out[3])
    if same:
        return complex(2.0 * short.real), complex(2.0 * near.real), int(2 * out[4])
    return short, near, int(out[4])


def _cross_density(pa, pb):
    """n̄_ab = Σ_(i∈a) n_b(r_i)/N_a on a coarse grid over the overlap of the two bounding
    boxes (k_L³): the density of b's atoms seen by a's; 0 for clouds apart (no grid spans
    the separation)."""
    lo = np.maximum(pa.min(axis=1), pb.min(axis=1))
    hi = np.minimum(pa.max(axis=1), pb.max(axis=1))
    h = float(max(np.ptp(pa, axis=1).max(), np.ptp(pb, axis=1).max(), 1e-9) / 24.0)
    lo, hi = lo - h, hi + h
    if np.any(hi <= lo):
        return 0.0
    dims = (np.floor((hi - lo) / h) + 1).astype(np.int64)

    def counts(pos):
        sel = np.all((pos >= lo[:, None]) & (pos <= hi[:, None]), axis=0)
        idx = _grid(pos[:, sel], h, lo, dims)
        lin = (idx[0] * dims[1] + idx[1]) * dims[2] + idx[2]
        return np.bincount(lin, minlength=int(np.prod(dims))).astype(np.float64)

    return float(counts(pa) @ counts(pb) / pa.shape[1] / h**3)


def _mean_density(pos, h=None):
    """n̄ = Σ_i n(r_i)/N estimated on a coarse grid (k_L³)."""
    n = pos.shape[1]
    ext = np.maximum(np.ptp(pos, axis=1), 1e-9)
    if h is None:
        h = float(max(ext.max() / 24.0, 1e-9))
    dims = (np.floor(ext / h) + 1).astype(np.int64)
    idx = _grid(pos, h, pos.min(axis=1), dims)
    lin = (idx[0] * dims[1] + idx[1]) * dims[2] + idx[2]
    counts = np.bincount(lin)
    return float((counts.astype(np.float64) ** 2).sum() / n / h**3)


def g_pair_sum(a, b=None, p_hat=(1.0, 0.0, 0.0), eps: float = EPS, a_screen: float | None = None,
               tol: float = 1e-9, near_radius: float = 1.0,
               progress: Callable[[int, int], None] | None = None, *,
               wa=None, wb=None) -> tuple[complex, complex, int]:
    """S_g = Σ_(i,j) wa_i wb_j e^{ik_L·(r_i−r_j)} g(r_i − r_j) of one realisation by the Ewald split.

    Long part on a uniform grid by one type-1 NUFFT per cloud (Eq. E2), short part
    over neighbours with a cell list (module docstring).

    Parameters
    ----------
    a, b : array_like, shape (3, N) or (N, 3)
        Positions in units of 1/k_L (``b=None``: ordered pairs i ≠ j of ``a``).
    p_hat : 3-vector or None
        Dipole direction; None: no dipole factor (g = −(3/2) cos x/x).
    eps : float
        finufft tolerance.
    a_screen : float, optional
        Ewald screening width (default: balanced by :func:`ewald_parameters`).
    tol : float
        Neglected Ewald tails, relative to the near-field scale.
    near_radius : float
        Also return the sum over pairs closer than this (k_L units, <= r_c is free).
    progress : callable, optional
        ``progress(steps_done, steps)``.
    wa, wb : array_like, shape (N_a,) and (N_b,), optional
        Per-atom weights (real, finite, >= 0; default 1), e.g. probe amplitudes u_i: every
        pair carries wa_i wb_j, the near sum too (the near count does not).  Inside one
        cloud (``b=None``) the weights are wa on both sides and wb must be None.

    Returns
    -------
    (complex, complex, int)
        S_g, the same sum restricted to pairs with |r_i − r_j| < near_radius, and the
        number of those (ordered) pairs.  S_g is within tol (|S_g|/5 + 2e-5 W_a W_b) of the
        direct sum (W = Σ w, N without weights; module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.structure import g_pair_sum
    >>> from lehmberg.pairsum import fast_pair_sum
    >>> r = np.random.default_rng(2).normal(scale=2.0, size=(400, 3))
    >>> exact = fast_pair_sum(r)[1]
    >>> bool(abs(g_pair_sum(r)[0] - exact) < 1e-6 * abs(exact))
    True
    """
    p = unit_vector(p_hat, "p_hat", allow_none=True)
    pa = _soa(a, "a")
    pb = None if b is None else _soa(b, "b")
    wa, wb = _pair_weights(wa, wb, pa, pb)
    near_radius = float(near_radius)
    if not (math.isfinite(near_radius) and near_radius >= 0.0):
        raise ValueError(f"near_radius must be finite and >= 0, got {near_radius!r}")
    if _finufft is None:
        if wa is not None or wb is not None:
            return _direct(pa, wa, pb, wb, p, near_radius)[1:]
        from .pairsum import fast_pair_sum
        near, n_near = near_pair_sum(pa, pb, p, near_radius) if near_radius > 0.0 else (0j, 0)
        return complex(fast_pair_sum(pa, pb, p)[1]), near, n_near
    n_all = pa.shape[1] + (0 if pb is None else pb.shape[1])
    # short-part pairs: n_all n̄ (4π/3) r_c³ ordered pairs (n̄ of b's atoms near a's between clouds)
    dens = _mean_density(pa) if pb is None else _cross_density(pa, pb)
    ia, oa, wia, woa = _trim(pa, wa)
    ib, ob, wib, wob = (None, None, None, None) if pb is None else _trim(pb, wb)
    E = _separation_box(ia, ib)[2]
    a_s, r_c, q_max = ewald_parameters(n_all, dens, float(E.max()), a_screen, tol,
                                       clouds=1 if pb is None else 2)
    split = _split(a_s, max(r_c, near_radius), q_max)
    long = _long_part(ia, ib, p, split, max(eps, _LONG_EPS), wia, wib)
    if progress is not None:
        progress(1, 2)
    if pb is None or _box_gap(ia, ib) < max(split.r_c, near_radius):
        short, near, n_near = _short_part(ia, ib, p, split, near_radius, wia, wib)
    else:  # no pair of the two boxes is within r_c: no short part, no near pairs
        short, near, n_near = 0j, 0j, 0
    total = complex(long) + short
    # the outliers (beyond the trimmed box) against everything, by the direct sum
    pieces = []
    if pb is None:
        if oa is not None:
            pieces = [(oa, woa, ia, wia, 2), (oa, woa, None, None, 1)]
    else:
        if oa is not None:
            pieces.append((oa, woa, pb, wb, 1))
        if ob is not None:
            pieces.append((ia, wia, ob, wob, 1))
    for x, wx, y, wy, mult in pieces:
        _, sg, nr, nn = _direct(x, wx, y, wy, p, near_radius)
        if mult == 2:  # the (o, j) and (j, o) orders inside one cloud are conjugate
            sg, nr, nn = complex(2.0 * sg.real), complex(2.0 * nr.real), 2 * nn
        total += sg
        near += nr
        n_near += nn
    if progress is not None:
        progress(2, 2)
    return total, near, n_near


#: Atoms per tail and axis left out of the Ewald box, as a fraction of N (Gaussian: ~4σ);
#: they enter through the direct sum (cost ~2·10⁻⁴ N² pairs, ≲ 1 s at N = 10⁶).
_TRIM = 3.2e-5


def _trim(pos, w=None):
    """(inside, outside, w_inside, w_outside): the atoms inside the box that leaves out the
    ⌊_TRIM N + 1/2⌋ extreme atoms of each tail on every axis, the rest (None if none), and
    their weights (None where ``w`` is None)."""
    n = pos.shape[1]
    k = int(_TRIM * n + 0.5)
    if k == 0 or n < 4 * k + 8:
        return pos, None, w, None
    keep = np.ones(n, dtype=bool)
    for d in range(3):
        x = pos[d]
        part = np.partition(x, (k, n - 1 - k))
        keep &= (x >= part[k]) & (x <= part[n - 1 - k])
    if keep.all():
        return pos, None, w, None
    wi, wo = (None, None) if w is None else (np.ascontiguousarray(w[keep]), np.ascontiguousarray(w[~keep]))
    return np.ascontiguousarray(pos[:, keep]), np.ascontiguousarray(pos[:, ~keep]), wi, wo


def near_pair_sum(a, b=None, p_hat=(1.0, 0.0, 0.0), radius: float = 1.0, *,
                  wa=None, wb=None) -> tuple[complex, int]:
    """Σ over pairs closer than ``radius`` of wa_i wb_j e^{ik_L·(r_i−r_j)} g(r_i − r_j), and their number.

    A cell list (cells of side >= radius): O(N + near pairs).  Positions as in
    :func:`g_pair_sum`; ordered pairs i ≠ j inside one cloud (``b=None``); weights
    ``wa``, ``wb`` as there (default 1; the count does not carry them).

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.structure import near_pair_sum
    >>> from lehmberg.kernels import g
    >>> r = np.array([[0.0, 0.0, 0.0], [0.3, 0.0, 0.0], [5.0, 0.0, 0.0], [0.0, 9.0, 0.0]])
    >>> s, n = near_pair_sum(r, radius=1.0)
    >>> n, bool(abs(s - 2 * g([0.3, 0.0, 0.0])) < 1e-12)
    (2, True)
    >>> s, n = near_pair_sum(r, radius=1.0, wa=[2.0, 0.5, 1.0, 1.0])  # the pair carries 2 · 0.5
    >>> n, bool(abs(s - 2 * g([0.3, 0.0, 0.0])) < 1e-12)
    (2, True)
    """
    p = unit_vector(p_hat, "p_hat", allow_none=True)
    radius = float(radius)
    if not (math.isfinite(radius) and radius > 0.0):
        raise ValueError(f"radius must be finite and > 0, got {radius!r}")
    pa = _soa(a, "a")
    pb = None if b is None else _soa(b, "b")
    wa, wb = _pair_weights(wa, wb, pa, pb)
    _, near, n = _short_part(pa, pb, p, None, radius, wa, wb)
    return near, n


# ----------------------------------------------------------------------------- cost and memory

_BASE_BYTES = 256 * 2**20  # interpreter, NumPy, Numba, SciPy, finufft (measured RSS ~200 MB)


def _request_extent(shape, kL, n):
    """(per-axis half-width, radius) a cloud of ``n`` atoms will span, before drawing it:
    the 1 − 1e-3 quantile of the largest of n draws (Gaussian), the half side (cube)."""
    from scipy.stats import chi, norm
    if shape == "gaussian":
        sigma = kL / math.sqrt(2.0)
        return sigma * float(norm.isf(0.5e-3 / n)), sigma * float(chi(3).isf(1e-3 / n))
    return 0.5 * kL, 0.5 * math.sqrt(3.0) * kL


def _gamma_rule_plan(shape, kL, kR, atoms):
    """(n_theta, n_phi) of a Γ̄ request's direction rule, from its inputs alone: an upper
    bound of what :func:`_rule` picks for the drawn clouds (ρ the 1 − 1e-3 quantile of the
    largest distance from the centre, plus √3/2 for the integer centres between clouds;
    between clouds L = L_f, the largest it can be, whatever the separation)."""
    _, rho = _request_extent(shape, kL, atoms)
    if kR is None:
        n_theta, n_phi, _ = _degrees(rho, rho, rho, rho, 0.0)
        return n_theta, n_phi
    rho += 0.5 * math.sqrt(3.0)
    n_theta, n_phi, _ = _degrees(rho, rho, rho, rho, math.inf)
    return n_theta, n_phi


def _structure_plan(shape, kL, kR, atoms, eps=EPS, grid_budget=_GRID_BUDGET):
    """(grid bytes per transform, grid points in all, transforms, nodes, n_theta, spreading
    width, upsampling, blocks per axis) of a Γ̄ request.  Nothing here depends on k_L R: the rule about the clouds' own centres has the
    same size at every separation."""
    X, _ = _request_extent(shape, kL, atoms)
    n_theta, n_phi = _gamma_rule_plan(shape, kL, kR, atoms)
    S = np.ones(3)
    ups, e, k = _transform_plan(np.full(3, X), S, eps, grid_budget, n_theta * n_phi, atoms)
    per = _grid_bytes(np.full(3, X / k), S, e, ups)
    clouds = 1 if kR is None else 2
    return per, clouds * k**3 * per / 16.0, clouds * k**3, n_theta * n_phi, n_theta, _w(e, ups), ups, k


def _g_plan(shape, kL, kR, atoms, tol=G_TOL):
    """(a, r_c, q_max, modes, short-part pairs) of a Ḡ request, from its inputs alone."""
    from scipy.stats import norm
    X, _ = _request_extent(shape, kL, atoms)
    n_all = atoms * (1 if kR is None else 2)
    if shape == "gaussian":
        sigma = kL / math.sqrt(2.0)
        if int(_TRIM * atoms + 0.5) > 0:  # the Ewald box leaves the outliers out (_trim)
            X = min(X, sigma * float(norm.isf(_TRIM)))
        dens = atoms / ((4.0 * math.pi) ** 1.5 * sigma**3)
        if kR is not None:  # b's atoms near a's: the separation law at R, exp(−R²/2L²)
            dens *= math.exp(-min(float(kR) ** 2 / (2.0 * kL * kL), 745.0))
    else:
        dens = atoms / kL**3
        if kR is not None:  # overlap of two cubes R apart, at most 1 − R/(√3 L)
            dens *= max(0.0, 1.0 - float(kR) / (math.sqrt(3.0) * kL))
    a, r_c, q_max = ewald_parameters(n_all, dens, 2.0 * X, tol=tol, clouds=1 if kR is None else 2)
    M, _ = _long_modes(np.full(3, 2.0 * X), a, q_max)
    pairs = n_all * dens * (4.0 * math.pi / 3.0) * r_c**3
    return a, r_c, q_max, float(np.prod(M.astype(np.float64))), pairs


#: Fast pair kernel, seconds per N² at 2.2·10⁸ pairs/s (quiet 2-core machine): inside one
#: cloud N(N−1)/2 pairs, between clouds N².
_PAIR_S_INTRA = 2.3e-9
_PAIR_S_INTER = 4.5e-9


def predicted_seconds(engine: str, kL: float, kR: float | None = None, atoms: int = 1000,
                      shape: str = "gaussian", with_g: bool = False) -> float:
    """Predicted wall time (s) of one replica's pair sums on a quiet 2-core machine: Γ̄
    (S_γ), and Ḡ (S_g) always for "pairs" and with ``with_g`` for "structure".

    What it predicts: the seconds of ``pairsum.fast_pair_sum`` (engine "pairs") or of
    :func:`gamma_pair_sum` (+ :func:`g_pair_sum` with ``with_g``) on the clouds such a
    request draws, from the request alone (the drawing itself, the near-pair sums and the
    interpreter start are not included).  It does not depend on k_L R beyond the overlap of
    the clouds (Ḡ's short part): the direction rule about the clouds' own centres and the
    Ewald grid have the same size at every separation.  Models, fitted to
    ``benchmarks/structure.py`` and ``benchmarks/structure_memory.py``
    (``benchmarks/README.md``):

    - fast pair kernel: 2.2·10⁸ pairs per s (quiet machine), i.e. 2.3e-9 s × N² inside one
      cloud (N(N−1)/2 pairs) and 4.5e-9 s × N² between clouds (N² pairs);
    - structure factors: 0.05 s + 0.1 s per cloud + 1.1e-6 s (w/11)³ per atom and cloud
      (w the spreading width: 11 at upsampling 2, 16 at 1.25; refitted:
      the earlier 3.5e-6 predicted 4× the measured time at N = 10⁷) + 8e-9 s per finufft
      grid point (spreading and inner grids, all blocks; 6e-8 before, 5–7× the measured
      time at k_L L = 30 and 100) + 1e-6 s per node and transform
      (the nodes: the rule of :func:`_gamma_rule_plan`, an upper bound of the drawn one)
      + 3e-8 s × n_θ² for the Gauss–Legendre nodes beyond n_θ = 100;
    - its Ḡ (Ewald split): 3.3e-9 s per ordered pair within r_c (the piecewise-polynomial
      short part; 1.1e-8 before) + 2.2e-7 s per grid mode (:func:`ewald_parameters`) +
      1.3e-6 s per atom and transform (the long part's type-1 spreading: ``_SLABS`` = 4
      transforms inside one cloud, one per cloud between clouds, all there is between
      clouds far apart: N = 10⁶ + 10⁶ at k_L R = 10⁵, 3.7 s).

    A loaded machine is slower (the benchmarks give measured/predicted ratios); callers
    that run on more or fewer threads scale it themselves.

    Parameters
    ----------
    engine : {"structure", "pairs"}
    kL, kR, atoms, shape
        As in ``lehmberg.clouds.cloud_rates``.
    with_g : bool
        Include Ḡ in the structure engine's time.

    Returns
    -------
    float
        Seconds (order of magnitude: the crossover is what matters).

    Examples
    --------
    >>> from lehmberg.structure import predicted_seconds
    >>> predicted_seconds("structure", 10.0, atoms=10**5) < predicted_seconds("pairs", 10.0, atoms=10**5)
    True
    """
    atoms = int(atoms)
    if engine == "pairs":
        return (_PAIR_S_INTRA if kR is None else _PAIR_S_INTER) * float(atoms) ** 2
    if engine != "structure":
        raise ValueError(f"engine must be 'structure' or 'pairs', got {engine!r}")
    _, points, transforms, M, n_theta, w, _, _ = _structure_plan(shape, kL, kR, atoms)
    clouds = 1 if kR is None else 2
    t = (0.05 + 0.1 * clouds + 1.1e-6 * (w / 11.0) ** 3 * atoms * clouds + 8e-9 * points
         + 1e-6 * M * transforms)
    if n_theta > 100:  # roots_legendre is O(n²)
        t += 3e-8 * n_theta * n_theta
    if with_g:
        _, _, _, modes, pairs = _g_plan(shape, kL, kR, atoms)
        t += pairs / _SHORT_PAIRS_S + modes / _LONG_MODES_S + 1.3e-6 * atoms * clouds * (_SLABS if kR is None else 1)
    return t


def estimate_memory(atoms: int, kL: float, kR: float | None = None, shape: str = "gaussian",
                    engine: str = "structure", with_g: bool = False,
                    grid_budget: float = _GRID_BUDGET) -> int:
    """Peak memory (bytes) of one realised-cloud request, from its inputs alone.

    What it bounds: the peak resident memory of a process that draws the clouds of a
    replica and runs the engine on them (``pairsum.fast_pair_sum``, or :func:`gamma_pair_sum`
    and with ``with_g`` :func:`g_pair_sum`), interpreter and libraries included;
    ``benchmarks/structure_memory.py`` checks it against the measured peak (``ru_maxrss``)
    for N = 10³ … 10⁷ at separations 0 … 10⁵.  Nothing in it grows with k_L R (the direction
    rule and the Ewald grid do not).  Replicas run one after another, so the peak does not
    grow with their number::

        bytes = 256 MiB (interpreter and libraries)
              + 120 N            (both clouds drawn as (N, 3) arrays, with the draw's temporaries)
              + 24 N c           (SoA copies of the c clouds used, c = 1 inside one cloud, 2 between)
              + structure:  88 N + 1.3 G + 256 M  (finufft per atom, its grids G <= grid_budget
                                                   and finufft's own arrays, M nodes)
                pairs:      16 N c            (cos, sin of the probe phase)
              + with_g:     128 N c           (cell list: sorted copies, cells)
                            + 20 M³           (structure: the Ewald long part's grid, M modes per axis;
                                               72 M³ between clouds)

    Parameters
    ----------
    atoms : int
        Atoms per cloud N.
    kL, kR, shape
        Geometry as in ``lehmberg.clouds.cloud_rates`` (the extent sets the grids and nodes).
    engine : {"structure", "pairs"}
    with_g : bool
        Whether Ḡ's near-pair sums are computed.
    grid_budget : float
        finufft grid bytes per transform.

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> from lehmberg.structure import estimate_memory
    >>> 2**30 < estimate_memory(10**7, 10.0) < 8 * 2**30
    True
    """
    N = int(atoms)
    c = 1 if kR is None else 2
    total = _BASE_BYTES + 120 * N + 24 * N * c
    if engine == "structure":
        per, _, _, M, _, _, ups, k = _structure_plan(shape, kL, kR, N, grid_budget=grid_budget)
        if ups != 2.0 or k > 1:  # the drawn (narrower) clouds may take another upsampling
            per = max(per, float(grid_budget))  # or blocking: their grids stay <= the budget
        total += _ATOM_BYTES * N + int(_GRID_MARGIN * per) + _NODE_BYTES * M
    else:
        total += 16 * N * c
    if with_g:
        total += 128 * N * c
        if engine == "structure":
            total += (_LONG_BYTES if kR is None else _LONG_BYTES_2) * _g_plan(shape, kL, kR, N)[3]
    return int(total)


def available_memory() -> int:
    """Memory the machine can give now (bytes): MemAvailable of /proc/meminfo, else
    the available physical pages (``os.sysconf``)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - exotic platforms
        return 2**63 - 1


def check_memory(nbytes: float, limit: float | None = None) -> None:
    """Raise ValueError if ``nbytes`` exceed ``limit`` (default 80% of the available memory).

    Called before anything is allocated; the message names the limit and the machine's
    available memory.

    Examples
    --------
    >>> from lehmberg.structure import check_memory
    >>> check_memory(1e6)
    >>> try:
    ...     check_memory(2e9, limit=1e9)
    ... except ValueError as e:
    ...     print(str(e).split(";")[0])
    the request needs 1.9 GiB of memory, beyond the limit of 0.93 GiB
    """
    avail = available_memory()
    lim = 0.8 * avail if limit is None else float(limit)
    if nbytes > lim:
        raise ValueError(f"the request needs {nbytes / 2**30:.2g} GiB of memory, beyond the limit of "
                         f"{lim / 2**30:.2g} GiB; this machine has {avail / 2**30:.3g} GiB available "
                         "(fewer atoms, or a larger limit where more memory is free)")
