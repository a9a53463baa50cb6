"""``lehmberg scan`` across processes: a killed Dask worker, kill -9 of the scan and resume.

The two tests of the default suite; the longer ones (every worker count through the command
line, the dashboard, an external scheduler) are marked slow.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from lehmberg import scan
from lehmberg.scan import Grid, MemoryStore, journal_path, read_file, run_scan

# 2 intra + 4 inter tasks of plane waves, a fraction of a second each
GRID = dict(kL="1,2", kR="3", R_dir="z,x", method="planewave", samples="65536", seed=4)
ARGV = ["--kL", "1,2", "--kR", "3", "--R-dir", "z,x", "--method", "planewave", "--samples", "65536",
        "--seed", "4"]


@pytest.fixture(scope="module")
def reference():
    """The grid in this process (Numba's threads), uninterrupted: {index: fields}."""
    store = MemoryStore()
    assert run_scan(Grid.build(**GRID), store).complete
    return store.saved


def listening_ports():
    """TCP ports this process and its children listen on."""
    psutil = pytest.importorskip("psutil")
    me = psutil.Process()
    ports = set()
    for proc in [me, *me.children(recursive=True)]:
        try:
            ports |= {c.laddr.port for c in proc.net_connections(kind="tcp")
                      if c.status == psutil.CONN_LISTEN}
        except psutil.Error:
            pass
    return ports


def _port(address):
    return int(address.rsplit(":", 1)[1])


def test_killed_worker_is_survived_with_the_same_numbers_and_no_http_server(reference, tmp_path):
    killed = []
    with scan.local_client(2) as client:
        info = client.scheduler_info()
        comm = {_port(info["address"])} | {_port(a) for a in info["workers"]} | \
            {_port(w["nanny"]) for w in info["workers"].values()}
        assert info["services"] == {} and all(w["services"] == {} for w in info["workers"].values())
        assert listening_ports() <= comm  # Dask's protocol only: no dashboard, no HTTP server
        pids = client.run(os.getpid)

        def progress(finished, to_run):
            if killed or finished == 0:
                return
            busy = [addr for addr, keys in client.processing().items() if keys]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)  # mid-task: its task must run again
                killed.append(busy[0])

        out = tmp_path / "k.nc"  # a file written while the Dask client is the default one
        summary = run_scan(Grid.build(**GRID), out, client=client, progress=progress)
    assert killed
    assert (summary.done, summary.failed, summary.complete, summary.started) == (6, 0, True, "dask")
    # bit for bit: 2 workers of 1 thread each give what this process gave with 2 threads
    assert read_file(out, Grid.build(**GRID))[0] == reference


def test_kill_9_then_resume_gives_the_uninterrupted_numbers(reference, tmp_path):
    out = tmp_path / "s.nc"
    cmd = [sys.executable, "-m", "lehmberg", "scan", *ARGV, "--out", str(out),
           "--checkpoint-every", "0"]
    env = dict(os.environ, NUMBA_NUM_THREADS="1")  # another thread count than the reference
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 120
    while len(_journal(out)) < 2 and proc.poll() is None:
        assert time.monotonic() < deadline, "scan made no progress"
        time.sleep(0.005)
    assert proc.poll() is None, proc.stderr.read().decode()  # still running: some, not all
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    done = _journal(out)
    assert 2 <= len(done) < 6 and len(set(done)) == len(done)  # nothing recorded twice
    grid = Grid.build(**GRID)
    if out.exists():  # the file is always a complete, readable snapshot
        assert set(read_file(out, grid)[0]) <= set(done)
    run = subprocess.run(cmd[:-2] + ["--json"], capture_output=True, text=True, timeout=120,
                         env=env)  # the same command, checkpointing as by default
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert (summary["skipped"], summary["done"], summary["complete"]) == (len(done), 6 - len(done),
                                                                         True)
    assert not journal_path(out).exists()
    assert [p.name for p in tmp_path.iterdir()] == ["s.nc"]  # no temporary of the kill left
    assert read_file(out, grid)[0] == reference


def _journal(path):
    j = journal_path(path)
    if not j.exists():
        return []
    return [json.loads(line)["index"] for line in j.read_bytes().split(b"\n")[1:-1]]


# ----------------------------------------------------------------------------- slow

@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_command_line_workers_give_the_same_file(reference, tmp_path, cli, workers):
    out = tmp_path / "w.nc"
    status, stdout, err = cli("scan", *ARGV, "--out", str(out), "--workers", workers, "--json")
    assert status == 0, err
    assert json.loads(stdout)["started"] == "dask"
    assert read_file(out, Grid.build(**GRID))[0] == reference


@pytest.mark.slow
def test_dashboard_only_when_asked(tmp_path):
    import urllib.request

    with scan.local_client(1, dashboard=0) as client:
        link = client.dashboard_link
        assert link.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(link.rsplit("/", 1)[0] + "/health", timeout=10) as r:
            assert r.status == 200


@pytest.mark.slow
def test_external_scheduler_from_a_scheduler_file(reference, tmp_path, cli):
    sched = tmp_path / "sched.json"
    procs = [subprocess.Popen(["dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(sched)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not (sched.exists() and sched.stat().st_size):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        procs.append(subprocess.Popen(["dask", "worker", "--scheduler-file", str(sched),
                                       "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        out = tmp_path / "e.nc"
        status, _, err = cli("scan", *ARGV, "--out", str(out), "--scheduler", str(sched))
        assert status == 0, err
        assert read_file(out, Grid.build(**GRID))[0] == reference
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait(timeout=30)
