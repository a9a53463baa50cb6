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
           "g_integrand", "snapshot_pair_mean", "general_rates", "GeneralSampler", "FrameCloud"]


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
            # the same snapshots as clouds.cloud_rates with this seed; own stream for directions
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


# ============================================================================= any geometry
#
# general_rates: SPEC §9 set-ups (Gaussian of any covariance, boxes and cylinders of any
# orientation, any centres, probe k̂, complex p̂) by the same direction integral
#
#     Γ̄_ab = (3/8π) ∫_hemi dΩ (1 − |p̂·q̂|²) [Φ(k̂ − q̂) + Φ(k̂ + q̂)],   Φ = φ_a φ_b*     (P2)
#
# (q̂ folded onto the hemisphere q̂·k̂ >= 0; lengths in 1/k_L).  Directions are written in the
# frame (e₁, e₂, k̂) of lehmberg.anisotropic (so its Gaussian integrands apply unchanged) with
# tangent coordinates θ⃗ = (q̂·e₁, q̂·e₂), |θ⃗| < 1, q̂·k̂ = √(1 − |θ⃗|²); then k̂ − q̂ =
# (−θ⃗, |θ⃗|²/(1 + √(1 − |θ⃗|²))) without cancellation.  Near the forward direction every
# factor of |φ_X|² is a function of linear forms y = Aθ⃗ of the tangent vector:
#
#   box       sinc²(ℓ_j),  ℓ_j = (L_j/2) a_j·t ≈ −(L_j/2) a_j⊥·θ⃗ (a_j the axes, ⊥: the e₁e₂
#             components); sinc² x <= 2/(1 + x²), so for every pair (j, k) of axes with
#             a_j⊥ × a_k⊥ ≠ 0 the product-Cauchy law of (ℓ_j, ℓ_k) bounds |φ|²/p.
#   cylinder  sinc²(ℓ₃) (2J₁(s)/s)², s = (D/2)|t − (t·a₃)a₃|; (2J₁(s)/s)² <= C (1 + s²)^{−3/2}
#             is bounded by the bivariate Cauchy law of the disk coordinates (needs a₃·k̂ ≠ 0)
#             and, together with sinc²(ℓ₃), by the product-Cauchy law of (s along the
#             direction ⊥ a₃⊥, ℓ₃) (needs a₃⊥ ≠ 0): at least one always exists.
#   gaussian  exp(−½ θ⃗ᵀBθ⃗), B = EᵀSE: a Gaussian law 1.3× wider (the t∥ and cross terms
#             bend the peak slightly) and a bivariate Cauchy law in B^{1/2}θ⃗.
#
# The proposal is the deterministic mixture (fixed counts per law) of these local laws and a
# uniform law on the hemisphere (weight a_u = clip(4/L_t², 0.02, 1), L_t² the smallest |det A|
# of the local laws): the uniform part bounds every weight globally (|Φ| <= 1), the local laws
# bound the weight by O(1/|det A|) ~ O(mean) inside the forward cone, so the variance is
# finite and the batch standard errors are honest (tests/test_planewave_general.py checks
# z-scores over seeds).  A local draw outside the unit disk is a null sample (weight 0).
#
# Ḡ: for two Gaussian clouds the per-ray s-integral of the off-shell ĝ is closed form
# (lehmberg.anisotropic (D3)); its integrand lives in the same cone and is sampled with the
# same directions, so Γ̄ and Ḡ come from one set of rows (their correlation enters Γ_ij's
# error).  Boxes and cylinders: Ḡ is NaN (not estimated; see general_rates).

from . import anisotropic as _an  # noqa: E402
from ._checks import dipole as _dipole  # noqa: E402

_COMPONENT_TINY = 1e-3   # |cross products| below this: a degenerate pair of forms is skipped


def _sqrtm2(B):
    lam, V = np.linalg.eigh(B)
    return (V * np.sqrt(lam)) @ V.T


