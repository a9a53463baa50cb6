"""The front door: Geometry validated once, lehmberg.rates(method=...) with its auto rule."""

import dataclasses
import math
import warnings

import numpy as np
import pytest

import lehmberg
from lehmberg import Geometry, TargetNotMetWarning, rates
from lehmberg.estimators import choose_method, plan_cost

from _stats import agree


# --------------------------------------------------------------------------- Geometry

EXTREME = [((1e300, 0.0, 1e300), (1.0, 0.0, 1.0)), ((1e-320, 0.0, 1e-320), (1.0, 0.0, 1.0)),
           ((1e300, 1e300, 0.0), (1.0, 1.0, 0.0)), ((1e-320, 1e-320, 0.0), (1.0, 1.0, 0.0))]


@pytest.mark.parametrize("extreme, plain", EXTREME)
def test_extreme_vectors_mean_the_same_direction(extreme, plain):
    a = Geometry(2.0, 5.0, R_dir=extreme, p_hat=extreme)
    b = Geometry(2.0, 5.0, R_dir=plain, p_hat=plain)
    assert a == b
    assert a.clouds().II.center == pytest.approx(5.0 * np.asarray(plain) / np.linalg.norm(plain))


@pytest.mark.parametrize("method", ["reference", "planewave", "pairs", "clouds"])
def test_every_estimator_sees_the_same_normalised_vectors(method):
    kw = dict(samples=4096, seed=2) if method in ("planewave", "pairs") else {}
    if method == "clouds":
        kw = dict(atoms=50, replicas=2, seed=2)
    big = rates(Geometry(2.0, 5.0, R_dir=(1e300, 0, 1e300), p_hat=(1e-320, 1e-320, 0)), method, **kw)
    ref = rates(Geometry(2.0, 5.0, R_dir=(1, 0, 1), p_hat=(1, 1, 0)), method, **kw)
    for q in ("gamma_bar", "g_bar", "Gamma_ij", "G_ij"):
        assert getattr(big, q) == getattr(ref, q) or (math.isnan(abs(getattr(big, q)))
                                                      and math.isnan(abs(getattr(ref, q))))


@pytest.mark.parametrize("kw, name", [
    (dict(kL=0), "kL"), (dict(kL=float("nan")), "kL"), (dict(kL=1e8), "kL"), (dict(kL=1, kR=-1), "kR"),
    (dict(kL=1, kR=1e13), "kR"), (dict(kL=1, R_dir=(0, 0, 0)), "R_dir"),
    (dict(kL=1, p_hat=(0, 0, 0)), "p_hat"), (dict(kL=1, p_hat=(np.inf, 0, 0)), "p_hat"),
    (dict(kL=1, R_dir=(1, 0)), "R_dir"), (dict(kL=1, shape="sphere"), "shape"),
])
def test_geometry_refuses_bad_input_naming_the_parameter(kw, name):
    with pytest.raises(ValueError, match=f"^{name}"):
        Geometry(**kw)


@pytest.mark.parametrize("kw, name", [(dict(kL="3"), "kL"), (dict(kL=1, p_hat="x"), "p_hat"),
                                      (dict(kL=True), "kL")])
def test_geometry_refuses_wrong_types(kw, name):
    with pytest.raises(TypeError, match=f"^{name}"):
        Geometry(**kw)


def test_geometry_from_lengths_and_no_dipole_spelling():
    g = Geometry.from_lengths(L=1e-2, R=0.5, wavelength=852.347e-9, p_hat=None)
    assert g.kL == pytest.approx(2 * math.pi * 1e-2 / 852.347e-9, rel=1e-15)
    assert g.fresnel == pytest.approx(g.kR / g.kL**2) and g.p_hat is None
    with pytest.raises(ValueError, match="^L"):
        Geometry.from_lengths(L=1e300, wavelength=1e-300)


# --------------------------------------------------------------------------- the face

def test_rates_is_immutable_and_carries_its_request():
    g = Geometry(10.0, 30.0)
    est = rates(g)
    assert est.geometry is g and est.method == "reference"
    with pytest.raises(dataclasses.FrozenInstanceError):
        est.Gamma_ij = 0.0
    assert lehmberg.rates is rates and lehmberg.Rates is type(est)


