"""Monte-Carlo position averages of the Lehmberg kernels (SPEC §3, §4).

For atoms i in cloud a and j in cloud b, with r = r_i − r_j and k_L = ẑ (lengths
in units of 1/k_L)::

    Γ̄_ab = E[e^{ik_L·r} γ(r)],   Ḡ_ab = E[e^{ik_L·r} g(r)]
    Γ_ij = Re⟨J_ij⟩ = Re Γ̄ − Im Ḡ,   G_ij = Im⟨J_ij⟩ = Im Γ̄ + Re Ḡ

Estimator: independent pairs
----------------------------
Every sample draws r_i and r_j afresh.  The naive sample e^{ik_L·r} g(r) is not
even absolutely integrable (g ~ (1−3c²)/x³ near r = 0), so each sample is
symmetrised over the 24 orthogonal maps P of the pyritohedral group T_h (cyclic
permutations of the axes times all sign flips), for which the average of
(p̂·P r̂)² is 1/3 for every p̂ and the 1/x³ and 1/x² parts cancel::

    F̂(r) = (1 − w(r)) F(r) + w(r) (1/24) Σ_P F(P r) ρ(P r)/ρ(r)

ρ is the density of r, F(r) = e^{ik_L·r} J(r) and w a smooth radial cut-off
(w ≡ 1 when ρ is itself T_h-symmetric, as inside one cloud, so every image has
weight 1).  Each term is unbiased because P is orthogonal and w radial; between
clouds the cut-off radius keeps the weights ρ(Pr)/ρ(r) below e².  The leftover
near field is O(1/x), so F̂ has finite variance.

Standard errors come from the means of independent batches.  Batch b of stream
s is drawn from ``make_rng(seed, s, b)`` and summed in a fixed number of chunks,
so for a given seed the numbers do not depend on the number of threads.

Independent pairs of any geometry (SPEC §9)
-------------------------------------------
:func:`pair_rates` takes every :class:`lehmberg.Geometry`: Gaussian clouds of any covariance,
boxes and cylinders of any orientation and centre, any probe k̂, a complex dipole and probe
waists.  i ∈ X and j ∈ Y are drawn independently (``sampling.make_cloud``) and the separation
is turned into the probe frame (k̂ → ẑ; rates are rotation invariant).  Then::

    Γ̄_XY = E[u_i u_j e^{ik̂·r} γ(r)] / √(E_X[u²] E_Y[u²]) = √(η_X η_Y) E_w[e^{ik̂·r} γ(r)]

where E_w draws from the probe-weighted clouds u·P_X/E_X[u], Gaussians again (with a waist only
Gaussian clouds are accepted; ``lehmberg.anisotropic.weighted_cloud`` gives their covariance
and η_X = E_X[u]²/E_X[u²] in closed form, so no ratio of sampled means and no delta method
enters).  |p̂·r̂|² = (Re p̂·r̂)² + (Im p̂·r̂)² takes a complex dipole as it is.  Inside one
cloud r and −r are equally likely, so each sample is averaged with its mirror image
(cos(k̂·r) for e^{ik̂·r}: Im Γ̄ = Im Ḡ = 0 exactly).  Ḡ: the pairs closer than ``near_radius``
carry g's 1/r³ near field (infinite variance if sampled); their part is the exact expectation
:func:`lehmberg.near.near_expectation` of the difference law (:func:`lehmberg.near.difference_law`),
the farther pairs are sampled (bounded kernel, finite variance).  So every column of a batch
has finite variance and the batch standard errors are honest (``tests/test_general_estimators.py``:
z-scores over seeds).  Batch b draws from ``make_rng(seed, STREAMS["pairs"][pair], 1, b)``.
"""

import dataclasses
import math

import numba as nb
import numpy as np

from sampling import STREAMS, CovarianceGaussianCloud, TwoClouds, make_cloud, make_rng

