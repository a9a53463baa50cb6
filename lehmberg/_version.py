"""The package version and the git commit it was built from.

The version comes from git through setuptools-scm (``pyproject.toml``): a build
(``pip install .``, a wheel, an sdist) writes ``lehmberg/_scm_version.py``
(git-ignored) with the version and the short commit hash, and this module reads
it.  Versions look like ``0.1.1.dev3+g1a2b3c4`` (three commits after tag
``v0.1.0``, commit ``1a2b3c4``); a build from a tree with uncommitted changes
adds ``.dYYYYMMDD`` to the local part.  A tree with neither git nor the
generated file (a copied source folder, never built) gets
:data:`FALLBACK_VERSION`.

:func:`git_commit` is what a data file's provenance records: the live commit
of a source checkout (``pip install -e .`` or the package imported from its
clone), else the commit the installed package was built from, else ``""``.
"""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

__all__ = ["__version__", "FALLBACK_VERSION", "git_commit", "describe"]

#: The version of a tree that has neither git metadata nor a build's version file
#: (kept equal to ``fallback_version`` in pyproject.toml).
FALLBACK_VERSION = "0.1.0+unknown"

try:
    from ._scm_version import __version__ as _built_version
except ImportError:  # never built: a plain source tree
    _built_version = None
try:
    from ._scm_version import __commit_id__ as _built_commit
except ImportError:  # setuptools-scm < 9 writes no commit: parsed from the version below
    _built_commit = None

__version__: str = _built_version or FALLBACK_VERSION

_PACKAGE_DIR = Path(__file__).resolve().parent
_LOCAL_NODE = re.compile(r"(?:^|\.)g([0-9a-f]{7,40})(?:\.|$)")
_LOCAL_DIRTY = re.compile(r"(?:^|\.)d\d{8}(?:\.|$)")


def _git(*args: str) -> str | None:
    """stdout of ``git ARGS`` run in the package folder, or None if git fails or is absent."""
    try:
        out = subprocess.run(["git", *args], cwd=_PACKAGE_DIR, capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _checkout_commit() -> str:
    """HEAD (+ ``-dirty``) when the package is imported from its own git checkout, else ``""``.

    The checkout must be this package's: a package installed into some other
    repository's tree (a virtual environment inside a project) must not record
    that project's commit.
    """
    top = _git("rev-parse", "--show-toplevel")
    if not top or Path(top).resolve() != _PACKAGE_DIR.parent:
        return ""
    head = _git("rev-parse", "HEAD")
    if not head:
        return ""
    status = _git("status", "--porcelain", "--untracked-files=no")
    return head + ("-dirty" if status else "")


def _built_commit_id(version: str | None, commit_id: str | None) -> str:
    """The commit recorded at build time: ``__commit_id__`` or the ``+g<hash>`` of the version.

    ``-dirty`` is appended when the version's local part carries setuptools-scm's
    ``.dYYYYMMDD`` mark of a build from a modified tree.
    """
    local = version.partition("+")[2] if version else ""
    node = ""
    if commit_id:
        node = commit_id[1:] if re.fullmatch(r"g[0-9a-f]{7,40}", commit_id) else commit_id
    else:
        m = _LOCAL_NODE.search(local)
        if m:
            node = m.group(1)
    if not node:
        return ""
    return node + ("-dirty" if _LOCAL_DIRTY.search(local) else "")


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """The git commit of the running code, as provenance records it.

    Returns
    -------
    str
        The full hash of HEAD, with ``-dirty`` when tracked files differ from
        it, if the package is imported from its own git checkout (a source tree
        or an editable install); else the short hash the installed package was
        built from (``-dirty`` when built from a modified tree); else ``""``
        (no git and no build information).  Computed once per process.

    Examples
    --------
    >>> from lehmberg._version import git_commit
    >>> isinstance(git_commit(), str)
    True
    """
    return _checkout_commit() or _built_commit_id(_built_version, _built_commit)


def describe(prog: str = "lehmberg") -> str:
    """One line for ``--version``: the version and the commit, abbreviated to 9 hex digits
    (``unknown`` when not known; data files record the full hash).

    Examples
    --------
    >>> from lehmberg._version import describe
    >>> describe().startswith("lehmberg ")
    True
    """
    commit = git_commit()
    dirty = commit.endswith("-dirty")
    short = commit.removesuffix("-dirty")[:9] + ("-dirty" if dirty else "")
    return f"{prog} {__version__} (commit {short or 'unknown'})"
