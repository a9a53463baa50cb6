"""The entanglement face: ``lehmberg.entangle`` against the command, the propagated errors against
derivatives written out here, the bridge from rates, and the contracts of the result."""

import dataclasses
import json
import math

import numpy as np
import pytest

import lehmberg
from lehmberg import entanglement as en
from lehmberg import gaussian as gm
from lehmberg import moments as mo

# --------------------------------------------------------------------------- face = command

#: JSON key of ``lehmberg entangle`` → how to read it from the Entanglement (and its model).
def _from_entanglement(ent, key, model_kind):
    p = ent.model
    scalar = {"xi_inf": ent.xi_inf, "P_inf": ent.P_inf, "d": ent.d, "d_err": ent.d_err,
              "xi_inf_best": ent.xi_best, "theta_best": ent.theta_best,
              "log_negativity": ent.log_negativity, "purity": ent.purity}
    if key in scalar:
        return scalar[key]
    if key.endswith("_err") and key[:-4] in scalar and ent.solver == "gaussian":
        return ent.err({"xi_inf_best": "xi_best"}.get(key[:-4], key[:-4]))
    if key in ("t", "xi_t", "P_t", "N2_t"):
        return getattr(ent, key).tolist()
    if key == "xi_t_err":   # the command's error of ξ(t): propagated (Gaussian), integration (moments)
        return (ent.xi_t_err if ent.solver == "gaussian" else ent.xi_t_integration_err).tolist()
    if key in ("xi_t_eq14", "xi_t_eq23"):
        return ent.xi_t_approx.tolist()
    if key in ("rtol", "atol", "ode_method", "propagation"):
        return ent.stats[key]
    if key in ent.extra:
        return ent.extra[key]
    if key == "coupling":
        x = ent.extra
        return {"c": [x["c"].real, x["c"].imag], "c_err": [x["c_err"].real, x["c_err"].imag],
                "g_in": x["g_in"], "g_in_err": x["g_in_err"], "g_x": [x["g_x"].real, x["g_x"].imag],
                "g_x_err": [x["g_x_err"].real, x["g_x_err"].imag]}
    if model_kind == "gaussian":
        return {"Z": p.Z_I, "Z_II": p.Z_II, "x": p.x, "P0": p.P0, "gamma_add": p.gamma_add,
                "mu": p.clouds[0].mu, "nu": p.clouds[0].nu}[key]
    if key == "Z":
        return p.Z
    return p.as_dict()[key]


#: Keys of the command that record its inputs and provenance, not outputs of the library.
_PROVENANCE = {"model", "d_source", "N", "kL", "kR", "L", "R", "R_dir", "p_hat", "shape",
               "wavelength", "d_asymptote", "rates", "preset", "cs133_data_source", "x_repump",
               "delta_MHz", "polarisation", "dephasing"}

CASES = [
    ("two-level", ["--d", "30", "--Z", "1.5", "--gamma-add", "5", "--x", "1", "--P0", "0.9",
                   "--t", "0.3,0.01,2"],
     lambda: en.two_level(30.0, Z=1.5, gamma_add=5.0, x=1.0, P0=0.9), [0.3, 0.01, 2.0]),
    ("two-level", ["--N", "4e3", "--kL", "10", "--Z", "1.7", "--t", "1"],
     lambda: en.models_from_rates(lehmberg.rates(lehmberg.Geometry(10.0)), None, 4e3,
                                  model="two-level", Z=1.7), [1.0]),
    ("three-level", ["--model", "three-level", "--preset", "cs133", "--d", "30", "--x-repump",
                     "1", "--x", "2", "--t", "0,1"],
     lambda: en.cs133_model(30.0, 2.0, 1.0), [0.0, 1.0]),
    ("three-level", ["--model", "three-level", "--d", "20", "--Z", "2", "--G-ud", "0.5",
                     "--G-du", "1.5", "--G-uh", "0.1", "--G-hu", "0.3", "--t", "2,0.5"],
     lambda: en.three_level(20.0, ud=0.5, du=1.5, uh=0.1, hu=0.3, Z=2.0), [2.0, 0.5]),
    ("gaussian", ["--model", "gaussian", "--d", "30", "--Z", "1.5", "--c", "0.8", "-0.2",
                  "--g-in", "0.05", "--g-x", "0.1", "-0.7", "--t", "0.5,0.1"],
     lambda: en.gaussian_model(30.0, Z=1.5, c=0.8 - 0.2j, g_in=0.05, g_x=0.1 - 0.7j),
     [0.5, 0.1]),
    ("gaussian", ["--model", "gaussian", "--N", "4e3", "--kL", "10", "--kR", "30", "--Z", "1.5",
                  "--Z-II", "1.7", "--gamma-add", "5", "--t", "1,0.2"],
     lambda: en.models_from_rates(lehmberg.rates(lehmberg.Geometry(10.0)),
                                  lehmberg.rates(lehmberg.Geometry(10.0, 30.0)), 4e3,
                                  Z_I=1.5, Z_II=1.7, gamma_add=5.0), [1.0, 0.2]),
]


