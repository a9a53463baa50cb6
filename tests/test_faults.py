"""Faults cost no work and leave no debris: full disk, read-only or vanished targets, kill -9."""

import errno
import os
import signal
import subprocess
import sys
import time

import pytest

import lehmberg.io as io

FAST = {
    "rates": ["rates", "--kL", "2", "--samples", "4096", "--out", "{d}/r.nc"],
    "reference": ["reference", "--kL", "3", "--kR", "9", "--out", "{d}/r.nc"],
    "entangle": ["entangle", "--d", "30", "--Z", "1.5", "--out", "{d}/e.nc", "--plot", "{d}/e.png"],
    "figures": ["figures", "--which", "3", "--outdir", "{d}"],
    "validate": ["validate", "--quick", "--no-mc", "--out", "{d}/v.nc", "--fig", "{d}/v.png"],
}


def _argv(name, d):
    return [a.format(d=d) for a in FAST[name]]


@pytest.mark.parametrize("name", [n for n in FAST if n != "validate"])  # validate: same writer, 11 s
def test_full_disk_one_line_naming_the_path_and_no_partial_file(name, tmp_path, cli, monkeypatch):
    real = os.write

    def enospc(fd, data):
        if os.fstat(fd).st_size > 0 or len(data) > 256:   # the first chunk of any output
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(io.os, "write", enospc)
    status, out, err = cli(*_argv(name, tmp_path))
    lines = err.strip().splitlines()
    assert status == 1 and len(lines) == 1 and "Traceback" not in err, err
    assert "No space left on device" in lines[0] and str(tmp_path) in lines[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
@pytest.mark.parametrize("name", list(FAST))
def test_read_only_target_refused_before_the_work(name, tmp_path, cli):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        status, _, err = cli(*_argv(name, ro))
    finally:
        ro.chmod(0o755)
    assert status == 2 and len(err.strip().splitlines()) == 1 and str(ro) in err
    assert list(ro.iterdir()) == []


@pytest.mark.parametrize("name", list(FAST))
def test_unwritable_target_found_before_any_work(name, tmp_path, cli, monkeypatch):
    """The writability probe runs before the numerics (simulated: mkstemp refused)."""
    import tempfile

    def refuse(*a, **k):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    import lehmberg.estimators
    import lehmberg.moments

    def no_work(*a, **k):
        raise AssertionError("work started before the target was checked")

    monkeypatch.setattr(lehmberg.estimators, "_run", no_work)
    monkeypatch.setattr(lehmberg.moments, "xi_steady", no_work)
    status, _, err = cli(*_argv(name, tmp_path))
    assert status == 2 and "Permission denied" in err and str(tmp_path) in err, err
    assert len(err.strip().splitlines()) == 1


def test_vanished_directory_one_line_and_nothing_left(tmp_path, cli, monkeypatch):
    target = tmp_path / "sub"
    target.mkdir()
    real = io._render

    def vanish(path, obj):
        blob = real(path, obj)
        for p in target.iterdir():
            p.unlink()
        target.rmdir()
        return blob

    monkeypatch.setattr(io, "_render", vanish)
    status, _, err = cli("rates", "--kL", "2", "--samples", "4096", "--out", str(target / "r.nc"))
    assert status in (1, 2) and len(err.strip().splitlines()) == 1 and str(target) in err, err
    assert not target.exists()


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".r.nc.lehmberg-{dead}-abc123.tmp"
    alive = tmp_path / f".r.nc.lehmberg-{os.getppid()}-def456.tmp"
    other = tmp_path / f".other.nc.lehmberg-{dead}-x.tmp"
    for p in (stale, alive, other):
        p.write_bytes(b"half")
    io.write_outputs({tmp_path / "r.nc": b"data"})
    assert (tmp_path / "r.nc").read_bytes() == b"data"
    assert not stale.exists() and alive.exists() and other.exists()


def test_kill_9_during_the_write_leaves_no_debris_after_the_next_run(tmp_path):
    """Kill `lehmberg rates --out` at random moments; after one more run no temporary remains."""
    import random

    rng = random.Random(3)
    target = tmp_path / "r.nc"
    code = ("import os, time, lehmberg.io as io\n"
            "real = io._write_bytes\n"
            "def slow(tmp, blob, path):\n"
            "    time.sleep(0.3)\n"
            "    real(tmp, blob, path)\n"
            "    time.sleep(0.3)\n"
            "io._write_bytes = slow\n"
            "from lehmberg.cli import main\n"
            f"main(['rates', '--kL', '2', '--samples', '4096', '--out', {str(target)!r}, '--force'])\n")
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while time.time() < deadline and not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    from lehmberg.cli import main

    assert main(["rates", "--kL", "2", "--samples", "4096", "--out", str(target), "--force"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["r.nc"]
