"""``lehmberg scan``: grids, reproducibility on Dask (0, 1, 2 workers), checkpoints, kill -9, xarray."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from lehmberg import scan
from lehmberg.cli import main
from lehmberg.scan import Grid, GridError, ScanFileError, journal_path, run_scan, task_seed

# 3 intra + 12 inter tasks, each well under a second
ARGS = ["--kL", "1,2,4", "--kR", "3,6", "--R-dir", "z,x", "--samples", "8192", "--seed", "11",
        "--N", "1e3,1e4"]
GRID = Grid.build(kL="1,2,4", kR="3,6", R_dir="z,x", samples="8192", seed=11, N="1e3,1e4")
NTASKS = 15
VOLATILE = {"created_utc", "command", "git_commit"}  # attributes that name the run, not the data

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "scan.toml"


def cli(capsys, *argv):
    try:
        status = main(["scan", *argv])
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def contents(path):
    """Every dataset and the non-volatile root attributes of a scan file."""
    with h5py.File(path, "r") as f:
        data = {name: f[name][()] for name in f}
        attrs = {k: v for k, v in f.attrs.items() if k not in VOLATILE}
    return data, attrs


def assert_same_file(a, b):
    da, aa = contents(a)
    db, ab = contents(b)
    assert sorted(da) == sorted(db)
    for name in da:
        np.testing.assert_array_equal(da[name], db[name], err_msg=name)  # NaN == NaN here
    assert aa.keys() == ab.keys()
    for key in aa:
        assert np.array_equal(aa[key], ab[key]), key


def journal_indices(path):
    """Task indices of the complete lines of a journal (a torn last line is not counted)."""
    j = journal_path(path)
    if not j.exists():
        return []
    lines = j.read_bytes().split(b"\n")[:-1]
    return [json.loads(line)["index"] for line in lines[1:]]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The grid run in this process without Dask, uninterrupted."""
    path = tmp_path_factory.mktemp("ref") / "ref.h5"
    summary = run_scan(GRID, path)
    assert (summary.done, summary.skipped, summary.failed, summary.complete) == (NTASKS, 0, 0, True)
    return path


# ----------------------------------------------------------------------------- grid input


def test_lists_ranges_and_directions():
    assert scan.parse_values("1,3,10,30", "kL") == [1, 3, 10, 30]
    assert scan.parse_values("1:3:3", "kL") == [1.0, 2.0, 3.0]
    np.testing.assert_allclose(scan.parse_values("1:100:3:log,7", "kL"), [1, 10, 100, 7])
    assert scan.parse_values({"start": 0, "stop": 1, "num": 3}, "kR") == [0.0, 0.5, 1.0]
    labels, vecs = scan.parse_directions("x,-z,1:0:1,none", "p_hat", allow_none=True)
    assert labels == ["x", "-z", "1:0:1", "none"]
    np.testing.assert_allclose(vecs[2], [2**-0.5, 0, 2**-0.5])
    assert vecs[3] == (0.0, 0.0, 0.0)
    g = Grid.build(kL="2", kR="0,5")
    assert g.pairs == ("intra", "inter") and len(g.tasks()) == 1 + 2
    assert Grid.build(kL="2", kR="5", pairs="inter").tasks()[0][1] == "inter"
    for kwargs, param in [({"kL": "-1"}, "kL"), ({"kL": "nan"}, "kL"), ({"kL": "1,1"}, "kL"),
                          ({"kL": "1", "samples": "100"}, "samples"),
                          ({"kL": "1", "pairs": "inter"}, "kR"),
                          ({"kL": "1", "R_dir": "x"}, "R_dir"),
                          ({"kL": "1", "kR": "2", "R_dir": "none"}, "R_dir"),
                          ({"kL": "1", "p_hat": "0:0:0"}, "p_hat"),
                          ({"kL": "1", "rel_err": "-0.1"}, "rel_err"),
                          ({"kL": "1", "N": "0"}, "N")]:
        with pytest.raises(GridError) as info:
            Grid.build(**kwargs)
        assert info.value.param == param


def test_seed_rule_and_pure_tasks():
    tasks = GRID.tasks()
    assert [t[0] for t in tasks] == list(range(NTASKS))
    for index, _, _, payload in tasks[:3]:
        expected = np.random.SeedSequence(11, spawn_key=(index,)).generate_state(1, np.uint64)[0]
        assert payload["seed"] == task_seed(11, index) == int(expected)
    a = scan.run_task(tasks[4][3])
    b = scan.run_task(dict(tasks[4][3]))
    a.pop("wall_s"), b.pop("wall_s")
    assert a == b


def test_example_toml_and_overrides(tmp_path):
    g = scan.grid_from_toml(EXAMPLE)
    assert g.kL and g.pairs and len(g.tasks()) > 1
    toml = tmp_path / "g.toml"
    toml.write_text('seed = 3\n[grid]\nkL = "1:4:4"\nkR = [2.5]\nR_dir = ["z", "diag"]\n'
                    'p_hat = ["x", [0, 1, 0]]\nsamples = [4096]\n[directions]\ndiag = [1, 0, 1]\n')
    g = scan.grid_from_toml(toml, {"seed": 5, "kL": None})
    assert g.seed == 5 and g.kL == (1.0, 2.0, 3.0, 4.0)
    assert [lab for lab, _ in g.R_dir] == ["z", "diag"] and g.p_hat[1][0] == "0:1:0"
    toml.write_text("[grid]\nkL = [1, -2]\n")
    with pytest.raises(GridError, match="grid.kL"):
        scan.grid_from_toml(toml)


