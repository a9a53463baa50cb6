"""Every file a command writes is CF netCDF-4: named dimensions in xarray, zero compliance errors.

Also the bad-input sweep: every option of every command, given a value no option accepts,
gives one line naming the option, exit status 2, no traceback and no file.
"""

import json

import pytest

xr = pytest.importorskip("xarray")

# Fast runs of every command that writes a dataset (scan has its own tests in test_scan*.py).
COMMANDS = {
    "rates": ["rates", "--kL", "2", "--kR", "6", "--samples", "4096", "--N", "100"],
    "rates-cube": ["rates", "--shape", "cube", "--kL", "1", "--samples", "4096"],
    "reference": ["reference", "--kL", "5", "--kR", "40", "--p-hat", "none"],
    "entangle-two-level": ["entangle", "--d", "30", "--Z", "1.5", "--t", "0,0.5,3"],
    "entangle-three-level": ["entangle", "--model", "three-level", "--preset", "cs133", "--d", "30",
                             "--t", "0,1"],
    "entangle-gaussian": ["entangle", "--model", "gaussian", "--N", "4e3", "--kL", "10", "--kR", "30",
                          "--Z", "1.5", "--t", "0.1,1"],
    "validate": ["validate", "--quick", "--no-mc"],
    "shapes": ["shapes", "--kL", "8", "--aspect", "1:3:2", "--kR", "80"],
    "entangle-map-geometry": ["entangle-map", "--geometry", "{geometry}", "--axis", "aspect=1,2",
                              "--method", "reference"],
}
GEOMETRY = '[I]\nkL = [4, 4, 12]\nN = 1e3\n[II]\nkL = [4, 5, 12]\ncentre = [0, 0, 30]\nN = 2e3\n'


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    from lehmberg.cli import main

    d = tmp_path_factory.mktemp("outputs")
    (d / "geometry.toml").write_text(GEOMETRY)
    files = {}
    for name, argv in COMMANDS.items():
        path = d / f"{name}.nc"
        argv = [a.replace("{geometry}", str(d / "geometry.toml")) for a in argv]
        extra = ["--fig", str(d / f"{name}.png")] if argv[0] in ("validate", "shapes",
                                                                 "entangle-map") else []
        assert main(argv + ["--out", str(path)] + extra) == 0
        files[name] = path
    assert main(["figures", "--which", "3", "--outdir", str(d), "--data", "figures.nc"]) == 0
    files["figures"] = d / "figures.nc"
    return files


@pytest.mark.parametrize("name", list(COMMANDS) + ["figures"])
def test_opens_in_xarray_with_named_dimensions_and_provenance(outputs, name):
    with xr.open_dataset(outputs[name], engine="h5netcdf") as ds:
        assert not [dim for dim in ds.dims if str(dim).startswith("phony")]
        assert ds.attrs["Conventions"] == "CF-1.11"
        assert "lehmberg" in ds.attrs["history"] and ds.attrs["lehmberg_version"]
        assert "git_commit" in ds.attrs
        for var in ds.variables.values():
            assert var.attrs.get("units") != "Gamma"   # UDUNITS reads that as 1e-9 T
            if var.dtype.kind == "f":
                assert var.attrs.get("units") is not None and var.attrs.get("long_name")
        for key, value in ds.attrs.items():
            assert not (isinstance(value, str) and value == "none"), key
        for name_, var in ds.data_vars.items():
            anc = var.attrs.get("ancillary_variables")
            if anc:
                assert anc in ds and ds[anc].dims == var.dims


@pytest.mark.parametrize("name", list(COMMANDS) + ["figures"])
def test_cf_compliance_checker_finds_no_errors(outputs, name, tmp_path):
    import os

    if os.environ.get("LEHMBERG_NO_UDUNITS"):
        pytest.skip(f"UDUNITS unavailable: {os.environ['LEHMBERG_NO_UDUNITS']}")
    runner = pytest.importorskip("compliance_checker.runner")
    runner.CheckSuite.load_all_available_checkers()
    report = tmp_path / "cc.json"
    ok, _ = runner.ComplianceChecker.run_checker(str(outputs[name]), ["cf:1.11"], 0, "normal",
                                                 output_filename=str(report), output_format="json")
    result = json.loads(report.read_text())["cf:1.11"]
    assert ok and result["high_count"] == 0, result["high_priorities"]


# --------------------------------------------------------------------------- bad-input sweep

BASE = {
    "rates": ["--kL", "2", "--samples", "2048"],
    "reference": ["--kL", "2"],
    "entangle": ["--d", "30", "--Z", "1.5"],
    "validate": ["--quick", "--no-mc"],
    "figures": ["--which", "3"],
    "shapes": ["--kL", "8", "--aspect", "1:3:2", "--kR", "80"],
}
NEVER_VALID = ["nan", "inf", "-inf", "abc", ""]


def _options():
    import argparse

    from lehmberg.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    cases = []
    for command, parser in sub.choices.items():
        if command not in BASE:
            continue
        for action in parser._actions:
            if not action.option_strings or action.nargs == 0 or action.dest in ("help",):
                continue
            if action.type is None and action.choices is None and action.nargs != "+":
                continue  # free text (file names, lists parsed later): covered by its own tests
            opt = max(action.option_strings, key=len)
            n = action.nargs if isinstance(action.nargs, int) else 1
            cases += [(command, opt, n, bad) for bad in NEVER_VALID]
    return cases


@pytest.mark.parametrize("command, opt, n, bad", _options())
def test_every_option_refuses_a_value_no_option_accepts(command, opt, n, bad, cli, tmp_path,
                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [command, *BASE[command], opt, *([bad] * n)]
    if command in ("rates", "reference", "entangle"):
        argv += ["--out", "x.nc"]
    status, _, err = cli(*argv)
    lines = err.strip().splitlines()
    assert status == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert opt in lines[0] or any(o in lines[0] for o in ("--R-dir", "--p-hat", "--kL", "--L"))
    assert list(tmp_path.iterdir()) == []
