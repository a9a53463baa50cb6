"""lehmberg validate and lehmberg reference: the scan against closed forms, the files, the CLI edge."""

import json
import math

import numpy as np
import pytest
import xarray as xr

from lehmberg.cli import main
from lehmberg.validate import C4, G_LIMIT, inter_scan, intra_scan, paper_inter, summary


def exact_intra_gamma(kL, pz2=0.0):
    """Γ̄ inside one cloud in closed form (elementary): e^{−z} I_{1/2}(z), e^{−z} I_{5/2}(z), z = (k_L L)²."""
    L2 = kL * kL
    P2 = (3 * pz2 - 1) / 2
    e = math.exp(-2 * L2)
    a = (1 - e) / (2 * L2)
    b = ((1 - 3 / L2 + 3 / L2**2) - e * (1 + 3 / L2 + 3 / L2**2)) / (2 * L2)
    return a - P2 * b


def test_intra_scan_large_kL_against_closed_form():
    kL = np.array([10.0, 100.0, 1000.0])
    d = intra_scan(kL)
    exact = np.array([exact_intra_gamma(x) for x in kL])
    np.testing.assert_allclose(d["Gamma_ij"], exact, rtol=1e-11)
    # the leading correction: −3/(4 (k_L L)⁴) + 3/(4 (k_L L)⁶)
    np.testing.assert_allclose(d["scaled_correction"], C4 + 0.75 / kL**2, rtol=1e-6)


def test_G_ij_has_no_log():
    """G_ij (k_L L)³ tends to −7/(4√(2π)); a log(k_L L) term would make it drift."""
    d = intra_scan(np.array([1000.0, 3000.0]))
    np.testing.assert_allclose(d["G_kL3"], G_LIMIT, rtol=3e-6)
    # log(3000/1000) = 1.1: the paper's law would move G (k_L L)³ by about its own size
    assert abs(d["G_kL3"][1] - d["G_kL3"][0]) < 2e-6


def test_inter_scan_paper_formula_and_limit():
    d = inter_scan([10.0], [1e-3, 1e-1, 10.0])
    np.testing.assert_allclose(d["nodipole"]["gamma_bar"], d["paper"], rtol=1e-10)
    # k_L ≫ R/L²: the inter-cloud Γ̄ tends to the intra-cloud one; the deviation is ≈ k_L R/(k_L L)²
    dev = np.abs(d["dipole"]["gamma_bar"][0] / d["intra"]["gamma_bar"][0] - 1)
    assert dev[0] < 2e-3 and dev[2] > 0.5
    s = summary(intra_scan(np.array([100.0, 200.0])), d)
    assert s["paper_formula_max_rel_diff"] < 1e-10


def test_full_scan_has_monte_carlo_points_up_to_kL_1e3():
    from lehmberg.validate import grids

    assert grids()["kL_mc"].max() >= 1e3


def test_validate_quick_writes_files(tmp_path, cli):
    out = tmp_path / "b.nc"
    fig = tmp_path / "b.png"
    rc, _, err = cli("validate", "--quick", "--mc-samples", "32768", "--mc-rel-err", "1e-3",
                     "--out", str(out), "--fig", str(fig))
    assert rc == 0, err
    assert out.exists() and fig.exists() and fig.with_suffix(".pdf").exists()
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        kL = ds["kL"].values
        G = ds["intra_Gamma_ij"].values
        assert "units of Gamma" in ds["intra_Gamma_ij"].attrs["long_name"]
        np.testing.assert_allclose(G, [exact_intra_gamma(x) for x in kL], rtol=1e-9)
        # Monte-Carlo (plane-wave) points agree with the closed form within 4 standard errors
        mk = ds["kL_mc"].values
        mg = ds["mc_intra_Gamma_ij"].values
        me = ds["mc_intra_Gamma_ij_err"].values
        assert np.all(np.abs(mg - [exact_intra_gamma(x) for x in mk]) <= 4 * me)
        assert np.all(me < 1e-2 * np.abs(mg))   # plane waves: small error bars at 3e4 directions
        assert ds["inter_dipole_gamma_bar_re"].dims == ("kL_inter", "ratio")
        s = json.loads(ds.attrs["summary"])
        assert "lehmberg_version" in ds.attrs
    assert s["paper_formula_max_rel_diff"] < 1e-10
    # exists now: refused without --force, nothing changed
    before = out.stat().st_mtime_ns
    rc, _, _ = cli("validate", "--quick", "--out", str(out), "--fig", str(fig))
    assert rc == 2
    assert out.stat().st_mtime_ns == before


