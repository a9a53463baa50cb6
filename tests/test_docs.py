"""Every command in README.md and docs/*.md runs as written.

Each ``bash`` block runs as one script (and each indented line that starts with ``lehmberg``
as a block of its own) in a temporary directory holding ``data/`` and ``examples/``; the Python blocks of each page run in order, as
one script, in the same kind of directory.  A block preceded by ``<!-- test: slow -->`` runs
only with ``-m slow``; ``<!-- test: skip REASON -->`` is never run (a scheduler on another
host, say).  Installation lines (``pip install``) and the documentation build are run by CI
itself and skipped here.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"(?P<mark><!--\s*test:\s*(?P<kind>slow|skip)[^>]*-->\s*\n)?```(?P<lang>[a-z]*)[^\n]*\n"
                   r"(?P<body>.*?)\n```", re.S)
NOT_HERE = ("pip install", "python -m sphinx", "d=$(mktemp")


def _blocks(page):
    text = page.read_text()
    for m in FENCE.finditer(text):
        yield m["lang"], m["body"], m["kind"], text.count("\n", 0, m.start()) + 1
    fenced = [(m.start(), m.end()) for m in FENCE.finditer(text)]
    for m in re.finditer(r"(?m)^ {4}((?:lehmberg|python -m lehmberg) .*)$", text):
        if not any(a <= m.start() < b for a, b in fenced):
            yield "bash", m[1], None, text.count("\n", 0, m.start()) + 1


def _shell_cases():
    cases = []
    for page in PAGES:
        for lang, body, kind, line in _blocks(page):
            if lang not in ("bash", "sh", "shell"):
                continue
            lines = []
            for cmd in body.splitlines():
                if cmd.strip().startswith(NOT_HERE):
                    continue
                if cmd.strip().startswith("pip install") and "&&" in cmd:
                    cmd = cmd.split("&&", 1)[1].strip()   # "pip install . && lehmberg ...": the command
                lines.append(cmd)
            script = "\n".join(lines).strip()
            if not script or all(s.strip().startswith("#") for s in lines if s.strip()):
                continue
            slow = kind == "slow" or "python benchmarks/" in script
            marks = [pytest.mark.slow] if slow else []
            if kind == "skip":
                marks = [pytest.mark.skip(reason="marked skip in the page")]
            cases.append(pytest.param(script, id=f"{page.name}:{line}", marks=marks))
    return cases


def _python_cases():
    cases = []
    for page in PAGES:
        blocks = [(body, kind) for lang, body, kind, _ in _blocks(page) if lang == "python"]
        if not blocks:
            continue
        fast = "\n\n".join(b for b, k in blocks if k is None)
        slow = "\n\n".join(b for b, k in blocks if k is not None and k != "skip")
        if fast:
            cases.append(pytest.param(page.name, fast, id=f"{page.name}:python"))
        if slow:
            cases.append(pytest.param(page.name, fast + "\n\n" + slow, id=f"{page.name}:python-slow",
                                      marks=[pytest.mark.slow]))
    return cases


@pytest.fixture
def workdir(tmp_path):
    """data/ and examples/ as folders of links to the repository's files: a command that writes
    there with --force replaces the link (the write is a rename), never the shipped file."""
    for name in ("data", "examples"):
        if (ROOT / name).is_dir():
            (tmp_path / name).mkdir()
            for f in (ROOT / name).iterdir():
                (tmp_path / name / f.name).symlink_to(f)
    (tmp_path / "benchmarks").symlink_to(ROOT / "benchmarks")
    return tmp_path


def _env():
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def _plain(script):
    """The lines of a block that is nothing but `lehmberg ...` commands, else None."""
    out = []
    for line in script.splitlines():
        line = line.split("  #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith("lehmberg ") or any(ch in line for ch in "|><;&$`\\"):
            return None
        out.append(line)
    return out


@pytest.mark.parametrize("script", _shell_cases())
def test_shell_block_runs_as_written(script, workdir, cli, monkeypatch):
    plain = _plain(script)
    if plain is not None:                 # in-process: the same parser and commands, no start-up
        monkeypatch.chdir(workdir)
        for cmd in plain:
            status, out, err = cli(*shlex.split(cmd)[1:])
            assert status == 0, f"{cmd}\n{out[-2000:]}\n{err[-2000:]}"
        return
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=workdir, env=_env(),
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{script}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("page, code", _python_cases())
def test_python_blocks_run_as_written(page, code, workdir):
    script = workdir / "blocks.py"
    script.write_text(code)
    proc = subprocess.run([sys.executable, str(script)], cwd=workdir, env=_env(),
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"{page}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = 'pip install ".[test]" && python -m pytest'
    assert command in readme and command in ci