class _FrameCloud:
    """One cloud in the frame (e₁, e₂, k̂): its |φ| factor and its local proposal laws."""

    def __init__(self, cloud, R, k, name):
        from .geometry import Cloud

        if not isinstance(cloud, Cloud):
            raise TypeError(f"{name} must be a lehmberg.Cloud, got {type(cloud).__name__}")
        self.shape = cloud.shape
        self.L = np.asarray(cloud.kL, dtype=float)
        self.centre = np.asarray(cloud.centre, dtype=float)
        self.axes = np.asarray(cloud.axes, dtype=float) @ R      # rows: axes in the frame
        self.amp = 1.0
        self.eta = 1.0
        self.waist = cloud.waist
        if cloud.waist is not None and cloud.shape != "gaussian":
            raise ValueError(f"waist: {name} is a {cloud.shape}; a probe waist is supported for "
                             "Gaussian clouds only (give waist=None for a vapour cell)")
        if cloud.shape == "gaussian":
            S1, eta, _, _ = _an.weighted_cloud(cloud.covariance(), k, cloud.waist)
            self.S_lab = S1
            self.S = R.T @ S1 @ R
            self.eta = eta
            self.amp = math.sqrt(eta)

    # ---------------------------------------------------------------- |φ| without the centre
    def modulus(self, t):
        """Real factor of φ_X(t) (φ_X = e^{it·c} × this), t of shape (..., 3) in the frame."""
        if self.shape == "gaussian":
            return self.amp * np.exp(-0.5 * np.einsum("...i,ij,...j->...", t, self.S, t))
        if self.shape == "box":
            out = np.ones(t.shape[:-1])
            for j in range(3):
                out = out * np.sinc((t @ self.axes[j]) * (self.L[j] / (2.0 * math.pi)))
            return out
        from scipy.special import j1
        a3 = self.axes[2]
        t3 = t @ a3
        perp = t - t3[..., None] * a3
        s = (0.5 * self.L[0]) * np.sqrt(np.sum(perp * perp, axis=-1))
        small = s < 1e-4
        ss = np.where(small, 1.0, s)
        disk = np.where(small, 1.0 - s * s / 8.0, 2.0 * j1(ss) / ss)
        return disk * np.sinc(t3 * (self.L[2] / (2.0 * math.pi)))

    # ---------------------------------------------------------------- local laws
    def laws(self, S_pair=None):
        """[(kind, A)]: y = Aθ⃗ follows the standard law of ``kind`` ("gauss", "cauchy2":
        independent Cauchy coordinates, "bicauchy": bivariate Cauchy)."""
        out = []
        if self.shape == "gaussian":
            B = (2.0 * self.S if S_pair is None else S_pair)[:2, :2]
            Bh = _sqrtm2(0.5 * (B + B.T))
            out += [("gauss", Bh / 1.3), ("bicauchy", Bh)]
        elif self.shape == "box":
            rows = [0.5 * self.L[j] * self.axes[j, :2] for j in range(3)]
            for j in range(3):
                for k in range(j + 1, 3):
                    cr = abs(self.axes[j, 0] * self.axes[k, 1] - self.axes[j, 1] * self.axes[k, 0])
                    if cr > _COMPONENT_TINY:
                        out.append(("cauchy2", np.stack([rows[j], rows[k]])))
        else:
            a3 = self.axes[2]
            a3p = a3[:2]
            n3 = float(np.hypot(a3p[0], a3p[1]))
            c = abs(float(a3[2]))
            u = a3p / n3 if n3 > 0.0 else np.array([1.0, 0.0])
            v = np.array([-u[1], u[0]])
            D2 = 0.5 * self.L[0]
            if c > _COMPONENT_TINY:  # disk coordinates: (D/2)(v vᵀ + |a₃·k̂| u uᵀ)
                out.append(("bicauchy", D2 * (np.outer(v, v) + c * np.outer(u, u))))
            if n3 > _COMPONENT_TINY:
                out.append(("cauchy2", np.stack([D2 * v, 0.5 * self.L[2] * a3p])))
        return out


