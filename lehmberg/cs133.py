"""Cs-133 preset for the three-level model (Sec. IV, App. E; SPEC §6).

Everything here follows from angular-momentum algebra and the measured Cs
hyperfine splittings; the probe power cancels because every rate is returned
in units of Γ, the rate unit of the two-level model (``Γ↓↑ = μ²Γ``,
``Γ↑↓ = ν²Γ``, ``μ² − ν² = 1``).

Geometry (Figs. 1, 5): magnetic field, hence quantisation axis, along x̂;
probe along ẑ, polarised along ŷ (or x̂); ensemble I polarised along +x̂
(``|↑⟩ = |4, 4⟩``, ``|↓⟩ = |4, 3⟩``, ``|h⟩ = |3, 3⟩``).  Ensemble II is the
mirror image (m → −m) and gives the same numbers.

Choices the paper leaves open (docs/entanglement.md lists them with reasons):

1. **Raman amplitudes add before squaring.**  The rate ``a → b`` with emitted
   photon polarisation q is ``|Σ_F' ⟨b|d_q|F' m'⟩⟨a|d_q'|F' m'⟩ / Δ_F'|²``
   (second-order perturbation theory), summed incoherently over q (orthogonal
   photon states after integrating over emission directions) and over the two
   circular components of a linearly polarised probe.  App. E's formula
   ``Ω² Σ_l c_l²/Δ_l γ`` (squares summed, one power of Δ) is dimensionally
   inconsistent with footnote 68 (``c²/|Δ|²``); we use 1/Δ amplitudes.
2. Detunings are measured from each excited hyperfine level, for the ground
   level the atom starts in; Doppler broadening of the probe is neglected
   (the paper does the same; 700 MHz is ~2 Doppler widths, so this is rough).
3. ``|h⟩`` stands for the whole F = 3 manifold: losses ``↑ → h`` and ``↓ → h``
   sum over every final m in F = 3; rates back out of ``h`` are computed from
   ``|3, 3⟩``.  Transitions to ``|4, m ≤ 2⟩`` are neglected, as in App. E
   (their size is reported: :func:`leakage_ratios`).
4. ``Γ↑↑``, ``Γ↓↓`` are the total rates of Raman scattering that returns the
   atom to its own state (the paper's "radiative processes that leave the
   state unchanged"), summed into Γ̄ as the paper does.
5. Pump: σ⁺ on the D1 line, resonant with ``F = 4 → F' = 4`` (``|↑⟩`` is
   dark).  Its strength is the two-level pump parameter x: the pump-induced
   ``↓ → ↑`` rate is ``x μ² Γ`` (Sec. III D).  An excited atom decays with
   the D1 branching ratios to ↑, ↓ (counted in ``Γ↓↓``) and F = 3 (``↓ → h``).
   Repump: σ⁺ on D2, ``F = 3 → F' = 4``, excitation rate
   ``x_repump × (c_repump/c_pump)² ×`` the pump excitation rate
   (``x_repump = Ω²_repump/Ω²_pump``; c the transition-strength factors),
   branching from ``|4', 4⟩`` of 6P3/2 to ↑, ↓ and back to F = 3.

Wigner 3j/6j symbols are evaluated exactly from the Racah formulas with
:func:`math.factorial` (Fraction arithmetic), no sympy.
"""

import math
from fractions import Fraction
from functools import lru_cache

__all__ = ["wigner_3j", "wigner_6j", "clebsch_gordan", "dipole_element", "transition_strength",
           "raman_rate_amplitudes", "probe_rates", "mu_nu", "leakage_ratios", "pump_branching",
           "cs133_rates", "model", "up_fraction_min", "optimal_pump", "I_NUC", "HFS_D2_MHZ", "HFS_D1_MHZ", "GROUND_SPLITTING_MHZ"]

I_NUC = Fraction(7, 2)
#: 6P3/2 hyperfine level energies (MHz) relative to the F' = 5 level (Steck, Cs D line data).
HFS_D2_MHZ = {5: 0.0, 4: -251.0916, 3: -452.3734, 2: -603.5894}
#: 6P1/2 hyperfine level energies (MHz) relative to F' = 4.
HFS_D1_MHZ = {4: 0.0, 3: -1167.680}
#: 6S1/2 F = 4 − F = 3 splitting (MHz).
GROUND_SPLITTING_MHZ = 9192.631770


def _f(x):
    return Fraction(x).limit_denominator(4)


def _fact(x):
    x = _f(x)
    if x.denominator != 1 or x < 0:
        raise ValueError("factorial of a non-integer or negative number")
    return math.factorial(int(x))


