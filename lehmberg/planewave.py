"""Plane-wave (structure-factor) estimators: position averages as integrals over directions.

Lengths are in units of 1/k_L (k = k_L = 1), the probe is along ẑ, rates are in units
of Γ.  r = r_i − r_j with i in cloud a and j in cloud b (I, I inside one cloud; I, II
between clouds).

Γ̄ on shell
-----------
γ(r) = (3/8π) ∫dΩ_q (1 − (p̂·q̂)²) e^{iq̂·r} turns the position average into an
integral over emission directions q̂ of characteristic functions::

    Γ̄ = (3/8π) ∫dΩ_q (1 − (p̂·q̂)²) φ_a(K) φ_b(K)*,      K = ẑ + q̂            (P1)

(without the dipole factor: (3/2)(1/4π) ∫dΩ_q φ_a φ_b*).  For a cloud of size L the
weight lives in the forward cone q̂ ≈ −ẑ, |K| ≲ 1/L: the directions are drawn from a
defensive mixture of a Gaussian and a Cauchy law in the tangent coordinates
t = (q_x, q_y) around −ẑ (width 1/(√2 σ), σ the per-axis standard deviation) and a
uniform law, and weighted by the mixture density (unbiased for every k_L L; the
uniform part bounds the weights).  1 + q_z = |t|²/(1 + √(1 − |t|²)) is computed
without cancellation, so k_L L = 10⁶ (|t| ~ 10⁻⁶) keeps its digits.  Directions are
folded onto the lower hemisphere (q̂ and −q̂ in one sample), so Γ̄ and Ḡ share them.

Ḡ off shell (Gaussian clouds)
-----------------------------
J = γ + ig = −(3i/2) p̂·(1 + ∇∇)(e^{ir}/r)·p̂ for r ≠ 0.  Its Fourier transform,
minus the contact term that the pointwise (spherical principal value) kernel lacks, is

    Ĵ(q) = −6πi (1 − (p̂·q)²) / (q² − 1 − i0) − 2πi

whose δ(q² − 1) part is γ̂ (giving P1) and whose principal-value part is ĝ::

    ĝ(q) = 6π(p̂·q̂)² − 6π (1 − (p̂·q̂)²) PV 1/(q² − 1) − 2π     (no dipole: −6π PV 1/(q²−1))

Writing q = κ q̂ with q̂ on a hemisphere and κ on the whole real line,
Ḡ = (2π)⁻³ ∫_hemi dΩ ∫dκ κ² ĝ(κq̂) φ_r(ẑ + κq̂), and for Gaussian clouds
φ_r(ẑ + κq̂) = exp(−α(κ − z₀)² + β) with α = L²/2, z₀ = −q_z + i q̂·m/L², m = c_a − c_b,
β = α(z₀² − 1) + i m_z.  The κ integral is closed form (w = Faddeeva function)::

    PV∫dκ e^{−α(κ−z₀)²}/(κ − a) = iπ [w(ζ) − e^{−ζ²}],   ζ = √α (a − z₀)

(both sides are entire in z₀ and agree for real z₀).  So Ḡ, and with it the paper's
Γ_ij = Re Γ̄ − Im Ḡ between clouds, is a 2D direction integral too.  Cube clouds and
drawn positions have no closed κ integral: Ḡ is NaN there, and the inter-cloud Γ_ij
raises unless ``need_Gamma_ij=False``.

Three position models
---------------------
* ``atoms=None`` and a cloud with a characteristic function: (P1) with φ in closed form.
* ``atoms=None, average="drawn"`` (or a cloud without one): each batch draws fresh
  atoms and uses the unbiased pair estimates (|S(K)|² − n)/(n(n−1)) of |φ(K)|² (one
  cloud) or S_a S_b*/(n_a n_b) (two clouds), S_a(K) = Σ_i e^{iK·r_i}.
* ``atoms=N, replicas=R``: realised clouds.  Each replica draws N atoms per cloud once
  and estimates that snapshot's pair mean with (|S|² − N)/(N(N−1)) or S_I S_II*/N².

Standard errors come from independent batches of directions (and replicas: each
replica has its own directions, so the replica scatter contains the direction noise).
Batch b of a stream is drawn from ``make_rng(seed, stream, b)``; the numbers do not
depend on the thread count.
"""

import math

import numba as nb
import numpy as np
from scipy.special import wofz

