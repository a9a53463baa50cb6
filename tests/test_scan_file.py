"""``lehmberg scan``, the command and its file: CF netCDF-4 (xarray, compliance checker), resume,
refusals, faults (full disk, read-only or vanished directory), and the bad-input sweep."""

import contextlib
import errno
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pytest

xr = pytest.importorskip("xarray")

from lehmberg import scan  # noqa: E402
from lehmberg.scan import FileStore, Grid, ScanFileError, journal_path  # noqa: E402

# 4 intra + 8 inter tasks of plane waves, each a few milliseconds
ARGS = ["--kL", "2,4", "--kR", "3", "--R-dir", "z,x", "--p-hat", "x,none", "--method",
        "planewave", "--samples", "4096", "--seed", "11", "--N", "1e3,1e4"]
NTASKS = 12
# 5 intra tasks: a small file, for the tests that write or read it many times
SMALL = ["--kL", "1,2,3,4,5", "--method", "planewave", "--samples", "4096", "--seed", "5"]
RUN_ATTRS = {"history", "created_utc", "git_commit"}  # name the run, not the numbers


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The grid through the command line, uninterrupted, in this process."""
    from lehmberg.cli import main

    path = tmp_path_factory.mktemp("ref") / "ref.nc"
    assert main(["scan", *ARGS, "--out", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """SMALL through the command line, uninterrupted, in this process."""
    from lehmberg.cli import main

    path = tmp_path_factory.mktemp("small") / "small.nc"
    assert main(["scan", *SMALL, "--out", str(path)]) == 0
    return path


def same_numbers(a, b):
    """Every variable and every attribute but the run's own are identical (NaN == NaN)."""
    with xr.open_dataset(a, engine="h5netcdf") as da, xr.open_dataset(b, engine="h5netcdf") as db:
        assert sorted(da.variables) == sorted(db.variables)
        for name in da.variables:
            np.testing.assert_array_equal(da[name].values, db[name].values, err_msg=name)
        keep = lambda ds: {k: v for k, v in ds.attrs.items() if k not in RUN_ATTRS}  # noqa: E731
        assert json.dumps(keep(da), default=str) == json.dumps(keep(db), default=str)


def journal_indices(path):
    j = journal_path(path)
    if not j.exists():
        return []
    return [json.loads(line)["index"] for line in j.read_bytes().split(b"\n")[1:-1]]


def one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def debris(directory):
    return [p.name for p in Path(directory).iterdir() if p.name.endswith(".tmp")]


# ----------------------------------------------------------------------------- the file

def test_file_opens_in_xarray_with_named_dimensions(reference):
    with xr.open_dataset(reference, engine="h5netcdf") as ds:
        assert not [d for d in ds.dims if str(d).startswith("phony")]
        assert set(ds.dims) == {"kL", "kR", "R_dir", "p_hat", "method", "samples", "rel_err", "N",
                                "xyz"}
        assert ds.attrs["Conventions"] == "CF-1.11" and ds.attrs["complete"] == 1
        assert ds.attrs["history"].endswith("lehmberg scan " + " ".join(ARGS) + " --out "
                                            + str(reference))
        assert ds.attrs["lehmberg_version"] and "git_commit" in ds.attrs
        for name, var in ds.data_vars.items():
            if var.dtype.kind == "f":
                assert var.attrs["units"] == "1" and var.attrs["long_name"], name
            if name.endswith(("Gamma_ij", "G_ij", "_re", "_im", "_d")) and "vector" not in name:
                assert "in units of Gamma" in var.attrs["long_name"] or name.endswith("_d")
                assert var.attrs["ancillary_variables"] == f"{name}_err"
                assert ds[f"{name}_err"].dims == var.dims
        assert list(ds["p_hat_label"].values) == ["x", "none"]
        assert np.isnan(ds["p_hat_vector"].values[1]).all()  # none: no dipole factor
        d = ds["inter_d"].sel(N=1e4)
        np.testing.assert_array_equal(d.values, 1e4 * ds["inter_Gamma_ij"].values)
        assert int(ds["intra_done"].sum() + ds["inter_done"].sum()) == NTASKS