@pytest.mark.parametrize("geometry, atoms, expected", [
    (Geometry(10.0), None, ("reference", "reference")),
    (Geometry(10.0, 1000.0), None, ("reference", "reference")),
    (Geometry(1e5), None, ("planewave", "planewave")),
    (Geometry(1e5, 1e9), None, ("planewave", "planewave")),
    (Geometry(3.0, shape="cube"), None, ("planewave", "pairs")),
    (Geometry(3.0, 4.0, shape="cube"), None, ("planewave", "pairs")),
    (Geometry(3.0, 10.0, shape="cube"), None, ("pairs", "pairs")),    # u = 1.1: clouds far apart
    (Geometry(1e4, 1e9), None, ("pairs", "pairs")),                   # u = 10
    (Geometry(1e4, 1e9, R_dir=(1, 0, 0)), None, ("planewave", "planewave")),  # across the probe
    (Geometry(3.0), 1000, ("clouds", "clouds")),
])
def test_auto_rule(geometry, atoms, expected):
    assert choose_method(geometry, atoms)[:2] == expected


@pytest.mark.parametrize("geometry", [Geometry(1e4), Geometry(300.0, 9e4), Geometry(30.0, 100.0, p_hat=None)])
def test_auto_agrees_with_the_plane_waves(geometry):
    auto = rates(geometry)
    pw = rates(geometry, "planewave", rel_err=0.003, seed=4)
    for q in ("Gamma_ij", "G_ij"):
        agree(getattr(pw, q), getattr(pw, q + "_err"), getattr(auto, q), getattr(auto, q + "_err"))


def test_cube_clouds_combine_plane_waves_and_pairs():
    g = Geometry(3.0, 4.0, shape="cube")
    est = rates(g, samples=20000, seed=5)
    pw = rates(g, "planewave", samples=20000, seed=5)
    pr = rates(g, "pairs", samples=20000, seed=5)
    assert est.methods == {"gamma_bar": "planewave", "g_bar": "pairs",
                           "Gamma_ij": "planewave+pairs", "G_ij": "planewave+pairs"}
    assert est.gamma_bar == pw.gamma_bar and est.g_bar == pr.g_bar
    assert est.Gamma_ij == pytest.approx(pw.gamma_bar.real - pr.g_bar.imag, rel=1e-15)
    assert est.Gamma_ij_err == pytest.approx(math.hypot(pw.gamma_bar_err.real, pr.g_bar_err.imag))
    agree(est.Gamma_ij, est.Gamma_ij_err, pr.Gamma_ij, pr.Gamma_ij_err)
    # asked for, the plane waves take Ḡ of cubes from the q-space Monte Carlo (uniform_g):
    # an estimate independent of the pairs
    assert pw.methods["g_bar"] == "planewave" and "uniform_g" in pw.notes[-1]
    agree(pw.Gamma_ij, pw.Gamma_ij_err, pr.Gamma_ij, pr.Gamma_ij_err)
    assert math.isnan(rates(g, "planewave", samples=20000, seed=5, with_g=False).Gamma_ij)


def test_auto_takes_the_q_space_g_bar_for_large_cubes():
    """Beyond CUBE_G_PAIRS_KL_MAX auto takes Ḡ of cubes from lehmberg.uniform_g (pairs cost
    ~(k_L L)²); the cube's Ḡ (k_L L)³ follows the edge-diffraction law of uniform_g (F1)."""
    from lehmberg import Cloud
    from lehmberg.estimators import CUBE_G_PAIRS_KL_MAX
    from lehmberg.uniform_g import fresnel_law

    assert choose_method(Geometry(CUBE_G_PAIRS_KL_MAX * 2, shape="cube"))[:2] == (
        "planewave", "planewave")
    L = 1e4
    est = rates(Geometry(L, shape="cube"), rel_err=0.02, seed=2)
    law = fresnel_law(Cloud(shape="box", kL=L), (1.0, 0.0, 0.0))
    assert est.methods["g_bar"] == "planewave" and est.target_met
    # the law omits terms of relative order (k_L L)^(-1/2) of its O(1/V) constant (uniform_g)
    assert abs(est.g_bar.real - law) < 4 * est.g_bar_err.real + 3 * 4 * math.pi / (L**3 * math.sqrt(L))


def test_unmet_target_warns_and_met_target_does_not():
    with pytest.warns(TargetNotMetWarning, match="rel_err"):
        est = rates(Geometry(30.0), "pairs", samples=2048, rel_err=1e-6)
    assert est.target_met is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = rates(Geometry(1e5), rel_err=0.01, seed=1)
    assert est.target_met and est.rel_err() <= 0.01