def _triangle(a, b, c):
    a, b, c = _f(a), _f(b), _f(c)
    if (a + b + c).denominator != 1 or c < abs(a - b) or c > a + b:
        return None
    return Fraction(_fact(a + b - c) * _fact(a - b + c) * _fact(-a + b + c), _fact(a + b + c + 1))


@lru_cache(maxsize=None)
def wigner_3j(j1, j2, j3, m1, m2, m3):
    """The Wigner 3j symbol (Racah formula), exact for integer and half-integer arguments."""
    j1, j2, j3, m1, m2, m3 = map(_f, (j1, j2, j3, m1, m2, m3))
    if m1 + m2 + m3 != 0 or abs(m1) > j1 or abs(m2) > j2 or abs(m3) > j3:
        return 0.0
    if any((j - m).denominator != 1 for j, m in ((j1, m1), (j2, m2), (j3, m3))):
        return 0.0
    tri = _triangle(j1, j2, j3)
    if tri is None:
        return 0.0
    pre = tri * _fact(j1 + m1) * _fact(j1 - m1) * _fact(j2 + m2) * _fact(j2 - m2) \
        * _fact(j3 + m3) * _fact(j3 - m3)
    tmin = max(0, j2 - j3 - m1, j1 - j3 + m2)
    tmax = min(j1 + j2 - j3, j1 - m1, j2 + m2)
    s = Fraction(0)
    t = tmin
    while t <= tmax:
        s += Fraction((-1) ** int(t), _fact(t) * _fact(j3 - j2 + t + m1) * _fact(j3 - j1 + t - m2)
                      * _fact(j1 + j2 - j3 - t) * _fact(j1 - t - m1) * _fact(j2 - t + m2))
        t += 1
    sign = (-1) ** int(j1 - j2 - m3)
    return float(sign * s) * math.sqrt(float(pre))


@lru_cache(maxsize=None)
def wigner_6j(j1, j2, j3, j4, j5, j6):
    """The Wigner 6j symbol {j1 j2 j3; j4 j5 j6} (Racah formula)."""
    j1, j2, j3, j4, j5, j6 = map(_f, (j1, j2, j3, j4, j5, j6))
    tris = [_triangle(j1, j2, j3), _triangle(j1, j5, j6), _triangle(j4, j2, j6),
            _triangle(j4, j5, j3)]
    if any(t is None for t in tris):
        return 0.0
    pre = tris[0] * tris[1] * tris[2] * tris[3]
    a = [j1 + j2 + j3, j1 + j5 + j6, j4 + j2 + j6, j4 + j5 + j3]
    b = [j1 + j2 + j4 + j5, j2 + j3 + j5 + j6, j3 + j1 + j6 + j4]
    s = Fraction(0)
    t = max(a)
    while t <= min(b):
        den = 1
        for x in a:
            den *= _fact(t - x)
        for x in b:
            den *= _fact(x - t)
        s += Fraction((-1) ** int(t) * _fact(t + 1), den)
        t += 1
    return float(s) * math.sqrt(float(pre))


def clebsch_gordan(j1, m1, j2, m2, J, M):
    """⟨j1 m1; j2 m2 | J M⟩ from the 3j symbol."""
    j1, m1, j2, m2, J, M = map(_f, (j1, m1, j2, m2, J, M))
    return (-1) ** int(j1 - j2 + M) * math.sqrt(float(2 * J + 1)) * wigner_3j(j1, j2, J, m1, m2, -M)


def transition_strength(Jg, Fg, Je, Fe, I=I_NUC):
    """Relative hyperfine strength S = (2F_e+1)(2J_g+1){J_g J_e 1; F_e F_g I}² (Σ_Fe S = 1)."""
    return float((2 * _f(Fe) + 1) * (2 * _f(Jg) + 1)) * wigner_6j(Jg, Je, 1, Fe, Fg, I) ** 2


def dipole_element(Jg, Fg, mg, Je, Fe, me, I=I_NUC):
    """⟨F_g m_g| d_q |F_e m_e⟩ / ⟨J_g‖d‖J_e⟩ with q = m_g − m_e (Steck's convention).

    Always the ground-bra, excited-ket element, so that the relative signs of
    paths through different F_e are consistent in a Raman amplitude.
    """
    Jg, Fg, mg, Je, Fe, me = map(_f, (Jg, Fg, mg, Je, Fe, me))
    q = mg - me
    if abs(q) > 1:
        return 0.0
    phase = (-1) ** int(Fe + Jg + 1 + I)
    return phase * math.sqrt(float((2 * Fe + 1) * (2 * Jg + 1))) * wigner_6j(Jg, Je, 1, Fe, Fg, I) \
        * clebsch_gordan(Fe, me, 1, q, Fg, mg)


