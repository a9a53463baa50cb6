"""``lehmberg rates``: JSON keys, netCDF round trip, atomic writes, one-line errors for bad input."""

import json
import os
import subprocess
import sys

import pytest
import xarray as xr

from lehmberg.io import read_rates

KEYS = {"Gamma_ij", "Gamma_ij_err", "G_ij", "G_ij_err", "gamma_bar", "gamma_bar_err", "g_bar",
        "g_bar_err", "n_samples"}


def test_json_has_the_documented_keys(cli):
    status, out, err = cli("rates", "--kL", "2", "--kR", "4", "--samples", "20000",
                           "--seed", "1", "--N", "1000", "--json")
    assert status == 0
    obj = json.loads(out)  # exactly one JSON object
    assert set(obj) == {"intra", "inter"}
    for part in obj.values():
        assert KEYS <= set(part)
        assert part["d"] == pytest.approx(1000 * part["Gamma_ij"])
        assert len(part["gamma_bar"]) == 2 and len(part["g_bar_err"]) == 2
    status, out, _ = cli("rates", "--kL", "2", "--samples", "20000", "--json")
    assert set(json.loads(out)) == {"intra"}


def test_table_shows_asymptote(cli):
    status, out, _ = cli("rates", "--kL", "3", "--samples", "20000")
    assert status == 0
    assert "3/(4(k_L L)^2) = 0.0833333" in out and "Gamma_ij" in out and "±" in out


def test_hdf5_round_trip_and_provenance(tmp_path, cli):
    path = tmp_path / "r.nc"
    status, out, _ = cli("rates", "--kL", "1.5", "--kR", "3", "--samples", "20000",
                         "--seed", "7", "--json", "--out", str(path))
    assert status == 0
    printed = json.loads(out)
    back = read_rates(path)
    for which in ("intra", "inter"):
        for key in KEYS:
            assert back[which][key] == printed[which][key]
    inputs = back["inputs"]
    assert inputs["kL"] == 1.5 and inputs["kR"] == 3.0 and inputs["seed"] == 7
    for key in ("lehmberg_version", "numba_version", "numpy_version", "created_utc", "git_commit"):
        assert key in inputs
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert ds["Gamma_ij"].attrs["units"] == "1"
        assert "units of Gamma" in ds["Gamma_ij"].attrs["long_name"]
        assert ds["Gamma_ij"].attrs["ancillary_variables"] == "Gamma_ij_err"
        assert list(ds["pair_name"].values) == ["intra", "inter"]
        assert not [d for d in ds.dims if str(d).startswith("phony")]
    assert [p.name for p in tmp_path.iterdir()] == ["r.nc"]  # no temporary left behind


def test_existing_file_is_not_overwritten_without_force(tmp_path, cli):
    path = tmp_path / "r.nc"
    path.write_bytes(b"precious")
    status, _, err = cli("rates", "--kL", "1", "--samples", "2000", "--out", str(path))
    assert status == 2 and "--force" in err and len(err.strip().splitlines()) == 1
    assert path.read_bytes() == b"precious"
    status, _, _ = cli("rates", "--kL", "1", "--samples", "2000", "--out", str(path), "--force")
    assert status == 0 and read_rates(path)["intra"]["Gamma_ij"] > 0


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch, cli):
    import lehmberg.io

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(lehmberg.io, "_write_bytes", boom)
    path = tmp_path / "r.nc"
    status, _, err = cli("rates", "--kL", "1", "--samples", "2000", "--out", str(path))
    assert status == 130 and "interrupted" in err
    assert list(tmp_path.iterdir()) == []


BAD = [
    (["--kL", "0"], "--kL"), (["--kL", "-3"], "--kL"), (["--kL", "nan"], "--kL"),
    (["--kL", "inf"], "--kL"), (["--kL", "abc"], "--kL"), ([], "--kL"),
    (["--kL", "1", "--kR", "-1"], "--kR"), (["--kL", "1", "--samples", "-5"], "--samples"),
    (["--kL", "1", "--samples", "100"], "--samples"), (["--kL", "1", "--samples", "1.5"], "--samples"),
    (["--kL", "1", "--R-dir", "0", "0", "0"], "--R-dir"), (["--kL", "1", "--p-hat", "nan", "0", "1"], "--p-hat"),
    (["--kL", "1", "--p-hat", "0", "0", "0"], "--p-hat"), (["--kL", "1", "--rel-err", "0"], "--rel-err"),
    (["--kL", "1", "--seed", "-1"], "--seed"), (["--kL", "1", "--shape", "sphere"], "--shape"),
    (["--kL", "1", "--bogus"], "--bogus"), (["--kL", "1", "--N", "-10"], "--N"),
    (["--kL", "1e-300"], "--kL"), (["--kL", "1e300"], "--kL"), (["--kL", "3", "--kR", "1e300"], "--kR"),
    (["--L", "1e300", "--wavelength", "1e-300"], "--L"), (["--kL", "1", "--samples", "1e30"], "--samples"),
    (["--kL", "1", "--samples", "1e12"], "--samples"), (["--kL", "1", "--p-hat", "1", "0"], "--p-hat"),
    (["--kL", "1", "--p-hat", "nope"], "--p-hat"), (["--kL", "1", "--rel-err", "2"], "--rel-err"),
    (["--kL", "3", "--kR", "10", "--atoms", "1e7"], "--atoms"),
    (["--kL", "3", "--atoms", "2e5", "--replicas", "1e5"], "--atoms"),
    (["--kL", "1", "--wavelength", "0", "--L", "1e-6"], "--wavelength"),
]


