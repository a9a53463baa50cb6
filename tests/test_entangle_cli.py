"""``lehmberg entangle`` and ``lehmberg figures``: JSON keys, files, one-line errors."""

import json

import pytest
import xarray as xr



def test_json_keys_and_optimum(cli):
    status, out, _ = cli("entangle", "--d", "30", "--gamma-add", "20", "--optimize-Z",
                         "--t", "0,0.5,40", "--json")
    assert status == 0
    obj = json.loads(out)
    assert {"xi_inf", "P_inf", "Z", "d", "xi_t", "P_t"} <= set(obj)
    assert obj["xi_inf"] == pytest.approx(0.85, abs=0.002)   # the paper's 15 % at Γ_d^add = 20
    assert len(obj["xi_t"]) == 3 and obj["xi_t"][0] == pytest.approx(1.0)
    assert obj["xi_t"][-1] == pytest.approx(obj["xi_inf"], rel=1e-6)


def test_N_kL_gives_d_with_error_and_source(cli):
    status, out, _ = cli("entangle", "--N", "1e6", "--kL", "100", "--Z", "1.5", "--json")
    obj = json.loads(out)
    assert status == 0 and "reference" in obj["d_source"]
    assert obj["d"] == pytest.approx(75.0, rel=1e-3) and obj["d"] < obj["d_asymptote"]
    assert 0 < obj["d_err"] < 1e-8 * obj["d"]   # quadrature error
    status, out, _ = cli("entangle", "--N", "1e6", "--kL", "100", "--Z", "1.5",
                         "--rates-method", "planewave", "--rel-err", "0.01", "--json")
    mc = json.loads(out)
    assert "planewave" in mc["d_source"] and abs(mc["d"] - obj["d"]) <= 4 * mc["d_err"]


def test_three_level_preset_and_files(tmp_path, cli):
    h5, png = tmp_path / "e.nc", tmp_path / "e.png"
    status, out, _ = cli("entangle", "--model", "three-level", "--preset", "cs133",
                         "--d", "30", "--x-repump", "1", "--t", "0,1", "--json", "--out", str(h5),
                         "--plot", str(png))
    assert status == 0
    obj = json.loads(out)
    assert obj["Z"] == pytest.approx(2.3, abs=0.1) and obj["xi_inf"] < 1  # the paper's Z = 2.3
    with xr.open_dataset(h5, engine="h5netcdf") as ds:
        assert list(ds["xi_t"].values) == pytest.approx(obj["xi_t"])
        assert "1/Gamma" in ds["t"].attrs["long_name"] and "git_commit" in ds.attrs
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv,needle", [
    (["--d", "30", "--Z", "0.5"], "argument --Z: must be > 1"),
    (["--d", "30", "--Z", "1"], "argument --Z: must be > 1"),
    (["--d", "-3", "--Z", "2"], "argument --d"),
    (["--d", "inf", "--Z", "2"], "argument --d"),
    (["--d", "30", "--Z", "nan"], "argument --Z"),
    (["--d", "30", "--Z", "2", "--gamma-add", "-1"], "argument --gamma-add"),
    (["--d", "30", "--Z", "2", "--t", "1,-2"], "argument --t"),
    (["--d", "30", "--Z", "2", "--t", "1,abc"], "argument --t"),
    (["--d", "30"], "argument --Z"),
    (["--N", "1e6", "--Z", "2"], "argument --N"),
    (["--model", "three-level", "--d", "30", "--Z", "2", "--G-ud", "-1", "--G-du", "1"], "--G-ud"),
    (["--model", "three-level", "--d", "30", "--Z", "2", "--G-ud", "1"], "--G-du"),
    (["--model", "three-level", "--preset", "cs133", "--d", "30", "--Z", "2"], "--preset"),
    (["--d", "30", "--Z", "1e308", "--t", "1"], "--Z"),
    (["--d", "1e308", "--Z", "2", "--t", "1"], "--d"),
    (["--d", "30", "--Z", "2", "--x", "1e308"], "--x"),
    (["--d", "30", "--Z", "2", "--rtol", "10"], "--rtol"),
    (["--d", "30", "--Z", "2", "--t", ""], "--t"),
    (["--N", "1e6", "--kL", "1e-300", "--Z", "2"], "--kL"),
    (["--N", "1e6", "--kL", "30", "--Z", "2", "--rates-method", "pairs", "--samples", "10"],
     "--samples"),
    (["--N", "1e6", "--kL", "30", "--Z", "2", "--rates-method", "pairs", "--samples", "1e15"],
     "--samples"),
    (["--N", "1e300", "--kL", "30", "--Z", "2"], "--N"),
    (["--N", "1e6", "--kL", "30", "--kR", "100", "--Z", "2"], "--kR"),
    (["--model", "gaussian", "--d", "30", "--Z", "1.5", "--c", "0.9", "0.9"], "--c"),
    (["--model", "gaussian", "--d", "30", "--Z", "1"], "--Z"),
    (["--model", "gaussian", "--d", "30", "--Z", "1.5", "--Z-II", "0.5"], "--Z-II"),
    (["--model", "gaussian", "--d", "30", "--Z", "1.5", "--g-x", "nan", "0"], "--g-x"),
    (["--model", "gaussian", "--N", "4e3", "--kL", "10", "--kR", "30", "--Z", "1.5",
      "--c", "1", "0"], "--c"),
    (["--d", "30", "--Z", "1.5", "--g-in", "0.1"], "--g-in"),
])
def test_bad_input_one_line_exit_2_no_file(tmp_path, cli, argv, needle):
    out = tmp_path / "x.nc"
    status, stdout, err = cli("entangle", *argv, "--out", str(out))
    assert status == 2
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_existing_out_refused_before_work(tmp_path, cli):
    out = tmp_path / "x.nc"
    out.write_text("keep")
    status, _, err = cli("entangle", "--d", "30", "--Z", "2", "--out", str(out))
    assert status == 2 and "exists" in err and out.read_text() == "keep"