from sampling import STREAMS, TwoClouds, make_rng

from ._checks import DEFAULT_SAMPLES, MIN_BATCHES, SAMPLES_MAX, SAMPLES_MIN, unit_vector
from ._jit import function, loop, sincos
from .result import Rates, RowStats

__all__ = ["planewave_rates", "sample_directions", "gamma_integrand",
           "g_integrand", "snapshot_pair_mean"]


_TWO_PI3 = (2.0 * math.pi) ** 3


# ----------------------------------------------------------------------------- directions

def _mixture(shape, L_t):
    """Mixture weights (uniform, Gaussian-t, Cauchy-t) for a cloud of tangent width 1/L_t."""
    a_u = min(1.0, max(0.02, 4.0 / (L_t * L_t)))
    if shape == "gaussian":
        return a_u, 0.9 * (1.0 - a_u), 0.1 * (1.0 - a_u)
    return a_u, 0.3 * (1.0 - a_u), 0.7 * (1.0 - a_u)  # sinc² tails: mostly Cauchy


def sample_directions(n, rng, L_t, shape="gaussian"):
    """``n`` directions on the lower hemisphere q_z <= 0 from the defensive mixture.

    Parameters
    ----------
    n : int
    rng : numpy.random.Generator
    L_t : float
        Inverse tangent width: the local laws have scale 1/L_t in t = (q_x, q_y).
    shape : str
        ``"gaussian"`` weights the Gaussian law, anything else the Cauchy one.

    Returns
    -------
    tx, ty, u, inv_p : arrays of length n
        q̂ = (tx, ty, u − 1) with u = 1 + q_z computed without cancellation, and
        1/p(q̂) (p the mixture density per steradian); inv_p = 0 marks a null sample
        (a local draw outside the unit disk), which contributes 0.
    """
    a_u, a_g, a_c = _mixture(shape, L_t)
    n_u = int(round(a_u * n))
    n_g = int(round(a_g * n))
    n_c = n - n_u - n_g
    s = 1.0 / L_t
    # uniform on the hemisphere: u = 1 + q_z uniform in [0, 1]
    u_u = rng.random(n_u)
    ph = 2.0 * math.pi * rng.random(n_u)
    rho_u = np.sqrt(u_u * (2.0 - u_u))
    tx = np.concatenate([rho_u * np.cos(ph), s * rng.standard_normal(n_g), s * rng.standard_cauchy(n_c)])
    ty = np.concatenate([rho_u * np.sin(ph), s * rng.standard_normal(n_g), s * rng.standard_cauchy(n_c)])
    rho2 = tx * tx + ty * ty
    inside = rho2 < 1.0
    root = np.sqrt(np.where(inside, 1.0 - rho2, 0.0))
    u = np.concatenate([u_u, (rho2 / (1.0 + root))[n_u:]])
    # mixture density per steradian (deterministic-mixture weights: fixed counts per law)
    p_g = np.exp(-0.5 * rho2 / (s * s)) / (2.0 * math.pi * s * s)
    p_c = (s / math.pi) ** 2 / ((tx * tx + s * s) * (ty * ty + s * s))
    p = (n_u / n) / (2.0 * math.pi) + ((n_g / n) * p_g + (n_c / n) * p_c) * root
    inv_p = np.where(inside, 1.0 / p, 0.0)
    tx = np.where(inside, tx, 0.0)
    ty = np.where(inside, ty, 0.0)
    u = np.where(inside, u, 1.0)
    return tx, ty, u, inv_p


# ----------------------------------------------------------------------------- integrands

def _dipole_weight(p, tx, ty, u):
    """(3/8π)(1 − (p̂·q̂)²), or (3/2)/(4π) without dipole factor (p = None)."""
    if p is None:
        return np.full(tx.shape, 1.5 / (4.0 * math.pi))
    pq = p[0] * tx + p[1] * ty + p[2] * (u - 1.0)
    return (3.0 / (8.0 * math.pi)) * (1.0 - pq * pq)


def _cf_product(clouds, which, K):
    """φ_a(K) φ_b(K)* from the clouds' characteristic functions."""
    a, b = clouds.pair(which)
    if which == "intra":
        return np.abs(a.characteristic_function(K)) ** 2 + 0j
    return a.characteristic_function(K) * np.conj(b.characteristic_function(K))


