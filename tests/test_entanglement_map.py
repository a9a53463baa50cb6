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


# ----------------------------------------------------------------------------- geometry axes

def _pair(kL, kR, N):
    from lehmberg import Cloud, Geometry

    return Geometry.of(Cloud(kL=kL, N=N), Cloud(kL=kL, centre=(0.0, 0.0, kR), N=N))


def test_geometry_map_equals_the_kL_u_map_for_the_paper_clouds():
    """Identical isotropic clouds along the probe, N chosen so that d = 30: the geometry map
    over kR (rates → models_from_rates → entangle) equals entanglement_map's reference points
    (another route: steady_state_batch at a fixed d)."""
    from lehmberg import Geometry, rates
    from lehmberg.entanglement_map import geometry_map

    kL, u = 10.0, np.array([0.05, 0.3, 2.0])
    N = 30.0 / rates(Geometry(kL), "reference").gamma_bar.real
    g = geometry_map(_pair(kL, 50.0, N), {"kR": u * kL**2}, gamma_add=1.0, method="reference")
    m = entanglement_map([kL], u, d=30.0, gamma_add=1.0)
    assert np.allclose(g["d"], 30.0, rtol=1e-12)
    np.testing.assert_allclose(g["xi_inf"], m["xi_inf"][0], rtol=1e-8)
    np.testing.assert_allclose(g["xi_best"], m["xi_inf_best"][0], rtol=1e-8)
    np.testing.assert_allclose(g["log_negativity"], m["log_negativity"][0], rtol=1e-7, atol=1e-10)


def test_geometry_map_errors_cover_the_monte_carlo():
    """Plane-wave rates (standard errors) against the deterministic reference: the propagated
    errors of ξ cover the difference (|z| < 4 at every point, fixed seed)."""
    from lehmberg import Cloud, Geometry
    from lehmberg.entanglement_map import geometry_map

    g = Geometry.of(Cloud(kL=(6, 6, 18), N=3e3), Cloud(kL=(6, 8, 18), centre=(0, 0, 40), N=2e3))
    axes = {"aspect": [1.0, 3.0]}
    mc = geometry_map(g, axes, gamma_add=1.0, method="planewave", rel_err=3e-3, seed=4)
    ref = geometry_map(g, axes, gamma_add=1.0, method="reference")
    assert np.all(mc["xi_inf_err"] > 0) and np.all(ref["xi_inf_err"] < 1e-8)
    z = (mc["xi_inf"] - ref["xi_inf"]) / mc["xi_inf_err"]
    assert np.all(np.abs(z) < 4), z
    assert np.all(ref["d_II"] != ref["d"])  # clouds that differ: each its own optical depth


@pytest.mark.parametrize("kw, match", [
    ({"axes": {}}, "axes"), ({"axes": {"size": [1]}}, "unknown axis"),
    ({"axes": {"aspect": [0.0]}}, "aspect"), ({"axes": {"aspect": [2.0]}, "Z": 0.5}, "Z"),
    ({"axes": {"aspect": [2.0]}, "method": "magic"}, "method"),
])
def test_geometry_map_bad_input(kw, match):
    from lehmberg.entanglement_map import geometry_map

    with pytest.raises((TypeError, ValueError), match=match):
        geometry_map(_pair(5.0, 40.0, 1e3), **kw)
    with pytest.raises(ValueError, match="N is needed"):
        geometry_map(_pair(5.0, 40.0, None), {"aspect": [2.0]})


def test_geometry_map_command(tmp_path, cli):
    xr = pytest.importorskip("xarray")
    geo = tmp_path / "g.toml"
    geo.write_text('[I]\nkL = [5, 5, 15]\nN = 2e3\n[II]\nkL = [5, 5, 15]\ncentre = [0, 0, 40]\n'
                   'N = 1e3\n')
    out, fig = tmp_path / "m.nc", tmp_path / "m.png"
    status, text, err = cli("entangle-map", "--geometry", str(geo), "--axis", "aspect=1,3",
                            "--axis", "kR=40,80", "--method", "reference", "--gamma-add", "1",
                            "--out", str(out), "--fig", str(fig), "--json")
    assert status == 0, err
    ds = xr.open_dataset(out)
    assert ds["xi_inf"].dims == ("aspect", "kR") and fig.exists() and fig.with_suffix(".pdf").exists()
    assert json.loads(text)["points"] == 4 and "geometry" in ds.attrs
    ds.close()
    for extra, needle in ((["--kL", "1:3:3"], "argument --kL: not with --geometry"),
                          (["--axis", "size=2"], "argument --axis: give NAME=LIST"),
                          (["--axis", "aspect=-1"], "argument --axis aspect: must be"),
                          ([], "argument --axis: give one or two")):
        bad = tmp_path / "bad.nc"
        status, _, err = cli("entangle-map", "--geometry", str(geo), *extra, "--out", str(bad),
                             "--fig", str(tmp_path / "bad.png"))
        assert status == 2 and needle in err and len(err.strip().splitlines()) == 1, err
        assert not bad.exists()
    status, _, err = cli("entangle-map", "--axis", "aspect=2", "--out", str(tmp_path / "b.nc"))
    assert status == 2 and "only with --geometry" in err