def test_compliance_checker_finds_no_errors(reference, tmp_path):
    runner = pytest.importorskip("compliance_checker.runner")
    if os.environ.get("LEHMBERG_NO_UDUNITS"):
        pytest.skip(os.environ["LEHMBERG_NO_UDUNITS"])
    runner.CheckSuite.load_all_available_checkers()
    report = tmp_path / "cc.json"
    ok, _ = runner.ComplianceChecker.run_checker(str(reference), ["cf:1.11"], 0, "normal",
                                                 output_filename=str(report), output_format="json")
    result = json.loads(report.read_text())["cf:1.11"]
    assert ok and result["high_count"] == 0 and result["medium_count"] == 0, (
        result["high_priorities"], result["medium_priorities"])


# ----------------------------------------------------------------------------- resume, refusals

def test_complete_file_is_read_once_and_nothing_is_started(small, tmp_path, cli, monkeypatch):
    import lehmberg.io

    out = tmp_path / "r.nc"
    shutil.copy(small, out)
    before = out.read_bytes()
    reads = []
    real_read = lehmberg.io.read_dataset
    monkeypatch.setattr(lehmberg.io, "read_dataset", lambda p: reads.append(p) or real_read(p))

    def no_cluster(*a, **k):
        raise AssertionError("a cluster was started for a complete file")

    monkeypatch.setattr(scan, "local_client", no_cluster)
    status, stdout, err = cli("scan", *SMALL, "--out", str(out), "--workers", "2")
    assert status == 0 and err == "", err
    assert "nothing to run, nothing started" in stdout
    assert reads == [out]  # once per start
    assert out.read_bytes() == before and not journal_path(out).exists()
    status, stdout, _ = cli("scan", *SMALL, "--N", "5e5", "--out", str(out), "--json")  # no task
    summary = json.loads(stdout)
    assert status == 0 and (summary["done"], summary["started"]) == (0, "nothing")
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds["N"].values.tolist() == [5e5]
        np.testing.assert_array_equal(ds["intra_d"][..., 0], 5e5 * ds["intra_Gamma_ij"])


def test_mismatched_or_foreign_files_are_refused_untouched(small, tmp_path, cli):
    out = tmp_path / "m.nc"
    shutil.copy(small, out)
    before = out.read_bytes()
    for change, word in [(("--seed", "12"), "seed"), (("--kL", "1,2,3"), "kL"),
                         (("--method", "pairs"), "method")]:
        argv = list(SMALL)
        argv[argv.index(change[0]) + 1] = change[1]
        status, _, err = cli("scan", *argv, "--out", str(out))
        line = one_line(err)
        assert status == 2 and "--out" in line and word in line and str(out) in line
        assert out.read_bytes() == before and not journal_path(out).exists()
    with pytest.MonkeyPatch.context() as mp:  # another lehmberg version: refused, not mixed
        mp.setattr("lehmberg.__version__", "99.0")
        status, _, err = cli("scan", *SMALL, "--out", str(out))
        assert status == 2 and "lehmberg_version" in one_line(err) and out.read_bytes() == before
    journal_path(out).write_text(json.dumps({"lehmberg_scan_journal": 2, "spec": {"seed": 0}})
                                 + "\n")
    status, _, err = cli("scan", *SMALL, "--out", str(out))
    assert status == 2 and "journal" in one_line(err) and out.read_bytes() == before
    journal_path(out).unlink()
    foreign = tmp_path / "foreign.nc"
    xr.Dataset({"x": ("t", [1.0])}).to_netcdf(foreign, engine="h5netcdf")
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"not netCDF at all")
    for path, word in [(foreign, "not a lehmberg scan file"), (garbage, "not a readable netCDF")]:
        status, _, err = cli("scan", *SMALL, "--out", str(path))
        assert status == 2 and word in one_line(err)
    status, _, err = cli("scan", "--kL", "2", "--method", "reference", "--out", str(garbage),
                         "--force")  # --force starts over (and .h5 is accepted)
    assert status == 0, err
    with xr.open_dataset(garbage, engine="h5netcdf") as ds:
        assert ds.attrs["tasks_done"] == 1


def test_one_writer_per_file(tmp_path):
    grid = Grid.build(kL="2")
    first = FileStore(tmp_path / "l.nc")
    first.open(grid)
    try:
        with pytest.raises(ScanFileError, match="another scan"):
            FileStore(tmp_path / "l.nc").open(grid)
    finally:
        first.close(False)
    assert not journal_path(tmp_path / "l.nc").exists()  # nothing was done: no journal left


# ----------------------------------------------------------------------------- faults

@contextlib.contextmanager
def failing_write(monkeypatch, which, after, code=errno.ENOSPC):
    """``os.write`` fails with ``code`` on the ``after``-th write to a file named like ``which``."""
    real = os.write
    count = {"n": 0}

    def write(fd, data):
        try:
            name = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            name = ""
        if which(name):
            count["n"] += 1
            if count["n"] >= after:
                raise OSError(code, os.strerror(code))
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)
    yield count
    monkeypatch.setattr(os, "write", real)