def gamma_integrand(clouds, which, p, tx, ty, u, cf=None):
    """Γ̄ integrand of the hemisphere sample q̂ = (tx, ty, u−1) folded with −q̂ (per steradian).

    ``cf(K)`` returns φ_a φ_b* for wave vectors K of shape (n, 3); default: closed form.
    """
    if cf is None:
        cf = lambda K: _cf_product(clouds, which, K)  # noqa: E731
    K1 = np.stack([tx, ty, u], axis=-1)  # ẑ + q̂
    K2 = np.stack([-tx, -ty, 2.0 - u], axis=-1)  # ẑ − q̂
    w = _dipole_weight(p, tx, ty, u)  # (p̂·q̂)² is even in q̂
    return w * (cf(K1) + cf(K2))


def _pv_term(beta, zeta, log_pole):
    """e^β [w(ζ) − e^{−ζ²}] without overflow; log_pole = β − ζ² (given in stable form)."""
    up = zeta.imag >= 0.0
    wz = wofz(np.where(up, zeta, -zeta))
    eb = np.exp(beta)
    pole = np.exp(log_pole)
    return np.where(up, eb * wz - pole, pole - eb * wz)


def g_integrand(L, m, p, tx, ty, u):
    """Ḡ integrand (per steradian, hemisphere) of Gaussian clouds: (2π)⁻³ ∫dκ κ² ĝ(κq̂) φ_r(ẑ+κq̂).

    L is k_L L, m = c_a − c_b the mean of r (3-vector), p the dipole (None: none).
    """
    qz = u - 1.0
    qm = tx * m[0] + ty * m[1] + qz * m[2]
    y = qm / (L * L)
    alpha = 0.5 * L * L
    sa = math.sqrt(alpha)
    z0 = (1.0 - u) + 1j * y
    beta = alpha * ((-u + 1j * y) * (2.0 - u + 1j * y)) + 1j * m[2]
    m0 = np.exp(beta) * math.sqrt(math.pi / alpha)
    zp = sa * (u - 1j * y)
    zm = sa * (-2.0 + u - 1j * y)
    pv_p = 1j * math.pi * _pv_term(beta, zp, L * L * (-u + 1j * y) + 1j * m[2])
    pv_m = 1j * math.pi * _pv_term(beta, zm, L * L * (-2.0 + u - 1j * y) + 1j * m[2])
    if p is None:
        val = -6.0 * math.pi * m0 - 3.0 * math.pi * (pv_p - pv_m)
    else:
        pq = p[0] * tx + p[1] * ty + p[2] * qz
        P = pq * pq
        m2 = m0 * (z0 * z0 + 1.0 / (2.0 * alpha))
        val = ((6.0 * math.pi * P - 2.0 * math.pi) * m2 - 6.0 * math.pi * (1.0 - P) * m0
               - 3.0 * math.pi * (1.0 - P) * (pv_p - pv_m))
    return val / _TWO_PI3


# ----------------------------------------------------------------------------- structure factors

@function(fast=True)
def _sf_one(kx, ky, kz, x, y, z):
    """Σ_i e^{iK·r_i} for one K: vectorised (branch-free sincos), |K·r_i| < 1.6e6."""
    sr = 0.0
    si = 0.0
    for i in range(x.shape[0]):
        ph = kx * x[i] + ky * y[i] + kz * z[i]
        s, c = sincos(abs(ph))
        sr += c
        si += s if ph >= 0.0 else -s
    return sr, si


@loop
def _structure_factors(K, pos):
    """S(K) = Σ_i e^{iK·r_i} for K of shape (M, 3) and positions (3, N): (M,) complex.

    One direction per iteration, atoms summed in a fixed order: independent of the thread count.
    """
    m = K.shape[0]
    x, y, z = pos[0], pos[1], pos[2]
    out = np.empty(m, dtype=np.complex128)
    for k in nb.prange(m):
        sr, si = _sf_one(K[k, 0], K[k, 1], K[k, 2], x, y, z)
        out[k] = complex(sr, si)
    return out


