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
        assert isinstance(obj[k], float) and k + "_err" in obj  # the errors: tests/test_gaussian.py
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


# --------------------------------------------------------------------------------------------
# --model gaussian --geometry FILE: clouds that differ (SPEC §9)
# --------------------------------------------------------------------------------------------

TWO_CLOUDS = """probe = [0, 0, 1]
dipole = [1, 0, 0]
[I]
shape = "gaussian"
kL = [4, 5, 8]
N = 300
[II]
shape = "gaussian"
kL = [3, 3, 6]
centre = [0, 0, 20]
N = 150
"""


@pytest.fixture
def two_cloud_file(tmp_path):
    path = tmp_path / "two.toml"
    path.write_text(TWO_CLOUDS)
    return path


def test_geometry_file_agrees_with_the_library_key_by_key(cli, two_cloud_file):
    import lehmberg
    from lehmberg import entanglement as en
    from lehmberg.geometry import read_geometry

    status, out, err = cli("entangle", "--model", "gaussian", "--geometry", str(two_cloud_file),
                           "--Z", "1.3", "--Z-II", "1.5", "--gamma-add", "1", "--t", "0.5,0.1",
                           "--json")
    assert status == 0, err
    obj = json.loads(out)
    geo = read_geometry(two_cloud_file)
    rI, rX, rII = (lehmberg.rates(q) for q in (geo.single(), geo, geo.single("II")))
    m = en.models_from_rates((rI, rII), rX, (300.0, 150.0), Z_I=1.3, Z_II=1.5, gamma_add=1.0)
    e = en.entangle(m, t=[0.5, 0.1])
    lib = {"xi_inf": e.xi_inf, "xi_inf_best": e.xi_best, "theta_best": e.theta_best,
           "log_negativity": e.log_negativity, "purity": e.purity, "P_inf": e.P_inf, "d": e.d,
           "d_II": e.extra["d_II"]}
    for k, v in lib.items():
        src = {"xi_inf_best": "xi_best"}.get(k, k)
        assert obj[k] == v and obj[k + "_err"] == e.err(src), k
    for k in ("P_I", "P_II", "N_ratio"):
        assert obj[k] == e.extra[k], k
    x, cp = e.extra, obj["coupling"]
    assert cp["c"] == [x["c"].real, x["c"].imag] and cp["g_x"] == [x["g_x"].real, x["g_x"].imag]
    assert cp["c_err"] == [x["c_err"].real, x["c_err"].imag]
    assert (cp["g_in"], cp["g_in_II"], cp["g_in_II_err"]) == (x["g_in"], x["g_in_II"],
                                                              x["g_in_II_err"])
    assert obj["xi_t"] == e.xi_t.tolist() and obj["xi_t_err"] == e.xi_t_err.tolist()
    assert obj["P_t"] == e.P_t.tolist()
    assert (obj["N"], obj["N_II"], obj["Z"], obj["Z_II"]) == (300.0, 150.0, 1.3, 1.5)
    assert (obj["mu_II"], obj["nu_II"]) == (m.clouds[1].mu, m.clouds[1].nu)
    assert set(obj["rates"]) == {"intra", "inter", "intra_II"}
    assert obj["rates"]["intra_II"]["gamma_bar"][0] == rII.gamma_bar.real
    assert obj["d"] == 300.0 * rI.gamma_bar.real and obj["d_II"] == 150.0 * rII.gamma_bar.real


def test_geometry_file_table_optimize_Z_and_netcdf(cli, two_cloud_file, tmp_path):
    out = tmp_path / "g.nc"
    status, text, err = cli("entangle", "--model", "gaussian", "--geometry", str(two_cloud_file),
                            "--optimize-Z", "--gamma-add", "1", "--out", str(out))
    assert status == 0, err
    assert "d_II = " in text and "√(Γ̄_I,I Γ̄_II,II)" in text
    status, js, _ = cli("entangle", "--model", "gaussian", "--geometry", str(two_cloud_file),
                        "--optimize-Z", "--gamma-add", "1", "--json")
    obj = json.loads(js)
    assert obj["Z"] == obj["Z_II"] and obj["xi_inf_best"] <= obj["xi_inf"] + 1e-12
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert float(ds["d_II"]) == pytest.approx(obj["d_II"], rel=1e-15)
        assert float(ds["xi_inf"]) == pytest.approx(obj["xi_inf"], rel=1e-15)


def test_a_file_of_identical_clouds_is_the_shorthand(cli, tmp_path):
    path = tmp_path / "same.toml"
    path.write_text('dipole = [1, 0, 0]\n[I]\nkL = 10\nN = 4000\n[II]\nkL = 10\ncentre = [0, 0, 30]\n'
                    'N = 4000\n')
    argv = ("--model", "gaussian", "--Z", "1.5", "--gamma-add", "5", "--json")
    status, a, err = cli("entangle", "--geometry", str(path), *argv)
    assert status == 0, err
    _, b, _ = cli("entangle", "--N", "4e3", "--kL", "10", "--kR", "30", *argv)
    a, b = json.loads(a), json.loads(b)
    assert "d_II" not in a and "intra_II" not in a["rates"]
    for k in GAUSSIAN_KEYS:
        assert a[k] == pytest.approx(b[k], rel=1e-9, abs=1e-12), k


@pytest.mark.parametrize("edit, argv, needle", [
    (lambda t: t.replace("N = 150\n", ""), (), "[II].N"),
    (lambda t: t.replace("N = 300\n", ""), (), "[I].N"),
    (lambda t: t, ("--model", "two-level"), "argument --geometry"),
    (lambda t: t, ("--N", "300"), "argument --N"),
    (lambda t: t, ("--kR", "30"), "argument --geometry"),
    (lambda t: t, ("--d", "30"), "argument --d"),
    (lambda t: t, ("--Z-II", "0.5"), "--Z-II"),
])
def test_geometry_file_refusals_one_line_exit_2_no_file(cli, tmp_path, edit, argv, needle):
    path = tmp_path / "two.toml"
    path.write_text(edit(TWO_CLOUDS))
    out = tmp_path / "x.nc"
    model = () if "--model" in argv else ("--model", "gaussian")
    status, _, err = cli("entangle", *model, "--geometry", str(path), "--Z", "1.5", *argv,
                         "--out", str(out))
    assert status == 2 and needle in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["two.toml"]


def test_neither_depth_nor_geometry(cli):
    status, _, err = cli("entangle", "--model", "gaussian", "--Z", "1.5")
    assert status == 2 and "--geometry" in err and err.count("\n") == 1
