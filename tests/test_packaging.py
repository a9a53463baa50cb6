"""Packaging: version from git, the commit in provenance, ``python -m lehmberg``, LICENSE,
CITATION.cff (validated against the Citation File Format 1.2.0 schema), CHANGELOG, py.typed.

``tests/citation-cff-1.2.0.schema.json`` is the Citation File Format's own schema
(https://citation-file-format.github.io/1.2.0/schema.json, CC-BY-4.0), as shipped by
cffconvert 2.0.0.
"""

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import lehmberg
from lehmberg import _version

ROOT = Path(__file__).resolve().parents[1]


def _git(*args, cwd=ROOT):
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def _is_checkout():
    top = _git("rev-parse", "--show-toplevel")
    return top is not None and Path(top).resolve() == ROOT


# ----------------------------------------------------------------------------------------------
# Version and commit
# ----------------------------------------------------------------------------------------------

def test_version_is_the_scm_version_or_the_declared_fallback():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    scm = pyproject["tool"]["setuptools_scm"]
    assert scm["fallback_version"] == _version.FALLBACK_VERSION
    assert scm["version_file"] == "lehmberg/_scm_version.py"
    assert "setuptools-scm>=8" in pyproject["build-system"]["requires"]
    assert lehmberg.__version__ == _version.__version__
    generated = ROOT / "lehmberg" / "_scm_version.py"
    if generated.exists():   # built (pip install): the version setuptools-scm computed
        ns = {}
        exec(generated.read_text(), ns)
        assert lehmberg.__version__ == ns["__version__"]
    else:                    # never built: the fallback, which says so
        assert lehmberg.__version__ == _version.FALLBACK_VERSION


def test_setup_cfg_names_no_version_and_ships_py_typed_and_license():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert "version" not in cfg["metadata"]      # setuptools-scm provides it
    assert cfg["metadata"]["license"] == "BSD-3-Clause"
    assert cfg["metadata"]["license_files"].strip() == "LICENSE"
    assert "py.typed" in cfg["options.package_data"]["lehmberg"]
    assert (ROOT / "lehmberg" / "py.typed").exists()
    docs = cfg["options.extras_require"]["docs"]
    for pkg in ("sphinx", "myst-nb", "numpydoc"):
        assert pkg in docs


def test_generated_version_file_is_ignored_by_git():
    if not _is_checkout():
        pytest.skip("not a git checkout of this package")
    assert _git("check-ignore", "lehmberg/_scm_version.py") == "lehmberg/_scm_version.py"


@pytest.mark.parametrize("version,commit_id,expected", [
    ("0.1.1.dev3+g1a2b3c4", None, "1a2b3c4"),                       # setuptools-scm 8
    ("0.1.1.dev3+g1a2b3c4d5e.d20261201", None, "1a2b3c4d5e-dirty"),  # built from a modified tree
    ("0.1.1.dev3+g1a2b3c4", "g1a2b3c4", "1a2b3c4"),                 # setuptools-scm >= 9
    ("0.2.0", "g1a2b3c4", "1a2b3c4"),                               # exactly on a tag
    ("0.2.0+d20261201", "g1a2b3c4", "1a2b3c4-dirty"),
    ("0.1.1.dev3+unknown.g1a2b3c4", None, "1a2b3c4"),               # tagless clone
    ("0.2.0", None, ""),                                            # no commit recorded
    ("0.1.0+unknown", None, ""),                                    # no git at all
    (None, None, ""),
    ("0.1.0+gdeadbeefcafe.dirty", None, "deadbeefcafe"),            # 'dirty' is not the date mark
])
def test_built_commit_is_read_from_the_scm_version(version, commit_id, expected):
    assert _version._built_commit_id(version, commit_id) == expected


def test_git_commit_of_a_checkout_is_head():
    if not _is_checkout() or shutil.which("git") is None:
        pytest.skip("not a git checkout of this package")
    head = _git("rev-parse", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    assert _version._checkout_commit() == head + ("-dirty" if dirty else "")
    assert _version.git_commit().split("-")[0] == head
    assert head[:7] in _version.describe()


def test_git_commit_outside_a_checkout_comes_from_the_build(tmp_path, monkeypatch):
    monkeypatch.setattr(_version, "_PACKAGE_DIR", tmp_path / "lehmberg")  # not a checkout
    monkeypatch.setattr(_version, "_built_version", "0.1.1.dev2+g60ab25010")
    monkeypatch.setattr(_version, "_built_commit", "g60ab25010")
    _version.git_commit.cache_clear()
    try:
        assert _version._checkout_commit() == ""
        assert _version.git_commit() == "60ab25010"
    finally:
        _version.git_commit.cache_clear()


def test_a_checkout_inside_another_repository_is_not_ours(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    pkg = tmp_path / "venv" / "site-packages" / "lehmberg"
    pkg.mkdir(parents=True)
    monkeypatch.setattr(_version, "_PACKAGE_DIR", pkg)
    assert _version._checkout_commit() == ""


def _fresh_clone(tmp_path):
    if shutil.which("git") is None or not _is_checkout():
        pytest.skip("needs git and a git checkout of this package")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    return clone, _git("rev-parse", "HEAD", cwd=clone)


@pytest.mark.slow
def test_wheel_from_a_fresh_clone_names_the_commit(tmp_path):
    """``pip wheel`` of a fresh clone (as ``pip install .`` builds it): the version and the
    generated ``_scm_version.py`` name HEAD.  ~10 s and needs the package index (build
    isolation fetches setuptools-scm); ``.ci/run`` does the same check on every run."""
    clone, head = _fresh_clone(tmp_path)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                    str(tmp_path / "wheel"), str(clone)], check=True)
    (wheel,) = (tmp_path / "wheel").glob("lehmberg-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        generated = zf.read("lehmberg/_scm_version.py").decode()
    assert "lehmberg/py.typed" in names and "lehmberg/__main__.py" in names
    assert any(n.endswith("licenses/LICENSE") or n.endswith("/LICENSE") for n in names)
    ns = {}
    exec(generated, ns)
    commit = _version._built_commit_id(ns["__version__"], ns.get("__commit_id__"))
    assert commit and head.startswith(commit)


@pytest.mark.slow
def test_tree_without_git_builds_with_the_fallback_version(tmp_path):
    clone, _ = _fresh_clone(tmp_path)
    shutil.rmtree(clone / ".git")
    (clone / ".git_archival.txt").unlink()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                    str(tmp_path / "wheel"), str(clone)], check=True)
    (wheel,) = (tmp_path / "wheel").glob("lehmberg-*.whl")
    assert wheel.name.startswith(f"lehmberg-{_version.FALLBACK_VERSION}-")