def _sf_product(pa, pb):
    """φ_a φ_b* estimated from atoms: unbiased pair form, excluding i = j inside one cloud."""
    reach = 2.0 * max(np.abs(pa).max(), 0.0 if pb is None else np.abs(pb).max())
    if reach >= 1.5e6:  # |K| <= 2: the fast sincos must see |K·r| < 1.6e6
        raise ValueError("structure factors need atoms within 7.5e5/k_L of the origin")

    def cf(K):
        Sa = _structure_factors(np.ascontiguousarray(K), pa)
        if pb is None:
            n = pa.shape[1]
            return (np.abs(Sa) ** 2 - n) / (n * (n - 1.0)) + 0j
        Sb = _structure_factors(np.ascontiguousarray(K), pb)
        return Sa * np.conj(Sb) / (pa.shape[1] * pb.shape[1])
    return cf


def snapshot_pair_mean(a, b, p, L_t, shape, directions, rng, batches=8):
    """One snapshot's pair mean of e^{ik_L·r}γ by structure factors, with its direction error.

    a, b are (N, 3) positions (b None: pairs i ≠ j of a); p the unit dipole or None;
    ``directions`` are split into ``batches`` independent batches.

    Returns
    -------
    (list, list)
        [Re, Im, 0, 0] of the estimate and [err Re, err Im, 0, 0], the standard error
        of the direction sampling alone (for this fixed set of positions).
    """
    pa = np.ascontiguousarray(np.asarray(a, dtype=np.float64).T)
    pb = None if b is None else np.ascontiguousarray(np.asarray(b, dtype=np.float64).T)
    cf = _sf_product(pa, pb)
    n = max(1, directions // batches)
    vals = []
    for _ in range(batches):
        tx, ty, u, inv_p = sample_directions(n, rng, L_t, shape)
        gam = gamma_integrand(None, None, p, tx, ty, u, cf) * inv_p
        vals.append(gam.mean())
    vals = np.array(vals)
    err = (vals.real.std(ddof=1) + 1j * vals.imag.std(ddof=1)) / math.sqrt(batches)
    mean = vals.mean()
    return [mean.real, mean.imag, 0.0, 0.0], [err.real, err.imag, 0.0, 0.0]


# ----------------------------------------------------------------------------- estimator

def _tangent_scale(clouds):
    """L_t = √2 σ, σ the per-axis standard deviation of cloud I (k_L L for Gaussian clouds):
    the forward cone has tangent width 1/L_t."""
    return math.sqrt(2.0) * clouds.I.sigma


def planewave_rates(kL, kR=None, R_dir=(0.0, 0.0, 1.0), p_hat=(1.0, 0.0, 0.0), shape="gaussian",
                    rel_err=None, max_directions=None, seed=0, atoms=None, replicas=None,
                    progress=None, average="auto", batch_size=None, need_Gamma_ij=True):
    """Position-averaged rates by integrating over emission directions (module docstring).

    Parameters
    ----------
    kL, kR, R_dir, p_hat, shape
        Geometry as in :func:`lehmberg.average.mc_rates` (``p_hat=None``: no dipole factor).
    rel_err : float or None
        Stop when the relative standard error of Γ_ij (of Re Γ̄ where Γ_ij is not
        available) is below this, after at least 32 batches; None (default, as
        ``lehmberg.rates``): use max_directions.
    max_directions : int, optional
        Directions in total (default 10⁶, as ``lehmberg.rates``), the cap with ``rel_err``
        (default ``SAMPLES_MAX`` = 10⁹: until the target is met), or directions per replica
        for realised clouds (default 2¹⁶).
    seed : int
        Master seed.
    atoms, replicas : int or None
        Both given: realised clouds of ``atoms`` atoms, ``replicas`` snapshots, each
        with ``max_directions`` directions (rel_err ignored).  ``atoms`` alone with
        ``average="drawn"``: atoms drawn afresh per batch of directions.
    average : {"auto", "closed", "drawn"}
        Position model without replicas: closed-form characteristic functions
        ("auto" uses them when the cloud has one) or drawn positions.
    batch_size : int, optional
        Directions per batch.
    need_Gamma_ij : bool
        Between clouds Γ_ij = Re Γ̄ − Im Ḡ needs Ḡ, which this estimator has only for
        Gaussian clouds with closed-form averaging; otherwise a ValueError is raised,
        unless this is False (then Ḡ, Γ_ij, G_ij are NaN and Γ̄ is still returned).
    progress : callable, optional
        ``progress(done, cap)`` after each batch or replica.

    Returns
    -------
    Rates
        method ``"planewave"``; n_samples counts directions (× replicas).
    """
    kL = float(kL)
    if not (math.isfinite(kL) and kL > 0.0):
        raise ValueError(f"kL must be finite and > 0, got {kL!r}")
    if rel_err is not None and not (math.isfinite(rel_err) and rel_err > 0):
        raise ValueError(f"rel_err must be finite and > 0, got {rel_err!r}")
    if max_directions is None:
        max_directions = (2**16 if replicas is not None else
                          SAMPLES_MAX if rel_err is not None else DEFAULT_SAMPLES)
    max_directions = int(max_directions)
    if max_directions < SAMPLES_MIN:
        raise ValueError(f"max_directions must be >= {SAMPLES_MIN}, got {max_directions}")
    if average not in ("auto", "closed", "drawn"):
        raise ValueError(f"average must be 'auto', 'closed' or 'drawn', got {average!r}")
    p = unit_vector(p_hat, "p_hat", allow_none=True)
    clouds = TwoClouds(shape, kL, 0.0 if kR is None else kR, R_dir)
    which = "intra" if kR is None else "inter"
    stream = STREAMS["planewave"][which]
    L_t = _tangent_scale(clouds)
    realised = replicas is not None
    if realised:
        if atoms is None or int(atoms) < 2 or int(replicas) < 2:
            raise ValueError("realised clouds need atoms >= 2 and replicas >= 2")
        mode = "realised"
    elif average == "drawn" or not hasattr(clouds.I, "characteristic_function"):
        mode = "drawn"
    else:
        mode = "closed"
    with_g = mode == "closed" and shape == "gaussian"
    if which == "inter" and not with_g and need_Gamma_ij:
        raise ValueError(
            "the plane-wave estimator has the inter-cloud Ḡ (needed for Γ_ij = Re Γ̄ − Im Ḡ) only "
            "for Gaussian clouds averaged in closed form; use method 'pairs' or 'clouds', or pass "
            "need_Gamma_ij=False to get Γ̄ alone")
    m = clouds.I.center - (clouds.I.center if which == "intra" else clouds.II.center)

    def batch_means(rng, n, cf):
        tx, ty, u, inv_p = sample_directions(n, rng, L_t, shape)
        gam = gamma_integrand(clouds, which, p, tx, ty, u, cf) * inv_p
        out = [gam.real.mean(), gam.imag.mean(), 0.0, 0.0]
        if with_g:
            gg = g_integrand(kL, m, p, tx, ty, u) * inv_p
            out[2:] = [gg.real.mean(), gg.imag.mean()]
        return out

    if realised:
        atoms, replicas = int(atoms), int(replicas)
        rows = []
        for r in range(replicas):
            # the same snapshots as pairsum.cloud_rates with this seed; own stream for directions
            a, b = clouds.realise(atoms, make_rng(seed, STREAMS["clouds"][which], r))
            rows.append(snapshot_pair_mean(a, None if which == "intra" else b, p, L_t, shape,
                                           max_directions, make_rng(seed, stream, 1, r))[0])
            if progress is not None:
                progress(r + 1, replicas)
        est = Rates.from_rows(rows, replicas * max_directions, "planewave")
        if not with_g:
            est = est.without_g(which == "intra")
        target = None
    else:
        if batch_size is None:
            batch_size = 4096 if mode == "closed" else 1024
        batch = int(min(batch_size, max(32, max_directions // MIN_BATCHES)))
        nbatches = max(MIN_BATCHES, max_directions // batch)
        n_draw = int(atoms) if atoms is not None else 2048
        rows = []
        stats = RowStats()
        target = False if rel_err is not None else None
        for bi in range(nbatches):
            rng = make_rng(seed, stream, 0, bi)
            cf = None
            if mode == "drawn":
                a = clouds.I.sample(n_draw, rng).T.copy()
                b = None if which == "intra" else clouds.II.sample(n_draw, rng).T.copy()
                cf = _sf_product(a, b)
            rows.append(batch_means(rng, batch, cf))
            stats.add(rows[-1])
            if progress is not None:
                progress((bi + 1) * batch, nbatches * batch)
            if rel_err is not None and len(rows) >= MIN_BATCHES and stats.rel_err(with_g) <= rel_err:
                target = True
                break
        est = _finish(rows, batch, with_g, which).replace(target_met=target)
    return est


def _finish(rows, batch, with_g, which):
    est = Rates.from_rows(rows, len(rows) * batch, "planewave")
    return est if with_g else est.without_g(which == "intra")
