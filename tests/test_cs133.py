"""Cs-133 preset: angular-momentum algebra against tabulated values, the paper's numbers."""

import itertools
import math

import numpy as np
import pytest

from lehmberg import cs133
from lehmberg.moments import population_matrix


def test_3j_6j_known_values():
    # ⟨1/2 1/2; 1/2 −1/2 | 1 0⟩ = 1/√2, ⟨1 1; 1 −1 | 0 0⟩ = 1/√3
    assert cs133.clebsch_gordan(0.5, 0.5, 0.5, -0.5, 1, 0) == pytest.approx(1 / math.sqrt(2))
    assert cs133.clebsch_gordan(1, 1, 1, -1, 0, 0) == pytest.approx(1 / math.sqrt(3))
    assert cs133.wigner_6j(1, 1, 1, 1, 1, 1) == pytest.approx(1 / 6)
    # {a b c; b a 0} = (−1)^{a+b+c} / √((2a+1)(2b+1))
    assert cs133.wigner_6j(0.5, 0.5, 1, 0.5, 0.5, 0) == pytest.approx(0.5)
    assert cs133.wigner_6j(2, 1, 2, 1, 2, 0) == pytest.approx(-1 / math.sqrt(15))
    # completeness of the CG coefficients: Σ_m1 |⟨4 m1; 1 M−m1 | J M⟩|² = 1
    for J in (3, 4, 5):
        s = sum(cs133.clebsch_gordan(4, m, 1, 3 - m, J, 3) ** 2 for m in range(2, 5))
        assert s == pytest.approx(1.0)


def test_d2_relative_strengths_steck():
    # Steck, Cesium D Line Data, Table 7: S_{4F'} = 7/72, 7/24, 11/18; S_{3F'} = 5/14, 3/8, 15/56
    assert [cs133.transition_strength(0.5, 4, 1.5, F) for F in (3, 4, 5)] == \
        pytest.approx([7 / 72, 7 / 24, 11 / 18])
    assert [cs133.transition_strength(0.5, 3, 1.5, F) for F in (2, 3, 4)] == \
        pytest.approx([5 / 14, 3 / 8, 15 / 56])


@pytest.mark.parametrize("line,Fe,me", [("D2", 5, 5), ("D2", 4, 4), ("D1", 4, 4), ("D1", 3, -2)])
def test_decay_rate_same_for_every_excited_sublevel(line, Fe, me):
    Je = 0.5 if line == "D1" else 1.5
    total = sum(cs133.dipole_element(0.5, Fg, mg, Je, Fe, me) ** 2
                for Fg in (3, 4) for mg in range(-Fg, Fg + 1))
    assert total == pytest.approx(2.0 / (2 * Je + 1))  # (2J_g+1)/(2J_e+1), Steck Eq. (40)
    assert sum(cs133.pump_branching(line, Fe, me).values()) == pytest.approx(1.0)


def test_paper_Z_at_plus_700_MHz():
    mu, nu, Z, _ = cs133.mu_nu(700.0, "y")
    assert mu ** 2 - nu ** 2 == pytest.approx(1.0)
    assert mu > nu > 0                 # "Both parameters, μ and ν, are positive."
    assert Z == pytest.approx(2.3, abs=0.1)


def test_paper_leakage_ratios():
    # App. E: Γ(4,4→4,2) = 0.03 Γ(4,4→4,3), Γ(4,4→3,2) = 0.02 Γ(4,4→4,3)
    r42, r32 = cs133.leakage_ratios(700.0, "y")
    assert r42 == pytest.approx(0.03, abs=0.005)
    assert r32 == pytest.approx(0.02, abs=0.005)


def test_probe_rates_normalisation_and_far_detuning():
    r = cs133.probe_rates(700.0)
    assert r["du"] == pytest.approx(r["mu"] ** 2) and r["ud"] == pytest.approx(r["nu"] ** 2)
    assert min(r.values()) >= 0
    # Far detuned: the Raman asymmetry vanishes like 1/Δ, so Z grows (μ ≈ ν)
    assert cs133.mu_nu(5000.0)[2] > cs133.mu_nu(700.0)[2]
    # the literal sum Γ↑↑ + Γ↓↓ is far larger than the amplitude-difference dephasing
    assert cs133.probe_rates(700.0, dephasing="paper")["deph"] > 20 * r["deph"]