def test_git_archive_knows_its_commit():
    """``git archive`` fills .git_archival.txt (export-subst), which setuptools-scm reads."""
    if not _is_checkout() or shutil.which("git") is None:
        pytest.skip("not a git checkout of this package")
    assert "export-subst" in (ROOT / ".gitattributes").read_text()
    out = subprocess.run(["git", "archive", "HEAD", ".git_archival.txt"], cwd=ROOT,
                         capture_output=True, check=True).stdout
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(out)) as tf:
        text = tf.extractfile(".git_archival.txt").read().decode()
    assert f"node: {_git('rev-parse', 'HEAD')}" in text


# ----------------------------------------------------------------------------------------------
# python -m lehmberg is the lehmberg command
# ----------------------------------------------------------------------------------------------

def _script():
    exe = Path(sys.executable).parent / ("lehmberg.exe" if os.name == "nt" else "lehmberg")
    return str(exe) if exe.exists() else shutil.which("lehmberg")


def test_python_m_lehmberg_is_the_lehmberg_command():
    """One real pair of processes: the console script and ``python -m lehmberg``."""
    script = _script()
    if script is None:
        pytest.skip("the lehmberg console script is not installed")
    env = dict(os.environ, NUMBA_NUM_THREADS="2")
    a = subprocess.run([sys.executable, "-m", "lehmberg", "--version"], capture_output=True,
                       text=True, cwd=ROOT, env=env)
    b = subprocess.run([script, "--version"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr)
    assert a.returncode == 0 and lehmberg.__version__ in a.stdout


@pytest.mark.parametrize("argv", [["rates", "--kL", "-1"], [], ["--help"]])
def test_module_entry_point_is_cli_main(argv, cli, monkeypatch, capsys):
    """``python -m lehmberg ARGS`` (run in-process by runpy) gives what ``lehmberg ARGS`` gives."""
    import runpy

    import lehmberg.__main__ as entry
    from lehmberg import cli as cli_module

    assert entry.main is cli_module.main
    expected = cli(*argv)
    monkeypatch.setattr(sys, "argv", ["lehmberg", *argv])
    monkeypatch.delitem(sys.modules, "lehmberg.__main__")   # runpy executes it afresh
    try:
        runpy.run_module("lehmberg", run_name="__main__", alter_sys=False)
        status = 0
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    assert (status, out, err) == expected
    if argv[:1] == ["rates"]:
        assert status == 2 and "--kL" in err


# ----------------------------------------------------------------------------------------------
# LICENSE, CITATION.cff, CHANGELOG.md
# ----------------------------------------------------------------------------------------------

def test_license_is_bsd_3_clause():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 3-Clause License")
    assert "Neither the name of the copyright holder nor the names of its" in text
    assert len(re.findall(r"^\d\. ", text, flags=re.M)) == 3


def _citation():
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def _dates_as_strings(obj):
    """YAML reads unquoted dates as datetime.date; the schema (its own note says so) wants
    them cast to ISO strings before validation."""
    import datetime

    if isinstance(obj, dict):
        return {k: _dates_as_strings(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_dates_as_strings(v) for v in obj]
    if isinstance(obj, datetime.date):
        return obj.isoformat()
    return obj


def test_citation_cff_is_valid_cff_1_2_0():
    jsonschema = pytest.importorskip("jsonschema")
    cff = _citation()
    schema = json.loads((ROOT / "tests" / "citation-cff-1.2.0.schema.json").read_text())
    cff = _dates_as_strings(cff)
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(cff), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    assert cff["cff-version"] == "1.2.0"
    assert cff["license"] == "BSD-3-Clause"


def test_citation_names_the_paper_the_data_and_the_released_version():
    cff = _citation()
    refs = {r["title"]: r for r in cff["references"]}
    paper = refs["Dissipatively driven entanglement of two macroscopic atomic ensembles"]
    assert paper["doi"] == "10.1103/PhysRevA.83.052312"
    steck = refs["Cesium D Line Data"]
    from lehmberg import cs133

    assert steck["version"] == cs133.SOURCE_REVISION
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert cff["version"] == released[0]     # the newest release in the changelog


def test_changelog_has_unreleased_and_0_1_0():
    text = (ROOT / "CHANGELOG.md").read_text()
    heads = re.findall(r"^## \[([^\]]+)\]", text, flags=re.M)
    assert heads[0] == "Unreleased" and "0.1.0" in heads
    fallback_base = _version.FALLBACK_VERSION.split("+")[0]
    assert fallback_base in heads   # the fallback version is the last release