#: One cloud in the probe frame: its characteristic-function factor and local laws (the one
#: implementation of φ for Gaussians, boxes and cylinders; lehmberg.uniform_g uses it too).
FrameCloud = _FrameCloud


class GeneralSampler:
    """The defensive mixture of :func:`general_rates` for given local laws (module notes).

    ``laws`` is a list of (kind, A, weight) with the weights of the local part summing to
    1; ``a_u`` the uniform weight.  :meth:`draw` returns frame tangent coordinates θ₁, θ₂,
    ρ² = |θ⃗|², u = 1 − cos θ and 1/p (p per steradian; 0 marks a null sample).
    """

    def __init__(self, laws, a_u):
        self.laws = [(kind, np.asarray(A, float), float(w)) for kind, A, w in laws]
        self.a_u = float(a_u) if self.laws else 1.0
        self.Ainv = [np.linalg.inv(A) for _, A, _ in self.laws]
        self.det = [abs(float(np.linalg.det(A))) for _, A, _ in self.laws]

    def counts(self, n):
        w = [self.a_u] + [(1.0 - self.a_u) * w for _, _, w in self.laws]
        c = [int(math.floor(x * n)) for x in w]
        c[0] += n - sum(c)
        if c[0] == 0 and n > 1:  # always some uniform draws: they bound the weights
            j = int(np.argmax(c))
            c[j] -= 1
            c[0] = 1
        return c

    def draw(self, n, rng):
        c = self.counts(n)
        ph = 2.0 * math.pi * rng.random(c[0])
        uu = rng.random(c[0])                        # u = 1 − cos θ, uniform on [0, 1]
        rho_u = np.sqrt(uu * (2.0 - uu))
        th1, th2 = [rho_u * np.cos(ph)], [rho_u * np.sin(ph)]
        for (kind, _, _), Ai, m in zip(self.laws, self.Ainv, c[1:]):
            if kind == "gauss":
                y = rng.standard_normal((2, m))
            elif kind == "cauchy2":
                y = rng.standard_cauchy((2, m))
            else:  # bivariate Cauchy: normal / |normal|
                y = rng.standard_normal((2, m)) / np.abs(rng.standard_normal(m))
            th = Ai @ y
            th1.append(th[0])
            th2.append(th[1])
        t1, t2 = np.concatenate(th1), np.concatenate(th2)
        rho2 = t1 * t1 + t2 * t2
        inside = rho2 < 1.0
        rho2 = np.where(inside, rho2, 0.0)
        t1 = np.where(inside, t1, 0.0)
        t2 = np.where(inside, t2, 0.0)
        cos_t = np.sqrt(1.0 - rho2)
        u = rho2 / (1.0 + cos_t)
        u[:c[0]] = uu                                 # exact for the uniform draws
        # deterministic mixture: the density uses the fractions actually drawn (c_k/n)
        p_loc = np.zeros(n)
        for (kind, A, _), det, ck in zip(self.laws, self.det, c[1:]):
            w = ck / n
            y1 = A[0, 0] * t1 + A[0, 1] * t2
            y2 = A[1, 0] * t1 + A[1, 1] * t2
            if kind == "gauss":
                d = np.exp(-0.5 * (y1 * y1 + y2 * y2)) / (2.0 * math.pi)
            elif kind == "cauchy2":
                d = 1.0 / (math.pi ** 2 * (1.0 + y1 * y1) * (1.0 + y2 * y2))
            else:
                d = (1.0 + y1 * y1 + y2 * y2) ** -1.5 / (2.0 * math.pi)
            p_loc += w * det * d
        p = (c[0] / n) / (2.0 * math.pi) + p_loc * cos_t
        inv_p = np.where(inside, 1.0 / p, 0.0)
        return t1, t2, rho2, u, inv_p