@pytest.mark.parametrize("argv, word", [
    (["validate", "--quick", "--out", "x.nc", "--fig", "x.pdf"], "--fig"),
    (["validate", "--quick", "--out", "x.nc", "--fig", "nodir/x.png"], "--fig"),
    (["validate", "--quick", "--out", "x.nc", "--mc-samples", "10"], "--mc-samples"),
    (["validate", "--quick", "--out", "x.nc", "--mc-samples", "1e15"], "--mc-samples"),
    (["validate", "--quick", "--out", "x.nc", "--mc-rel-err", "5"], "--mc-rel-err"),
    (["validate", "--quick", "--out", "nodir/x.nc"], "--out"),
    (["validate", "--quick", "--out", "x.txt"], "--out"),
    (["reference", "--kL", "0"], "--kL"),
    (["reference", "--kL", "1", "--shape", "cube"], "--shape"),
    (["reference", "--kL", "1", "--R-dir", "0", "0", "0"], "--R-dir"),
])
def test_bad_input_one_line_exit_2(argv, word, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and word in err
    assert list(tmp_path.iterdir()) == []


def test_reference_cli_json(capsys):
    assert main(["reference", "--kL", "30", "--kR", "900", "--N", "1000", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d) == {"intra", "inter"}
    assert d["intra"]["method"] == "reference"
    assert d["intra"]["error_kind"] == "quadrature error estimate"
    assert d["intra"]["Gamma_ij"] == pytest.approx(exact_intra_gamma(30.0), rel=1e-12)
    assert d["intra"]["d"] == pytest.approx(1000 * d["intra"]["Gamma_ij"])
    for key in ("Gamma_ij_err", "G_ij_err", "gamma_bar_err", "g_bar_err", "n_samples"):
        assert key in d["inter"]
    # same keys as lehmberg rates
    from lehmberg.result import Rates

    r = Rates(0j, 0j, 0j, 0j, 0.0, 0.0, 0.0, 0.0, 1, "x")
    assert set(d["intra"]) == set(r.as_dict(1000))
    assert d["intra"]["methods"] == {q: "reference" for q in ("gamma_bar", "g_bar", "Gamma_ij", "G_ij")}


def test_reference_cli_nodipole_paper_formula(capsys):
    assert main(["reference", "--kL", "3", "--kR", "20", "--p-hat", "none", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    gb = complex(*d["inter"]["gamma_bar"])
    assert abs(gb - complex(paper_inter(3.0, 20.0))) < 1e-12 * abs(gb)


def test_reference_cli_out(tmp_path):
    from lehmberg.io import read_rates

    out = tmp_path / "r.nc"
    assert main(["reference", "--kL", "5", "--kR", "10", "--out", str(out), "--json"]) == 0
    back = read_rates(out)
    assert set(back) == {"inputs", "intra", "inter"}
    assert back["intra"]["Gamma_ij"] == pytest.approx(exact_intra_gamma(5.0), rel=1e-12)


@pytest.mark.slow
def test_validate_full_scan_runs(tmp_path):
    rc = main(["validate", "--out", str(tmp_path / "a.nc"), "--fig", str(tmp_path / "a.png"),
               "--mc-samples", "1000000"])
    assert rc == 0


def test_interrupted_validate_leaves_no_file(tmp_path, capsys, monkeypatch):
    """The dataset, PNG and PDF are written together or not at all."""
    import lehmberg.io as command

    real = command._write_bytes
    calls = []

    def interrupt_on_pdf(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(command, "_write_bytes", interrupt_on_pdf)
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--quick", "--no-mc", "--out", str(tmp_path / "a.nc"),
              "--fig", str(tmp_path / "a.png")])
    assert exc.value.code == 130 and "interrupted" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
