"""Scans over geometry parameters (``lehmberg scan --geometry``): Geometry.varied against
independently built geometries and the radial reference, the grid's pairs and identity, the
file, and every refusal (one line, exit 2, nothing written)."""

import json
import math

import numpy as np
import pytest

from lehmberg import Cloud, Geometry, rates
from lehmberg.reference import reference_rates
from lehmberg.scan import Grid, GridError, MemoryStore, run_scan

xr = pytest.importorskip("xarray")

CIGAR = Cloud(kL=(6.0, 6.0, 24.0))


def _run(grid):
    store = MemoryStore()
    summary = run_scan(grid, store)
    assert summary.failed == 0 and summary.complete
    return store.dataset


# ----------------------------------------------------------------------------- Geometry.varied

def test_aspect_at_fixed_volume_and_area():
    g = Geometry.of(Cloud(kL=(4.0, 9.0, 30.0)))
    for a in (0.5, 1.0, 7.0):
        v = g.varied(aspect=a).I.kL
        assert math.isclose(v[0] * v[1] * v[2], 4 * 9 * 30, rel_tol=1e-12)
        assert math.isclose(v[2] / math.sqrt(v[0] * v[1]), a, rel_tol=1e-12)
        assert math.isclose(v[0] / v[1], 4 / 9, rel_tol=1e-12)
        w = g.varied(aspect=a, keep="area").I.kL
        assert w[:2] == (4.0, 9.0) and math.isclose(w[2], 6.0 * a, rel_tol=1e-12)


def test_aspect_one_at_fixed_volume_is_the_radial_reference():
    """A cigar made round at its own volume is the paper's cloud of size V^(1/3): the radial
    reference (another code) gives its rates."""
    g = Geometry.of(CIGAR).varied(aspect=1.0)
    L = (6.0 * 6.0 * 24.0) ** (1 / 3)
    got = rates(g, "reference")
    ref = reference_rates(L, None)
    assert abs(got.Gamma_ij - ref.Gamma_ij) < 1e-9 * ref.Gamma_ij
    assert abs(got.g_bar - ref.g_bar) < 1e-8 * abs(ref.g_bar)


def test_probe_angle_is_a_rotation_of_the_whole_set_up():
    """The probe turned by 90° onto a cigar along ẑ is the cigar along x̂ probed along ẑ, with
    the dipole turned with the probe (x̂ → −ẑ, i.e. x̂ in the rotated frame)."""
    turned = Geometry.of(CIGAR).varied(probe_angle=90.0)
    assert np.allclose(turned.probe, (1, 0, 0), atol=1e-15)
    assert np.allclose(turned.p_hat, (0, 0, -1), atol=1e-15)
    across = Geometry.of(Cloud(kL=(24.0, 6.0, 6.0)), p_hat=(1.0, 0.0, 0.0))
    a, b = rates(turned, "reference"), rates(across, "reference")
    assert abs(a.Gamma_ij - b.Gamma_ij) < 1e-8 * b.Gamma_ij
    assert abs(a.g_bar - b.g_bar) < 1e-7 * abs(b.g_bar)
    # and a σ+ dipole turns with it (the complex components kept)
    sp = Geometry.of(CIGAR, p_hat=(1, 1j, 0)).varied(probe_angle=30.0)
    p = np.asarray(sp.p_hat)
    assert isinstance(sp.p_hat[0], complex) and abs(np.vdot(p, sp.probe)) < 1e-15


def test_scale_and_kR_of_the_paper_cloud():
    g = Geometry.of(Cloud(kL=3.0), Cloud(kL=3.0, centre=(0, 0, 20.0)))
    assert g.varied(scale=2.0) == Geometry(kL=6.0, kR=40.0)
    assert g.varied(kR=7.0) == Geometry(kL=3.0, kR=7.0)
    assert g.varied(scale=2.0, kR=7.0) == Geometry(kL=6.0, kR=7.0)  # kR after scale


@pytest.mark.parametrize("kw, match", [
    ({"aspect": 0.0}, "aspect"), ({"aspect": float("nan")}, "aspect"), ({"scale": -1.0}, "scale"),
    ({"keep": "mass"}, "keep"), ({"waist": 0.0}, "waist"), ({"probe_angle": 181.0}, "probe_angle"),
    ({"kR": 5.0}, "kR"),
])
def test_varied_bad_values(kw, match):
    with pytest.raises((TypeError, ValueError), match=match):
        Geometry.of(CIGAR).varied(**kw)


def test_from_dict_inverts_as_dict():
    for g in (Geometry(kL=3.0, kR=9.0, R_dir=(1, 0, 1), p_hat=None),
              Geometry.of(CIGAR, Cloud(shape="box", kL=(5, 6, 7), centre=(0, 1, 40)),
                          probe=(0, 1, 1), p_hat=(1, 1j, 0))):
        assert Geometry.from_dict(json.loads(json.dumps(g.as_dict()))) == g


# ----------------------------------------------------------------------------- the grid

def test_grid_pairs_and_axes():
    two = Geometry.of(CIGAR, Cloud(kL=(6.0, 8.0, 24.0), centre=(0, 0, 300.0)))
    grid = Grid.build(geometry=two, aspect="1,3", kR="100,200", method="reference")
    assert grid.pairs == ("intra", "inter", "intra_II")
    assert grid.dims("intra") == ("aspect", "method", "samples", "rel_err")
    assert grid.dims("inter")[:2] == ("kR", "aspect")
    assert len(grid.tasks) == 2 + 4 + 2
    same = Geometry.of(CIGAR, CIGAR.moved((0, 0, 300.0)))
    assert Grid.build(geometry=same).pairs == ("intra", "inter")
    # the paper's grids keep their identity (no geometry keys)
    assert "geometry" not in Grid.build(kL="1,3").spec()


