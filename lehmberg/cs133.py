"""Cs-133 preset for the three-level model (Sec. IV, App. E; SPEC §6).

Everything here follows from angular-momentum algebra and the measured Cs
hyperfine splittings; the probe power cancels because every rate is returned
in units of Γ, the rate unit of the two-level model (``Γ↓↑ = μ²Γ``,
``Γ↑↓ = ν²Γ``, ``μ² − ν² = 1``).

Source of the atomic data
-------------------------
D. A. Steck, "Cesium D Line Data", revision 2.2.1 (21 November 2019),
https://steck.us/alkalidata (:data:`SOURCE`; a file whose numbers use this
module should record :data:`SOURCE` in its provenance).  Taken from it:

- 6²P₃/₂ hyperfine intervals (measured; Steck's Fig. 2 of the D2 hyperfine
  structure): F′=5 − F′=4 = 251.0916(20) MHz, F′=4 − F′=3 = 201.2871(11) MHz,
  F′=3 − F′=2 = 151.2247(16) MHz.  :data:`HFS_D2_MHZ` are the energies they give
  relative to F′ = 5, with the uncertainties of :data:`HFS_D2_UNC_MHZ` (the
  intervals' added in quadrature, as if independent).  These are the measured
  intervals, not the values from the fitted A, B, C constants, which differ from
  them by up to 0.5 kHz (within the uncertainties).
- 6²P₁/₂ splitting F′=4 − F′=3 = 4A, A = 291.9201(15) MHz: 1167.680 MHz as in
  Steck's Fig. 3 (used only to label the D1 levels; no rate depends on it).
- 6²S₁/₂ splitting 9192.631770 MHz (exact: the definition of the second).
- The relative hyperfine transition strengths and dipole matrix elements follow
  Steck's conventions (his Eqs. for ⟨F m|er_q|F′ m′⟩ in terms of 3j and 6j
  symbols); ``tests/test_cs133.py`` checks them against his tables.

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
:func:`math.factorial` (Fraction arithmetic), no sympy; arguments must be
integers or half-integers (exactly: ``0.5`` is, ``0.3`` is not) and raise
ValueError otherwise.  ``tests/test_cs133.py`` cross-tests them against
:mod:`sympy.physics.wigner`.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from numbers import Real
from typing import TYPE_CHECKING, Union

from . import _checks

if TYPE_CHECKING:
    from .moments import ThreeLevel

__all__ = ["wigner_3j", "wigner_6j", "clebsch_gordan", "dipole_element", "transition_strength",
           "raman_rate_amplitudes", "probe_rates", "mu_nu", "leakage_ratios", "pump_branching",
           "cs133_rates", "model", "up_fraction_min", "optimal_pump", "I_NUC", "HFS_D2_MHZ",
           "HFS_D2_UNC_MHZ", "HFS_D2_INTERVALS_MHZ", "HFS_D1_MHZ", "GROUND_SPLITTING_MHZ",
           "SOURCE", "SOURCE_REVISION", "SOURCE_URL"]

#: Where the Cs-133 numbers of this module come from; record it with any data that use them.
SOURCE = 'D. A. Steck, "Cesium D Line Data", revision 2.2.1 (21 November 2019)'
#: The revision of :data:`SOURCE`.
SOURCE_REVISION = "2.2.1"
#: Where :data:`SOURCE` is published.
SOURCE_URL = "https://steck.us/alkalidata"

#: Nuclear spin of Cs-133.
I_NUC = Fraction(7, 2)
#: Measured 6²P₃/₂ hyperfine intervals (upper F′, lower F′) → (MHz, 1σ uncertainty in MHz)
#: (:data:`SOURCE`, Fig. 2).
HFS_D2_INTERVALS_MHZ = {(5, 4): (251.0916, 0.0020), (4, 3): (201.2871, 0.0011),
                        (3, 2): (151.2247, 0.0016)}


def _levels_from_intervals(intervals):
    energy, var = {5: 0.0, 4: 0.0, 3: 0.0, 2: 0.0}, {5: 0.0, 4: 0.0, 3: 0.0, 2: 0.0}
    for upper in (5, 4, 3):
        gap, err = intervals[(upper, upper - 1)]
        energy[upper - 1] = energy[upper] - gap
        var[upper - 1] = var[upper] + err * err
    return energy, {F: math.sqrt(v) for F, v in var.items()}


_E_D2, _U_D2 = _levels_from_intervals(HFS_D2_INTERVALS_MHZ)
#: 6²P₃/₂ hyperfine level energies (MHz) relative to F′ = 5, from the measured intervals
#: of :data:`HFS_D2_INTERVALS_MHZ`: {5: 0, 4: −251.0916, 3: −452.3787, 2: −603.6034}.
HFS_D2_MHZ = {F: round(E, 4) for F, E in _E_D2.items()}
#: 1σ uncertainties (MHz) of :data:`HFS_D2_MHZ` (the intervals' in quadrature).
HFS_D2_UNC_MHZ = {F: round(U, 4) for F, U in _U_D2.items()}
#: 6²P₁/₂ hyperfine level energies (MHz) relative to F′ = 4 (4A, A = 291.9201(15) MHz).
HFS_D1_MHZ = {4: 0.0, 3: -1167.680}
#: 6²S₁/₂ F = 4 − F = 3 splitting (MHz), exact by the definition of the SI second.
GROUND_SPLITTING_MHZ = 9192.631770

#: An angular momentum quantum number (units of ħ): an int, a Fraction, or a float that is
#: exactly an integer or a half-integer.
AngularMomentum = Union[int, float, Fraction]


def _half_integer(x, name: str = "argument") -> Fraction:
    """``x`` as an exact Fraction; ValueError (naming ``name``) unless 2x is an integer.

    Floats are converted exactly (``Fraction(0.5) == 1/2``), so ``0.3`` or ``1/3``
    are refused rather than rounded to a nearby half-integer.
    """
    if isinstance(x, bool) or not isinstance(x, Real):
        raise ValueError(f"{name} must be an integer or half-integer, got {x!r}")
    try:
        f = Fraction(x)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be a finite integer or half-integer, got {x!r}") from None
    if (2 * f).denominator != 1:
        raise ValueError(f"{name} must be an integer or half-integer, got {x!r}")
    return f


def _js(names: str, values, nonneg: bool = True) -> list[Fraction]:
    out = []
    for name, v in zip(names.split(), values):
        f = _half_integer(v, name)
        if nonneg and f < 0:
            raise ValueError(f"{name} must be >= 0, got {v!r}")
        out.append(f)
    return out


def _fact(x: Fraction) -> int:
    if x.denominator != 1 or x < 0:
        raise ValueError("factorial of a non-integer or negative number")
    return math.factorial(int(x))


def _triangle(a: Fraction, b: Fraction, c: Fraction) -> Fraction | None:
    """Δ(abc) = (a+b−c)!(a−b+c)!(−a+b+c)!/(a+b+c+1)!, or None if (a, b, c) is no triad."""
    if (a + b + c).denominator != 1 or c < abs(a - b) or c > a + b:
        return None
    return Fraction(_fact(a + b - c) * _fact(a - b + c) * _fact(-a + b + c), _fact(a + b + c + 1))


def wigner_3j(j1: AngularMomentum, j2: AngularMomentum, j3: AngularMomentum,
              m1: AngularMomentum, m2: AngularMomentum, m3: AngularMomentum) -> float:
    """The Wigner 3j symbol (j1 j2 j3; m1 m2 m3), exact arithmetic, returned as a float.

    Racah's formula::

        (j1 j2 j3; m1 m2 m3) = (−1)^{j1−j2−m3} √[Δ(j1 j2 j3) Π_i (j_i+m_i)!(j_i−m_i)!]
            × Σ_t (−1)^t / [t! (j3−j2+t+m1)! (j3−j1+t−m2)! (j1+j2−j3−t)! (j1−t−m1)! (j2−t+m2)!]

    Parameters
    ----------
    j1, j2, j3 : int, float or Fraction
        Angular momenta (units of ħ): integers or half-integers ≥ 0.
    m1, m2, m3 : int, float or Fraction
        Their projections: integers or half-integers.

    Returns
    -------
    float
        The symbol; 0.0 where a selection rule forbids it (m1+m2+m3 ≠ 0, |m_i| > j_i,
        j_i − m_i not an integer, (j1, j2, j3) not a triad).

    Raises
    ------
    ValueError
        If an argument is not an integer or half-integer, or a j is negative.

    Examples
    --------
    >>> from lehmberg.cs133 import wigner_3j
    >>> round(wigner_3j(1, 1, 0, 0, 0, 0), 12)     # −1/√3
    -0.57735026919
    >>> wigner_3j(0.3, 1, 1, 0, 0, 0)
    Traceback (most recent call last):
    ...
    ValueError: j1 must be an integer or half-integer, got 0.3
    """
    args = _js("j1 j2 j3", (j1, j2, j3)) + _js("m1 m2 m3", (m1, m2, m3), nonneg=False)
    return _wigner_3j(*args)


@lru_cache(maxsize=None)
def _wigner_3j(j1, j2, j3, m1, m2, m3):
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


def wigner_6j(j1: AngularMomentum, j2: AngularMomentum, j3: AngularMomentum,
              j4: AngularMomentum, j5: AngularMomentum, j6: AngularMomentum) -> float:
    """The Wigner 6j symbol {j1 j2 j3; j4 j5 j6}, exact arithmetic, returned as a float.

    Racah's formula::

        {j1 j2 j3; j4 j5 j6} = √[Δ(j1 j2 j3) Δ(j1 j5 j6) Δ(j4 j2 j6) Δ(j4 j5 j3)]
            × Σ_t (−1)^t (t+1)! / [Π_a (t − a)! Π_b (b − t)!]

    with a ∈ {j1+j2+j3, j1+j5+j6, j4+j2+j6, j4+j5+j3} and
    b ∈ {j1+j2+j4+j5, j2+j3+j5+j6, j3+j1+j6+j4}.

    Parameters
    ----------
    j1, j2, j3, j4, j5, j6 : int, float or Fraction
        Angular momenta (units of ħ): integers or half-integers ≥ 0.

    Returns
    -------
    float
        The symbol; 0.0 unless each of (j1 j2 j3), (j1 j5 j6), (j4 j2 j6), (j4 j5 j3)
        satisfies the triangle rule with an integer sum (sympy raises for a
        half-integer sum; here it is a forbidden coupling, hence 0).

    Raises
    ------
    ValueError
        If an argument is not an integer or half-integer, or is negative.

    Examples
    --------
    >>> from lehmberg.cs133 import wigner_6j
    >>> round(wigner_6j(1, 1, 1, 1, 1, 1), 12)
    0.166666666667
    """
    return _wigner_6j(*_js("j1 j2 j3 j4 j5 j6", (j1, j2, j3, j4, j5, j6)))


@lru_cache(maxsize=None)
def _wigner_6j(j1, j2, j3, j4, j5, j6):
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


def clebsch_gordan(j1: AngularMomentum, m1: AngularMomentum, j2: AngularMomentum,
                   m2: AngularMomentum, J: AngularMomentum, M: AngularMomentum) -> float:
    """The Clebsch–Gordan coefficient ⟨j1 m1; j2 m2 | J M⟩ (Condon–Shortley phases).

    ``⟨j1 m1; j2 m2 | J M⟩ = (−1)^{j1−j2+M} √(2J+1) (j1 j2 J; m1 m2 −M)``.

    Parameters
    ----------
    j1, m1, j2, m2, J, M : int, float or Fraction
        Angular momenta (≥ 0) and projections, integers or half-integers (units of ħ).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`wigner_3j`, naming the argument.

    Examples
    --------
    >>> from lehmberg.cs133 import clebsch_gordan
    >>> round(clebsch_gordan(0.5, 0.5, 0.5, -0.5, 1, 0) ** 2, 12)
    0.5
    """
    j1, j2, J = _js("j1 j2 J", (j1, j2, J))
    m1, m2, M = _js("m1 m2 M", (m1, m2, M), nonneg=False)
    return (-1) ** int(j1 - j2 + M) * math.sqrt(float(2 * J + 1)) * _wigner_3j(j1, j2, J, m1, m2, -M)


def transition_strength(Jg: AngularMomentum, Fg: AngularMomentum, Je: AngularMomentum,
                        Fe: AngularMomentum, I: AngularMomentum = I_NUC) -> float:  # noqa: E741
    """Relative hyperfine transition strength S_{Fg Fe} (Steck's S_FF′; Σ_Fe S = 1).

    ``S = (2F_e+1)(2J_g+1) {J_g J_e 1; F_e F_g I}²``.

    Parameters
    ----------
    Jg, Fg : int, float or Fraction
        Electronic and total angular momentum of the ground level.
    Je, Fe : int, float or Fraction
        Those of the excited level.
    I : int, float or Fraction
        Nuclear spin (Cs-133: 7/2).

    Returns
    -------
    float
        Dimensionless.

    Examples
    --------
    >>> from lehmberg.cs133 import transition_strength
    >>> round(transition_strength(0.5, 4, 1.5, 5), 12)      # 11/18, Steck
    0.611111111111
    """
    Jg, Fg, Je, Fe, I = _js("Jg Fg Je Fe I", (Jg, Fg, Je, Fe, I))  # noqa: E741
    return float((2 * Fe + 1) * (2 * Jg + 1)) * _wigner_6j(Jg, Je, 1, Fe, Fg, I) ** 2


def dipole_element(Jg: AngularMomentum, Fg: AngularMomentum, mg: AngularMomentum,
                   Je: AngularMomentum, Fe: AngularMomentum, me: AngularMomentum,
                   I: AngularMomentum = I_NUC) -> float:  # noqa: E741
    """⟨F_g m_g| d_q |F_e m_e⟩ / ⟨J_g‖d‖J_e⟩ with q = m_g − m_e (Steck's convention).

    ``(−1)^{F_e+J_g+1+I} √((2F_e+1)(2J_g+1)) {J_g J_e 1; F_e F_g I} ⟨F_e m_e; 1 q | F_g m_g⟩``
    (zero for |q| > 1).  Always the ground-bra, excited-ket element, so that the
    relative signs of paths through different F_e are consistent in a Raman amplitude.

    Parameters
    ----------
    Jg, Fg, mg : int, float or Fraction
        Ground level: electronic, total angular momentum and its projection.
    Je, Fe, me : int, float or Fraction
        Excited level: the same.
    I : int, float or Fraction
        Nuclear spin (Cs-133: 7/2).

    Returns
    -------
    float
        In units of the reduced matrix element ⟨J_g‖er‖J_e⟩.

    Examples
    --------
    >>> from lehmberg.cs133 import dipole_element
    >>> total = sum(dipole_element(0.5, Fg, mg, 1.5, 5, 5) ** 2
    ...             for Fg in (3, 4) for mg in range(-Fg, Fg + 1))
    >>> round(total, 12)                                   # (2J_g+1)/(2J_e+1)
    0.5
    """
    Jg, Fg, Je, Fe, I = _js("Jg Fg Je Fe I", (Jg, Fg, Je, Fe, I))  # noqa: E741
    mg, me = _js("mg me", (mg, me), nonneg=False)
    q = mg - me
    if abs(q) > 1:
        return 0.0
    phase = (-1) ** int(Fe + Jg + 1 + I)
    return phase * math.sqrt(float((2 * Fe + 1) * (2 * Jg + 1))) * _wigner_6j(Jg, Je, 1, Fe, Fg, I) \
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


def raman_rate_amplitudes(Fi: int, mi: int, Ff: int, mf: int, delta_MHz: float,
                          polarisation: str = "y") -> dict[tuple[int, int], float]:
    """Unnormalised spontaneous Raman rates ``(F_i, m_i) → (F_f, m_f)`` on the D2 line.

    Amplitudes through F′ = 2…5 of 6²P₃/₂ add before squaring (choice 1)::

        w(q_in, q_out) = |ε_{q_in}|² |Σ_F′ d(f; F′ m′) d(i; F′ m′) / Δ_F′|²,   m′ = m_i + q_in

    with d from :func:`dipole_element`, Δ_F′ = ω_L − ω(F_i → F′) in MHz (the
    hyperfine energies :data:`HFS_D2_MHZ`, :data:`GROUND_SPLITTING_MHZ`) and
    ``q_out = m′ − m_f``.  Different (q_in, q_out) end in orthogonal photon states
    and are added as rates by the caller.

    Parameters
    ----------
    Fi, mi : int
        Initial ground level F (3 or 4) and its projection on x̂.
    Ff, mf : int
        Final ground level and projection.
    delta_MHz : float
        Probe detuning from F = 4 → F′ = 5, in MHz (positive: blue).
    polarisation : {"y", "x"}
        Linear probe polarisation; ŷ is σ⁺ + σ⁻ about the quantisation axis x̂, x̂ is π.

    Returns
    -------
    dict
        ``{(q_in, q_out): w}``, w in units of ``|⟨J‖d‖J′⟩|⁴ / MHz²`` (only ratios of
        these numbers are used).

    Examples
    --------
    >>> from lehmberg.cs133 import raman_rate_amplitudes
    >>> sorted(raman_rate_amplitudes(4, 4, 4, 3, 700.0))    # ↑ → ↓: σ⁻ photon in, π out
    [(-1, 0)]
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


def mu_nu(delta_MHz: float = 700.0, polarisation: str = "y") -> tuple[float, float, float, float]:
    """μ, ν and Z = 1/(μ − ν) of ensemble I from the D2 Raman amplitudes (Sec. IV A).

    μ² ∝ rate of ``|4,3⟩ → |4,4⟩`` and ν² ∝ rate of ``|4,4⟩ → |4,3⟩`` into the
    collectively enhanced forward mode — the probe-orthogonal polarisation: π
    (x̂) for a ŷ probe, σ (ŷ) for an x̂ probe — normalised to μ² − ν² = 1::

        ν²/μ² = w(↑ → ↓, fwd) / w(↓ → ↑, fwd),   μ = 1/√(1 − ν²/μ²),   Z = 1/(μ − ν)

    Parameters
    ----------
    delta_MHz : float
        Probe detuning from F = 4 → F′ = 5 of the D2 line, in MHz.
    polarisation : {"y", "x"}
        Linear probe polarisation (quantisation axis x̂).

    Returns
    -------
    mu, nu, Z : float
        Dimensionless; μ² − ν² = 1.
    unit : float
        ``w(↓→↑) − w(↑→↓)`` in the units of :func:`raman_rate_amplitudes`: the
        rate that is Γ (the rate unit of every function here).

    Raises
    ------
    ValueError
        When ν ≥ μ (no squeezing of the right sign), or for a bad polarisation.

    Examples
    --------
    >>> from lehmberg.cs133 import mu_nu
    >>> mu, nu, Z, _ = mu_nu(700.0, "y")
    >>> round(mu * mu - nu * nu, 12), round(Z, 2)            # the paper quotes Z = 2.3
    (1.0, 2.36)
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


def probe_rates(delta_MHz: float = 700.0, polarisation: str = "y",
                dephasing: str = "amplitude") -> dict[str, float]:
    """Probe-induced single-atom rates of the three-level model, in units of Γ.

    Every rate is a sum of :func:`raman_rate_amplitudes` over photon
    polarisations (and over the final m in F = 3 for ``uh``, ``dh``), divided by
    the ``unit`` of :func:`mu_nu`, so that ``Γ↓↑(fwd) − Γ↑↓(fwd) = Γ``.

    ``dephasing="amplitude"`` (default, choice 4): elastic scattering from ↑ and
    ↓ into the same photon mode dephases only through the difference of the two
    amplitudes, ``deph = Σ_q |ε_q|² |A↑(q) − A↓(q)|²`` (the coherence ρ↑↓ decays
    at deph/2, as Γ_d does in Eq. 13).  ``dephasing="paper"``: ``deph = uu + dd``
    as Eq. (21) reads literally — dominated by the σ⁺ cycling transition
    |4,4⟩ → |5',5⟩, it raises ξ_exp,∞ at d = 30 above 1 for weak repumping (1.078 at
    x_repump = 0.01, 1.004 at 0.1) but not for x_repump ≥ 0.3 (0.968 … 0.937).

    Parameters
    ----------
    delta_MHz : float
        Probe detuning from F = 4 → F′ = 5 of the D2 line, in MHz.
    polarisation : {"y", "x"}
        Linear probe polarisation (quantisation axis x̂).
    dephasing : {"amplitude", "paper"}
        How Γ↑↑ + Γ↓↓ enters Γ̄ (see above).

    Returns
    -------
    dict
        ``ud, du, uh, dh, hu, hd`` (``ud`` = Γ↑↓, the rate ↑ → ↓), ``uu, dd`` (total
        rates of scattering back into the same state), ``deph`` (what enters Γ̄ for
        Γ↑↑ + Γ↓↓), all in units of Γ; and the dimensionless ``mu, nu, Z``.

    Raises
    ------
    ValueError
        For an unknown ``dephasing`` or ``polarisation``, or as :func:`mu_nu`.

    Examples
    --------
    >>> from lehmberg.cs133 import probe_rates
    >>> r = probe_rates(700.0)
    >>> round(r["du"] - r["ud"], 12)         # Γ↓↑ − Γ↑↓ = μ² − ν² = 1 (units of Γ)
    1.0
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


def leakage_ratios(delta_MHz: float = 700.0, polarisation: str = "y") -> tuple[float, float]:
    """The neglected Raman leaks from ``|↑⟩ = |4,4⟩``, relative to ↑ → ↓ (App. E).

    Returns ``Γ(|4,4⟩→|4,2⟩)/Γ(|4,4⟩→|4,3⟩)`` and ``Γ(|4,4⟩→|3,2⟩)/Γ(|4,4⟩→|4,3⟩)``
    (App. E quotes 0.03 and 0.02), from :func:`raman_rate_amplitudes` summed over
    photon polarisations.

    Parameters
    ----------
    delta_MHz : float
        Probe detuning from F = 4 → F′ = 5, in MHz.
    polarisation : {"y", "x"}
        Linear probe polarisation.

    Returns
    -------
    to_42, to_32 : float
        Dimensionless ratios.

    Examples
    --------
    >>> from lehmberg.cs133 import leakage_ratios
    >>> [round(x, 2) for x in leakage_ratios(700.0)]
    [0.03, 0.02]
    """
    base = _raw(4, 4, 4, 3, delta_MHz, polarisation)
    return (_raw(4, 4, 4, 2, delta_MHz, polarisation) / base,
            _raw(4, 4, 3, 2, delta_MHz, polarisation) / base)


def pump_branching(line: str, Fe: int, me: int) -> dict[tuple[int, int], float]:
    """Decay branching ratios of ``|F_e, m_e⟩`` on the D1 or D2 line to each ground ``(F, m)``.

    ``b(F, m) = |d(F m; F_e m_e)|² / Σ_{F′ m′} |d(F′ m′; F_e m_e)|²`` with d from
    :func:`dipole_element`.

    Parameters
    ----------
    line : {"D1", "D2"}
        6²P₁/₂ (D1) or 6²P₃/₂ (D2).
    Fe, me : int
        The excited hyperfine level and its projection.

    Returns
    -------
    dict
        ``{(F, m): ratio}`` for the ground levels reached; the ratios sum to 1.

    Examples
    --------
    >>> from lehmberg.cs133 import pump_branching
    >>> pump_branching("D2", 5, 5)                     # the cycling transition
    {(4, 4): 1.0}
    """
    Je = 0.5 if line == "D1" else 1.5
    out = {}
    for Fg in (3, 4):
        for mg in range(-Fg, Fg + 1):
            v = dipole_element(0.5, Fg, mg, Je, Fe, me) ** 2
            if v > 0:
                out[(Fg, mg)] = v
    total = sum(out.values())
    return {k: v / total for k, v in out.items()}


def cs133_rates(x_pump: float = 0.0, x_repump: float = 0.0, delta_MHz: float = 700.0,
                polarisation: str = "y", dephasing: str = "amplitude") -> dict[str, float]:
    """All single-atom rates of the three-level model for Cs-133, in units of Γ (choice 5).

    :func:`probe_rates` plus the pump (σ⁺, D1, ``|4,3⟩ → |4′,4⟩``, excitation rate
    ``x μ² Γ / b(↑)``, decaying with :func:`pump_branching`) and the repump (σ⁺, D2,
    ``|3,3⟩ → |4′,4⟩``, excitation rate ``x_repump (c_repump/c_pump)²`` times the
    pump's).

    Parameters
    ----------
    x_pump : float
        Two-level pump parameter x ≥ 0 (pump-induced ↓ → ↑ rate x μ² Γ; Sec. III D).
    x_repump : float
        Repump strength Ω²_repump/Ω²_pump ≥ 0 (dimensionless).
    delta_MHz : float
        Probe detuning from F = 4 → F′ = 5, in MHz.
    polarisation : {"y", "x"}
        Linear probe polarisation.
    dephasing : {"amplitude", "paper"}
        See :func:`probe_rates`.

    Returns
    -------
    dict
        ``ud, du, uh, dh, hu, hd, uu, dd, deph`` (probe + pump + repump, units of Γ),
        ``mu, nu, Z``, ``F = 4``, ``x_pump``, ``x_repump``.

    Raises
    ------
    ValueError
        For a negative or non-finite ``x_pump`` or ``x_repump`` (naming it), or as
        :func:`probe_rates`.

    Examples
    --------
    >>> from lehmberg.cs133 import cs133_rates, probe_rates
    >>> r = cs133_rates(x_pump=1.0)
    >>> round(r["du"] - probe_rates()["du"], 12) == round(r["mu"] ** 2, 12)  # + x μ²
    True
    """
    x_pump = _checks.pump(x_pump, "x_pump")
    x_repump = _checks.real(x_repump, "x_repump", 0.0)
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


def model(d: float, x_pump: float = 0.0, x_repump: float = 0.0, gamma_add: float = 0.0,
          delta_MHz: float = 700.0, polarisation: str = "y",
          dephasing: str = "amplitude", d_err: float = 0.0) -> ThreeLevel:
    """The :class:`lehmberg.moments.ThreeLevel` of the Cs-133 preset (F = 4).

    Parameters
    ----------
    d : float
        Optical depth d > 0 of one ensemble (d = N Γ_ij/Γ).
    x_pump, x_repump, delta_MHz, polarisation, dephasing
        As :func:`cs133_rates`.
    gamma_add : float
        Additional dephasing Γ_d^add ≥ 0, in units of Γ.
    d_err : float
        Standard error of d, ≥ 0 (propagated by :func:`lehmberg.entangle`).

    Returns
    -------
    ThreeLevel
        Rates from :func:`cs133_rates`, ``F = 4``.

    Examples
    --------
    >>> from lehmberg.cs133 import model
    >>> p = model(30.0, x_pump=1.0, x_repump=1.0)
    >>> p.F, p.d
    (4.0, 30.0)
    """
    from .moments import ThreeLevel

    d = _checks.optical_depth(d)
    gamma_add = _checks.dephasing(gamma_add)
    d_err = _checks.real(d_err, "d_err", 0.0)
    r = cs133_rates(x_pump, x_repump, delta_MHz, polarisation, dephasing)
    return ThreeLevel(d, r["mu"], r["nu"], r["ud"], r["du"], r["uh"], r["dh"], r["hu"], r["hd"],
                      r["deph"], gamma_add, 4.0, d_err)


def up_fraction_min(p: ThreeLevel, t_max: float | None = None) -> float:
    """min over t ≥ 0 of N↑/N₂ for atoms starting in ↑ (the 95 % criterion of App. E).

    Evaluated on a log-spaced time grid (200 points from 10⁻⁴/Γ) up to 20 slowest
    relaxation times of M (Eq. 20), and at t → ∞: the null vector of M with
    repump, else the slowest mode of the (↑, ↓) block, whose ratio N↑/N₂ all
    populations approach.

    Parameters
    ----------
    p : ThreeLevel
        The model (e.g. from :func:`model`).
    t_max : float, optional
        Last time of the grid, in units of 1/Γ (default: 20 slowest relaxation times).

    Returns
    -------
    float
        Dimensionless fraction in [0, 1].

    Examples
    --------
    >>> from lehmberg.cs133 import model, up_fraction_min
    >>> up_fraction_min(model(30.0)) < 0.95       # the probe alone depolarises
    True
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


def optimal_pump(x_repump: float = 0.0, fraction: float = 0.95, delta_MHz: float = 700.0,
                 polarisation: str = "y", dephasing: str = "amplitude",
                 x_max: float = 1e4) -> float:
    """The smallest pump parameter x with N↑/N₂ ≥ ``fraction`` at all times (App. E).

    Bracketing by doubling, then :func:`scipy.optimize.brentq` (x to 1e-6), on
    ``up_fraction_min(model(1, x, …)) − fraction``, which grows with the pump.

    Parameters
    ----------
    x_repump : float
        Repump strength Ω²_repump/Ω²_pump ≥ 0.
    fraction : float
        Required fraction N↑/N₂ (App. E: 0.95).
    delta_MHz, polarisation, dephasing
        As :func:`cs133_rates`.
    x_max : float
        Give up beyond this pump parameter.

    Returns
    -------
    float
        The pump parameter x (dimensionless); 0.0 if no pump is needed, NaN if even
        ``x_max`` does not reach the fraction.

    Examples
    --------
    >>> from lehmberg.cs133 import model, optimal_pump, up_fraction_min
    >>> x = optimal_pump(1.0)
    >>> round(up_fraction_min(model(30.0, x, 1.0)), 4)
    0.95
    """
    from .moments import bracket_root

    def g(x):
        return up_fraction_min(model(1.0, x, x_repump, 0.0, delta_MHz, polarisation, dephasing)) - fraction

    if g(0.0) >= 0:
        return 0.0
    root = bracket_root(g, 1.0, x_max, xtol=1e-6, rtol=1e-8)
    return math.nan if root is None else root
