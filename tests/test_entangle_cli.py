"""``lehmberg entangle`` and ``lehmberg figures``: JSON keys, files, one-line errors."""

import json

import h5py
import pytest



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
    assert obj["d_err"] >= 0
    status, out, _ = cli("entangle", "--N", "1e6", "--kL", "100", "--Z", "1.5",
                         "--rates-method", "asymptote", "--json")
    assert json.loads(out)["d"] == pytest.approx(75.0)


def test_three_level_preset_and_files(tmp_path, cli):
    h5, png = tmp_path / "e.h5", tmp_path / "e.png"
    status, out, _ = cli("entangle", "--model", "three-level", "--preset", "cs133",
                         "--d", "30", "--x-repump", "1", "--t", "0,1", "--json", "--out", str(h5),
                         "--plot", str(png))
    assert status == 0
    obj = json.loads(out)
    assert obj["Z"] == pytest.approx(2.36, abs=0.05) and obj["xi_inf"] < 1
    with h5py.File(h5) as f:
        assert list(f["xi_t"][()]) == pytest.approx(obj["xi_t"])
        assert f["t"].attrs["units"] == "1/Gamma" and "git_commit" in f.attrs
    assert png.stat().st_size > 1000


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
    (["--N", "1e6", "--kL", "30", "--Z", "2", "--rates-method", "monte-carlo", "--samples", "10"],
     "--samples"),
])
def test_bad_input_one_line_exit_2_no_file(tmp_path, cli, argv, needle):
    out = tmp_path / "x.h5"
    status, stdout, err = cli("entangle", *argv, "--out", str(out))
    assert status == 2
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_existing_out_refused_before_work(tmp_path, cli):
    out = tmp_path / "x.h5"
    out.write_text("keep")
    status, _, err = cli("entangle", "--d", "30", "--Z", "2", "--out", str(out))
    assert status == 2 and "exists" in err and out.read_text() == "keep"


def test_figures_two_level(tmp_path, cli):
    status, out, _ = cli("figures", "--outdir", str(tmp_path), "--which", "3,4")
    assert status == 0
    for name in ("fig3.png", "fig3.pdf", "fig4.png", "fig4.pdf", "figures_entangle.h5"):
        assert (tmp_path / name).stat().st_size > 1000
    with h5py.File(tmp_path / "figures_entangle.h5") as f:
        xi = f["fig3/xi_inf"][()]
        assert xi.shape == (5, f["fig3/Z"].shape[0])
        assert f["fig4/xi_opt"][()].min() < 0.85


def test_figures_checks_every_target_before_work(tmp_path, cli):
    status, _, err = cli("figures", "--outdir", str(tmp_path), "--which", "3",
                         "--h5", "nodir/x.h5")
    assert status == 2 and "nodir" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_interrupted_figures_leave_no_file(tmp_path, cli, monkeypatch):
    import lehmberg.io

    real = lehmberg.io.save_figure
    calls = []

    def interrupt_second(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(lehmberg.io, "save_figure", interrupt_second)
    status, _, err = cli("figures", "--outdir", str(tmp_path), "--which", "3")
    assert status == 130 and list(tmp_path.iterdir()) == []
