"""Deterministic reference for the position-averaged rates of Gaussian clouds (SPEC §3, §4).

Lengths are in units of 1/k_L (k = k_L = 1), rates in units of Γ.  The
difference r = r_i − r_j of an atom i in cloud I (centred at 0) and an atom j
in cloud II (centred at R = R·R̂) has the density of Eq. (B6) and of the
inter-ensemble integral after it::

    ρ(r) = exp(−|r − m|²/2L²) / ((2π)^{3/2} L³),   m = −R R̂   (m = 0 inside one cloud)

Radial route (used for every number this module returns)
--------------------------------------------------------
With x = k r and c = p̂·r̂, 1 − c² = 2/3 − (2/3)P₂(c) and 1 − 3c² = −2P₂(c) turn
Eqs. (9) and (10) into spherical Bessel functions::

    γ(r) = j₀(x) + P₂(p̂·r̂) j₂(x),      g(r) = y₀(x) + P₂(p̂·r̂) y₂(x)            (R1)

The probe phase and the Gaussian combine into one plane wave with a complex
wave vector, ρ(r) e^{iẑ·r} = C e^{−(r²+R²)/2L²} e^{iw·r} with w = ẑ + i R R̂/L².
The plane-wave expansion continues analytically to complex w, so the angular
integrals are done in closed form (s² = w·w, P₂ of complex unit vectors)::

    (1/4π)∫dΩ e^{iw·r}             = j₀(s r)
    (1/4π)∫dΩ e^{iw·r} P₂(p̂·r̂)    = −j₂(s r) P₂(ŵ·p̂) = −Q r² j₂(sr)/(sr)²,
    Q = (3 (w·p̂)² − w·w)/2                                                       (R2)

leaving one radial integral for any direction of R and p̂::

    Γ̄ = A e^{−R²/2L²} ∫₀^∞ r² e^{−r²/2L²} [ j₀(r) j₀(sr) − Q r² j₂(r) j₂(sr)/(sr)² ] dr
    Ḡ = A e^{−R²/2L²} ∫₀^∞ r² e^{−r²/2L²} [ y₀(r) j₀(sr) − Q r² y₂(r) j₂(sr)/(sr)² ] dr   (R3)

with A = 4π/((2π)^{3/2} L³) = √(2/π)/L³.  j₀(z) and j₂(z)/z² are even entire
functions of z, so the branch of s is irrelevant and s = 0 is harmless.  The
integrands are analytic at r = 0: Ḡ's 1/r³ near field has already been
integrated away by the angular integral of (1 − 3c²) (R2 has no l = 0 part).
Inside one cloud s = 1 and Q = −P₂(p̂·ẑ)·... reduces (R3) to
Γ̄ = A∫r²e^{−r²/2L²}[j₀² − P₂(p̂_z) j₂²]dr, the form of Eq. (B7).

Without the dipole factor (the paper's inter-cloud calculation, kernel
(3/2) sin x/x and −(3/2) cos x/x) only the j₀ / y₀ terms remain, times 3/2.

Quadrature
----------
The integrand's envelope is e^{−(r−r*)²/2L²} with r* = L² |Im s| (r* = R for
R ∥ k_L); outside r* ± 9.6 L it is below e^{−46} of its peak.  That window is
cut into panels no longer than 1.5 (a quarter of the fastest oscillation,
e^{2ir}) and L/4 (L/10 near r = 0), each integrated by Gauss–Legendre rules of
24 and 32 points.  The error estimate is Σ_panels |I₃₂ − I₂₄| plus a rounding
bound 64 ε Σ|f| w.  Oscillating exponentials are scaled by e^{−|Im z|} and the
Gaussian envelope is combined with them in the exponent, so nothing overflows.

A second, independent route for Γ̄ (not Ḡ, which has no on-shell plane-wave
form) is :func:`gamma_bar_plane_wave`: γ(r) = (3/8π)∫dΩ_q (1−(p̂·q̂)²) e^{iq̂·r}
turns the position average into a smooth 2D integral over emission directions.
"""

import math

import numpy as np

from ._checks import unit_vector
from .result import Rates

__all__ = ["reference_rates", "cost", "radial_integrals", "gamma_bar_plane_wave", "complex_wave",
           "G_LIMIT", "C4", "paper_inter"]

#: lim (k_L L)³ G_ij inside one cloud for p̂ ⊥ k_L: −7/(4√(2π)) (docs/appendix-b.md).
G_LIMIT = -7.0 / (4.0 * math.sqrt(2.0 * math.pi))
#: Coefficient of the leading correction, lim (Γ_ij − 3/(4(k_L L)²))(k_L L)⁴, p̂ ⊥ k_L.
C4 = -0.75