def _detuning(Fi, Fe, delta_MHz):
    """Δ = ω_L − ω(F_i → F_e) in MHz for a D2 probe ``delta_MHz`` above F=4 → F'=5."""
    shift = 0.0 if Fi == 4 else GROUND_SPLITTING_MHZ
    return delta_MHz - (HFS_D2_MHZ[Fe] - HFS_D2_MHZ[5]) - shift


def _probe_components(polarisation):
    """|amplitude|² of the σ⁺ (q=+1), π (q=0), σ⁻ (q=−1) parts, quantisation axis x̂."""
    if polarisation == "y":      # ŷ ⟂ x̂: equal σ⁺ and σ⁻
        return {+1: 0.5, 0: 0.0, -1: 0.5}
    if polarisation == "x":      # x̂ ∥ quantisation axis: π
        return {+1: 0.0, 0: 1.0, -1: 0.0}
    raise ValueError(f"polarisation must be 'x' or 'y', got {polarisation!r}")


def raman_rate_amplitudes(Fi, mi, Ff, mf, delta_MHz, polarisation="y"):
    """Unnormalised spontaneous Raman rate ``(F_i, m_i) → (F_f, m_f)`` on the D2 line.

    Returns ``{(q_in, q_out): |Σ_F' d(f,F'm') d(i,F'm') / Δ_F'|² × |ε_q_in|²}``:
    amplitudes through F' = 2…5 add before squaring (choice 1), detuned by
    :func:`_detuning`; different (q_in, q_out) end in orthogonal photon states and
    are added as rates by the caller.
    """
    out = {}
    for q_in, weight in _probe_components(polarisation).items():
        if weight == 0.0:
            continue
        me = mi + q_in
        q_out = me - mf
        if abs(q_out) > 1:
            continue
        amp = 0.0
        for Fe in (2, 3, 4, 5):
            if abs(me) > Fe:
                continue
            amp += (dipole_element(0.5, Ff, mf, 1.5, Fe, me) * dipole_element(0.5, Fi, mi, 1.5, Fe, me)
                    / _detuning(Fi, Fe, delta_MHz))
        if amp != 0.0:
            out[(q_in, q_out)] = weight * amp * amp
    return out


def _raw(Fi, mi, Ff, mf, delta_MHz, polarisation, q_out=None):
    terms = raman_rate_amplitudes(Fi, mi, Ff, mf, delta_MHz, polarisation)
    return sum(v for (qi, qo), v in terms.items() if q_out is None or qo == q_out)


def mu_nu(delta_MHz=700.0, polarisation="y"):
    """μ, ν and Z = 1/(μ − ν) of ensemble I from the D2 Raman amplitudes (Sec. IV A).

    μ² ∝ rate of ``|4,3⟩ → |4,4⟩`` and ν² ∝ rate of ``|4,4⟩ → |4,3⟩`` into the
    collectively enhanced forward mode — the probe-orthogonal polarisation: π
    (x̂) for a ŷ probe, σ (ŷ) for an x̂ probe — normalised to μ² − ν² = 1.
    Raises ValueError when ν ≥ μ (no squeezing of the right sign).
    """
    if polarisation == "y":
        q_fwd = 0
        a2 = _raw(4, 3, 4, 4, delta_MHz, polarisation, q_fwd)
        s2 = _raw(4, 4, 4, 3, delta_MHz, polarisation, q_fwd)
    else:
        # x̂ probe drives π; the forward ŷ mode is σ±: ↓→↑ emits q_out = −1, ↑→↓ emits +1.
        a2 = _raw(4, 3, 4, 4, delta_MHz, polarisation, -1)
        s2 = _raw(4, 4, 4, 3, delta_MHz, polarisation, +1)
    if not (a2 > s2 > 0):
        raise ValueError(f"no entangling configuration at Δ = {delta_MHz} MHz with a "
                         f"{polarisation}-polarised probe (|μ| ≤ |ν|)")
    r = math.sqrt(s2 / a2)
    mu = 1.0 / math.sqrt(1.0 - r * r)
    nu = r * mu
    return mu, nu, 1.0 / (mu - nu), a2 - s2


def _elastic_amplitude(m, q_in, delta_MHz):
    """Σ_F' d(4m, F' m+q)² / Δ_F': amplitude of ``|4,m⟩ → |4,m⟩`` scattering a q_in photon into q_in."""
    me = m + q_in
    return sum(dipole_element(0.5, 4, m, 1.5, Fe, me) ** 2 / _detuning(4, Fe, delta_MHz)
               for Fe in (2, 3, 4, 5) if abs(me) <= Fe)


