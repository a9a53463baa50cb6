"""Cs-133 preset: angular-momentum algebra against tabulated values, the paper's numbers."""

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