def paper_inter(kL, kR):
    """The paper's Γ̄_I,II without the dipole factor, R ∥ k_L (Appendix B):
    3/(4((k_L L)² + i k_L R)) (1 − e^{−2(k_L L)² − 2i k_L R}), units of Γ.

    Examples
    --------
    >>> from lehmberg.reference import paper_inter
    >>> print(f"{complex(paper_inter(10.0, 0.0)).real:.6f}")     # 3/(4 (k_L L)²)
    0.007500
    """
    kL = np.asarray(kL, float)
    kR = np.asarray(kR, float)
    return 3.0 / (4.0 * (kL**2 + 1j * kR)) * (1.0 - np.exp(-2.0 * kL**2 - 2j * kR))

_N_LO, _N_HI = 24, 32
_X_LO, _W_LO = np.polynomial.legendre.leggauss(_N_LO)
_X_HI, _W_HI = np.polynomial.legendre.leggauss(_N_HI)
_WINDOW = 9.6  # half-width of the integration window in units of L: e^{-46} of the peak
_PANELS_PER_BLOCK = 8192
_EPS = np.finfo(float).eps


def complex_wave(kL, kR, R_dir, p_hat):
    """Parameters of (R2)-(R3): (s, Q, r*, E_max).

    s = √(w·w) with w = ẑ + i (k_L R/(k_L L)²) R̂; Q = (3(w·p̂)² − w·w)/2;
    r* = L²|Im s| (peak of the envelope); E_max = (r*² − R²)/2L² ≤ 0 (log of the
    envelope's peak), computed without cancellation.
    """
    L2 = kL * kL
    u = kR / L2
    R_dir = unit_vector(R_dir, "R_dir")
    p_hat = unit_vector(p_hat, "p_hat")
    cz = float(R_dir[2])
    sin2 = float(R_dir[0] ** 2 + R_dir[1] ** 2)  # 1 − c² without cancellation
    w = np.array([0.0, 0.0, 1.0]) + 1j * u * R_dir
    ww = 1.0 - u * u + 2j * u * cz
    if sin2 == 0.0:
        s = complex(1.0, u * cz)  # exact square root of (1 + iu c)², c = ±1
    else:
        s = complex(np.sqrt(ww))
    wp = complex(np.dot(w, p_hat))
    Q = (3.0 * wp * wp - ww) / 2.0
    im_s = abs(s.imag)
    r_star = L2 * im_s
    mod = math.hypot(1.0 - u * u, 2.0 * u * cz)
    E_max = -L2 * u * u * sin2 / (mod + 1.0 + u * u)
    return s, Q, r_star, E_max


def _series_j0_f2(z2):
    """j₀(z) and j₂(z)/z² from their series in z² (|z| < 1)."""
    j0 = np.zeros_like(z2)
    f2 = np.zeros_like(z2)
    t = -z2 / 2.0
    term = np.ones_like(z2)
    df0, df2 = 1.0, 15.0  # (2k+1)!!, (2k+5)!!
    for k in range(18):
        j0 = j0 + term / df0
        f2 = f2 + term / df2
        term = term * t / (k + 1)
        df0 *= 2 * k + 3
        df2 *= 2 * k + 7
    return j0, f2


def _j0_f2_scaled(z):
    """(j₀(z) e^{−|Im z|}, j₂(z)/z² e^{−|Im z|}) for complex z, and |Im z|."""
    z = np.asarray(z, dtype=complex)
    t = np.abs(z.imag)
    small = np.abs(z) < 1.0
    zb = np.where(small, 1.0, z)
    ep = np.exp(1j * zb - t)
    em = np.exp(-1j * zb - t)
    sn = (ep - em) / 2j
    cs = (ep + em) / 2.0
    j0 = sn / zb
    f2 = ((3.0 / (zb * zb) - 1.0) * sn / zb - 3.0 * cs / (zb * zb)) / (zb * zb)
    if np.any(small):
        s0, s2 = _series_j0_f2(z[small] ** 2)
        scale = np.exp(-t[small])
        j0[small] = s0 * scale
        f2[small] = s2 * scale
    return j0, f2, t


def _real_bessels(r):
    """j₀(r), j₂(r), y₀(r), y₂(r) for real r > 0 (series for j below r = 1)."""
    sn = np.sin(r)
    cs = np.cos(r)
    j0 = sn / r
    j2 = (3.0 / r**3 - 1.0 / r) * sn - 3.0 * cs / r**2
    small = r < 1.0
    if np.any(small):
        s0, s2 = _series_j0_f2(r[small] ** 2)
        j0[small] = s0
        j2[small] = s2 * r[small] ** 2
    y0 = -cs / r
    y2 = (-3.0 / r**3 + 1.0 / r) * cs - 3.0 * sn / r**2
    return j0, j2, y0, y2