def _g_metric(geo):
    """The tangent metric of e^β, Ḡ's transverse factor (anisotropic (D3)): for q̂ ≈ k̂,
    β ≈ −½ θ⃗ᵀ Jᵀ adj(S)_⊥ J θ⃗ / S_kk (J: the quarter turn k̂ × ·).  It is the conditional
    transverse covariance (EᵀS⁻¹E)⁻¹ turned by J, so it is never wider in t than B = EᵀSE:
    a cloud tilted against the probe has a Ḡ integrand spread over wider angles than Γ̄'s."""
    J = np.array([[0.0, -1.0], [1.0, 0.0]])
    M = J.T @ geo.adj[:2, :2] @ J / geo.S[2, 2]
    return 0.5 * (M + M.T)


def _mixture_for(clouds, S_pair, geo=None):
    """The GeneralSampler of one pair of frame clouds (S_pair: the pair's S for two Gaussians;
    geo: their anisotropic geometry where Ḡ is sampled too)."""
    laws = []
    share = 1.0 / len(clouds)
    for fc in clouds:
        own = fc.laws(S_pair)
        if fc.shape == "gaussian":
            ws = [0.85, 0.15]
            if geo is not None:  # half the local draws for Ḡ's wider transverse factor
                Mh = _sqrtm2(_g_metric(geo))
                own += [("gauss", Mh / 1.3), ("bicauchy", Mh)]
                ws = [0.425, 0.075, 0.425, 0.075]
        else:
            ws = [1.0 / len(own)] * len(own)
        laws += [(kind, A, share * w) for (kind, A), w in zip(own, ws)]
    if not laws:
        return GeneralSampler([], 1.0)
    L_t2 = min(abs(float(np.linalg.det(A))) for _, A, _ in laws)
    a_u = min(1.0, max(0.02, 4.0 / L_t2))
    return GeneralSampler(laws, a_u)


