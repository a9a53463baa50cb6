"""Sphinx configuration of the lehmberg documentation.

Build it from the repository root (``pip install ".[docs]"`` first)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

and open ``docs/_build/html/index.html``.  The tutorial (``docs/tutorial.md``) is a
MyST-NB notebook executed at every build; the API pages come from the numpydoc
docstrings of the modules listed in :data:`API_MODULES`.
"""

import importlib.util
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))     # document the source tree this conf.py sits in
os.environ.setdefault("NUMBA_NUM_THREADS", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import lehmberg  # noqa: E402

project = "lehmberg"
author = "the lehmberg developers"
copyright = "2026, the lehmberg developers"
release = lehmberg.__version__
version = release.split("+")[0]

extensions = [
    "myst_nb",              # MyST Markdown pages and the executed tutorial
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "jupyter_execute"]

# MyST: $…$ and $$…$$ maths, ::: fences, anchors for headings so pages can link to sections.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# MyST-NB: run the tutorial at every build, fail the build on an error in a cell.
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# autodoc + numpydoc: the docstrings are numpydoc; signatures show the type hints.
autodoc_default_options = {"members": True, "member-order": "bysource", "show-inheritance": False}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

html_theme = "furo"
html_title = f"lehmberg {version}"
html_static_path = []

#: The public modules, in the order of the API page.  A module that does not exist (yet) is
#: left out and named in the build log; one that exists but fails to import fails the build.
API_MODULES = [
    ("lehmberg", "The front door: geometry, rates, result"),
    ("lehmberg.geometry", "Geometry of one or two clouds"),
    ("lehmberg.estimators", "Choosing and running an estimator"),
    ("lehmberg.result", "The result of every estimator"),
    ("lehmberg.kernels", "Lehmberg's kernels γ, g, J (Eqs. 9, 10)"),
    ("lehmberg.reference", "Deterministic quadrature reference"),
    ("lehmberg.average", "Monte Carlo over independent pairs"),
    ("lehmberg.anisotropic", "Line-integral reference for Gaussian clouds of their own"),
    ("lehmberg.uniform_g", "Ḡ of boxes and cylinders by q-space Monte Carlo"),
    ("lehmberg.clouds", "Realised clouds: one plan per request, then the run"),
    ("lehmberg.pairsum", "The fast and the naive pair kernels"),
    ("lehmberg.planewave", "Plane-wave estimator"),
    ("lehmberg.structure", "Structure factors"),
    ("lehmberg.near", "The exact expectation of g over near pairs"),
    ("lehmberg.moments", "Moment equations: two- and three-level models (Secs. III D, IV)"),
    ("lehmberg.gaussian", "Two-mode Gaussian model from the averaged rates (SPEC §8)"),
    ("lehmberg.cs133", "Cs-133 preset (Steck, Cesium D Line Data)"),
    ("lehmberg.entanglement_map", "Maps of the entanglement over size and separation, and over "
                                  "geometry axes"),
    ("lehmberg.shapes", "The shape dependence of two cigars (along and across the probe)"),
    ("lehmberg.scan", "Parameter scans: grids, store, execution"),
    ("lehmberg.io", "The one writer: CF netCDF-4 and figures, atomic"),
    ("sampling.clouds", "Clouds of atoms and random streams"),
]


def _api_page():
    lines = []
    for name, title in API_MODULES:
        if importlib.util.find_spec(name) is None:
            print(f"lehmberg docs: module {name} does not exist; left out of the API page")
            continue
        # the package itself: its docstring only (its names are documented where they live)
        options = ["   :no-members:"] if name == "lehmberg" else []
        lines += [f"## `{name}`: {title}", "", "```{eval-rst}", f".. automodule:: {name}",
                  *options, "```", ""]
    return "\n".join(lines)


def _fill_api(app, docname, source):
    if docname == "api":
        source[0] = source[0].replace("<!-- API_MODULES -->", _api_page())


# The docstrings write maths as Unicode plain text, where |x| is an absolute value; to
# reStructuredText |x| is a substitution reference.  Escape every bar outside literals
# (``…``, `…` roles such as :math:, literal blocks after ::, doctest blocks) so the
# docstrings render as written.
_LITERAL = re.compile(r"(``.+?``|`[^`]*`)")


def _escape_line(line):
    parts = _LITERAL.split(line)
    return "".join(p if i % 2 else p.replace("|", "\\|") for i, p in enumerate(parts))


def _escape_bars(app, what, name, obj, options, lines):
    literal_indent = None
    doctest = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None:
            if not stripped or indent > literal_indent:
                continue
            literal_indent = None
        if doctest:
            if stripped:
                continue
            doctest = False
        if stripped.startswith(">>>"):
            doctest = True
            continue
        lines[i] = _escape_line(line)
        if stripped.endswith("::"):
            literal_indent = indent


def setup(app):
    app.connect("source-read", _fill_api)
    app.connect("autodoc-process-docstring", _escape_bars)