def _integrand(r, kL, s, Q, r_star, E_max, dipole):
    """The four integrands of (R3) without A: Γ̄ (j) and Ḡ (y), for real r > 0."""
    j0r, j2r, y0r, y2r = _real_bessels(r)
    j0s, f2s, t = _j0_f2_scaled(s * r)
    # e^{−(r²+R²)/2L²} e^{|Im sr|} = e^{−(r−r*)²/2L² + E_max}, exactly (r* = L²|Im s|)
    env = r * r * np.exp(E_max - (r - r_star) ** 2 / (2.0 * kL * kL))
    if dipole:
        qr2 = Q * r * r * f2s
        fg = env * (j0r * j0s - qr2 * j2r)
        fG = env * (y0r * j0s - qr2 * y2r)
    else:
        fg = 1.5 * env * j0r * j0s
        fG = 1.5 * env * y0r * j0s
    return fg, fG


def _panels(kL, r_star):
    a = max(0.0, r_star - _WINDOW * kL)
    b = r_star + _WINDOW * kL
    h = min(1.5, kL / (10.0 if a == 0.0 else 4.0))
    n = max(2, int(math.ceil((b - a) / h)))
    return np.linspace(a, b, n + 1)


def radial_integrals(kL, kR=0.0, R_dir=(0.0, 0.0, 1.0), p_hat=(1.0, 0.0, 0.0), dipole=True):
    """Γ̄ and Ḡ from the radial integrals (R3), with quadrature error estimates.

    Returns ``(gamma_bar, gamma_bar_err, g_bar, g_bar_err, n_evals)``; the errors
    are ``err_re + 1j*err_im``.
    """
    s, Q, r_star, E_max = complex_wave(kL, kR, R_dir, p_hat)
    edges = _panels(kL, r_star)
    A = math.sqrt(2.0 / math.pi) / kL**3
    tot = np.zeros((2, 2), dtype=complex)  # [Γ̄, Ḡ] x [hi, lo]
    diff_re = np.zeros(2)
    diff_im = np.zeros(2)
    absum = np.zeros(2)
    n_evals = 0
    for start in range(0, len(edges) - 1, _PANELS_PER_BLOCK):
        e = edges[start:start + _PANELS_PER_BLOCK + 1]
        mid = 0.5 * (e[1:] + e[:-1])[:, None]
        half = 0.5 * (e[1:] - e[:-1])[:, None]
        parts = []
        for x, w in ((_X_HI, _W_HI), (_X_LO, _W_LO)):
            r = (mid + half * x[None, :]).ravel()
            fg, fG = _integrand(r, kL, s, Q, r_star, E_max, dipole)
            ww = (half * w[None, :]).ravel()
            n_evals += r.size
            parts.append([(f * ww).reshape(mid.shape[0], -1) for f in (fg, fG)])
            if x is _X_HI:
                absum += [np.sum(np.abs(fg) * ww), np.sum(np.abs(fG) * ww)]
        for q in range(2):
            hi = parts[0][q].sum(axis=1)
            lo = parts[1][q].sum(axis=1)
            tot[q, 0] += hi.sum()
            tot[q, 1] += lo.sum()
            diff_re[q] += np.abs((hi - lo).real).sum()
            diff_im[q] += np.abs((hi - lo).imag).sum()
    rounding = 64.0 * _EPS * absum
    err_re = A * (diff_re + rounding)
    err_im = A * (diff_im + rounding)
    gb, Gb = A * tot[0, 0], A * tot[1, 0]
    return (complex(gb), complex(err_re[0], err_im[0]), complex(Gb), complex(err_re[1], err_im[1]),
            n_evals)