def test_geometry_scan_against_direct_rates():
    """Every task of the file is lehmberg.rates at Geometry.varied of its point, pair by pair."""
    two = Geometry.of(CIGAR, Cloud(kL=(5.0, 7.0, 20.0), centre=(0, 0, 200.0)), p_hat=(1, 1j, 0))
    grid = Grid.build(geometry=two, aspect="1,2.5", waist="none,9", kR="150", method="reference")
    ds = _run(grid)
    for a in (1.0, 2.5):
        for w in (None, 9.0):
            g = two.varied(aspect=a, waist=w, kR=150.0)
            sel = dict(aspect=a, waist=0.0 if w is None else w)
            for pair, geo in (("intra", g.single()), ("inter", g), ("intra_II", g.single("II"))):
                direct = rates(geo, "reference")
                got = ds[f"{pair}_Gamma_ij"].sel(**sel).squeeze()
                assert float(got) == direct.Gamma_ij
                assert float(ds[f"{pair}_Gamma_ij_err"].sel(**sel).squeeze()) == \
                    direct.Gamma_ij_err
    assert json.loads(ds.attrs["geometry"]) == two.as_dict()
    assert ds["probe_angle"].attrs["units"] == "degree" if "probe_angle" in ds else True


# ----------------------------------------------------------------------------- the command

def test_scan_geometry_command_and_resume(cli, tmp_path):
    geo = tmp_path / "g.toml"
    geo.write_text('[I]\nkL = [6, 6, 24]\n[II]\nkL = [6, 6, 24]\ncentre = [0, 0, 300]\nN = 1e4\n')
    out = tmp_path / "s.nc"
    args = ["scan", "--geometry", str(geo), "--aspect", "1,2", "--keep", "area", "--kR", "120",
            "--method", "reference", "--out", str(out)]
    status, text, err = cli(*args)
    assert status == 0, err
    ds = xr.open_dataset(out)
    assert set(ds["aspect"].values) == {1.0, 2.0} and ds.attrs["aspect_at_fixed"] == "area"
    ref = rates(Geometry.of(Cloud(kL=6.0)), "reference").Gamma_ij  # aspect 1 at fixed area
    assert abs(float(ds["intra_Gamma_ij"].sel(aspect=1.0).squeeze()) - ref) < 1e-9 * ref
    ds.close()
    status, text, _ = cli(*args)
    assert status == 0 and "nothing to run" in text


def test_scan_geometry_from_config(cli, tmp_path):
    (tmp_path / "g.toml").write_text('[I]\nkL = [5, 5, 15]\n')
    cfg = tmp_path / "scan.toml"
    cfg.write_text('geometry = "g.toml"\n[grid]\nprobe_angle = [0, 90]\nmethod = ["reference"]\n')
    out = tmp_path / "c.nc"
    status, _, err = cli("scan", "--config", str(cfg), "--out", str(out))
    assert status == 0, err
    ds = xr.open_dataset(out)
    across = rates(Geometry.of(Cloud(kL=(15, 5, 5))), "reference").Gamma_ij
    got = float(ds["intra_Gamma_ij"].sel(probe_angle=90.0).squeeze())
    assert abs(got - across) < 1e-8 * across
    ds.close()


@pytest.mark.parametrize("extra, needle", [
    (["--kL", "3"], "argument --kL: comes from the geometry file"),
    (["--p-hat", "y"], "argument --p-hat: comes from the geometry file"),
    (["--aspect", "0"], "argument --aspect: must be >= 0.001"),
    (["--aspect", "2", "--keep", "mass"], "argument --keep: must be one of"),
    (["--keep", "area"], "argument --keep: only with aspect"),
    (["--probe-angle", "200"], "argument --probe-angle: must be <= 180"),
    (["--waist", "nan"], "argument --waist: must be finite"),
    (["--pairs", "intra_II"], "argument --pairs: must be some of intra, inter"),
])
def test_scan_geometry_bad_input(cli, tmp_path, extra, needle):
    geo = tmp_path / "g.toml"
    geo.write_text('[I]\nkL = [6, 6, 24]\n[II]\nkL = [6, 6, 24]\ncentre = [0, 0, 300]\n')
    out = tmp_path / "bad.nc"
    status, _, err = cli("scan", "--geometry", str(geo), *extra, "--out", str(out))
    assert status == 2 and needle in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_scan_geometry_refusals(cli, tmp_path):
    box = tmp_path / "box.toml"
    box.write_text('[I]\nshape = "box"\nkL = [6, 6, 24]\n')
    out = tmp_path / "r.nc"
    for args, needle in (
            (["--geometry", str(box), "--waist", "5"], "argument --waist: a probe waist needs"),
            (["--geometry", str(box), "--kR", "50"], "argument --kR: the geometry has no cloud II"),
            (["--kL", "3", "--aspect", "2"], "argument --aspect: only with a geometry file"),
            (["--geometry", str(tmp_path / "missing.toml")], "argument --geometry:")):
        status, _, err = cli("scan", *args, "--out", str(out))
        assert status == 2 and needle in err and len(err.strip().splitlines()) == 1, err
        assert not out.exists()
    with pytest.raises(GridError, match="geometry"):
        Grid.build(geometry={"I": {}})
