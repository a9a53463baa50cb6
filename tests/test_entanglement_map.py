"""The entanglement map: each point equals the single-point Gaussian model; transfers carry errors."""

import json
import math

import numpy as np
import pytest

from lehmberg.entanglement_map import entanglement_map


@pytest.fixture(scope="module")
def small_map():
    return entanglement_map(np.array([3.0, 10.0, 1e3]), np.array([1e-3, 0.3, 3.0]), d=30.0, Z=1.5,
                            gamma_add=5.0, kL_transfer=100.0)


def test_reference_points_equal_the_entangle_command(small_map, cli):
    """Point (k_L L = 10, u = 0.3) against `lehmberg entangle --model gaussian` at N = d/Γ̄_I,I."""
    from lehmberg.reference import reference_rates

    N = 30.0 / reference_rates(10.0).gamma_bar.real
    status, out, err = cli("entangle", "--model", "gaussian", "--N", repr(N), "--kL", "10",
                           "--kR", repr(0.3 * 100.0), "--Z", "1.5", "--gamma-add", "5", "--json")
    assert status == 0, err
    obj = json.loads(out)
    assert small_map["how"][1, 1] == 0
    for key in ("xi_inf", "xi_inf_best", "log_negativity"):
        assert small_map[key][1, 1] == pytest.approx(obj[key], rel=1e-9)


def test_paper_limit_and_transfer(small_map):
    # the paper's value does not depend on the geometry at fixed d
    assert np.nanstd(small_map["xi_paper"]) < 1e-12
    # k_L L = 1e3 > kL_transfer: separated points transferred with an error, overlapping not computed
    assert small_map["how"][2].tolist() == [2, 1, 1]
    assert np.all(small_map["xi_inf_err"][2, 1:] > 0) and math.isnan(small_map["xi_inf"][2, 0])
    # the transferred values agree with the reference at k_L L = 1e3 within their stated error
    direct = entanglement_map(np.array([1e3]), np.array([0.3, 3.0]), d=30.0, Z=1.5, gamma_add=5.0,
                              kL_transfer=1e3)
    assert direct["how"].tolist() == [[0, 0]]
    for key in ("xi_inf", "xi_inf_best", "log_negativity"):
        diff = np.abs(small_map[key][2, 1:] - direct[key][0])
        assert np.all(diff <= 3 * small_map[key + "_err"][2, 1:] + 1e-12), (key, diff)
    # large separation destroys the entanglement seen by the fixed quadratures
    assert small_map["xi_inf"][1, 2] > 1 > small_map["xi_inf"][1, 0]


@pytest.mark.parametrize("kw, name", [(dict(kL=[0.0]), "kL"), (dict(u=[-1.0]), "u"),
                                      (dict(d=0.0), "d"), (dict(Z=1.0), "Z"),
                                      (dict(kL=np.logspace(0, 5, 200), u=np.logspace(-3, 1, 200)),
                                       "kL x u")])
def test_bad_input(kw, name):
    args = dict(kL=[10.0], u=[0.1])
    args.update(kw)
    with pytest.raises(ValueError, match=f"^{name}"):
        entanglement_map(**args)


def test_command_writes_dataset_and_figure(tmp_path, cli):
    import xarray as xr

    out, fig = tmp_path / "m.nc", tmp_path / "m.png"
    status, _, err = cli("entangle-map", "--kL", "1:100:3", "--u", "0.01:1:3", "--out", str(out),
                         "--fig", str(fig))
    assert status == 0, err
    assert fig.with_suffix(".pdf").exists() and fig.read_bytes()[:4] == b"\x89PNG"
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds["xi_inf"].dims == ("kL", "u") and ds["xi_inf"].attrs["ancillary_variables"]
    status, _, err = cli("entangle-map", "--kL", "1:100:1000", "--out", str(tmp_path / "x.nc"),
                         "--fig", str(tmp_path / "x.png"))
    assert status == 2 and "--kL" in err and len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------ transferred rows, seeded apart

TRANSFER_KL = np.array([150.0, 300.0, 600.0, 1000.0])
TRANSFER_U = np.array([0.3, 3.0])


@pytest.fixture(scope="module")
def transferred():
    """Maps whose every row is transferred (kL_transfer = 100), for 8 master seeds, and the direct
    calculation at each point: lehmberg.rates (reference) at that k_L L, then the Gaussian model."""
    import lehmberg
    from lehmberg.entanglement import entangle, models_from_rates

    maps = [entanglement_map(TRANSFER_KL, TRANSFER_U, d=30.0, Z=1.5, gamma_add=5.0,
                             kL_transfer=100.0, seed=s) for s in range(8)]
    direct, g_in = {}, {}
    for k in TRANSFER_KL:
        intra = lehmberg.rates(lehmberg.Geometry(float(k)), "reference")
        g_in[k] = intra.g_bar.real / intra.gamma_bar.real
        for q in TRANSFER_U:
            inter = lehmberg.rates(lehmberg.Geometry(float(k), float(q * k * k)), "reference")
            e = entangle(models_from_rates(intra, inter, 30.0 / intra.gamma_bar.real, Z=1.5,
                                           gamma_add=5.0))
            direct[k, q] = {"xi_inf": e.xi_inf, "xi_inf_best": e.xi_best,
                            "log_negativity": e.log_negativity}
    return maps, direct, g_in


def test_transferred_points_agree_with_direct_calculations(transferred):
    maps, direct, _ = transferred
    z = []
    for m in maps[:4]:
        assert m["how"].tolist() == [[1, 1]] * TRANSFER_KL.size
        for i, k in enumerate(TRANSFER_KL):
            for j, q in enumerate(TRANSFER_U):
                for key, ref in direct[k, q].items():
                    diff, err = m[key][i, j] - ref, m[key + "_err"][i, j]
                    if err == 0 and abs(diff) < 1e-14:     # E_N = 0 at both (no entanglement)
                        continue
                    z.append(diff / err)
    z = np.array(z)
    assert z.size >= 60
    assert np.max(np.abs(z)) < 2.0, np.round(z, 2)        # each within two stated errors
    assert np.sqrt(np.mean(z ** 2)) < 1.2, np.round(z, 2)  # and the stated errors are not small


def test_transferred_rows_draw_independent_g_in(transferred):
    from scipy.stats import chi2

    maps, _, g_in = transferred
    z = np.array([[(m["g_in"][i] - g_in[k]) / m["g_in_err"][i] for i, k in enumerate(TRANSFER_KL)]
                  for m in maps])                           # seeds x rows
    # the plane-wave g_in is honest: its z-scores against the reference are standard normal
    assert np.sum(z ** 2) < chi2.ppf(0.999, z.size)
    # and the rows' errors do not move together (one shared seed made their correlation 1.00)
    corr = np.corrcoef(z.T)
    assert np.max(np.abs(corr[~np.eye(TRANSFER_KL.size, dtype=bool)])) < 0.99, np.round(corr, 2)
    # reproducible: the same master seed gives the same map
    again = entanglement_map(TRANSFER_KL, TRANSFER_U, d=30.0, Z=1.5, gamma_add=5.0,
                             kL_transfer=100.0, seed=0)
    assert np.array_equal(again["g_in"], maps[0]["g_in"])