def test_optimal_pump_reaches_95_percent():
    xp = cs133.optimal_pump(1.0)
    p = cs133.model(30, xp, 1.0)
    assert np.allclose(population_matrix(p).sum(axis=0), 0)
    assert cs133.up_fraction_min(p) == pytest.approx(0.95, abs=1e-5)
    assert cs133.up_fraction_min(cs133.model(30, 0.8 * xp, 1.0)) < 0.95


def test_bad_preset_input():
    with pytest.raises(ValueError):
        cs133.cs133_rates(x_pump=-1)
    with pytest.raises(ValueError):
        cs133.cs133_rates(x_repump=math.nan)
    with pytest.raises(ValueError):
        cs133.probe_rates(dephasing="foo")


# ----------------------------------------------------------------------------------------------
# Source of the data, hyperfine energies, argument checks, cross-test against sympy
# ----------------------------------------------------------------------------------------------

def test_source_is_steck_revision_2_2_1():
    assert cs133.SOURCE_REVISION == "2.2.1"
    assert "Steck" in cs133.SOURCE and "Cesium D Line Data" in cs133.SOURCE
    assert "revision 2.2.1" in cs133.SOURCE
    assert cs133.SOURCE in cs133.__doc__.replace("\n", " ") or "revision 2.2.1" in cs133.__doc__


def test_d2_hyperfine_energies_are_steck_measured_intervals():
    # Steck, Cesium D Line Data rev. 2.2.1, Fig. 2: F'=5−4, 4−3, 3−2 (MHz, 1σ)
    intervals = {(5, 4): (251.0916, 0.0020), (4, 3): (201.2871, 0.0011), (3, 2): (151.2247, 0.0016)}
    assert cs133.HFS_D2_INTERVALS_MHZ == intervals
    E = cs133.HFS_D2_MHZ
    for (hi, lo), (gap, _) in intervals.items():
        assert E[hi] - E[lo] == pytest.approx(gap, abs=1e-9)
    assert E[5] == 0.0
    U = cs133.HFS_D2_UNC_MHZ
    assert U[4] == pytest.approx(0.0020, abs=5e-5)
    assert U[3] == pytest.approx(math.hypot(0.0020, 0.0011), abs=5e-5)
    assert U[2] == pytest.approx(math.sqrt(0.0020 ** 2 + 0.0011 ** 2 + 0.0016 ** 2), abs=5e-5)
    # the fitted-constant energies (A = 50.28827, B = −0.4934, C = 0.000560 MHz; Steck Table)
    # agree with the measured intervals within their uncertainties
    A, B, C = 50.28827, -0.4934, 0.560e-3
    I, J = 3.5, 1.5

    def hfs(F):
        K = F * (F + 1) - I * (I + 1) - J * (J + 1)
        b = (1.5 * K * (K + 1) - 2 * I * (I + 1) * J * (J + 1)) / (4 * I * (2 * I - 1) * J * (2 * J - 1))
        c = (5 * K ** 2 * (K / 4 + 1) + K * (I * (I + 1) + J * (J + 1) + 3 - 3 * I * (I + 1) * J * (J + 1))
             - 5 * I * (I + 1) * J * (J + 1)) / (I * (I - 1) * (2 * I - 1) * J * (J - 1) * (2 * J - 1))
        return 0.5 * A * K + B * b + C * c

    for (hi, lo), (gap, err) in intervals.items():
        assert abs(hfs(hi) - hfs(lo) - gap) < 3 * err


@pytest.mark.parametrize("args", [(0.3, 1, 1, 0, 0, 0), (1, 1, 1, 0.3, -0.3, 0), (1, 1, 1, 1 / 3, 0, 0),
                                  (1, 1, 1, 0, 0, "0"), (math.nan, 1, 1, 0, 0, 0),
                                  (-1, 1, 0, 0, 0, 0)])
def test_3j_refuses_arguments_that_are_not_half_integers(args):
    with pytest.raises(ValueError):
        cs133.wigner_3j(*args)


@pytest.mark.parametrize("args", [(0.3, 1, 1, 1, 1, 1), (1, 1, 1, 1, 1, 2.25), (1, 1, 1, 1, 1, -1),
                                  (1, 1, 1, 1, 1, math.inf), (1, 1, 1, 1, 1, None)])