def test_figures_two_level(tmp_path, cli):
    status, out, _ = cli("figures", "--outdir", str(tmp_path), "--which", "3,4")
    assert status == 0
    for name in ("fig3.png", "fig3.pdf", "fig4.png", "fig4.pdf", "figures_entangle.nc"):
        assert (tmp_path / name).stat().st_size > 1000
    with xr.open_dataset(tmp_path / "figures_entangle.nc", engine="h5netcdf") as ds:
        assert ds["fig3_xi_inf"].dims == ("fig3_gamma_add", "fig3_Z")
        assert float(ds["fig4_xi_opt"].min()) < 0.85   # the paper's 15 % reduction is reachable


def test_figures_checks_every_target_before_work(tmp_path, cli):
    status, _, err = cli("figures", "--outdir", str(tmp_path), "--which", "3",
                         "--data", "nodir/x.nc")
    assert status == 2 and "nodir" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_interrupted_figures_leave_no_file(tmp_path, cli, monkeypatch):
    import lehmberg.io

    real = lehmberg.io._write_bytes
    calls = []

    def interrupt_second(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(lehmberg.io, "_write_bytes", interrupt_second)
    status, _, err = cli("figures", "--outdir", str(tmp_path), "--which", "3")
    assert status == 130 and list(tmp_path.iterdir()) == []


GAUSSIAN_KEYS = ("xi_inf", "xi_inf_best", "theta_best", "log_negativity", "purity", "P_inf", "d")


def test_gaussian_model_from_a_geometry_reports_every_key_with_its_error(cli):
    status, out, err = cli("entangle", "--model", "gaussian", "--N", "4e3", "--kL", "10",
                           "--kR", "30", "--Z", "1.5", "--gamma-add", "5", "--json")
    assert status == 0, err
    obj = json.loads(out)
    for k in GAUSSIAN_KEYS:
        assert isinstance(obj[k], float) and obj[k + "_err"] >= 0
    cp = obj["coupling"]
    assert len(cp["c"]) == len(cp["c_err"]) == len(cp["g_x"]) == 2 and "g_in_err" in cp
    # the inter-cloud phase is about −atan(k_L R/(k_L L)²) = −atan(0.3)
    import math

    assert math.atan2(cp["c"][1], cp["c"][0]) == pytest.approx(-math.atan(0.3), abs=0.02)
    assert obj["xi_inf_best"] <= obj["xi_inf"] + 1e-12


def test_gaussian_paper_limit_is_the_two_level_model(cli):
    argv = ("--d", "30", "--Z", "1.5", "--gamma-add", "5", "--t", "0.01,0.3,3", "--json")
    _, out2, _ = cli("entangle", *argv)
    status, outg, err = cli("entangle", "--model", "gaussian", *argv)
    assert status == 0, err
    two, gau = json.loads(out2), json.loads(outg)
    assert gau["xi_inf"] == pytest.approx(two["xi_inf"], rel=1e-8, abs=1e-8)
    assert gau["xi_t"] == pytest.approx(two["xi_t"], rel=1e-6)
    assert gau["P_inf"] == pytest.approx(two["P_inf"], rel=1e-12)


def test_gaussian_user_couplings_change_xi(cli, tmp_path):
    _, out1, _ = cli("entangle", "--model", "gaussian", "--d", "30", "--Z", "1.5", "--json")
    status, out2, _ = cli("entangle", "--model", "gaussian", "--d", "30", "--Z", "1.5",
                          "--c", "0.7", "0", "--json", "--out", str(tmp_path / "g.nc"))
    assert status == 0
    assert json.loads(out2)["xi_inf"] > json.loads(out1)["xi_inf"]   # real c < 1 entangles less
    with xr.open_dataset(tmp_path / "g.nc", engine="h5netcdf") as ds:
        assert float(ds["xi_inf"]) == pytest.approx(json.loads(out2)["xi_inf"])