def reference_rates(kL, kR=None, R_dir=(0.0, 0.0, 1.0), p_hat=(1.0, 0.0, 0.0), shape="gaussian",
                    dipole=True):
    """Reference rates of Gaussian clouds by quadrature of the radial integrals (R3).

    Parameters
    ----------
    kL : float
        k_L L, the cloud size (per-axis standard deviation L/√2), > 0.
    kR : float or None
        k_L R, the distance of cloud II; None or 0 gives the rates inside cloud I.
    R_dir, p_hat : 3-vectors
        Direction of R and dipole direction (normalised here); the probe is along ẑ.
    shape : str
        Only ``"gaussian"``.
    dipole : bool
        False drops the dipole factor (as ``p_hat=None`` does): kernels (3/2) sin x/x and −(3/2) cos x/x (the
        paper's inter-cloud calculation).

    Returns
    -------
    Rates
        method ``"reference"``, errors are quadrature error estimates, n_samples the
        number of integrand evaluations.

    Examples
    --------
    >>> from lehmberg.reference import reference_rates
    >>> est = reference_rates(100.0)
    >>> print(f"{est.Gamma_ij * 100.0**2:.8f}")  # 3/4 − 3/(4 (k_L L)²) + ...
    0.74992501
    """
    if shape != "gaussian":
        raise ValueError(f"shape={shape!r}: the quadrature reference covers Gaussian clouds only")
    kL = float(kL)
    if not (math.isfinite(kL) and kL > 0.0):
        raise ValueError(f"kL must be finite and > 0, got {kL!r}")
    kR = 0.0 if kR is None else float(kR)
    if not (math.isfinite(kR) and kR >= 0.0):
        raise ValueError(f"kR must be finite and >= 0, got {kR!r}")
    if p_hat is None:
        p_hat, dipole = (1.0, 0.0, 0.0), False
    gb, gb_err, Gb, Gb_err, n = radial_integrals(kL, kR, R_dir, p_hat, dipole)
    return Rates.from_parts(gb, gb_err, Gb, Gb_err, n, "reference",
                            error_kind="quadrature error estimate", bound=True)


def cost(kL, kR=None, R_dir=(0.0, 0.0, 1.0), p_hat=(1.0, 0.0, 0.0)):
    """Integrand evaluations :func:`reference_rates` will make (known before any work).

    The window of (R3) is 19.2 k_L L wide in panels of at most 1.5, 56 points each, so
    the cost grows like k_L L: about 3.6·10⁵ evaluations (0.3 s) at k_L L = 10³.
    """
    _, _, r_star, _ = complex_wave(kL, 0.0 if kR is None else kR, R_dir,
                                   (1.0, 0.0, 0.0) if p_hat is None else p_hat)
    a = max(0.0, r_star - _WINDOW * kL)
    h = min(1.5, kL / (10.0 if a == 0.0 else 4.0))
    return (_N_LO + _N_HI) * max(2, int(math.ceil((r_star + _WINDOW * kL - a) / h)))


def gamma_bar_plane_wave(kL, kR=0.0, R_dir=(0.0, 0.0, 1.0), p_hat=(1.0, 0.0, 0.0), dipole=True,
                         n_alpha=400, n_phi=256):
    """Γ̄ by the 2D integral over emission directions q̂ (independent of (R3)).

    Γ̄ = (3/8π) ∫dΩ_q (1 − (p̂·q̂)²) exp(iK·m − L²|K|²/2),  K = ẑ + q̂,  m = −R R̂
    (dipole=False: (3/2)(1/4π) ∫dΩ_q exp(...), since (3/2) sin x/x = (3/8π)∫dΩ_q e^{iq̂·r}).
    Polar angle α measured from −ẑ, where the Gaussian
    e^{−2L² sin²(α/2)} concentrates; Gauss–Legendre in α on [0, α_max] (split at
    2/L panels) and the trapezoidal rule in φ (periodic).  Returns (value, change
    when n_alpha is halved) as a crude error estimate.
    """
    R_dir = unit_vector(R_dir, "R_dir")
    p_hat = unit_vector(p_hat, "p_hat")
    m = -kR * R_dir

    def run(na):
        amax = min(math.pi, 14.0 / kL)
        npan = max(1, int(math.ceil(amax / min(amax, 0.5 / kL, 0.05))))
        npan = min(npan, 64)
        x, w = np.polynomial.legendre.leggauss(max(8, na // npan))
        e = np.linspace(0.0, amax, npan + 1)
        a = ((e[1:] + e[:-1])[:, None] / 2 + (e[1:] - e[:-1])[:, None] / 2 * x).ravel()
        wa = ((e[1:] - e[:-1])[:, None] / 2 * w).ravel()
        phi = 2 * math.pi * np.arange(n_phi) / n_phi
        A, P = np.meshgrid(a, phi, indexing="ij")
        q = np.stack([np.sin(A) * np.cos(P), np.sin(A) * np.sin(P), -np.cos(A)], axis=-1)
        K = q.copy()
        K[..., 2] += 1.0
        K2 = 4.0 * np.sin(A / 2) ** 2
        f = np.exp(1j * (K @ m) - kL * kL * K2 / 2)
        if dipole:
            f = f * (1.0 - (q @ p_hat) ** 2) * 3.0 / (8.0 * math.pi)
        else:
            f = f * 1.5 / (4.0 * math.pi)
        f = f * np.sin(A)
        return complex(np.sum(f.sum(axis=1) * wa) * (2 * math.pi / n_phi))

    hi = run(n_alpha)
    lo = run(n_alpha // 2)
    return hi, abs(hi - lo)