def test_6j_refuses_arguments_that_are_not_half_integers(args):
    with pytest.raises(ValueError):
        cs133.wigner_6j(*args)


def test_helpers_built_on_3j_6j_refuse_bad_arguments_too():
    with pytest.raises(ValueError, match="m1"):
        cs133.clebsch_gordan(1, 0.3, 1, 0, 1, 0.3)
    with pytest.raises(ValueError, match="Fe"):
        cs133.transition_strength(0.5, 4, 1.5, 4.4)
    with pytest.raises(ValueError, match="me"):
        cs133.dipole_element(0.5, 4, 4, 1.5, 5, 4.6)


def test_exact_half_integers_of_every_numeric_type_are_accepted():
    from fractions import Fraction

    ref = cs133.wigner_3j(1, 0.5, 0.5, 0, 0.5, -0.5)
    assert cs133.wigner_3j(np.int64(1), np.float64(0.5), Fraction(1, 2), 0, Fraction(1, 2), -0.5) == ref
    assert ref == pytest.approx(1 / math.sqrt(6))


def _halves(n):
    return [k / 2 for k in range(n)]


def test_3j_matches_sympy():
    from sympy import Rational
    from sympy.physics.wigner import wigner_3j as sym_3j

    def R(x):
        return Rational(int(round(2 * x)), 2)

    checked = nonzero = 0
    js = _halves(6)  # 0 … 5/2 in steps of 1/2
    for j1 in js:
        for j2 in js:
            for j3 in js:
                if (j1 + j2 + j3) % 1 or not abs(j1 - j2) <= j3 <= j1 + j2:
                    continue
                for m1 in np.arange(-j1, j1 + 0.5):
                    for m2 in np.arange(-j2, j2 + 0.5):
                        m3 = -(m1 + m2)
                        ours = cs133.wigner_3j(j1, j2, j3, m1, m2, m3)
                        theirs = float(sym_3j(R(j1), R(j2), R(j3), R(m1), R(m2), R(m3)))
                        assert ours == pytest.approx(theirs, abs=1e-14), (j1, j2, j3, m1, m2, m3)
                        checked += 1
                        nonzero += theirs != 0
    # selection rules: m's that do not add up, |m| > j, no triad
    for args in [(1, 1, 1, 1, 1, 1), (1, 1, 1, 0, 0, 0), (1, 1, 3, 0, 0, 0), (2, 1, 1, 2, -1, -1),
                 (1, 1, 1, 2, -2, 0), (0.5, 0.5, 1, 0.5, 0.5, 0)]:
        assert cs133.wigner_3j(*args) == pytest.approx(float(sym_3j(*map(R, args))), abs=1e-15)
    assert checked > 1000 and nonzero > 600


def test_6j_matches_sympy():
    from sympy import Rational
    from sympy.physics.wigner import wigner_6j as sym_6j

    def R(x):
        return Rational(int(round(2 * x)), 2)

    def triad(a, b, c):
        return (a + b + c) % 1 == 0 and abs(a - b) <= c <= a + b

    js = _halves(6)  # 0 … 5/2
    checked = 0
    rng = np.random.default_rng(0)
    for args in itertools.product(js, repeat=6):
        j1, j2, j3, j4, j5, j6 = args
        valid = triad(j1, j2, j3) and triad(j1, j5, j6) and triad(j4, j2, j6) and triad(j4, j5, j3)
        if not valid and rng.random() > 0.02:   # every valid one, 2 % of the forbidden ones
            continue
        ours = cs133.wigner_6j(*args)
        try:
            theirs = float(sym_6j(*map(R, args)))
        except ValueError:  # sympy refuses a half-integer triad sum: a forbidden coupling
            theirs = 0.0
        assert ours == pytest.approx(theirs, abs=1e-14), args
        if not valid:
            assert ours == 0.0
        checked += valid
    # and the Cs couplings themselves, {J_g J_e 1; F_e F_g 7/2}
    for Jg, Je in ((0.5, 0.5), (0.5, 1.5)):
        for Fg in (3, 4):
            for Fe in (2, 3, 4, 5):
                args = (Jg, Je, 1, Fe, Fg, 3.5)
                assert cs133.wigner_6j(*args) == pytest.approx(float(sym_6j(*map(R, args))), abs=1e-14)
    assert checked == 1479   # every admissible 6j with j ≤ 5/2