# ----------------------------------------------------------------------------- reproducibility


@pytest.mark.parametrize("workers", [1, 2])
def test_same_numbers_with_0_1_2_workers(reference, tmp_path, capsys, workers):
    out = tmp_path / "w.h5"
    status, stdout, err = cli(capsys, *ARGS, "--out", str(out), "--workers", str(workers),
                              "--json")
    assert status == 0, err
    summary = json.loads(stdout)
    assert (summary["done"], summary["skipped"], summary["failed"]) == (NTASKS, 0, 0)
    assert not journal_path(out).exists()
    assert_same_file(out, reference)


def test_killed_worker_is_survived(reference, tmp_path):
    from distributed import Client, LocalCluster

    out = tmp_path / "k.h5"
    killed = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        pids = client.run(os.getpid)

        def progress(finished, to_run):
            if killed or finished == 0:
                return
            busy = [addr for addr, keys in client.processing().items() if keys]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)  # mid-task: its task must run again
                killed.append(busy[0])

        summary = run_scan(GRID, out, client=client, progress=progress)
    assert killed
    assert (summary.done, summary.failed, summary.complete) == (NTASKS, 0, True)
    assert_same_file(out, reference)


# ----------------------------------------------------------------------------- checkpoints


def test_kill_9_then_resume_gives_the_uninterrupted_file(reference, tmp_path):
    out = tmp_path / "s.h5"
    cmd = [sys.executable, "-m", "lehmberg.cli", "scan", *ARGS, "--out", str(out),
           "--checkpoint-every", "0"]
    seen = 0
    for _ in range(2):  # two kill -9 at different points, then a clean finish
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 90
        while len(journal_indices(out)) < seen + 2 and proc.poll() is None:
            assert time.monotonic() < deadline, "scan made no progress"
            time.sleep(0.005)
        assert proc.poll() is None, proc.stderr.read().decode()  # still running: some, not all
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
        indices = journal_indices(out)
        assert len(indices) == len(set(indices)) < NTASKS  # nothing recorded twice
        assert len(indices) >= seen
        seen = len(indices)
        if out.exists():  # the file is always a complete, readable snapshot
            with h5py.File(out, "r") as f:
                done = {int(i) for pair in ("intra", "inter")
                        for i in f[f"{pair}_task_index"][()][f[f"{pair}_done"][()] == 1]}
            assert done <= set(indices)
    proc = subprocess.run(cmd + ["--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["skipped"] == seen and summary["done"] == NTASKS - seen
    assert summary["failed"] == 0 and summary["complete"]
    assert not journal_path(out).exists()
    assert not list(tmp_path.glob(".s.h5.*.tmp"))  # temporaries of killed checkpoints removed
    assert_same_file(out, reference)


def test_rerun_skips_everything_and_new_N_needs_no_monte_carlo(reference, tmp_path, capsys):
    out = tmp_path / "r.h5"
    shutil.copy(reference, out)
    before = out.read_bytes()
    status, stdout, _ = cli(capsys, *ARGS, "--out", str(out), "--json")
    summary = json.loads(stdout)
    assert status == 0 and (summary["done"], summary["skipped"]) == (0, NTASKS)
    assert out.read_bytes() == before  # nothing to do: not even rewritten
    assert not journal_path(out).exists()
    args = [a if a != "1e3,1e4" else "5e5" for a in ARGS]
    status, stdout, _ = cli(capsys, *args, "--out", str(out), "--json")
    assert status == 0 and json.loads(stdout)["done"] == 0
    with h5py.File(out, "r") as f:
        assert f["N"][()].tolist() == [5e5]
        np.testing.assert_array_equal(f["inter_d"][..., 0], 5e5 * f["inter_Gamma_ij"][()])


def test_failed_task_is_reported_and_retried(tmp_path, capsys, monkeypatch):
    out = tmp_path / "f.h5"
    real = scan.run_task

    def flaky(payload):
        if payload["index"] == 1:
            raise RuntimeError("node on fire")
        return real(payload)

    argv = ["--kL", "2,3", "--samples", "4096", "--out", str(out)]
    monkeypatch.setattr(scan, "run_task", flaky)
    status, stdout, err = cli(capsys, *argv)
    assert status == 1 and "1 failed" in stdout and "task 1 failed: RuntimeError" in err
    assert journal_path(out).exists()
    monkeypatch.setattr(scan, "run_task", real)
    status, stdout, err = cli(capsys, *argv, "--json")
    summary = json.loads(stdout)
    assert status == 0 and (summary["done"], summary["skipped"], summary["failed"]) == (1, 1, 0)
    with h5py.File(out, "r") as f:
        assert f["intra_done"][()].ravel().tolist() == [1, 1]


def test_one_writer_per_file(tmp_path):
    out = tmp_path / "l.h5"
    first = scan._Store(out, GRID)
    try:
        with pytest.raises(ScanFileError, match="another scan"):
            scan._Store(out, GRID)
    finally:
        first.close(False)


# ----------------------------------------------------------------------------- refusals


def test_mismatched_or_foreign_files_are_refused_untouched(reference, tmp_path, capsys):
    out = tmp_path / "m.h5"
    shutil.copy(reference, out)
    before = out.read_bytes()
    for change, word in [(("--seed", "12"), "seed"), (("--kL", "1,2,5"), "kL"),
                         (("--samples", "4096"), "samples"), (("--shape", "cube"), "shape")]:
        argv = list(ARGS)
        if change[0] in argv:
            argv[argv.index(change[0]) + 1] = change[1]
        else:
            argv += change
        status, _, err = cli(capsys, *argv, "--out", str(out))
        assert status == 2 and "--out" in err and word in err, err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert out.read_bytes() == before and not journal_path(out).exists()
    with pytest.MonkeyPatch.context() as mp:  # another lehmberg version: refused, not mixed
        mp.setattr("lehmberg.__version__", "99.0")
        status, _, err = cli(capsys, *ARGS, "--out", str(out))
        assert status == 2 and "lehmberg_version" in err and out.read_bytes() == before
    # a journal of another grid, left beside a file of this grid, is refused too
    journal_path(out).write_text(json.dumps({"lehmberg_scan_journal": 1, "spec": {"seed": 0}})
                                 + "\n")
    status, _, err = cli(capsys, *ARGS, "--out", str(out))
    assert status == 2 and "journal" in err and out.read_bytes() == before
    journal_path(out).unlink()
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = 1.0
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"not hdf5 at all")
    for path, word in [(foreign, "not a lehmberg scan file"), (garbage, "not a readable HDF5")]:
        status, _, err = cli(capsys, *ARGS, "--out", str(path))
        assert status == 2 and word in err, err
    # --force discards and starts over
    status, _, err = cli(capsys, "--kL", "2", "--samples", "4096", "--out", str(garbage),
                         "--force")
    assert status == 0, err


@pytest.mark.parametrize("argv, word", [
    (["--kL", "-1"], "--kL"),
    (["--kL", "1,inf"], "--kL"),
    (["--kL", "1", "--kR", "2", "--R-dir", "q"], "--R-dir"),
    (["--kL", "1", "--samples", "10"], "--samples"),
    (["--kL", "1", "--rel-err", "nan"], "--rel-err"),
    (["--kL", "1", "--seed", "-3"], "--seed"),
    (["--kL", "1", "--workers", "0"], "--workers"),
    (["--kL", "1", "--bogus", "2"], "--bogus"),
    (["--samples", "4096"], "--kL"),
    (["--config", "missing.toml"], "missing.toml"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch, argv, word):
    monkeypatch.chdir(tmp_path)
    status, _, err = cli(capsys, *argv, "--out", "x.h5")
    assert status == 2 and word in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_malformed_toml(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    for text, word in [("[grid\nkL = 1", "malformed TOML"), ("[grid]\nkl = [1]", "grid.kl"),
                       ("[grid]\nkL = [0]", "grid.kL"), ("sed = 1\n[grid]\nkL = [1]", "sed")]:
        bad.write_text(text)
        status, _, err = cli(capsys, "--config", str(bad), "--out", str(tmp_path / "x.h5"))
        assert status == 2 and word in err, err
        assert not (tmp_path / "x.h5").exists()


# ----------------------------------------------------------------------------- xarray


def test_xarray_sees_the_grid_as_coordinates(reference):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    with xr.open_dataset(reference, engine="h5netcdf") as ds:
        assert ds["kL"].values.tolist() == [1.0, 2.0, 4.0]
        assert ds["kR"].values.tolist() == [3.0, 6.0]
        assert list(ds["R_dir"].values) == ["z", "x"]
        assert ds["samples"].values.tolist() == [8192]
        assert ds["kL"].attrs["units"] == "1"
        g = ds["inter_Gamma_ij"]
        assert g.dims == ("kL", "kR", "R_dir", "p_hat", "samples", "rel_err")
        assert g.attrs["units"] == "Gamma"
        assert "R_dir_vector" in ds.coords
        np.testing.assert_array_equal(ds["R_dir_vector"].sel(R_dir="x").values, [1.0, 0.0, 0.0])
        one = g.sel(kL=2.0, kR=6.0, R_dir="x").squeeze()
        with h5py.File(reference, "r") as f:
            assert float(one) == f["inter_Gamma_ij"][1, 1, 1, 0, 0, 0]
        d = ds["intra_d"].sel(N=1e4)
        np.testing.assert_array_equal(d.values, 1e4 * ds["intra_Gamma_ij"].values)
        assert int(ds["intra_done"].sum()) + int(ds["inter_done"].sum()) == NTASKS
        assert ds.attrs["complete"] == 1 and ds.attrs["seed"] == 11