def probe_rates(delta_MHz=700.0, polarisation="y", dephasing="amplitude"):
    """Probe-induced single-atom rates of the three-level model, in units of Γ.

    Keys ``ud, du, uh, dh, hu, hd`` (``ud`` = Γ↑↓, rate ↑ → ↓), ``uu, dd`` (total
    rates of scattering back into the same state), ``deph`` (what enters Γ̄ for
    Γ↑↑ + Γ↓↓) and ``mu, nu, Z``.  Γ is fixed by ``Γ↓↑(fwd) − Γ↑↓(fwd) = Γ``.

    ``dephasing="amplitude"`` (default, choice 4): elastic scattering from ↑ and
    ↓ into the same photon mode dephases only through the difference of the two
    amplitudes, ``deph = Σ_q |ε_q|² |A↑(q) − A↓(q)|²`` (the coherence ρ↑↓ decays
    at deph/2, as Γ_d does in Eq. 13).  ``dephasing="paper"``: ``deph = uu + dd``
    as Eq. (21) reads literally — dominated by the σ⁺ cycling transition
    |4,4⟩ → |5',5⟩, it leaves no entanglement at d = 30.
    """
    if dephasing not in ("amplitude", "paper"):
        raise ValueError(f"dephasing must be 'amplitude' or 'paper', got {dephasing!r}")
    mu, nu, Z, unit = mu_nu(delta_MHz, polarisation)
    up, dn, h = (4, 4), (4, 3), (3, 3)

    def r(a, b):
        return _raw(*a, *b, delta_MHz, polarisation) / unit

    def to_f3(a):
        return sum(r(a, (3, m)) for m in range(-3, 4))

    out = {"ud": r(up, dn), "du": r(dn, up), "uh": to_f3(up), "dh": to_f3(dn),
           "hu": r(h, up), "hd": r(h, dn), "uu": r(up, up), "dd": r(dn, dn),
           "mu": mu, "nu": nu, "Z": Z}
    if dephasing == "paper":
        out["deph"] = out["uu"] + out["dd"]
    else:
        comps = _probe_components(polarisation)
        out["deph"] = sum(w * (_elastic_amplitude(4, q, delta_MHz) - _elastic_amplitude(3, q, delta_MHz)) ** 2
                          for q, w in comps.items() if w > 0) / unit
    return out


def leakage_ratios(delta_MHz=700.0, polarisation="y"):
    """Γ(|4,4⟩→|4,2⟩)/Γ(|4,4⟩→|4,3⟩) and Γ(|4,4⟩→|3,2⟩)/Γ(|4,4⟩→|4,3⟩) (App. E quotes 0.03, 0.02)."""
    base = _raw(4, 4, 4, 3, delta_MHz, polarisation)
    return (_raw(4, 4, 4, 2, delta_MHz, polarisation) / base,
            _raw(4, 4, 3, 2, delta_MHz, polarisation) / base)


def pump_branching(line, Fe, me):
    """Decay branching ratios of ``|F_e, m_e⟩`` (line 'D1' or 'D2') to each ground ``(F, m)``."""
    Je = 0.5 if line == "D1" else 1.5
    out = {}
    for Fg in (3, 4):
        for mg in range(-Fg, Fg + 1):
            v = dipole_element(0.5, Fg, mg, Je, Fe, me) ** 2
            if v > 0:
                out[(Fg, mg)] = v
    total = sum(out.values())
    return {k: v / total for k, v in out.items()}


