"""Realised clouds through the face: one plan per request, checked and run the same.

The limit check (``plan_cost``) and the run (``cloud_rates``) share one ``CloudPlan``;
these tests check that the plan refused or accepted is the plan run, that Ḡ of realised
clouds can be asked for, and that ``auto`` leaves an engine that cannot meet the memory.
"""

import json
import math
import re
import subprocess
import sys

import pytest

import lehmberg
from lehmberg import Geometry, clouds
from lehmberg.estimators import execute, plan_cost

from _stats import agree


def test_the_plan_checked_is_the_plan_run(monkeypatch):
    """1e6 + 1e6 atoms between clouds at kL = 10, kR = 30: accepted by the face (the structure
    engine), and exactly that plan reaches cloud_rates."""
    plan = plan_cost(Geometry(10.0, 30.0), "clouds", atoms=10**6, replicas=2)
    assert plan.clouds.engine == "structure" and plan.clouds.with_g
    assert plan.clouds.seconds < lehmberg.estimators.CLOUD_SECONDS_MAX
    seen = []

    def fake(geometry, cloud_plan, *, seed, progress):
        seen.append(cloud_plan)
        raise RuntimeError("stop before the work")

    monkeypatch.setattr(clouds, "cloud_rates", fake)
    with pytest.raises(RuntimeError, match="stop"):
        lehmberg.rates(Geometry(10.0, 30.0), "clouds", atoms=10**6, replicas=2)
    assert seen == [plan.clouds]
    with pytest.raises(RuntimeError, match="stop"):
        execute(plan)
    assert seen[-1] is plan.clouds


def test_pairs_engine_alone_would_be_refused():
    """The same request with the pair kernel forced is beyond the time limit (the old face
    refused the request because it only considered that engine between clouds)."""
    with pytest.raises(ValueError, match="^atoms/replicas: about .* pairs engine"):
        clouds.plan(Geometry(10.0, 30.0), 10**6, 2, engine="pairs")


def test_auto_leaves_an_engine_whose_memory_does_not_fit():
    geo = Geometry(10.0)
    both = {e: clouds.plan(geo, 20000, 2, engine=e, with_g=True) for e in clouds.ENGINES}
    assert both["structure"].nbytes > both["pairs"].nbytes
    limit = 0.5 * (both["structure"].nbytes + both["pairs"].nbytes)
    auto = clouds.plan(geo, 20000, 2, with_g=True, max_memory=limit)
    assert auto.engine == "pairs" and "memory" in auto.reason
    with pytest.raises(ValueError, match="memory"):
        clouds.plan(geo, 20000, 2, with_g=True, max_memory=0.5 * both["pairs"].nbytes)


@pytest.mark.parametrize("engine", clouds.ENGINES)
def test_g_bar_of_realised_clouds_through_the_face(engine):
    """with_g=True gives Ḡ and G_ij inside one cloud, and they agree with the quadrature
    reference (the position average) within their standard errors."""
    geo = Geometry(3.0)
    plan = clouds.plan(geo, 300, 24, engine=engine, with_g=True)
    est = clouds.cloud_rates(geo, plan, seed=5)
    ref = lehmberg.rates(geo, "reference")
    assert est.methods["G_ij"] == "clouds" and est.notes[0].startswith("engine: ")
    agree(est.G_ij, est.G_ij_err, ref.G_ij)
    agree(est.Gamma_ij, est.Gamma_ij_err, ref.Gamma_ij)
    face = lehmberg.rates(geo, "clouds", atoms=300, replicas=24, seed=5, with_g=True)
    assert math.isfinite(face.G_ij)


def test_without_g_the_structure_engine_says_so():
    geo = Geometry(3.0)
    plan = clouds.plan(geo, 300, 2, engine="structure")
    assert not plan.with_g
    est = clouds.cloud_rates(geo, plan, seed=1)
    assert math.isnan(est.G_ij) and est.Gamma_ij == est.gamma_bar.real
    assert est.notes[0].endswith("Ḡ not computed")


def test_plan_arguments_are_checked_once_at_the_boundary():
    geo = Geometry(3.0)
    with pytest.raises(ValueError, match="^engine"):
        clouds.plan(geo, 10, 2, engine="fmm")
    with pytest.raises(ValueError, match="^near_radius"):
        clouds.plan(geo, 10, 2, near_radius=0.0)
    with pytest.raises(TypeError, match="^with_g"):
        clouds.plan(geo, 10, 2, with_g="yes")
    with pytest.raises(TypeError, match="^geometry"):
        clouds.plan(3.0, 10, 2)
    with pytest.raises(TypeError, match="plan"):
        clouds.cloud_rates(geo, clouds.plan(geo, 10, 2), atoms=20)
    with pytest.raises(ValueError, match="^with_g"):
        plan_cost(Geometry(3.0, 10.0), "planewave", atoms=100, with_g=True)