@pytest.mark.parametrize("where", ["checkpoint", "journal"])
def test_full_disk_fails_in_one_line_and_the_rerun_resumes(small, tmp_path, cli, monkeypatch,
                                                           where):
    out = tmp_path / "full.nc"
    which = (lambda n: ".lehmberg-" in n) if where == "checkpoint" else \
        (lambda n: n.endswith(".journal"))
    after, every = (2, "0") if where == "checkpoint" else (4, "10")  # 2nd snapshot, 3rd task line
    with failing_write(monkeypatch, which, after):
        status, _, err = cli("scan", *SMALL, "--out", str(out), "--checkpoint-every", every)
    line = one_line(err)
    assert status == 1 and str(out) in line and "No space left on device" in line
    assert "run the same command again" in line
    assert debris(tmp_path) == []  # no temporary file, no partial file
    done = journal_indices(out)
    assert len(done) == 2 and len(set(done)) == len(done)
    if out.exists():
        with xr.open_dataset(out, engine="h5netcdf") as ds:  # a complete earlier snapshot
            assert 0 < ds.attrs["tasks_done"] <= len(done)
    status, stdout, err = cli("scan", *SMALL, "--out", str(out), "--json")
    summary = json.loads(stdout)
    assert status == 0 and summary["skipped"] == len(done) and summary["complete"], err
    assert not journal_path(out).exists()
    same_numbers(out, small)


def test_read_only_directory_is_refused_before_any_work(tmp_path, cli, monkeypatch):
    import tempfile

    real = tempfile.mkstemp

    def mkstemp(*a, dir=None, **k):
        if dir is not None and Path(dir) == tmp_path:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real(*a, dir=dir, **k)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    ran = []
    monkeypatch.setattr(scan.run, "run_task", lambda p: ran.append(p))
    status, _, err = cli("scan", *ARGS, "--out", str(tmp_path / "ro.nc"))
    line = one_line(err)
    assert status == 2 and str(tmp_path / "ro.nc") in line and "Read-only file system" in line
    assert ran == [] and list(tmp_path.iterdir()) == []


def test_vanished_directory_fails_in_one_line(tmp_path, cli, monkeypatch):
    target = tmp_path / "gone"
    target.mkdir()
    real = scan.run.run_task
    calls = []

    def task(payload):
        calls.append(payload["index"])
        if len(calls) == 3:
            shutil.rmtree(target)
        return real(payload)

    monkeypatch.setattr(scan.run, "run_task", task)
    status, _, err = cli("scan", *SMALL, "--out", str(target / "s.nc"))
    line = one_line(err)
    assert status == 1 and str(target / "s.nc") in line and "removed" in line
    assert len(calls) == 3 and not target.exists()  # stopped at once, not at the end


def _mount_tmpfs(path, options):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()})")


@pytest.fixture
def small_tmpfs(tmp_path):
    """A real 1 MiB file system (tmpfs), unmounted afterwards."""
    mnt = tmp_path / f"tmpfs-{uuid.uuid4().hex[:6]}"
    _mount_tmpfs(mnt, "size=1m")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_real_full_disk_mid_scan_then_resume(small, small_tmpfs, cli, monkeypatch):
    """A real ENOSPC (tmpfs filled after two tasks); freeing space and rerunning resumes."""
    out = small_tmpfs / "S.nc"
    filler = small_tmpfs / "filler"
    real = scan.run.run_task
    calls = []

    def task(payload):
        calls.append(1)
        if len(calls) == 3:  # two tasks journaled, the disk fills up now
            with open(filler, "wb", buffering=0) as fh, contextlib.suppress(OSError):
                while True:
                    fh.write(b"\0" * 4096)
        return real(payload)

    monkeypatch.setattr(scan.run, "run_task", task)
    status, _, err = cli("scan", *SMALL, "--out", str(out))
    line = one_line(err)
    assert status == 1 and str(out) in line and "No space left on device" in line
    assert debris(small_tmpfs) == []
    done = journal_indices(out)
    assert len(done) >= 2
    filler.unlink()
    monkeypatch.setattr(scan.run, "run_task", real)
    status, stdout, err = cli("scan", *SMALL, "--out", str(out), "--json")
    assert status == 0 and json.loads(stdout)["skipped"] == len(done), err
    same_numbers(out, small)