@pytest.mark.parametrize("argv, name", BAD + [(["reference", "--kL", "1e6", "--kR", "1e12"], "reference"),
                                             (["reference", "--kL", "1", "--shape", "cube"], "--shape")])
def test_bad_input_one_line_exit_2_no_file(argv, name, tmp_path, cli):
    if not argv or argv[0] != "reference":
        argv = ["rates"] + argv
    path = tmp_path / "out.nc"
    status, out, err = cli(*argv, "--out", str(path))
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and "Traceback" not in err
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_console_script_end_to_end(tmp_path):
    """The installed ``lehmberg`` entry point, as a user runs it."""
    exe = os.path.join(os.path.dirname(sys.executable), "lehmberg")
    proc = subprocess.run([exe, "rates", "--kL", "1", "--samples", "4096", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["intra"]["n_samples"] >= 4096
    proc = subprocess.run([exe, "rates", "--kL", "-1"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_physical_lengths_are_converted_once(tmp_path, cli):
    import math

    path = tmp_path / "p.nc"
    status, out, _ = cli("rates", "--L", "2e-6", "--R", "1e-5", "--wavelength", "800e-9",
                         "--samples", "4096", "--json", "--out", str(path))
    assert status == 0
    inputs = read_rates(path)["inputs"]
    assert inputs["kL"] == pytest.approx(2 * math.pi * 2e-6 / 800e-9, rel=1e-15)
    assert inputs["kR"] == pytest.approx(2 * math.pi * 1e-5 / 800e-9, rel=1e-15)
    assert inputs["L_metres"] == 2e-6
    status, _, err = cli("rates", "--L", "1e-5", "--kL", "3")
    assert status == 2 and "--L" in err


@pytest.mark.parametrize("out, name", [("", "--out"), ("x.txt", "--out")])
def test_bad_out_names(out, name, tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = cli("rates", "--kL", "1", "--samples", "2048", "--out", out)
    assert status == 2 and name in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_extreme_but_valid_dipole_components(cli):
    status, out, _ = cli("rates", "--kL", "1", "--samples", "2048", "--json",
                         "--p-hat", "1e300", "1e300", "0")
    same, out2, _ = cli("rates", "--kL", "1", "--samples", "2048", "--json",
                        "--p-hat", "1e-320", "1e-320", "0")
    assert status == same == 0 and json.loads(out) == json.loads(out2)


def test_provenance_records_the_arguments_given(tmp_path, cli, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["/some/script.py", "--unrelated"])
    path = tmp_path / "p.nc"
    status, _, _ = cli("rates", "--kL", "1", "--samples", "2048", "--out", str(path))
    history = read_rates(path)["inputs"]["history"]
    assert history.endswith(f": lehmberg rates --kL 1 --samples 2048 --out {path}")


@pytest.mark.parametrize("argv, method", [
    ([], "reference"), (["--method", "planewave"], "planewave"), (["--method", "pairs"], "pairs"),
    (["--method", "clouds", "--atoms", "300", "--replicas", "8"], "clouds"),
    (["--atoms", "300", "--replicas", "8"], "clouds"),
])
def test_method_is_reported_and_estimates_agree(argv, method, cli):
    """Every estimator against the quadrature reference, within 4 of its standard errors."""
    from lehmberg.reference import reference_rates

    status, out, _ = cli("rates", "--kL", "2", "--kR", "5", "--samples", "200000", "--json", *argv)
    assert status == 0
    obj = json.loads(out)
    for which, kR in (("intra", None), ("inter", 5.0)):
        assert obj[which]["method"] == method
        ref = reference_rates(2.0, kR)
        if method == "clouds" and which == "inter":
            continue  # Ḡ of realised overlapping clouds is heavy-tailed: no honest error bar
        assert abs(obj[which]["Gamma_ij"] - ref.Gamma_ij) <= 4 * obj[which]["Gamma_ij_err"]


@pytest.mark.parametrize("argv, name", [
    (["--method", "pairs", "--atoms", "100"], "--atoms"), (["--atoms", "1"], "--atoms"),
    (["--atoms", "100", "--replicas", "1"], "--replicas"), (["--replicas", "5"], "--replicas"),
    (["--method", "fast"], "--method"), (["--atoms", "1e9", "--replicas", "2"], "--atoms"),
    (["--method", "clouds", "--atoms", "5e7", "--replicas", "1e4"], "--atoms/--replicas"),
])
def test_bad_method_options(argv, name, cli):
    status, _, err = cli("rates", "--kL", "2", *argv)
    assert status == 2 and name in err and len(err.strip().splitlines()) == 1


def test_cube_clouds_get_every_quantity_from_auto(cli):
    """Cube clouds: Γ̄ from plane waves, Ḡ from pairs; every quantity finite with its error."""
    status, out, err = cli("rates", "--shape", "cube", "--kL", "3", "--kR", "4", "--samples",
                           "100000", "--json")
    assert status == 0, err
    for part in json.loads(out).values():
        assert part["methods"]["gamma_bar"] == "planewave" and part["methods"]["g_bar"] == "pairs"
        for q in ("Gamma_ij", "G_ij"):
            assert part[q] is not None and part[q + "_err"] > 0


def test_unmet_target_warns_on_one_line(cli):
    status, out, err = cli("rates", "--kL", "30", "--method", "pairs", "--samples", "2048",
                           "--rel-err", "1e-6")
    assert status == 0 and "NOT met" in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: intra: relative error")