from ._checks import DEFAULT_SAMPLES, MIN_BATCHES, SAMPLES_MAX, SAMPLES_MIN, unit_vector
from ._jit import function, kernel, loop
from .kernels import combine, radial
from .result import Rates, RowStats

__all__ = ["mc_rates", "estimate_pairs", "symmetrised_samples", "pair_rates", "GeneralPair",
           "general_pair", "probe_frame"]


_NCHUNKS = 64  # fixed chunking of every batch: results independent of the thread count
_SHAPE_CODE = {"gaussian": 0, "cube": 1}


@kernel
def _image(rx, ry, rz, c, s):
    """Image P r of r under element (c, s) of T_h: cyclic shift c, sign bits s."""
    if c == 0:
        ax, ay, az = rx, ry, rz
    elif c == 1:
        ax, ay, az = ry, rz, rx
    else:
        ax, ay, az = rz, rx, ry
    if s & 1:
        ax = -ax
    if s & 2:
        ay = -ay
    if s & 4:
        az = -az
    return ax, ay, az


@kernel
def _log_density(code, x, y, z, mx, my, mz, scale):
    """log of the density of r up to a constant: Gaussian (variance scale) or triangular (half-width scale)."""
    dx = x - mx
    dy = y - my
    dz = z - mz
    if code == 0:
        return -(dx * dx + dy * dy + dz * dz) / (2.0 * scale)
    tx = 1.0 - abs(dx) / scale
    ty = 1.0 - abs(dy) / scale
    tz = 1.0 - abs(dz) / scale
    if tx <= 0.0 or ty <= 0.0 or tz <= 0.0:
        return -math.inf
    return math.log(tx) + math.log(ty) + math.log(tz)


@kernel
def _kernel(a, b, c, d, x, y, z, r2, px, py, pz, nodipole):
    """(γ, g) of the separation (x, y, z) with |r|² = r2, from its radial functions.

    ``nodipole`` selects the paper's kernel without the dipole factor (App. B 2):
    γ = (3/2) sin x/x, g = −(3/2) cos x/x.
    """
    if nodipole:
        return 1.5 * a, -1.5 * c
    pr = px * x + py * y + pz * z
    return combine(a, b, c, d, pr * pr / r2)


@kernel
def _sample(rx, ry, rz, px, py, pz, code, mx, my, mz, scale, inv_a2):
    """The symmetrised estimator F̂(r): (Re Γ̄, Im Γ̄, Re Ḡ, Im Ḡ) of one sample.

    All 24 images share |r|, so the radial functions are computed once.
    """
    nodipole = px == 0.0 and py == 0.0 and pz == 0.0
    r2 = rx * rx + ry * ry + rz * rz
    ra, rb, rc, rd = radial(math.sqrt(r2))
    u = r2 * inv_a2
    w = (1.0 - u) * (1.0 - u) if u < 1.0 else 0.0
    a0 = a1 = a2 = a3 = 0.0
    if w < 1.0:
        gam, gg = _kernel(ra, rb, rc, rd, rx, ry, rz, r2, px, py, pz, nodipole)
        cz = math.cos(rz)
        sz = math.sin(rz)
        a0 = (1.0 - w) * cz * gam
        a1 = (1.0 - w) * sz * gam
        a2 = (1.0 - w) * cz * gg
        a3 = (1.0 - w) * sz * gg
    if w > 0.0:
        symmetric = inv_a2 == 0.0  # the density itself is T_h-symmetric: all weights are 1
        l0 = 0.0 if symmetric else _log_density(code, rx, ry, rz, mx, my, mz, scale)
        s0 = s1 = s2 = s3 = 0.0
        for cyc in range(3):
            # the z component of the image is rz, rx or ry (up to sign): one sincos per shift
            zc = rz if cyc == 0 else (rx if cyc == 1 else ry)
            cz = math.cos(zc)
            sz = math.sin(zc)
            for sg in range(8):
                qx, qy, qz = _image(rx, ry, rz, cyc, sg)
                wt = 1.0
                if not symmetric:
                    wt = math.exp(_log_density(code, qx, qy, qz, mx, my, mz, scale) - l0)
                    if wt == 0.0:
                        continue
                gam, gg = _kernel(ra, rb, rc, rd, qx, qy, qz, r2, px, py, pz, nodipole)
                sin_q = sz if qz == zc else -sz  # sin is odd, cos even
                s0 += wt * cz * gam
                s1 += wt * sin_q * gam
                s2 += wt * cz * gg
                s3 += wt * sin_q * gg
        k = w / 24.0
        a0 += k * s0
        a1 += k * s1
        a2 += k * s2
        a3 += k * s3
    return a0, a1, a2, a3


