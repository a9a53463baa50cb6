"""Ḡ (the collective Lamb shift) of boxes, cylinders and Gaussians by Monte Carlo in q-space.

Lengths are in units of 1/k_L (|k_L| = 1), rates in units of Γ.  Clouds are
:class:`lehmberg.Cloud` objects (SPEC §9); r = r_i − r_j with atom i in ``cloud_a`` and atom
j in ``cloud_b`` (inside one cloud: independent ordered pairs).  :func:`g_rates` returns
Ḡ_ab = E[e^{ik_L·r} g(r)] with its standard error, for every pair of shapes, any probe k̂,
complex dipole p̂ (or none) and clouds inside each other or apart in any direction.

The q-space Monte Carlo, step by step (each step can be checked on its own)
---------------------------------------------------------------------------
(U1) Off-shell transform.  lehmberg.anisotropic (D3): with the spherical principal value at
     r = 0 (self terms excluded, contact term removed), P(q̂) = |p̂·q̂|²::

         ĝ(q) = A(q̂) − 6π B(q̂) PV 1/(q² − 1),   A = 6πP − 2π,  B = 1 − P
         (no dipole factor, g = −(3/2) cos r/r:  A = 0, B = 1)

     and, φ(t) = E[e^{it·r}] = φ_a(t) φ_b(t)* the characteristic function of the difference
     law (φ_X(t) = e^{it·c_X} × the real factor of :class:`lehmberg.planewave.FrameCloud`:
     Gaussian exp(−½tᵀΣt), box Π sinc(L_j t·a_j/2), cylinder sinc(L₃ t·a₃/2)·2J₁(s)/s)::

         Ḡ = (2π)⁻³ ∫d³q ĝ(q) φ(k̂ − q)                                             (U2)

     A and B are bounded, so (U2) converges absolutely away from the shell |q| = 1 for
     every cloud whose |φ| is integrable (Gaussians; sinc² or sinc·sinc products; the
     disk's |2J₁(s)/s|² ~ s⁻³).
(U3) Principal value by radial reflection.  On the shell 1 − δ < s = |q| < 1 + δ (δ = ½)
     the map M: q → (2 − s) q̂ is an involution with Jacobian J = (2 − s)²/s², so
     ∫_shell f = ∫_shell ½[f(q) + J f(Mq)] d³q for any integrable f.  For the integrand of
     (U2), f ~ c(q̂)/(s − 1) next to the shell while J f(Mq) ~ −c(q̂)/(s − 1): the
     symmetrised integrand is bounded (a difference quotient of φ across the shell), and
     its integral is the principal value (the pole surface is a smooth sphere and the
     excluded layer |s − 1| < ε is symmetric, which is the definition of PV 1/(q² − 1)).
     δ = ½ keeps J ≤ 9 and away from q = 0.
(U4) Importance sampling.  t = k̂ − q is drawn from a mixture of laws matched to each
     cloud's |φ_X(t)|: a box: independent Cauchy laws in y_j = L_j (t·a_j)/2 (the envelope
     of sinc² is 1/(1 + y²) within a factor π); a cylinder: a Cauchy law along its axis
     times a bivariate Cauchy law (density ∝ (1 + |y⊥|²)^{−3/2}, the envelope of
     |2J₁(s)/s|²) in the disk plane, y⊥ = (D/2) t⊥; a Gaussian: N(0, 1.69 Σ⁻¹) and the box
     form along Σ's axes.  Two clouds: the mixture of both clouds' laws, equal weights.
     Then |φ|/p is bounded everywhere, so is the (symmetrised) integrand over p, and the
     variance is finite: the error is the plain standard error of i.i.d. samples (real and
     imaginary parts separately).  Samples come in batches; batch b draws from
     ``make_rng(seed, STREAMS["planewave"][pair], 3, b)``.
(U5) Inside one cloud φ is real and even, the weights A, B are real: Ḡ is real (Im = 0
     exactly, as the symmetry r → −r demands).
(U6) Antithetic pairs inside one cloud.  Every law of (U4) is even in t, so the mean of the
     integrand at t and at −t over p(t) is unbiased too.  With φ(−t) = φ(t) the paraxial
     odd part −φ/(2t_∥) of PV 1/(q² − 1) cancels sample by sample, the part that only the
     integral over directions cancels for a cloud tilted against the probe.  Measured (one
     run, 2¹⁷ samples, time-normalised variance): 10–40× less for a rotated box or cylinder
     at k_L L ≥ 10³, within ±40 % elsewhere; between clouds (φ complex) it does not help
     and is not used.

Where it is slow: a cloud tilted against the probe (no edge along k̂), inside one cloud, at
k_L L ≥ 10³.  Its Ḡ is small (Ḡ V ≈ −4 to −7 for the rotated boxes and cylinders of aspect 2
measured, against ≈ −250 to −2500 probed along an axis) and the per-sample relative spread
is ~50 at k_L L = 10³ and ~300–400 at 10⁵: 1 % needs 10⁷–10⁹ samples (the target is then
not met within the default cap; the error bar stays honest).  Between tilted clouds in
series, |Ḡ| is carried by Im Ḡ ≈ −(3π/2)/A and 1 % takes ~10⁶ samples.

(U7) Limits, measured.  The weights are bounded, so the variance is finite, but at k_L L ≳ 10⁴
     rare samples carry most of it: over 16 seeds of 2²⁰ samples the standard error of a cube
     at k_L L = 10⁵ varied 2× for one set of seeds and 180× for another, and the spread of the
     estimates was 0.9–1.9× the mean quoted error (a cylinder of aspect 3: 1.0–3.0×); at
     k_L L = 10³ the spreads are 0.8–1.1 with errors equal to 20 %.  ``GRates.tail_share``
     reports the largest sample's share of the sum of squares; above ``TAIL_SHARE_MAX`` the
     error bar is carried by one sample and is indicative only (lehmberg.rates says so in its
     notes).  A sampler matched to the near-shell structure of φ at large k_L L is the open fix.

Why not per-ray quadrature in s = |q|: φ of a box along a ray decays like a power of s with
oscillations of period 2π/L, so a deterministic s-rule at k_L L = 10⁵ needs 10⁵–10⁶ nodes per
ray for 1 %; and the answer is carried far out in the tails of φ (see below).  The Monte
Carlo of (U3)–(U4) needs no resolution of oscillations, and its per-sample relative spread
grows only slowly (~ (k_L L)^{1/4} for a cube: ≈ 2 at k_L L = 10, ≈ 20 at 10⁵), so 1 % costs
~4·10⁶ samples (a few seconds) at k_L L = 10⁵.  Doing the s-integral exactly on the core
|s − 1| < 8/L_q of each sampled ray (Gauss–Legendre, pole subtracted, divided by the ray
integral of the sampling density: unbiased) was tried and measured: at most 2× less variance
for 10–50× the work, also for the tilted clouds above; their spread is between directions,
not along rays.

Large k_L L: the Fresnel law of a uniform cloud (an independent check)
----------------------------------------------------------------------
For a prism probed along its axis (length L₃ along k̂, cross-section of area A and perimeter
Π, volume V = A L₃, Fresnel number A/L₃ ≫ 1) the forward part of g, −(3/2)(1 − P₀) cos r/r
with e^{ik̂·r} (P₀ = |p̂·k̂|²), gives the Fresnel integral cos(ρ²/2|z|)/(2|z|) over the pair
density ρ₂(r) = κ(ρ) (1 − |z|/L₃)/(A V) (κ the covariogram of the cross-section).  Over the
whole plane the uniform part integrates to −2πi|z| (exactly: ∫d²ρ e^{i(|z|−r)}/r = −2πi), which
is imaginary and cancels in z → −z; the kink of the covariogram, κ ≈ A − (Π/π)ρ (angular
mean), with ∫d²ρ ρ e^{−iρ²/2z} = (π^{3/2}/2)(2z)^{3/2} e^{−3iπ/4}, leaves the real part
(2√π Π/A) z^{3/2} of the transverse integral, and ∫₀^{L₃}dz (1 − z/L₃) z^{1/2} = (4/15)L₃^{3/2}::

    Ḡ ≈ −(2√π/5) (1 − P₀) (Π/A) L₃^{3/2} / V  +  C/V,                               (F1)
    C = 6πP₀ − 2π + (3π/2)(1 − P₀) + c_κ (1 − P₀) L₃²/A     (no dipole: 3π/2 + c_κ L₃²/A)

with c_κ the ρ² coefficient of κ/A over the plane: a box (κ = (L₁ − |x|)(L₂ − |y|)) has
c_κ = 1, a disk none (c_κ = 0).  The √(k_L L) growth is the diffraction of the forward light
at the cloud's sharp transverse edges; a Gaussian has no edge and keeps Ḡ V = O(1)
(its Ḡ = (6πP₀ − 2π − 6π(1−P₀)(a²/2 − 1/4))ρ₂, a = L₃/L⊥, is the same expansion).  So the
paraxial "Ḡ → (6πP₀ − 2π)ρ₂" holds for neither: Ḡ of a cube at k_L L = 10⁵ is ≈ −900/V.
The constant C is the paraxial one of the same expansion in t-space (A at q̂ = k̂, and the
t_∥² part of q² − 1 = t² − 2t_∥, which gives −(1/4)·(2π)³ρ₂ of the PV average); for Gaussians
it is exact at large k_L L (checked against lehmberg.anisotropic for a = ¼ … 4), for the
prisms it is tested where the edge term vanishes (p̂ ∥ k̂: Ḡ V → 4π).  The terms left out of
(F1) are of relative order (k_L L)^{-1/2} of C/V (measured for p̂ ∥ k̂: Ḡ V = 4π − 19/√(k_L L)
for aspect 2, from 10³ to 10⁵) and oscillate with the Fresnel number.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from sampling import STREAMS, make_rng

from ._checks import dipole, integer, number, unit_vector

__all__ = ["GRates", "g_rates", "fresnel_law", "TAIL_SHARE_MAX"]

_DELTA = 0.5               # half-width of the reflected shell (U3)
_GAUSS_WIDEN = 1.3         # the Gaussian law is this much wider than |φ| (U4)
_MIN_BATCHES = 8
#: Above this share of Σ|v|² in one sample the error bar is flagged as carried by one sample.
TAIL_SHARE_MAX = 0.1
_TWO_PI3 = (2.0 * math.pi) ** 3
_K = np.array([0.0, 0.0, 1.0])


@dataclasses.dataclass(frozen=True)
class GRates:
    """Ḡ_ab (units of Γ) with its standard error (err_re + 1j·err_im).

    ``evaluations`` counts the samples of t (each evaluates φ once, or twice on the shell),
    ``target_met`` whether the requested relative error was reached (None: none asked).
    ``tail_share`` is the largest single sample's share of Σ|v|² (the sum of squares behind the
    error bar): above :data:`TAIL_SHARE_MAX` one sample carries the error bar, the sign of the
    heavy tail these weights have at k_L L ≳ 10⁴ (module notes, U7), and the error bar is then
    only indicative.
    """

    g_bar: complex
    g_bar_err: complex
    evaluations: int
    target_met: bool | None
    tail_share: float = 0.0

    @property
    def rel_err(self) -> float:
        """|err| / |Ḡ| (both parts)."""
        a = abs(self.g_bar)
        return abs(self.g_bar_err) / a if a > 0 else math.inf


# ----------------------------------------------------------------------------- laws (U4)

class _Law:
    """y = A t follows ``kind``: "cauchy3" (independent Cauchy), "gauss", "disk" (bivariate
    Cauchy in y₀, y₁ and Cauchy in y₂)."""

    def __init__(self, kind, A):
        self.kind = kind
        self.A = np.asarray(A, dtype=float)
        self.Ainv = np.linalg.inv(self.A)
        self.det = abs(float(np.linalg.det(self.A)))

    def draw(self, n, rng):
        if self.kind == "cauchy3":
            y = rng.standard_cauchy((3, n))
        elif self.kind == "gauss":
            y = rng.standard_normal((3, n))
        else:
            y = rng.standard_normal((3, n))
            y[:2] /= np.abs(rng.standard_normal(n))
            y[2] = rng.standard_cauchy(n)
        return (self.Ainv @ y).T

    def pdf(self, t):
        y = t @ self.A.T
        if self.kind == "cauchy3":
            d = np.prod(1.0 / (math.pi * (1.0 + y * y)), axis=-1)
        elif self.kind == "gauss":
            d = np.exp(-0.5 * np.sum(y * y, axis=-1)) / (2.0 * math.pi) ** 1.5
        else:
            d = ((1.0 + y[:, 0] ** 2 + y[:, 1] ** 2) ** -1.5 / (2.0 * math.pi)
                 / (math.pi * (1.0 + y[:, 2] ** 2)))
        return self.det * d


def _laws(fc):
    """The laws of one frame cloud (U4)."""
    if fc.shape == "box":
        return [_Law("cauchy3", (0.5 * fc.L)[:, None] * fc.axes)]
    if fc.shape == "cylinder":
        return [_Law("disk", np.stack([0.5 * fc.L[0] * fc.axes[0], 0.5 * fc.L[0] * fc.axes[1],
                                       0.5 * fc.L[2] * fc.axes[2]]))]
    lam, V = np.linalg.eigh(fc.S)
    A = np.sqrt(lam)[:, None] * V.T          # yᵀy = tᵀ Σ t
    return [_Law("gauss", A / _GAUSS_WIDEN), _Law("cauchy3", A)]


# ----------------------------------------------------------------------------- estimator

class _Problem:
    """Frame clouds, centre difference, dipole and the integrand of (U2)–(U3)."""

    def __init__(self, cloud_a, cloud_b, k, p):
        from . import anisotropic as _an
        from .planewave import FrameCloud

        e1, e2 = _an._perp_basis(k)
        R = np.stack([e1, e2, k], axis=1)
        self.fa = FrameCloud(cloud_a, R, k, "cloud_a")
        self.intra = cloud_b is None
        self.fb = self.fa if self.intra else FrameCloud(cloud_b, R, k, "cloud_b")
        self.m = np.zeros(3) if self.intra else R.T @ (self.fa.centre - self.fb.centre)
        self.p = None if p is None else R.T @ np.asarray(p, dtype=complex)
        self.laws = _laws(self.fa) + ([] if self.intra else _laws(self.fb))
        self.weights = np.full(len(self.laws), 1.0 / len(self.laws))
        self.antithetic = self.intra          # (U6)

    def phi(self, t):
        v = self.fa.modulus(t) * self.fb.modulus(t)
        return v if self.intra else v * np.exp(1j * (t @ self.m))

    def f(self, q):
        """(2π)⁻³ ĝ(q) φ(k̂ − q) off the shell, and s, q̂."""
        s = np.sqrt(np.sum(q * q, axis=-1))
        qh = q / s[:, None]
        if self.p is None:
            A, B = 0.0, 1.0
        else:
            pq = qh @ self.p
            P = pq.real ** 2 + pq.imag ** 2
            A, B = 6.0 * math.pi * P - 2.0 * math.pi, 1.0 - P
        g = (A - 6.0 * math.pi * B / ((s - 1.0) * (s + 1.0))) / _TWO_PI3
        return g * self.phi(_K - q), s, qh

    def reflected(self, t):
        """The integrand of (U2) at k̂ − t with the shell reflection (U3), and its evaluations."""
        fq, s, qh = self.f(_K - t)
        shell = np.abs(s - 1.0) < _DELTA
        s2 = 2.0 - s[shell]
        f2, _, _ = self.f(s2[:, None] * qh[shell])
        val = fq if self.intra else fq.astype(complex)
        val[shell] = 0.5 * (fq[shell] + (s2 / s[shell]) ** 2 * f2)
        return val, int(t.shape[0] + shell.sum())

    def samples(self, n, rng):
        """n i.i.d. values of the symmetrised integrand over the mixture density (U3, U6)."""
        counts = rng.multinomial(n, self.weights)
        t = np.concatenate([law.draw(c, rng) for law, c in zip(self.laws, counts)])
        pdf = sum(w * law.pdf(t) for w, law in zip(self.weights, self.laws))
        plus, e1 = self.reflected(t)
        if not self.antithetic:
            return plus / pdf, e1
        minus, e2 = self.reflected(-t)
        return 0.5 * (plus + minus) / pdf, e1 + e2


def g_rates(cloud_a, cloud_b=None, k_hat=(0.0, 0.0, 1.0), p_hat=(1.0, 0.0, 0.0), rel_err=None,
            seed=0, max_samples=None, batch_size=2**16):
    """Ḡ_ab of two clouds (any of Gaussian, box, cylinder) by Monte Carlo in q-space.

    Parameters
    ----------
    cloud_a : lehmberg.Cloud
        Cloud of atom i (sizes k_L L_i along its axes, centre; a waist only on a Gaussian).
    cloud_b : lehmberg.Cloud or None
        Cloud of atom j; None: both atoms in cloud a (independent ordered pairs).
    k_hat : 3-vector
        Probe direction (normalised); |k_L| = 1.
    p_hat : complex 3-vector or None
        Dipole (normalised; a global phase changes nothing); None: no dipole factor
        (g = −(3/2) cos r/r).
    rel_err : float or None
        Stop when |err|/|Ḡ| ≤ rel_err (after at least 8 batches) or at ``max_samples``;
        None: exactly ``max_samples`` samples.  Between clouds in series |Ḡ| is carried by
        Im Ḡ (≈ −(3π/2)/A), so Re Ḡ then has a larger relative error (see g_bar_err).
    seed : int
        Master seed (module notes, U4).
    max_samples : int, optional
        Samples in total (default 2²⁰), or the cap with ``rel_err`` (default 2²⁷).
    batch_size : int
        Samples per batch (the stopping rule is checked after each).

    Returns
    -------
    GRates
        g_bar (complex; real inside one cloud), g_bar_err (standard errors, err_re +
        1j·err_im), evaluations, target_met.

    Examples
    --------
    >>> from lehmberg import Cloud
    >>> from lehmberg.uniform_g import g_rates, fresnel_law
    >>> cell = Cloud(shape="box", kL=1e4)                    # a cube, k_L L = 10⁴
    >>> out = g_rates(cell, rel_err=0.03, seed=1)
    >>> out.target_met, out.g_bar.imag                        # inside one cloud: real
    (True, 0.0)
    >>> abs(out.g_bar.real / fresnel_law(cell) - 1.0) < 4 * out.rel_err
    True
    """
    from .geometry import Cloud

    if not isinstance(cloud_a, Cloud):
        raise TypeError(f"cloud_a must be a lehmberg.Cloud, got {type(cloud_a).__name__}")
    if cloud_b is not None and not isinstance(cloud_b, Cloud):
        raise TypeError(f"cloud_b must be a lehmberg.Cloud or None, got {type(cloud_b).__name__}")
    k = unit_vector(k_hat, "k_hat")
    p = dipole(p_hat, "p_hat")
    rel_err = number(rel_err, "rel_err", 0.0, 0.5, lo_open=True, allow_none=True)
    seed = integer(seed, "seed", 0)
    batch_size = integer(batch_size, "batch_size", 64, 2**22)
    if max_samples is None:
        max_samples = 2**27 if rel_err is not None else 2**20
    max_samples = integer(max_samples, "max_samples", batch_size, 2**34)
    prob = _Problem(cloud_a, cloud_b, k, p)
    stream = STREAMS["planewave"]["intra" if prob.intra else "inter"]
    n = 0
    evals = 0
    s1 = 0j
    s2r = s2i = 0.0
    target = False if rel_err is not None else None
    b = 0
    top = 0.0
    while n + batch_size <= max_samples:
        v, e = prob.samples(batch_size, make_rng(seed, stream, 3, b))
        b += 1
        n += v.size
        evals += e
        s1 += complex(v.sum())
        s2r += float(np.sum(v.real ** 2))
        s2i += float(np.sum(np.imag(v) ** 2))
        top = max(top, float(np.max(v.real ** 2 + np.imag(v) ** 2)))
        if rel_err is not None and b >= _MIN_BATCHES:
            mean, err = _mean_err(s1, s2r, s2i, n)
            if abs(err) <= rel_err * abs(mean):
                target = True
                break
    mean, err = _mean_err(s1, s2r, s2i, n)
    if prob.intra:
        mean, err = complex(mean.real, 0.0), complex(err.real, 0.0)
    total = s2r + s2i
    return GRates(mean, err, int(evals), target, top / total if total > 0 else 0.0)


def _mean_err(s1, s2r, s2i, n):
    mean = s1 / n
    vr = max(s2r / n - mean.real ** 2, 0.0) / (n - 1)
    vi = max(s2i / n - mean.imag ** 2, 0.0) / (n - 1)
    return mean, complex(math.sqrt(vr), math.sqrt(vi))


def fresnel_law(cloud, p_hat=(1.0, 0.0, 0.0)):
    """Ḡ of a box or cylinder probed along its axis 3 at large k_L L, (F1) of the module notes.

    Parameters
    ----------
    cloud : lehmberg.Cloud
        A box or cylinder (the probe runs along its third axis).
    p_hat : complex 3-vector or None
        Dipole (lab frame; P₀ = |p̂·a₃|², a₃ the cloud's axis 3 = the probe); None: no dipole
        factor.

    Examples
    --------
    >>> from lehmberg import Cloud
    >>> from lehmberg.uniform_g import fresnel_law
    >>> round(fresnel_law(Cloud(shape="box", kL=1e5)) * 1e15, 1)   # Ḡ V of a cube
    -897.4
    """
    from .geometry import Cloud

    if not isinstance(cloud, Cloud) or cloud.shape == "gaussian":
        raise ValueError("cloud must be a lehmberg.Cloud of shape box or cylinder")
    p = dipole(p_hat, "p_hat")
    L1, L2, L3 = cloud.kL
    if cloud.shape == "box":
        area, perim, c_k = L1 * L2, 2.0 * (L1 + L2), L3 * L3 / (L1 * L2)
    else:
        area, perim, c_k = math.pi * L1 * L1 / 4.0, math.pi * L1, 0.0
    V = area * L3
    if p is None:
        P0, const = 0.0, 1.5 * math.pi
    else:
        P0 = abs(complex(np.dot(np.asarray(p, dtype=complex), np.asarray(cloud.axes[2])))) ** 2
        const = 6.0 * math.pi * P0 - 2.0 * math.pi + 1.5 * math.pi * (1.0 - P0)
    lead = -(2.0 * math.sqrt(math.pi) / 5.0) * (1.0 - P0) * (perim / area) * L3 ** 1.5
    return (lead + const + (1.0 - P0) * c_k) / V