@pytest.mark.parametrize("kind, argv, make, t", CASES, ids=[" ".join(c[1][:4]) for c in CASES])
def test_library_and_command_agree_key_by_key(cli, kind, argv, make, t):
    status, out, err = cli("entangle", *argv, "--json")
    assert status == 0, err
    obj = json.loads(out)
    ent = lehmberg.entangle(make(), t=t)
    assert ent.solver == kind
    compared = 0
    for key, value in obj.items():
        if key in _PROVENANCE or (kind == "three-level" and key == "x"):   # x: the preset's input
            continue
        assert _from_entanglement(ent, key, kind) == value, key
        compared += 1
    assert compared >= 10


def test_times_keep_the_order_given():
    ent = en.entangle(en.two_level(30.0, Z=1.5), t=[2.0, 0.0, 0.5])
    ref = mo.integrate_two_level(mo.two_level(30.0, Z=1.5), [0.0, 0.5, 2.0])
    assert ent.t.tolist() == [2.0, 0.0, 0.5]
    assert ent.xi_t.tolist() == [ref.xi[2], ref.xi[0], ref.xi[1]]


# --------------------------------------------------------------------------- propagated errors

def _xi15(d, Z, ga):
    """Eq. (15) with the SPEC §5 rates, written out again."""
    mu, nu = (Z + 1 / Z) / 2, (Z - 1 / Z) / 2
    gc, gh = mu ** 2, nu ** 2
    gt = gc + gh + 2 * (gc + gh) + ga
    P = (gc - gh) / (gc + gh)
    return (gt + d * P * P / Z ** 2) / (gt + d * P) / P


def test_two_level_d_error_is_the_derivative_of_eq15_times_d_err():
    d, derr, Z, ga = 30.0, 1.5, 1.5, 5.0
    ent = en.entangle(en.two_level(d, Z=Z, gamma_add=ga, d_err=derr))
    h = 1e-3   # a different step from the library's, on the hand-written formula
    slope = (_xi15(d + h, Z, ga) - _xi15(d - h, Z, ga)) / (2 * h)
    assert ent.err("xi_inf") == pytest.approx(abs(slope) * derr, rel=1e-6)
    assert ent.err("P_inf") == 0.0 and ent.err("d") == derr
    # and exact inputs give exact outputs
    assert en.entangle(en.two_level(d, Z=Z, gamma_add=ga)).err("xi_inf") == 0.0


def test_moment_xi_t_error_scales_with_d_err():
    a = en.entangle(en.two_level(30.0, Z=1.5, d_err=1.0), t=[0.1, 1.0])
    b = en.entangle(en.two_level(30.0, Z=1.5, d_err=2.0), t=[0.1, 1.0])
    assert np.all(a.xi_t_err > 0)
    assert b.xi_t_err == pytest.approx(2 * a.xi_t_err, rel=1e-9)
    # the steady state is reached: its error is the steady error
    c = en.entangle(en.two_level(30.0, Z=1.5, d_err=1.0), t=[200.0])
    assert c.xi_t_err[0] == pytest.approx(c.err("xi_inf"), rel=1e-4)