def test_cli_with_g_prints_g_bar_of_realised_clouds():
    out = subprocess.run([sys.executable, "-m", "lehmberg", "rates", "--kL", "3", "--method", "clouds",
                          "--atoms", "200", "--replicas", "4", "--with-g", "--json"],
                         capture_output=True, text=True, check=True).stdout
    intra = json.loads(out)["intra"]
    assert intra["G_ij"] is not None and math.isfinite(intra["G_ij"])
    text = subprocess.run([sys.executable, "-m", "lehmberg", "rates", "--kL", "3", "--method", "clouds",
                           "--atoms", "30000", "--replicas", "2"],  # the structure engine, Γ̄ alone
                          capture_output=True, text=True, check=True).stdout
    assert "structure factors" in text and "not computed" in text
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)


# --- clouds of their own (SPEC §9) ---------------------------------------------------------------

def test_clouds_of_their_own_plan_once_and_run_that_plan(monkeypatch):
    """A general geometry goes through the same CloudPlan: checked by the face, run as checked."""
    from lehmberg import Cloud

    geo = Geometry.of(Cloud(kL=(3, 3, 8), waist=4.0), Cloud(kL=(3, 4, 5), centre=(0, 1, 20)),
                      probe=(0, 0.6, 0.8), p_hat=(1, 1j, 0))
    plan = plan_cost(geo, "clouds", atoms=500, replicas=4)
    assert plan.clouds.with_g   # between clouds Γ_ij needs Ḡ
    assert "twice for a complex dipole" in plan.clouds.reason
    seen = []

    def fake(geometry, cloud_plan, *, seed, progress):
        seen.append(cloud_plan)
        raise RuntimeError("stop before the work")

    monkeypatch.setattr(clouds, "cloud_rates", fake)
    with pytest.raises(RuntimeError, match="stop"):
        lehmberg.rates(geo, "clouds", atoms=500, replicas=4)
    assert seen == [plan.clouds]


def test_realised_clouds_of_their_own_report_eta_and_the_engine():
    from lehmberg import Cloud

    geo = Geometry.of(Cloud(kL=(2, 3, 4), waist=2.5))
    ref = lehmberg.rates(geo, "reference")
    est = clouds.cloud_rates(geo, atoms=100, replicas=8, seed=3)
    assert est.eta == pytest.approx(ref.eta, rel=1e-12)
    assert est.notes[0] == "engine: fast pair kernel" and est.methods["G_ij"] == "clouds"
    agree(est.Gamma_ij, est.Gamma_ij_err, ref.Gamma_ij)


def test_clouds_far_apart_leave_the_pair_kernel_before_any_work():
    """Beyond the fast kernel's sincos range (pairsum.RANGE) the plan takes the structure engine
    (it used to fail at run time), and asking for the pair kernel is one line naming atoms."""
    from lehmberg import Cloud
    from lehmberg.pairsum import RANGE

    for geo in (Geometry(10.0, 1e6), Geometry.of(Cloud(kL=(5, 5, 10)),
                                                 Cloud(kL=(5, 5, 10), centre=(0, 0, 1e6)))):
        p = clouds.plan(geo, 100, 2)
        assert p.engine == "structure" and f"range is {RANGE:g}/k_L" in p.reason
        with pytest.raises(ValueError, match="^atoms: the clouds span"):
            clouds.plan(geo, 100, 2, engine="pairs")
    est = clouds.cloud_rates(Geometry(10.0, 1e6), atoms=100, replicas=4, seed=2)
    ref = lehmberg.rates(Geometry(10.0, 1e6), "reference")
    agree(est.gamma_bar.imag, est.gamma_bar_err.imag, ref.gamma_bar.imag)


def test_rel_err_sets_the_transform_tolerance_and_is_checked():
    """With rel_err the structure engine's Γ̄ transforms run at structure.eps_for (the
    transform's error held to 1 % of the requested error): the same snapshots at the default
    EPS differ by less than that; and a target the fixed replicas miss warns."""
    from lehmberg import structure
    from lehmberg.result import TargetNotMetWarning

    geo = Geometry(kL=10.0, kR=40.0)
    exact = clouds.plan(geo, 3000, 3, engine="structure", with_g=False)
    loose = clouds.plan(geo, 3000, 3, engine="structure", with_g=False, rel_err=0.05)
    assert exact.eps is None and structure.EPS < loose.eps <= structure.EPS_LOOSEST
    assert "eps_for" in loose.label()
    a = clouds.cloud_rates(geo, exact, seed=9)
    b = clouds.cloud_rates(geo, loose, seed=9)
    assert a.gamma_bar != b.gamma_bar  # the looser transforms did run
    assert abs(a.gamma_bar - b.gamma_bar) <= structure.EPS_SHARE * 0.05 * abs(a.gamma_bar)
    with pytest.warns(TargetNotMetWarning, match="replicas=2 of atoms=300"):
        est = lehmberg.rates(Geometry(kL=10.0), atoms=300, replicas=2, rel_err=1e-4, seed=1)
    assert est.target_met is False
    with pytest.raises(ValueError, match="rel_err"):
        clouds.plan(geo, 300, 2, rel_err=0.0)