@kernel
def _chunk_sum(r, lo, hi, px, py, pz, code, mx, my, mz, scale, inv_a2):
    """Sum of F̂ over the rows lo..hi−1 of r."""
    s0 = s1 = s2 = s3 = 0.0
    for i in range(lo, hi):
        a0, a1, a2, a3 = _sample(r[i, 0], r[i, 1], r[i, 2], px, py, pz, code, mx, my, mz, scale,
                                 inv_a2)
        s0 += a0
        s1 += a1
        s2 += a2
        s3 += a3
    return s0, s1, s2, s3


@loop
def _chunk_sums(r, px, py, pz, code, mx, my, mz, scale, inv_a2, nchunks):
    """Sums of F̂ over ``nchunks`` fixed contiguous chunks of the rows of r: shape (nchunks, 4)."""
    n = r.shape[0]
    out = np.zeros((nchunks, 4))
    for c in nb.prange(nchunks):
        out[c, 0], out[c, 1], out[c, 2], out[c, 3] = _chunk_sum(
            r, c * n // nchunks, (c + 1) * n // nchunks, px, py, pz, code, mx, my, mz, scale, inv_a2)
    return out


@function
def _chunk_sums_serial(r, px, py, pz, code, mx, my, mz, scale, inv_a2, nchunks):
    """:func:`_chunk_sums` on one thread (the same chunks, the same numbers)."""
    n = r.shape[0]
    out = np.zeros((nchunks, 4))
    for c in range(nchunks):
        out[c, 0], out[c, 1], out[c, 2], out[c, 3] = _chunk_sum(
            r, c * n // nchunks, (c + 1) * n // nchunks, px, py, pz, code, mx, my, mz, scale, inv_a2)
    return out


#: Below this many samples a batch runs on one thread (waking the threads costs more).
_SERIAL_MAX = 2**12


@loop
def _per_sample(r, px, py, pz, code, mx, my, mz, scale, inv_a2):
    n = r.shape[0]
    out = np.empty((n, 4))
    for i in nb.prange(n):
        a0, a1, a2, a3 = _sample(r[i, 0], r[i, 1], r[i, 2], px, py, pz, code, mx, my, mz, scale, inv_a2)
        out[i, 0] = a0
        out[i, 1] = a1
        out[i, 2] = a2
        out[i, 3] = a3
    return out


def _law_params(clouds, which):
    """Numba arguments describing the difference law and the symmetrisation cut-off 1/a²."""
    shape, mean, scale = clouds.difference_law(which)
    m = math.hypot(*map(float, mean))  # distance of the cloud centres
    if m == 0.0:
        inv_a2 = 0.0  # symmetric density: symmetrise everywhere with unit weights
    elif shape == "gaussian":
        a = scale / m  # weights exp((Pr − r)·m/scale) <= e²
        inv_a2 = 1.0 / (a * a)
    else:
        gap = scale - float(np.max(np.abs(mean)))
        # within |r| < a every point is >= gap/2 inside the support: weights <= 27
        # (no overlap of the supports near r = 0: no near field to cancel, no symmetrisation)
        inv_a2 = 4.0 / (gap * gap) if gap > 0 else math.inf
    return _SHAPE_CODE[shape], float(mean[0]), float(mean[1]), float(mean[2]), float(scale), inv_a2


def symmetrised_samples(r, clouds, which="intra", p_hat=(1.0, 0.0, 0.0)):
    """F̂ of each separation in ``r`` (shape (n, 3)): array (n, 4) of Re Γ̄, Im Γ̄, Re Ḡ, Im Ḡ.

    Mainly for tests and for looking at the distribution of single samples.
    """
    p = np.zeros(3) if p_hat is None else unit_vector(p_hat, "p_hat")  # 0: no dipole factor
    r = np.ascontiguousarray(r, dtype=np.float64)
    return _per_sample(r, p[0], p[1], p[2], *_law_params(clouds, which))


def default_batch_size(samples):
    """Batch size for a budget of ``samples``: at least 64 batches, at most 2**16 samples each."""
    return int(min(2**16, max(16, math.ceil(samples / 64))))


def estimate_pairs(clouds, which="intra", p_hat=(1.0, 0.0, 0.0), samples=10**6, rel_err=None,
                   seed=0, batch_size=None, progress=None):
    """Monte-Carlo Γ̄, Ḡ, Γ_ij, G_ij of one pair of clouds from independent pairs.

    Parameters
    ----------
    clouds : sampling.TwoClouds
        Geometry in units of 1/k_L (k_L = ẑ).
    which : {"intra", "inter"}
        Atom i in cloud I and j in I (``"intra"``) or in II (``"inter"``).
    p_hat : 3-vector or None
        Dipole direction; ``None`` drops the dipole factor as the paper does
        for the inter-cloud rate (kernel (3/2) sin x/x and −(3/2) cos x/x).
    samples : int
        Number of pair samples; with ``rel_err`` the cap on it.
    rel_err : float, optional
        Stop as soon as the relative standard error of Γ_ij is below this
        (judged after at least 32 batches); ``Rates.target_met`` says whether it was.
        The judgement uses the run's own error estimate: at large k_L L, where
        single samples are heavy-tailed, a short run can underestimate its error
        and stop early; prefer the plane-wave estimator there.
    seed : int
        Master seed; batch b uses ``make_rng(seed, STREAMS['pairs'][which], b)``.
    batch_size : int, optional
        Samples per batch (default :func:`default_batch_size`).
    progress : callable, optional
        Called as ``progress(samples_done, samples_cap)`` after every batch.

    Returns
    -------
    Rates
        Estimates in units of Γ with standard errors from the batch means.
    """
    samples = int(samples)
    if samples < SAMPLES_MIN:
        raise ValueError(f"samples must be >= {SAMPLES_MIN} for an honest standard error, got {samples}")
    if rel_err is not None and not (math.isfinite(rel_err) and rel_err > 0):
        raise ValueError(f"rel_err must be finite and > 0, got {rel_err!r}")
    p = np.zeros(3) if p_hat is None else unit_vector(p_hat, "p_hat")  # 0: no dipole factor
    batch = int(batch_size or default_batch_size(samples))
    nbatches = math.ceil(samples / batch)
    params = _law_params(clouds, which)
    stream = STREAMS["pairs"][which]
    means = []
    stats = RowStats()
    target_met = None
    for b in range(nbatches):
        rng = make_rng(seed, stream, b)
        r = clouds.sample_pairs(batch, rng, which)
        run = _chunk_sums_serial if batch <= _SERIAL_MAX else _chunk_sums
        sums = run(r, p[0], p[1], p[2], *params, _NCHUNKS)
        means.append(sums.sum(axis=0) / batch)
        stats.add(means[-1])
        if progress is not None:
            progress((b + 1) * batch, nbatches * batch)
        if rel_err is not None and len(means) >= MIN_BATCHES and stats.rel_err() <= rel_err:
            target_met = True
            break
    return Rates.from_rows(means, len(means) * batch, "pairs",
                           target_met=None if rel_err is None else bool(target_met))


def mc_rates(kL, kR=None, R_dir=(0.0, 0.0, 1.0), p_hat=(1.0, 0.0, 0.0), shape="gaussian",
             samples=10**6, rel_err=None, seed=0, progress=None, batch_size=None):
    """Monte-Carlo rates of the paper's geometry in units of Γ.

    ``kR=None`` gives the rates inside cloud I; otherwise those between cloud I
    and cloud II at distance k_L R along ``R_dir``.

    Examples
    --------
    >>> from lehmberg.average import mc_rates
    >>> est = mc_rates(kL=3.0, samples=200_000, seed=1)
    >>> print(f"{est.Gamma_ij:.4f} ± {est.Gamma_ij_err:.4f}")  # doctest: +SKIP
    0.0751 ± 0.0003
    """
    clouds = TwoClouds(shape, kL, 0.0 if kR is None else kR, R_dir)
    which = "intra" if kR is None else "inter"
    return estimate_pairs(clouds, which, p_hat, samples, rel_err, seed, batch_size, progress)


# ----------------------------------------------------------------------------- any geometry

_Z = (0.0, 0.0, 1.0)


def probe_frame(k_hat):
    """Rows e₁, e₂, k̂ of a right-handed orthonormal frame (the identity for k̂ = ẑ).

    ``r @ probe_frame(k).T`` are the coordinates of r in the frame where the probe runs along ẑ.

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.average import probe_frame
    >>> F = probe_frame((1.0, 1.0, 0.0))
    >>> bool(np.allclose(F @ F.T, np.eye(3))), bool(np.allclose(F[2], [2**-0.5, 2**-0.5, 0]))
    (True, True)
    """
    k = unit_vector(k_hat, "k_hat")
    if tuple(k) == _Z:
        return np.eye(3)
    a = np.zeros(3)
    a[int(np.argmin(np.abs(k)))] = 1.0
    e1 = a - (a @ k) * k
    e1 /= np.linalg.norm(e1)
    return np.stack([e1, np.cross(k, e1), k])


@dataclasses.dataclass(frozen=True)
class GeneralPair:
    """One pair of clouds of a :class:`lehmberg.Geometry`, ready to draw (SPEC §9).

    Attributes
    ----------
    which : {"intra", "inter"}
    clouds : tuple
        Samplers of the clouds as they are (``sampling.make_cloud``): (I,) or (I, II).
    weighted : tuple
        Samplers of the probe-weighted clouds u·P/E[u] (the clouds themselves without a waist).
    waists : tuple
        The waist of each cloud (None: a plane wave).
    eta : tuple
        η = E[u]²/E[u²] of each cloud (1 without a waist).
    mean_u2 : tuple
        E[u²] of each cloud (1 without a waist).
    k_hat : numpy.ndarray
        The probe direction.
    frame : numpy.ndarray
        :func:`probe_frame` of the probe.
    p_hat : tuple or None
        The dipole (complex components allowed; None: no dipole factor).
    law : lehmberg.near.DifferenceLaw or None
        The law of r near 0 of the weighted clouds (None where Ḡ is not asked for).
    """

    which: str
    clouds: tuple
    weighted: tuple
    waists: tuple
    eta: tuple
    mean_u2: tuple
    k_hat: np.ndarray
    frame: np.ndarray
    p_hat: tuple | None
    law: object = None

    @property
    def pref(self) -> float:
        """√(η_X η_Y) (η_X inside one cloud): E[u_i u_j F]/√(E_X[u²]E_Y[u²]) = pref · E_w[F]."""
        return self.eta[0] if self.which == "intra" else math.sqrt(self.eta[0] * self.eta[1])

    @property
    def norm(self) -> float:
        """√(E_X[u²] E_Y[u²]) (E_X[u²] inside one cloud)."""
        return self.mean_u2[0] if self.which == "intra" else math.sqrt(self.mean_u2[0] * self.mean_u2[1])

    @property
    def has_waist(self) -> bool:
        return any(w is not None for w in self.waists)

    def frame_dipoles(self):
        """[(weight, real unit dipole in the probe frame)]: p̂ itself if real, else
        (|a|², â), (|b|², b̂) for p̂ = a + ib (every kernel is linear in Re(p̂p̂†)); [(1, None)]
        without the dipole factor."""
        if self.p_hat is None:
            return [(1.0, None)]
        p = self.frame @ np.asarray(self.p_hat, dtype=complex)
        out = []
        for part in (p.real, p.imag):
            w = float(part @ part)
            if w > 0.0:
                out.append((w, part / math.sqrt(w)))
        return out


def general_pair(geometry, with_g: bool = True, near_radius: float = 1.0) -> GeneralPair:
    """The :class:`GeneralPair` of a geometry, every check made (before any work).

    Parameters
    ----------
    geometry : lehmberg.Geometry
        Any geometry (the paper's shorthand too).
    with_g : bool
        Ḡ is wanted: the difference law near r = 0 must be known (:func:`lehmberg.near.difference_law`).
    near_radius : float
        The near radius of Ḡ.

    Raises
    ------
    ValueError
        ``waist`` on a box or cylinder (the probe-weighted law is closed form for Gaussians
        only); ``with_g`` where the near law is not known.

    Examples
    --------
    >>> from lehmberg import Cloud, Geometry
    >>> from lehmberg.average import general_pair
    >>> gp = general_pair(Geometry.of(Cloud(kL=(4, 4, 9), waist=5.0)))
    >>> gp.which, round(gp.eta[0], 6) < 1.0
    ('intra', True)
    """
    from .anisotropic import weighted_cloud
    from .geometry import Geometry
    from .near import difference_law

    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a lehmberg.Geometry, got {type(geometry).__name__}")
    k = np.asarray(geometry.probe, dtype=np.float64)
    parts = [geometry.I] + ([] if geometry.II is None else [geometry.II])
    clouds, weighted, waists, eta, mu2 = [], [], [], [], []
    for name, c in zip(("I", "II"), parts):
        s = make_cloud(c.shape, c.kL, c.centre, axes=c.axes)
        clouds.append(s)
        waists.append(c.waist)
        if c.waist is None:
            weighted.append(s)
            eta.append(1.0)
            mu2.append(1.0)
            continue
        if c.shape != "gaussian":
            raise ValueError(f"waist: cloud {name} is a {c.shape}; a probe waist is supported for "
                             "Gaussian clouds only (give waist=None for a vapour cell)")
        S1, e, _, eu2 = weighted_cloud(c.covariance(), k, c.waist)
        weighted.append(CovarianceGaussianCloud(S1, c.centre))
        eta.append(float(e))
        mu2.append(float(eu2))
    which = "intra" if len(parts) == 1 else "inter"
    law = None
    if with_g:
        law = difference_law(weighted[0], None if which == "intra" else weighted[1], near_radius)
    return GeneralPair(which=which, clouds=tuple(clouds), weighted=tuple(weighted),
                       waists=tuple(waists), eta=tuple(eta), mean_u2=tuple(mu2), k_hat=k,
                       frame=probe_frame(k), p_hat=geometry.p_hat, law=law)


@kernel
def _general_chunk(r, lo, hi, ax, ay, az, bx, by, bz, dip, intra, near2):
    """Sums over rows lo..hi−1 of r (probe-frame separations) of (Re, Im) e^{iz}γ and
    (Re, Im) e^{iz}g·1(|r| >= near); s = (a·r̂)² + (b·r̂)²; ``intra``: cos z only."""
    s0 = s1 = s2 = s3 = 0.0
    for i in range(lo, hi):
        x = r[i, 0]
        y = r[i, 1]
        z = r[i, 2]
        r2 = x * x + y * y + z * z
        ra, rb, rc, rd = radial(math.sqrt(r2))
        if dip:
            pa = ax * x + ay * y + az * z
            pb = bx * x + by * y + bz * z
            s = min(1.0, (pa * pa + pb * pb) / r2)
            gam, gg = combine(ra, rb, rc, rd, s)
        else:
            gam, gg = 1.5 * ra, -1.5 * rc
        if r2 < near2:
            gg = 0.0
        cz = math.cos(z)
        sz = 0.0 if intra else math.sin(z)
        s0 += cz * gam
        s1 += sz * gam
        s2 += cz * gg
        s3 += sz * gg
    return s0, s1, s2, s3


@loop
def _general_sums(r, ax, ay, az, bx, by, bz, dip, intra, near2, nchunks):
    """Chunk sums of :func:`_general_chunk` over fixed contiguous chunks: shape (nchunks, 4)."""
    n = r.shape[0]
    out = np.zeros((nchunks, 4))
    for c in nb.prange(nchunks):
        out[c, 0], out[c, 1], out[c, 2], out[c, 3] = _general_chunk(
            r, c * n // nchunks, (c + 1) * n // nchunks, ax, ay, az, bx, by, bz, dip, intra, near2)
    return out


@function
def _general_sums_serial(r, ax, ay, az, bx, by, bz, dip, intra, near2, nchunks):
    """:func:`_general_sums` on one thread (the same chunks, the same numbers): small batches
    do not pay for waking the threads."""
    n = r.shape[0]
    out = np.zeros((nchunks, 4))
    for c in range(nchunks):
        out[c, 0], out[c, 1], out[c, 2], out[c, 3] = _general_chunk(
            r, c * n // nchunks, (c + 1) * n // nchunks, ax, ay, az, bx, by, bz, dip, intra, near2)
    return out


#: Below this many samples a batch of :func:`pair_rates` runs on one thread (a general sample
#: costs about a quarter of a symmetrised one).
_GENERAL_SERIAL_MAX = 2**14


def general_separations(gp: GeneralPair, n: int, rng) -> np.ndarray:
    """``n`` independent separations r = r_i − r_j of the probe-weighted clouds, in the probe
    frame (k̂ → ẑ), shape (n, 3)."""
    a = gp.weighted[0]
    b = a if gp.which == "intra" else gp.weighted[1]
    m = a.center - b.center
    r = a.offsets(n, rng) - b.offsets(n, rng)
    if np.any(m != 0.0):
        r += m
    if not np.array_equal(gp.frame, np.eye(3)):
        r = r @ gp.frame.T
    return np.ascontiguousarray(r)


def pair_rates(geometry, samples: int = DEFAULT_SAMPLES, rel_err: float | None = None,
               seed: int = 0, batch_size: int | None = None, progress=None, *,
               with_g: bool = True, near_radius: float = 1.0):
    """Γ̄, Ḡ, Γ_ij, G_ij of any geometry from independent pairs (module docstring, SPEC §9).

    Parameters
    ----------
    geometry : lehmberg.Geometry
        Any pair of clouds (``Geometry.of``: shapes, sizes, axes, centres, waists of Gaussian
        clouds, probe, complex dipole).
    samples : int
        Pair samples, in [1024, 1e9]; with ``rel_err`` the cap.
    rel_err : float, optional
        Stop once the relative standard error of Γ_ij (of Re Γ̄ without Ḡ) is at most this,
        judged after at least 32 batches.
    seed : int
        Master seed; batch b draws from ``make_rng(seed, STREAMS["pairs"][pair], 1, b)``.
    batch_size : int, optional
        Samples per batch (default :func:`default_batch_size`).
    progress : callable, optional
        ``progress(samples_done, samples_cap)`` after each batch.
    with_g : bool
        Estimate Ḡ (near pairs by their exact expectation); False: Γ̄ alone, as
        ``Rates.without_g``.
    near_radius : float
        Pairs closer than this (units of 1/k_L) enter Ḡ through their exact expectation.

    Returns
    -------
    Rates
        method ``"pairs"``, standard errors of batch means; ``eta`` with a waist; ``notes``
        say how Ḡ is made.

    Examples
    --------
    >>> from lehmberg import Cloud, Geometry
    >>> from lehmberg.average import pair_rates
    >>> import lehmberg
    >>> g = Geometry.of(Cloud(kL=(2, 2, 5)), probe=(1, 0, 0), p_hat=(0, 1, 0))
    >>> est = pair_rates(g, samples=2**16, seed=1)
    >>> ref = lehmberg.rates(g, "reference")
    >>> bool(abs(est.Gamma_ij - ref.Gamma_ij) < 5 * est.Gamma_ij_err)
    True
    """
    from .near import near_expectation

    samples = int(samples)
    if not SAMPLES_MIN <= samples <= SAMPLES_MAX:
        raise ValueError(f"samples must be in [{SAMPLES_MIN}, {SAMPLES_MAX:g}] for an honest "
                         f"standard error, got {samples}")
    if rel_err is not None and not (math.isfinite(rel_err) and rel_err > 0):
        raise ValueError(f"rel_err must be finite and > 0, got {rel_err!r}")
    near_radius = float(near_radius)
    if not (math.isfinite(near_radius) and near_radius > 0):
        raise ValueError(f"near_radius must be finite and > 0, got {near_radius!r}")
    gp = general_pair(geometry, with_g, near_radius)
    intra = gp.which == "intra"
    pref = gp.pref
    (w1, d1), *rest = gp.frame_dipoles()
    if d1 is None:
        dips = (0.0,) * 6 + (0,)
    else:
        a = math.sqrt(w1) * d1
        b = math.sqrt(rest[0][0]) * rest[0][1] if rest else np.zeros(3)
        dips = (*map(float, a), *map(float, b), 1)
    e_near = 0j
    if with_g:
        e_near = pref * near_expectation(gp.law, gp.p_hat, near_radius, k_hat=gp.k_hat)
        if intra:
            e_near = complex(e_near.real, 0.0)
    near2 = near_radius * near_radius if with_g else 0.0
    batch = int(batch_size or default_batch_size(samples))
    nbatches = math.ceil(samples / batch)
    stream = STREAMS["pairs"][gp.which]
    rows = []
    stats = RowStats()
    target_met = None
    for bi in range(nbatches):
        r = general_separations(gp, batch, make_rng(seed, stream, 1, bi))
        run = _general_sums_serial if batch <= _GENERAL_SERIAL_MAX else _general_sums
        sums = run(r, *dips, intra, near2, _NCHUNKS).sum(axis=0) * (pref / batch)
        row = [sums[0], sums[1], sums[2] + e_near.real, sums[3] + e_near.imag]
        rows.append(row)
        stats.add(row)
        if progress is not None:
            progress((bi + 1) * batch, nbatches * batch)
        if rel_err is not None and len(rows) >= MIN_BATCHES and stats.rel_err(with_g) <= rel_err:
            target_met = True
            break
    notes = ()
    if with_g:
        notes = (f"Ḡ: pairs closer than {near_radius:g}/k_L enter through their exact expectation "
                 f"{e_near.real:.6g}{e_near.imag:+.6g}j ({gp.law.kind} law); their sampled 1/r³ "
                 "shifts would have infinite variance",)
    kw = {"eta": gp.eta if len(gp.eta) == 2 else (gp.eta[0], gp.eta[0])} if gp.has_waist else {}
    est = Rates.from_rows(rows, len(rows) * batch, "pairs", notes=notes,
                          target_met=None if rel_err is None else bool(target_met), **kw)
    return est if with_g else est.without_g(intra)