def test_real_read_only_file_system(tmp_path, cli):
    mnt = tmp_path / "ro"
    _mount_tmpfs(mnt, "ro,size=64k")
    try:
        status, _, err = cli("scan", "--kL", "2", "--out", str(mnt / "s.nc"))
        line = one_line(err)
        assert status == 2 and str(mnt / "s.nc") in line and "Read-only file system" in line
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


# ----------------------------------------------------------------------------- Dask options

def test_workers_beyond_the_cores_warn_in_one_line(tmp_path, cli, monkeypatch):
    started = []

    @contextlib.contextmanager
    def fake_cluster(n, threads=None, dashboard=None):
        started.append(n)
        yield None  # run in this process: only the warning is under test here

    monkeypatch.setattr(scan.run, "machine", lambda: (1, 64 * 2**30))
    monkeypatch.setattr(scan, "local_client", fake_cluster)
    status, stdout, err = cli("scan", "--kL", "2,3,4", "--method", "reference", "--workers", "3",
                              "--out", str(tmp_path / "w.nc"))
    line = one_line(err)
    assert status == 0 and line.startswith("warning: --workers 3") and "slower" in line
    assert started == [3]
    status, _, err = cli("scan", "--kL", "2", "--method", "reference", "--workers", "5",
                         "--out", str(tmp_path / "w5.nc"))  # 4 x 1 core: the bound here
    assert status == 2 and "--workers" in one_line(err) and "<= 4" in err


# ----------------------------------------------------------------------------- bad input

def _toml(tmp_path, text):
    path = tmp_path / "g.toml"
    path.write_text(text)
    return str(path)