@pytest.mark.parametrize("kw, name", [
    (dict(method="fast"), "method"), (dict(samples=100), "samples"), (dict(samples=10**12), "samples"),
    (dict(rel_err=0), "rel_err"), (dict(rel_err=float("nan")), "rel_err"), (dict(seed=-1), "seed"),
    (dict(atoms=1), "atoms"), (dict(atoms=10**7), "atoms/replicas"), (dict(replicas=5), "replicas"),
    (dict(atoms=100, replicas=1), "replicas"), (dict(method="pairs", atoms=100), "atoms"),
    (dict(atoms=2 * 10**5, replicas=10**4), "atoms/replicas"), (dict(atoms=10**9), "atoms"),
])
def test_limits_and_bad_arguments_before_any_work(kw, name):
    with pytest.raises(ValueError, match=f"^{name}"):
        plan_cost(Geometry(3.0, 10.0), **{k: v for k, v in kw.items()})
    with pytest.raises(ValueError, match=f"^{name}"):
        rates(Geometry(3.0, 10.0), **kw)


def test_reference_refuses_a_request_of_minutes():
    with pytest.raises(ValueError, match="reference.*planewave"):
        rates(Geometry(1e6, 1e12), "reference")
    with pytest.raises(TypeError, match="geometry"):
        rates(3.0)


# --- auto by measured cost ---------------------------------------------------------------------

@pytest.mark.parametrize("kL, kR, rel_err", [
    (1e5, None, 1e-2), (1e5, 1e9, 1e-2), (1e5, 1e10, 1e-2), (1e5, 1e11, 1e-2),
    (3e3, 9e6, 3e-3), (3e3, 9e7, 3e-3), (3e3, None, 3e-3),
])
def test_auto_is_within_2x_of_the_best_monte_carlo(kL, kR, rel_err):
    """With the samples each Monte Carlo really needs to reach the target (fixed seeds) priced
    by the measured per-sample costs (``SECONDS_PER``; wall times in benchmarks/auto.py), the
    method auto picks is never more than 2× the cheapest.  A method that does not reach the
    target within 5·10⁵ samples costs at least that much."""
    from lehmberg.estimators import SECONDS_PER, _SETUP_SECONDS

    geo = Geometry(kL, kR)
    cost, met = {}, {}
    for m in ("planewave", "pairs"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", lehmberg.TargetNotMetWarning)
            est = rates(geo, m, rel_err=rel_err, samples=5 * 10**5, seed=11)
        cost[m] = _SETUP_SECONDS[m] + SECONDS_PER[m] * est.n_samples
        met[m] = est.target_met
    chosen = choose_method(geo, rel_err=rel_err)[0]
    assert met[chosen], (chosen, cost, met)
    assert cost[chosen] <= 2.0 * min(cost.values()), (chosen, cost, met)


def test_the_cost_models_can_tell_the_methods_apart():
    """The test above can fail: between far clouds plane waves need orders of magnitude more."""
    geo = Geometry(1e5, 1e11)  # u = 10
    pw = rates(geo, "planewave", rel_err=3e-2, samples=5 * 10**5, seed=2)
    pairs = rates(geo, "pairs", rel_err=3e-2, seed=2)
    assert pairs.target_met and pw.n_samples > 50 * pairs.n_samples


# --- clouds of their own (SPEC §9) ---------------------------------------------------------------

def test_pairs_of_clouds_of_their_own_stop_at_the_target_and_agree():
    from lehmberg import Cloud

    geo = Geometry.of(Cloud(kL=(2, 2, 6), axes=[[0, 0, 1], [0, 1, 0], [-1, 0, 0]]),
                      probe=(0, 0.6, 0.8), p_hat=(1, 1j, 0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = rates(geo, "pairs", rel_err=0.01, seed=3)
    ref = rates(geo, "reference")
    assert est.target_met and est.rel_err() <= 0.01 and est.n_samples < 10**6
    agree(est.Gamma_ij, est.Gamma_ij_err, ref.Gamma_ij)
    alone = rates(geo, "pairs", samples=4096, with_g=False)
    assert math.isnan(alone.g_bar.real) and alone.Gamma_ij == alone.gamma_bar.real


@pytest.mark.parametrize("method, atoms, expected", [
    ("auto", None, ("reference", "reference")), ("auto", 100, ("clouds", "clouds")),
    ("pairs", None, ("pairs", "pairs")), ("clouds", None, ("clouds", "clouds")),
])
def test_plans_of_clouds_of_their_own(method, atoms, expected):
    from lehmberg import Cloud

    plan = plan_cost(Geometry.of(Cloud(kL=(2, 3, 4)), probe=(1, 0, 0)), method, atoms=atoms)
    assert (plan.gamma, plan.g) == expected
    if "clouds" in expected:
        assert plan.clouds is not None and plan.atoms == (atoms or 1000)