def general_rates(cloud_a, cloud_b=None, k_hat=(0.0, 0.0, 1.0), p_hat=(1.0, 0.0, 0.0),
                  rel_err=None, max_directions=None, seed=0, progress=None, want_g=True,
                  g_rel_err=None, batch_size=None):
    """Γ̄_ab (and Ḡ_ab for Gaussian clouds) of any two clouds by direction integrals (SPEC §9).

    Monte Carlo over emission directions of (P2) with the shape-adapted defensive mixture
    described above; every batch of directions is independent, so the errors are standard
    errors of batch means.

    Parameters
    ----------
    cloud_a : lehmberg.Cloud
        Cloud of atom i (gaussian, box or cylinder; sizes k_L L_i along its axes, centre).
    cloud_b : lehmberg.Cloud or None
        Cloud of atom j; None: both atoms in cloud a (independent ordered pairs).
    k_hat : 3-vector
        Probe direction (normalised); |k_L| = 1.
    p_hat : complex 3-vector or None
        Dipole (normalised, complex allowed: weight 1 − |p̂·q̂|²); None: no dipole factor.
    rel_err : float or None
        Stop when the relative standard error of Γ_ij (where Ḡ is estimated) or of the
        complex Γ̄ (|err|/|Γ̄|, where Ḡ is not) is at most this, after at least 32 batches; None: use
        ``max_directions``.
    g_rel_err : float or None
        With ``rel_err``: also wait until Ḡ's relative error (|err|/|Ḡ|) is at most this
        (Gaussian pairs).  Ḡ's per-direction integrand is of the size of Γ̄'s while Ḡ itself is
        ~ log(k_L L)/(k_L L) of Γ̄ for clouds tilted against the probe (its angular parts
        cancel), so its relative error can be ~k_L L times Γ̄'s: expect the cap there.
    max_directions : int, optional
        Directions in total (default 10⁶), or the cap with ``rel_err`` (default 10⁸).
    seed : int
        Master seed; batch b draws from ``make_rng(seed, STREAMS["planewave"][pair], 2, b)``.
    progress : callable, optional
        ``progress(done, cap)`` after each batch.
    want_g : bool
        Estimate Ḡ where possible (two Gaussian clouds).  Boxes, cylinders and mixed pairs
        have no Ḡ here: it is NaN, and between clouds so are Γ_ij and G_ij (as
        ``Rates.without_g``).
    batch_size : int, optional
        Directions per batch (default 1024 with ``rel_err``, else 4096).

    Returns
    -------
    Rates
        method ``"planewave"``, n_samples directions; ``eta`` = (η_a, η_b) with a waist.

    Raises
    ------
    ValueError / TypeError
        One line naming the parameter (``waist`` on a box or cylinder, ``k_hat``,
        ``p_hat``, ``rel_err``, ``max_directions``, ``cloud_a``/``cloud_b``).

    Examples
    --------
    >>> from lehmberg import Cloud
    >>> from lehmberg.planewave import general_rates
    >>> import math
    >>> cell = Cloud(shape="box", kL=(1e5, 1e5, 3e5))        # a vapour cell, probed along axis 3
    >>> est = general_rates(cell, rel_err=0.01, seed=1)
    >>> est.target_met, abs(est.gamma_bar.real * 1e10 / (1.5 * math.pi) - 1.0) < 0.05
    (True, True)
    >>> math.isnan(est.g_bar.real)                            # no Ḡ for boxes
    True

    (Γ̄ → (3π/2)/A for any cloud of transverse area A much larger than λ², SPEC §9.)
    """
    k = _checks_unit(k_hat, "k_hat")
    p = _dipole(p_hat, "p_hat", allow_none=True)
    p = None if p is None else np.asarray(p, dtype=complex)
    if g_rel_err is not None and (isinstance(g_rel_err, bool) or not isinstance(
            g_rel_err, (int, float)) or not (math.isfinite(g_rel_err) and g_rel_err > 0)):
        raise ValueError(f"g_rel_err must be a finite number > 0, got {g_rel_err!r}")
    if rel_err is not None:
        if isinstance(rel_err, bool) or not isinstance(rel_err, (int, float)) or \
                not (math.isfinite(rel_err) and rel_err > 0):
            raise ValueError(f"rel_err must be a finite number > 0, got {rel_err!r}")
    if max_directions is None:
        max_directions = 10**8 if rel_err is not None else DEFAULT_SAMPLES
    if isinstance(max_directions, bool) or int(max_directions) != max_directions:
        raise ValueError(f"max_directions must be an integer, got {max_directions!r}")
    max_directions = int(max_directions)
    if not SAMPLES_MIN <= max_directions <= SAMPLES_MAX:
        raise ValueError(f"max_directions must be in [{SAMPLES_MIN}, {SAMPLES_MAX}], "
                         f"got {max_directions}")
    e1, e2 = _an._perp_basis(k)
    R = np.stack([e1, e2, k], axis=1)
    fa = _FrameCloud(cloud_a, R, k, "cloud_a")
    intra = cloud_b is None
    fb = fa if intra else _FrameCloud(cloud_b, R, k, "cloud_b")
    which = "intra" if intra else "inter"
    pf = None if p is None else R.T @ p
    m_lab = np.zeros(3) if intra else fa.centre - fb.centre
    m = R.T @ m_lab
    gauss = fa.shape == "gaussian" and fb.shape == "gaussian"
    with_g = bool(gauss and want_g)
    if gauss:
        S_pair_lab = 2.0 * fa.S_lab if intra else fa.S_lab + fb.S_lab
        geo = _an._Geometry(S_pair_lab, m_lab, k, p)
        pref = fa.eta if intra else math.sqrt(fa.eta * fb.eta)
        sampler = _mixture_for([fa], geo.S, geo if with_g else None)
    else:
        sampler = _mixture_for([fa] if intra else [fa, fb], None)

    def integrands(t1, t2, rho2, u):
        if gauss:
            rho = np.sqrt(rho2)
            theta = np.arcsin(np.minimum(rho, 1.0))
            safe = np.where(rho > 0.0, rho, 1.0)
            ex = np.where(rho > 0.0, t1 / safe, 1.0)
            ey = np.where(rho > 0.0, t2 / safe, 0.0)
            fg, fG = geo.integrands(theta, ex, ey, with_g)
            return pref * fg, (pref * fG if with_g else None)
        tm = np.stack([-t1, -t2, u], axis=-1)            # k̂ − q̂
        tp = np.stack([t1, t2, 2.0 - u], axis=-1)        # k̂ + q̂
        if intra:
            phi_m = fa.modulus(tm) ** 2 + 0j
            phi_p = fa.modulus(tp) ** 2 + 0j
        else:
            phi_m = fa.modulus(tm) * fb.modulus(tm) * np.exp(1j * (-t1 * m[0] - t2 * m[1] + u * m[2]))
            phi_p = fa.modulus(tp) * fb.modulus(tp) * np.exp(1j * (t1 * m[0] + t2 * m[1]
                                                                   + (2.0 - u) * m[2]))
        if pf is None:
            wgt = 1.0
        else:
            qz = 1.0 - u
            pq = pf[0] * t1 + pf[1] * t2 + pf[2] * qz
            wgt = 1.0 - (pq.real ** 2 + pq.imag ** 2)
        return (3.0 / (8.0 * math.pi)) * wgt * (phi_m + phi_p), None

    if batch_size is None:
        batch_size = 1024 if rel_err is not None else 4096
    batch = int(min(int(batch_size), max(32, max_directions // MIN_BATCHES)))
    nbatches = max(MIN_BATCHES, max_directions // batch)
    stream = STREAMS["planewave"][which]
    rows = []
    acc = _GeneralStats()
    target = False if rel_err is not None else None
    for bi in range(nbatches):
        rng = make_rng(seed, stream, 2, bi)
        t1, t2, rho2, u, inv_p = sampler.draw(batch, rng)
        fg, fG = integrands(t1, t2, rho2, u)
        g = fg * inv_p
        row = [g.real.mean(), 0.0 if intra else g.imag.mean(), 0.0, 0.0]
        if with_g:
            G = fG * inv_p
            row[2:] = [G.real.mean(), 0.0 if intra else G.imag.mean()]
        rows.append(row)
        acc.add(row)
        if progress is not None:
            progress((bi + 1) * batch, nbatches * batch)
        r_now = acc.rel_err(True) if with_g else acc.gamma_rel_err()
        if rel_err is not None and len(rows) >= MIN_BATCHES and r_now <= rel_err \
                and (g_rel_err is None or not with_g or acc.g_rel_err() <= g_rel_err):
            target = True
            break
    kw = {}
    if fa.waist is not None or fb.waist is not None:
        kw["eta"] = (fa.eta, fb.eta)
    est = Rates.from_rows(rows, len(rows) * batch, "planewave", **kw).replace(target_met=target)
    return est if with_g else est.without_g(intra)


def _checks_unit(v, name):
    return np.asarray(unit_vector(v, name), dtype=float)


class _GeneralStats(RowStats):
    """RowStats with the relative error of Ḡ too (|err| / |Ḡ|, both parts)."""

    def gamma_rel_err(self) -> float:
        if self.n < 2:
            return math.inf
        var = self._m2 / (self.n - 1) / self.n
        G = math.hypot(self._mean[0], self._mean[1])
        return math.sqrt(var[0] + var[1]) / G if G > 0 else math.inf

    def g_rel_err(self) -> float:
        if self.n < 2:
            return math.inf
        var = self._m2 / (self.n - 1) / self.n
        G = math.hypot(self._mean[2], self._mean[3])
        return math.sqrt(var[2] + var[3]) / G if G > 0 else math.inf