TOMLS = {
    "empty": "",
    "no kL": "[grid]\nkR = [3]\n",
    "bad kL": "[grid]\nkL = [1, -2]\n",
    "huge kL": "[grid]\nkL = [1e300]\n",
    "nan kL": "[grid]\nkL = [nan]\n",
    "unknown key": "[grid]\nkl = [1]\n",
    "unknown top": "sed = 1\n[grid]\nkL = [1]\n",
    "malformed": "[grid\nkL = 1",
    "bad samples": "[grid]\nkL = [1]\nsamples = [1e300]\n",
    "bad method": "[grid]\nkL = [1]\nmethod = ['monte-carlo']\n",
    "zero p_hat": "[grid]\nkL = [1]\np_hat = [[0, 0, 0]]\n",
    "bad seed": "seed = -1\n[grid]\nkL = [1]\n",
    "bool seed": "seed = true\n[grid]\nkL = [1]\n",
    "bad direction": "[grid]\nkL = [1]\np_hat = ['d']\n[directions]\nd = [0, 0, 0]\n",
}
BAD = [
    *[(["--kL", v], "--kL") for v in ["nan", "inf", "-1", "0", "1e300", "abc", "", "1,,2", "1:2",
                                       "1:10:10000000", "1:2:0", "1:2:1.5", "0:1:3:log", "none"]],
    *[(["--kL", "1", "--kR", v], "--kR") for v in ["nan", "inf", "-1", "1e300", "abc", ""]],
    *[(["--kL", "1", "--kR", "2", "--R-dir", v], "--R-dir")
      for v in ["0:0:0", "nan:0:1", "inf:0:0", "1e400:0:0", "abc", "1:2", "none", ""]],
    *[(["--kL", "1", "--p-hat", v], "--p-hat")
      for v in ["0:0:0", "nan:0:0", "0:inf:0", "abc", "1:2:3:4", "x,x", ""]],
    *[(["--kL", "1", "--method", v], "--method") for v in ["bogus", "", "nan", "auto,auto"]],
    *[(["--kL", "1", "--samples", v], "--samples")
      for v in ["nan", "inf", "-1", "0", "1e15", "10", "4096.5", "abc", "none"]],
    *[(["--kL", "1", "--rel-err", v], "--rel-err")
      for v in ["nan", "inf", "-0.1", "0", "2", "1e300", "abc"]],
    *[(["--kL", "1", "--N", v], "--N") for v in ["nan", "inf", "-1", "0", "1e300", "abc"]],
    *[(["--kL", "1", "--seed", v], "--seed") for v in ["nan", "inf", "-1", "1e300", "1.5", "abc"]],
    *[(["--kL", "1", "--atoms", v], "--atoms")
      for v in ["nan", "inf", "-1", "0", "1", "1e300", "3e8", "abc"]],
    *[(["--kL", "1", "--atoms", "100", "--replicas", v], "--replicas")
      for v in ["nan", "-1", "0", "1", "1e300", "abc"]],
    (["--kL", "1", "--replicas", "10"], "--replicas"),
    (["--kL", "1", "--method", "pairs", "--atoms", "100"], "--atoms"),
    (["--kL", "1e6", "--method", "reference"], "--method"),
    *[(["--kL", "1", "--workers", v], "--workers")
      for v in ["nan", "inf", "-1", "0", "1e300", "1000", "1.5", "abc", ""]],
    *[(["--kL", "1", "--scheduler", v], "--scheduler") for v in ["", "   ", "not an address"]],
    *[(["--kL", "1", "--checkpoint-every", v], "--checkpoint-every")
      for v in ["nan", "inf", "-1", "1e300", "abc"]],
    *[(["--kL", "1", "--workers", "1", "--dashboard", v], "--dashboard")
      for v in ["nan", "-1", "70000", "abc"]],
    (["--kL", "1", "--dashboard"], "--dashboard"),
    (["--kL", "1", "--workers", "1", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler"),
    *[(["--kL", "1", "--pairs", v], "--pairs") for v in ["bogus", "", "intra,bogus"]],
    (["--kL", "1", "--pairs", "inter"], "--kR"),
    *[(["--kL", "1", "--shape", v], "--shape") for v in ["bogus", ""]],
    (["--samples", "4096"], "--kL"),
    (["--kL", "1", "--bogus", "2"], "--bogus"),
    (["--config", "missing.toml"], "missing.toml"),
    (["--config", ""], "--config"),
]


@pytest.mark.parametrize("argv, option", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(argv, option, tmp_path, cli,
                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = cli("scan", *argv, "--out", "x.nc")
    line = one_line(err)
    assert status == 2 and option in line, line
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_no_scheduler_file_is_refused(tmp_path, cli):
    other = tmp_path / "ok.toml"
    other.write_text("[grid]\nkL = [1]\n")
    status, _, err = cli("scan", "--kL", "1", "--scheduler", str(other),
                         "--out", str(tmp_path / "x.nc"))
    line = one_line(err)
    assert status == 2 and "--scheduler" in line and "not a Dask scheduler file" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.toml"]


@pytest.mark.parametrize("case", list(TOMLS))
def test_bad_toml_is_one_line_naming_file_and_key(case, tmp_path, cli):
    path = _toml(tmp_path, TOMLS[case])
    status, _, err = cli("scan", "--config", path, "--out", str(tmp_path / "x.nc"))
    line = one_line(err)
    assert status == 2 and path in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.toml"]


@pytest.mark.parametrize("argv", [["--kL", "1", "--samples", "1e15"], ["--kL", "nan"],
                                  ["--kL", "1", "--workers", "1e300"]])
def test_bad_input_leaves_an_existing_file_untouched(argv, small, tmp_path, cli):
    out = tmp_path / "keep.nc"
    shutil.copy(small, out)
    before = out.read_bytes()
    status, _, err = cli("scan", *argv, "--out", str(out), "--force")
    assert status == 2 and one_line(err)
    assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["keep.nc"]


@pytest.mark.parametrize("out, word", [("x.txt", "must end in"), ("", "empty"),
                                       ("missing/x.nc", "does not exist"), (".", "")])
def test_bad_out_is_one_line(out, word, tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = cli("scan", "--kL", "1", "--out", out)
    line = one_line(err)
    assert status == 2 and "--out" in line and word in line
    assert list(tmp_path.iterdir()) == []


def test_example_toml_and_overrides(tmp_path):
    example = Path(__file__).resolve().parents[1] / "examples" / "scan.toml"
    g = scan.grid_from_toml(example)
    assert g.kL and g.pairs == ("intra", "inter") and g.method == ("auto",) and len(g.tasks) > 1
    toml = _toml(tmp_path, 'seed = 3\natoms = 50\n[grid]\nkL = "1:4:4"\nkR = [2.5]\n'
                           'R_dir = ["z", "diag"]\np_hat = ["x", [0, 1, 0]]\n'
                           'method = ["clouds"]\n[directions]\ndiag = [1, 0, 1]\n')
    g = scan.grid_from_toml(toml, {"seed": "5", "kL": None})
    assert g.seed == 5 and g.kL == (1.0, 2.0, 3.0, 4.0) and g.atoms == 50
    assert [lab for lab, _ in g.R_dir] == ["z", "diag"] and g.p_hat[1][0] == "0:1:0"