def test_gaussian_rates_errors_against_sampled_inputs():
    """Linear propagation against the spread of ξ_∞ over rates drawn with the stated errors."""
    a = 3 / (4 * 10.0 ** 2)
    c = 1 / (1 + 0.3j)
    m = gm.model_from_rates(4e3, a, -0.09 * a, a * c, -1j * a * c, gamma_intra_err=2e-3 * a,
                            g_intra_err=1e-3 * a, gamma_inter_err=complex(1e-3, 2e-3) * a,
                            g_inter_err=complex(2e-3, 1e-3) * a, Z=1.5, gamma_add=5.0)
    ent = en.entangle(m)
    rng = np.random.default_rng(7)
    x0, err = m.rates.vector()
    draws = x0 + err * rng.standard_normal((400, 6))
    xs = []
    for v in draws:
        d_, c_, gi, gx = m.rates.couplings(v)
        xs.append(gm.steady_state(dataclasses.replace(m, d=d_, c=c_, g_in=gi, g_x=gx)).xi)
    # the standard deviation of 400 draws is known to ~3.5 %: 5 sigma
    assert np.std(xs, ddof=1) == pytest.approx(ent.err("xi_inf"), rel=0.18)


# --------------------------------------------------------------------------- the bridge

def test_models_from_rates_couplings_are_the_rate_ratios():
    intra = lehmberg.rates(lehmberg.Geometry(10.0))
    inter = lehmberg.rates(lehmberg.Geometry(10.0, 30.0))
    m = en.models_from_rates(intra, inter, 4e3, Z=1.5)
    g = intra.gamma_bar.real
    assert m.d == 4e3 * g
    assert m.c == inter.gamma_bar / g and m.g_x == inter.g_bar / g and m.g_in == intra.g_bar.real / g
    assert en.couplings(intra, inter) == (m.c, m.g_in, m.g_x)
    # the pair form of identical clouds is the single form
    assert en.models_from_rates((intra, intra), inter, (4e3, 4e3), Z=1.5) == m
    m2 = en.models_from_rates(intra, None, 4e3, model="two-level", Z=1.5)
    assert (m2.d, m2.d_err) == intra.d(4e3)


@pytest.mark.parametrize("call, name", [
    (lambda r: en.models_from_rates((r, dataclasses.replace(r, gamma_bar=2 * r.gamma_bar)), None,
                                    1e3, model="two-level", Z=1.5), "intra"),
    (lambda r: en.models_from_rates(r, None, (1e3, 2e3), model="two-level", Z=1.5), "N"),
    (lambda r: en.models_from_rates(r, None, (1e3, 2e3, 3e3), Z=1.5), "N"),
    (lambda r: en.models_from_rates(r, None, (1e3, 1e30), Z=1.5), "N_II"),
    (lambda r: en.models_from_rates((r, dataclasses.replace(r, gamma_bar=-r.gamma_bar)), None,
                                    1e3, Z=1.5), "gamma_intra_II"),
    (lambda r: en.models_from_rates(r, r, 1e3, model="two-level", Z=1.5), "inter"),
    (lambda r: en.models_from_rates(r, None, 1e3, model="four-level", Z=1.5), "model"),
    (lambda r: en.models_from_rates(r, None, 1e30, Z=1.5), "N"),
    (lambda r: en.models_from_rates(r, None, 1e3, Z=1.0), "Z"),
    (lambda r: en.models_from_rates(r, None, 1e3, Z=1.5, gamma_add=1e9), "gamma_add"),
    (lambda r: en.entangle(en.two_level(30, Z=2), t=[-1.0]), "t"),
    (lambda r: en.entangle(en.two_level(30, Z=2), rtol=1.0), "rtol"),
    (lambda r: en.figure_data(5), "n"),
])
def test_bad_input_names_the_parameter(call, name):
    r = lehmberg.rates(lehmberg.Geometry(10.0))
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call(r)