def cs133_rates(x_pump=0.0, x_repump=0.0, delta_MHz=700.0, polarisation="y",
                dephasing="amplitude"):
    """All single-atom rates of the three-level model for Cs-133, in units of Γ (choice 5).

    Returns a dict with ``ud, du, uh, dh, hu, hd, uu, dd, deph`` (probe + pump + repump),
    ``mu, nu, Z`` and ``F = 4``.  ``x_pump`` ≥ 0 is the two-level pump parameter
    (pump-induced ↓→↑ rate x μ² Γ), ``x_repump`` ≥ 0 the repump strength
    Ω²_repump/Ω²_pump.
    """
    if not (math.isfinite(x_pump) and x_pump >= 0):
        raise ValueError(f"x_pump must be finite and >= 0, got {x_pump}")
    if not (math.isfinite(x_repump) and x_repump >= 0):
        raise ValueError(f"x_repump must be finite and >= 0, got {x_repump}")
    rates = probe_rates(delta_MHz, polarisation, dephasing)
    mu = rates["mu"]
    # Pump: σ⁺ D1, |4,3⟩ → |4',4⟩ (6P1/2); decay branching from |4',4⟩.
    b1 = pump_branching("D1", 4, 4)
    b_up, b_dn = b1.get((4, 4), 0.0), b1.get((4, 3), 0.0)
    b_h = sum(v for (F, _), v in b1.items() if F == 3)
    excite_pump = x_pump * mu * mu / b_up if x_pump > 0 else 0.0
    rates["du"] += excite_pump * b_up
    rates["dd"] += excite_pump * b_dn
    rates["deph"] += excite_pump * b_dn  # a resonant excitation of ↓ reveals the state
    rates["dh"] += excite_pump * b_h
    # Repump: σ⁺ D2, |3,3⟩ → |4',4⟩ (6P3/2).
    c_pump2 = dipole_element(0.5, 4, 3, 0.5, 4, 4) ** 2
    c_rep2 = dipole_element(0.5, 3, 3, 1.5, 4, 4) ** 2
    excite_rep = x_repump * (c_rep2 / c_pump2) * excite_pump
    b2 = pump_branching("D2", 4, 4)
    rates["hu"] += excite_rep * b2.get((4, 4), 0.0)
    rates["hd"] += excite_rep * b2.get((4, 3), 0.0)
    rates["F"] = 4
    rates["x_pump"] = x_pump
    rates["x_repump"] = x_repump
    return rates


def model(d, x_pump=0.0, x_repump=0.0, gamma_add=0.0, delta_MHz=700.0, polarisation="y",
          dephasing="amplitude"):
    """The :class:`lehmberg.moments.ThreeLevel` of the Cs-133 preset (F = 4)."""
    from .moments import ThreeLevel, _check

    d = _check("d", d, positive=True)
    gamma_add = _check("gamma_add", gamma_add, nonneg=True)
    r = cs133_rates(x_pump, x_repump, delta_MHz, polarisation, dephasing)
    return ThreeLevel(d, r["mu"], r["nu"], r["ud"], r["du"], r["uh"], r["dh"], r["hu"], r["hd"],
                      r["deph"], gamma_add, 4.0)


def up_fraction_min(p, t_max=None):
    """min over t ≥ 0 of N↑/N₂ for atoms starting in ↑ (the 95 % criterion of App. E).

    Evaluated on a log-spaced time grid up to 20 slowest relaxation times, and
    at t → ∞: the null vector of M with repump, else the slowest mode of the
    (↑, ↓) block, whose ratio N↑/N₂ all populations approach.
    """
    import numpy as np

    from .moments import population_matrix, populations, population_steady

    M = population_matrix(p)
    if p.hu + p.hd > 0:
        n = population_steady(p)
        ratios = [n[0] / (n[0] + n[1])]
        rates = np.abs(np.linalg.eigvals(M))
        slow = rates[rates > 1e-12 * rates.max()].min()
    else:
        w, v = np.linalg.eig(M[:2, :2])
        k = int(np.argmax(w.real))
        vec = np.abs(np.real(v[:, k]))
        ratios = [vec[0] / vec.sum()]
        slow = abs(w.real).min()
    t = np.geomspace(1e-4, t_max if t_max else 20.0 / slow, 200)
    w, V = np.linalg.eig(M)
    if np.linalg.cond(V) < 1e8:   # diagonalisable: all times at once
        c = np.linalg.solve(V, np.array([1.0, 0.0, 0.0]))
        n = np.real(V @ (np.exp(np.outer(w, t)) * c[:, None]))
    else:
        n = populations(p, t)
    ratios.append(float(np.min(n[0] / (n[0] + n[1]))))
    return float(min(ratios))


def optimal_pump(x_repump=0.0, fraction=0.95, delta_MHz=700.0, polarisation="y",
                 dephasing="amplitude", x_max=1e4):
    """The smallest pump parameter x with N↑/N₂ ≥ ``fraction`` at all times (App. E).

    Bisection (brentq) on :func:`up_fraction_min`, which grows with the pump.
    Returns NaN if even ``x_max`` does not reach the fraction.
    """
    from scipy.optimize import brentq

    def g(x):
        return up_fraction_min(model(1.0, x, x_repump, 0.0, delta_MHz, polarisation, dephasing)) - fraction

    if g(0.0) >= 0:
        return 0.0
    hi = 1.0
    while g(hi) < 0:
        hi *= 2
        if hi > x_max:
            return math.nan
    return brentq(g, 0.0, hi, xtol=1e-6, rtol=1e-8)