def test_wrong_model_type():
    with pytest.raises(TypeError, match="^model"):
        en.entangle({"d": 30})
    with pytest.raises(TypeError, match="^model"):
        en.optimize_Z(en.cs133_model(30.0))


def test_a_gaussian_model_is_validated_once(monkeypatch):
    """The finite differences of the propagation build models without validating them again."""
    import lehmberg._checks as checks

    calls = {"optical_depth": 0, "two_level": 0}
    for mod, name in ((checks, "optical_depth"), (mo, "two_level")):
        real = getattr(mod, name)

        def counted(*a, _real=real, _name=name, **k):
            calls[_name] += 1
            return _real(*a, **k)

        monkeypatch.setattr(mod, name, counted)
    intra = lehmberg.rates(lehmberg.Geometry(10.0))
    inter = lehmberg.rates(lehmberg.Geometry(10.0, 30.0))
    ent = en.entangle(en.models_from_rates(intra, inter, 4e3, Z=1.5), t=[1.0])
    assert len(ent.stats["inputs"]) == 6          # 13 models were solved
    assert calls == {"optical_depth": 1, "two_level": 0}


# --------------------------------------------------------------------------- optimiser, result

def test_one_optimize_Z_for_both_models_in_the_paper_limit():
    for ga, x in ((0.0, 0.0), (20.0, 0.0), (30.0, 5.0)):
        z1, v1 = en.optimize_Z(en.two_level(30.0, Z=2.0, gamma_add=ga, x=x))
        z2, v2 = en.optimize_Z(en.gaussian_model(30.0, Z=2.0, gamma_add=ga, x=x))
        assert v2 == pytest.approx(v1, abs=1e-9) and z2 == pytest.approx(z1, rel=1e-3)
        if x == 0:   # the optimum is the minimum of Eq. (15), written out here, on a fine grid
            assert v1 == pytest.approx(min(_xi15(30.0, z, ga) for z in
                                           np.linspace(1.0005, 6.0, 20001)), abs=1e-6)


def test_result_is_frozen_and_says_what_it_holds():
    ent = en.entangle(en.gaussian_model(30.0, Z=1.5, d_err=0.5), t=[0.1, 1.0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        ent.xi_inf = 0.0
    with pytest.raises(TypeError):
        ent.errors["xi_inf"] = 0.0
    with pytest.raises(ValueError):
        ent.xi_t[0] = 0.0
    text = repr(ent)
    assert text.startswith("Entanglement(gaussian:") and "xi_best" in text and "2 times" in text
    ds = ent.to_xarray()
    assert ds["xi_t"].dims == ("t",) and ds["t"].attrs["units"] == "1"
    assert float(ds["xi_inf"]) == ent.xi_inf and float(ds["xi_inf_err"]) == ent.err("xi_inf") > 0
    assert ds["theta_best"].attrs["units"] == "rad" and ds.attrs["solver"] == "gaussian"
    assert "xi_best" not in en.entangle(en.two_level(30.0, Z=1.5)).to_xarray()


def test_moment_solution_is_frozen():
    sol = mo.integrate_two_level(mo.two_level(30.0, Z=1.5), [0.0, 1.0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        sol.xi = None
    with pytest.raises(TypeError):
        sol.arrays["Jx"] = None


def test_figure_data_has_named_dimensions():
    ds = en.figure_data(4, 30.0)
    assert ds["xi_opt"].dims == ("gamma_add", "x") and ds["P_inf_inset"].dims == ("x_inset", "Z_inset")
    # Fig. 4's optimum is Eq. (15) minimised over Z (a brute grid written out here)
    j = 0
    for i, ga in enumerate(ds["gamma_add"].values):
        brute = min(_xi15(30.0, z, ga) for z in np.linspace(1.0005, 6.0, 4001))
        assert float(ds["xi_opt"][i, j]) == pytest.approx(brute, abs=1e-6)
    assert math.isclose(ds.attrs["d"], 30.0)
