"""The grid of a scan: its axes (one table), every value checked, its tasks and their seeds.

A grid is a product of axes (:data:`AXES`): k_L L, k_L R, the directions R̂ and p̂,
the estimator (``method``) and its settings (``samples``, ``rel_err``).  Every grid
point of every pair of clouds (``intra``: i and j in cloud I; ``inter``: i in I, j
in II) is one *task*, a call of :func:`lehmberg.rates`.  The intra rates depend on
neither k_L R nor R̂, so intra tasks run once per (k_L L, p̂, method, samples,
rel_err).  N (atoms per cloud) is an axis of the file but not of the tasks:
d = N Γ_ij needs no further work.

Every value is checked here, once, by the checks of :mod:`lehmberg._checks` (the
same ranges as ``lehmberg rates``), and every limit — the number of tasks and the
cost of each (:func:`lehmberg.estimators.plan_cost`) — before any work starts.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import numbers
from typing import Callable, NamedTuple

import numpy as np

from .. import _checks
from .._checks import ATOMS_MAX
from ..estimators import DEFAULT_SAMPLES, METHODS, plan_cost
from ..geometry import SHAPES, Geometry
from ..geometry import read_geometry as _read_geometry

__all__ = ["AXES", "Axis", "DIRECTIONS", "FORMAT", "Grid", "GridError", "KEEP", "N_RANGE", "PAIRS",
           "TASKS_MAX", "Task", "grid_from_toml", "parse_directions", "parse_values", "task_seed"]

#: Version of the scan's file layout, journal and seed rule (part of a scan's identity).
FORMAT = 2
#: Most tasks in one grid.  Each finished task is held in memory (about 3 KB) and the whole
#: file is rewritten at every checkpoint, so this keeps memory near 100 MB and a checkpoint
#: well under a second.
TASKS_MAX = 20_000
#: Atoms per cloud accepted for d = N Γ_ij.
N_RANGE = (1.0, 1e15)
#: Pairs of clouds: intra (i, j in cloud I), inter (i in cloud I, j in cloud II), intra_II
#: (i, j in cloud II: a geometry whose cloud II differs from cloud I).
PAIRS = ("intra", "inter", "intra_II")
#: How the aspect ratio is changed: at fixed volume or at fixed transverse area.
KEEP = ("volume", "area")
#: Named directions (``none``, for p̂ only, drops the dipole factor).
DIRECTIONS = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0),
              "-x": (-1.0, 0.0, 0.0), "-y": (0.0, -1.0, 0.0), "-z": (0.0, 0.0, -1.0)}


class GridError(ValueError):
    """Bad grid input; ``param`` names the parameter as the user wrote it (``--kL``, ``grid.kL``).
    """

    def __init__(self, param, message):
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


def _checked(check, value, name, display):
    """``check(value)``; a ValueError or TypeError of ``_checks`` becomes a GridError naming
    ``display``."""
    try:
        return check(value)
    except (TypeError, ValueError) as exc:
        text = str(exc)
        raise GridError(display, text[len(name) + 1:] if text.startswith(name + " ") else text) \
            from None


@dataclasses.dataclass(frozen=True)
class Axis:
    """One axis of a scan: how it is written, checked, and labelled in the file.

    ``kind`` is ``number``, ``integer``, ``direction`` or ``word``; ``pairs`` are the
    pairs of clouds whose variables have this dimension (empty: derived, not a task
    axis); ``none`` is what the word ``none`` means on this axis (absent: not allowed).
    """

    name: str
    option: str
    kind: str
    pairs: tuple
    default: object
    long_name: str
    units: str | None
    check: Callable
    help: str
    none: str | None = None
    mode: str = "both"  # "paper": shorthand grids only; "geometry": grids of a geometry only


#: The axes, in the order of the file's dimensions.  ``none`` on rel_err means no target
#: (stored as 0 in the file); on p_hat no dipole factor.
AXES = (
    Axis("kL", "--kL", "number", PAIRS, None,
         "k_L L, cloud size times probe wavenumber", "1",
         lambda v: _checks.number(v, "kL", *_checks.KL_RANGE),
         f"k_L L, the cloud size, in [{_checks.KL_RANGE[0]:g}, {_checks.KL_RANGE[1]:g}]",
         mode="paper"),
    Axis("kR", "--kR", "number", ("inter",), None,
         "k_L R, distance of cloud II times probe wavenumber", "1",
         lambda v: _checks.number(v, "kR", 0.0, _checks.KR_MAX),
         f"k_L R, the distance of cloud II, in [0, {_checks.KR_MAX:g}] (absent: cloud I only; "
         "with --geometry: cloud II moved along the line of the centres)"),
    Axis("scale", "--scale", "number", PAIRS, None,
         "factor on every length of the geometry (sizes, centres, waists)", "1",
         lambda v: _checks.number(v, "scale", 0.0, 1e6, lo_open=True),
         "with --geometry: factors on every length of the file (sizes, centres, waists)",
         mode="geometry"),
    Axis("aspect", "--aspect", "number", PAIRS, None,
         "aspect ratio L3/sqrt(L1 L2) of every cloud", "1",
         lambda v: _checks.number(v, "aspect", 1e-3, 1e3),
         "with --geometry: aspect ratios L3/sqrt(L1 L2) of every cloud, in [1e-3, 1e3], at "
         "fixed volume or transverse area (--keep)", mode="geometry"),
    Axis("waist", "--waist", "number", PAIRS, None,
         "k_L w, waist of the probe on every cloud (0: none, a plane wave)", "1",
         lambda v: _checks.number(v, "waist", 0.0, _checks.KR_MAX, lo_open=True,
                                  allow_none=True),
         "with --geometry: probe waists k_L w of every cloud, or none (a plane wave)",
         none="no waist", mode="geometry"),
    Axis("probe_angle", "--probe-angle", "number", PAIRS, None,
         "angle of the probe turned towards cloud I's axis 1", "degree",
         lambda v: _checks.number(v, "probe_angle", 0.0, 180.0),
         "with --geometry: angles in degrees, in [0, 180], by which the probe (and the dipole "
         "with it) turns towards cloud I's axis 1", mode="geometry"),
    Axis("R_dir", "--R-dir", "direction", ("inter",), "z",
         "direction of R", None,
         lambda v: _checks.unit_vector(v, "R_dir"),
         "directions of R: x, y, z, -x, -y, -z or X:Y:Z (default z)", mode="paper"),
    Axis("p_hat", "--p-hat", "direction", PAIRS, "x",
         "dipole direction (none: no dipole factor)", None,
         lambda v: _checks.unit_vector(v, "p_hat", allow_none=True),
         "dipole directions as for --R-dir, or none for no dipole factor (default x)",
         none="no dipole factor", mode="paper"),
    Axis("method", "--method", "word", PAIRS, "auto",
         "estimator given to lehmberg.rates", None,
         lambda v: _checks.choice(v, "method", METHODS),
         f"estimators: {', '.join(METHODS)} (default auto, as lehmberg rates)"),
    Axis("samples", "--samples", "integer", PAIRS, DEFAULT_SAMPLES,
         "sample budget per task: pair samples (pairs) or directions (planewave); with "
         "rel_err the cap", "1",
         lambda v: _checks.integer(v, "samples", _checks.SAMPLES_MIN, _checks.SAMPLES_MAX),
         f"sample budgets per task, in [{_checks.SAMPLES_MIN}, {_checks.SAMPLES_MAX:.0e}]; "
         f"with --rel-err the cap (default {DEFAULT_SAMPLES:.0e})"),
    Axis("rel_err", "--rel-err", "number", PAIRS, "none",
         "target relative standard error of Gamma_ij (0: none, the whole budget is used)", "1",
         lambda v: _rel_err(v),
         "target relative errors of Gamma_ij per task, in (0, 1], or none (default none: "
         "run the whole budget)", none="no target"),
    Axis("N", "--N", "number", (), None,
         "atoms per cloud (for d = N Gamma_ij)", "1",
         lambda v: _checks.number(v, "N", *N_RANGE),
         f"atoms per cloud, in [{N_RANGE[0]:g}, {N_RANGE[1]:g}]: adds d = N Gamma_ij "
         "(no further work)"),
)
_AXIS = {a.name: a for a in AXES}


def _rel_err(value):
    try:
        return _checks.number(value, "rel_err", 0.0, 1.0, lo_open=True, allow_none=True)
    except ValueError as exc:
        raise ValueError(f"{exc} (or none: no target)") from None


# ----------------------------------------------------------------------------- parsing

def _float(text, param):
    if isinstance(text, bool):
        raise GridError(param, f"not a number: {text!r}")
    if isinstance(text, numbers.Real):
        return float(text)
    try:
        return float(text)
    except (TypeError, ValueError):
        raise GridError(param, f"not a number: {text!r}") from None


def _range(start, stop, num, spacing, param):
    start, stop = _float(start, param), _float(stop, param)
    if not (math.isfinite(start) and math.isfinite(stop)):
        raise GridError(param, f"range ends must be finite, got {start:g} and {stop:g}")
    try:
        n = _checks.integer(_float(num, param), "num", 1, TASKS_MAX)
    except (TypeError, ValueError) as exc:
        raise GridError(param, f"number of range points {str(exc)[4:]}") from None
    if spacing == "log":
        if start <= 0 or stop <= 0:
            raise GridError(param, "log ranges need start and stop > 0")
        return np.geomspace(start, stop, n).tolist()
    if spacing not in ("lin", "linear"):
        raise GridError(param, f"range spacing must be 'lin' or 'log', got {spacing!r}")
    return np.linspace(start, stop, n).tolist()


def parse_values(value, param, allow_none=False):
    """The numbers of one axis, from a command-line string or a TOML value (not yet range-checked).

    Accepted: ``"1,3,10,30"``; ranges ``"START:STOP:NUM"`` (linear, both ends included)
    and ``"START:STOP:NUM:log"`` (geometric), mixable with commas; a TOML number, array,
    or table ``{start, stop, num, spacing}``; with ``allow_none`` the word ``none``
    (returned as None).  A range has at most :data:`TASKS_MAX` points.

    Examples
    --------
    >>> parse_values("1,3:5:3", "kL")
    [1.0, 3.0, 4.0, 5.0]
    >>> parse_values("1:100:3:log", "kL")
    [1.0, 10.0, 100.0]
    >>> parse_values("none,0.01", "rel_err", allow_none=True)
    [None, 0.01]
    """
    if isinstance(value, dict):
        keys = set(value)
        if keys - {"start", "stop", "num", "spacing"} or not {"start", "stop", "num"} <= keys:
            raise GridError(param, "a range table needs start, stop, num and optionally spacing")
        return _range(value["start"], value["stop"], value["num"], value.get("spacing", "lin"),
                      param)
    if isinstance(value, (list, tuple)):
        if not value:
            raise GridError(param, "needs at least one value")
        out = []
        for item in value:
            out.extend(parse_values(item, param, allow_none) if isinstance(item, (str, dict))
                       else [_float(item, param)])
        return out
    if not isinstance(value, str):
        return [_float(value, param)]
    out = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            raise GridError(param, f"empty list entry in {value!r}")
        if item.lower() == "none":
            if not allow_none:
                raise GridError(param, "'none' is not a value of this axis")
            out.append(None)
            continue
        parts = item.split(":")
        if len(parts) == 1:
            out.append(_float(item, param))
        elif len(parts) in (3, 4):
            out.extend(_range(*parts[:3], parts[3] if len(parts) == 4 else "lin", param))
        else:
            raise GridError(param, f"not a number or START:STOP:NUM[:log] range: {item!r}")
    return out


def _label(v):
    return ":".join(f"{x:g}" for x in v)


def _direction(item, param, name, custom, allow_none):
    """(label, unit vector or None) of one direction entry."""
    if isinstance(item, str):
        word = item.strip()
        if word.lower() == "none":
            if not allow_none:
                raise GridError(param, "'none' is only a value of p_hat (no dipole factor)")
            return "none", None
        if word in custom:
            return word, custom[word]
        if word in DIRECTIONS:
            return word, DIRECTIONS[word]
        if word.count(":") != 2:
            known = ", ".join(list(DIRECTIONS) + list(custom) + (["none"] if allow_none else []))
            raise GridError(param, f"unknown direction {word!r} (known: {known}; or X:Y:Z)")
        vec = [_float(x, param) for x in word.split(":")]
        label = word
    elif isinstance(item, (list, tuple)) and len(item) == 3:
        vec = [_float(x, param) for x in item]
        label = _label(vec)
    else:
        raise GridError(param, f"a direction is a name or three numbers, got {item!r}")
    unit = _checked(lambda v: _checks.unit_vector(v, name), vec, name, param)
    return label, tuple(float(x) for x in unit)


def parse_directions(value, param, custom=None, allow_none=False, name="direction"):
    """The directions of one axis: ``"x,z,1:0:1"`` or a TOML array of names and 3-arrays.

    Vectors are normalised by :func:`lehmberg._checks.unit_vector` (as everywhere in
    the package, so 1e300:0:1e300 is the direction 1:0:1).  Returns a list of
    ``(label, unit vector)``; ``none`` (with ``allow_none``) gives ``("none", None)``.

    Examples
    --------
    >>> parse_directions("z,1e300:0:1e300,none", "p_hat", allow_none=True)[1:]
    [('1e300:0:1e300', (0.7071067811865475, 0.0, 0.7071067811865475)), ('none', None)]
    """
    custom = custom or {}
    if isinstance(value, str):
        items = [s.strip() for s in value.split(",")]
        if any(not s for s in items):
            raise GridError(param, f"empty list entry in {value!r}")
    elif isinstance(value, (list, tuple)):
        items = list(value)
        if len(items) == 3 and all(isinstance(x, numbers.Real) and not isinstance(x, bool)
                                   for x in items):
            items = [items]  # one vector written as [X, Y, Z]
    else:
        raise GridError(param, f"expected a list of directions, got {value!r}")
    if not items:
        raise GridError(param, "needs at least one value")
    return [_direction(item, param, name, custom, allow_none) for item in items]


def _words(value, param):
    if isinstance(value, str):
        items = [s.strip() for s in value.split(",")]
    elif isinstance(value, (list, tuple)) and all(isinstance(s, str) for s in value):
        items = [s.strip() for s in value]
    else:
        raise GridError(param, f"expected a list of names, got {value!r}")
    if not items or any(not s for s in items):
        raise GridError(param, f"empty list entry in {value!r}")
    return items


def _axis_values(axis, raw, param, custom):
    """Parsed and checked values of one axis (a tuple, values distinct)."""
    if axis.kind == "direction":
        values = parse_directions(raw, param, custom, axis.none is not None, axis.name)
        labels = [lab for lab, _ in values]
        vectors = [vec for _, vec in values]
        if len(set(labels)) != len(labels) or len(set(vectors)) != len(vectors):
            raise GridError(param, f"repeated direction in {labels!r}")
        return tuple(values)
    if axis.kind == "word":
        values = [_checked(axis.check, w, axis.name, param) for w in _words(raw, param)]
    else:
        values = [_checked(axis.check, v, axis.name, param)
                  for v in parse_values(raw, param, axis.none is not None)]
    if len(set(values)) != len(values):
        raise GridError(param, f"repeated value in {values!r}")
    return tuple(values)


# ----------------------------------------------------------------------------- seeds

def task_seed(master_seed: int, point: dict) -> int:
    """The seed of the task at ``point``: the one seed rule of every scan.

    The first 64-bit word of ``SeedSequence(master_seed, spawn_key=K)``, shifted right
    by one bit (seeds are 63-bit), where K is four 32-bit words of the SHA-256 of the
    point's canonical JSON (every parameter of the task: pair, shape, k_L L, k_L R, R̂,
    p̂, method, samples, rel_err, atoms, replicas).  A task's numbers therefore depend
    on the master seed and its own parameters only: the same point gives the same
    numbers in any grid, in any order, on any worker.

    Examples
    --------
    >>> a = task_seed(7, {"pair": "intra", "kL": 3.0})
    >>> a == task_seed(7, {"kL": 3.0, "pair": "intra"})
    True
    >>> a == task_seed(8, {"pair": "intra", "kL": 3.0})
    False
    """
    text = json.dumps(point, sort_keys=True, separators=(",", ":"), allow_nan=False)
    digest = hashlib.sha256(text.encode()).digest()
    key = tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))
    ss = np.random.SeedSequence(int(master_seed), spawn_key=key)
    return int(ss.generate_state(1, dtype=np.uint64)[0]) >> 1


class Task(NamedTuple):
    """One task: its number, its pair of clouds, its position in that pair's variables, and
    the payload :func:`lehmberg.scan.run.run_task` is called with."""

    index: int
    pair: str
    position: tuple
    payload: dict


# ----------------------------------------------------------------------------- the grid

@dataclasses.dataclass(frozen=True)
class Grid:
    """A validated scan grid (make one with :meth:`Grid.build` or :func:`grid_from_toml`).

    Attributes
    ----------
    kL, kR : tuple of float
        k_L L and k_L R (dimensionless; ``kR`` empty when only intra pairs are scanned).
    R_dir, p_hat : tuple of (str, tuple or None)
        Directions as (label, unit 3-vector); p̂ ``("none", None)`` drops the dipole factor.
    method : tuple of str
        Estimators (:data:`lehmberg.METHODS`).
    samples : tuple of int
        Sample budgets per task (the cap with rel_err).
    rel_err : tuple of float or None
        Target relative errors of Γ_ij (None: no target).
    N : tuple of float
        Atoms per cloud for d = N Γ_ij (not part of the identity: no task depends on it).
    pairs : tuple of str
        ``("intra",)``, ``("inter",)`` or ``("intra", "inter")``.
    shape : str
        Cloud shape.
    seed : int
        Master seed (:func:`task_seed`).
    atoms, replicas : int or None
        Realised clouds (``clouds``, ``planewave``, ``auto``): atoms per cloud, snapshots.

    Examples
    --------
    >>> g = Grid.build(kL="1,3,10", kR="30", R_dir="z,x")
    >>> len(g.tasks), g.dims("inter")
    (9, ('kL', 'kR', 'R_dir', 'p_hat', 'method', 'samples', 'rel_err'))
    """

    kL: tuple
    kR: tuple = ()
    R_dir: tuple = (("z", (0.0, 0.0, 1.0)),)
    p_hat: tuple = (("x", (1.0, 0.0, 0.0)),)
    method: tuple = ("auto",)
    samples: tuple = (DEFAULT_SAMPLES,)
    rel_err: tuple = (None,)
    N: tuple = ()
    pairs: tuple = ("intra",)
    shape: str = "gaussian"
    seed: int = 0
    atoms: int | None = None
    replicas: int | None = None
    scale: tuple = ()
    aspect: tuple = ()
    waist: tuple = ()
    probe_angle: tuple = ()
    geometry: str | None = None
    keep: str = "volume"

    @classmethod
    def build(cls, kL=None, kR=None, R_dir=None, p_hat=None, method=None, samples=None,
              rel_err=None, N=None, pairs=None, shape=None, seed=None, atoms=None, replicas=None,
              directions=None, names=None, geometry=None, scale=None, aspect=None, waist=None,
              probe_angle=None, keep=None) -> "Grid":
        """Check raw values (strings, numbers, lists or TOML values) into a :class:`Grid`.

        Every axis of :data:`AXES` is parsed and checked the same way; then the number
        of tasks (at most :data:`TASKS_MAX`) and the cost of every task
        (:func:`lehmberg.estimators.plan_cost`) are checked, before any work.

        Parameters
        ----------
        kL, kR, R_dir, p_hat, method, samples, rel_err, N : str, number, list or dict
            The axes (see :data:`AXES`); None takes the default (``kL`` is required).
        pairs : str or list, optional
            ``intra``, ``inter`` or both (default intra, plus inter with ``kR``).
        shape : {"gaussian", "cube"}
        seed : int
            Master seed in [0, 2⁶³ − 1] (default 0).
        atoms, replicas : int, optional
            Realised clouds: atoms per cloud in [2, 1e8] and snapshots in [2, 1e5], within the
            memory and predicted time `lehmberg.clouds.plan` allows.
        geometry : lehmberg.Geometry, optional
            A geometry of clouds of their own (SPEC §9; e.g. from a ``--geometry`` file): the
            grid then varies it by the geometry axes ``kR`` (cloud II moved along the line of
            the centres), ``scale``, ``aspect`` (at fixed ``keep``: ``"volume"`` or
            ``"area"``), ``waist`` and ``probe_angle`` (:meth:`lehmberg.Geometry.varied`),
            each a task axis only when given; ``kL``, ``R_dir``, ``p_hat`` and ``shape`` come
            from the geometry.  Pairs: intra, inter (with cloud II) and intra_II (when cloud
            II differs from cloud I).
        directions : dict, optional
            Named directions usable in ``R_dir`` and ``p_hat`` (``{"diag": [1, 0, 1]}``).
        names : dict, optional
            How each parameter is named in errors (``{"kL": "argument --kL"}``).

        Raises
        ------
        GridError
            Naming the parameter, for any bad value or a limit exceeded.
        """
        names = names or {}
        nm = lambda key: names.get(key, key)  # noqa: E731
        raw = {"kL": kL, "kR": kR, "R_dir": R_dir, "p_hat": p_hat, "method": method,
               "samples": samples, "rel_err": rel_err, "N": N, "scale": scale,
               "aspect": aspect, "waist": waist, "probe_angle": probe_angle}
        if geometry is not None:
            return cls._build_geometry(geometry, raw, pairs, shape, seed, atoms, replicas, keep,
                                       directions, nm)
        for axis in AXES:
            if axis.mode == "geometry" and raw[axis.name] is not None:
                raise GridError(nm(axis.name), "only with a geometry file (--geometry)")
        if keep is not None:
            raise GridError(nm("keep"), "only with a geometry file (--geometry) and aspect")
        if directions is not None and not isinstance(directions, dict):
            raise GridError(nm("directions"), "must be a table of name = [X, Y, Z]")
        custom = {}
        for name, vec in (directions or {}).items():
            if name in DIRECTIONS or name.lower() == "none" or not name or \
                    any(c in name for c in ":, "):
                raise GridError(nm("directions"), f"cannot redefine or use the name {name!r}")
            custom[name] = _direction(vec, f"{nm('directions')}.{name}", "direction", {}, False)[1]
        if kL is None:
            raise GridError(nm("kL"), "required")
        pairs_ = _pairs(pairs, kR, nm("pairs"))
        if "inter" in pairs_ and kR is None:
            raise GridError(nm("kR"), "required for inter pairs")
        values = {}
        for axis in AXES:
            used = not axis.pairs or any(p in pairs_ for p in axis.pairs)
            if axis.mode == "geometry":
                values[axis.name] = ()
                continue
            if not used:
                if raw[axis.name] is not None:
                    raise GridError(nm(axis.name), "given, but pairs has no inter")
                values[axis.name] = ()
                continue
            value = raw[axis.name] if raw[axis.name] is not None else axis.default
            values[axis.name] = () if value is None else _axis_values(axis, value, nm(axis.name),
                                                                      custom)
        shape_ = _checked(lambda v: _checks.choice(v, "shape", SHAPES),
                          "gaussian" if shape is None else shape, "shape", nm("shape"))
        seed_, atoms_, replicas_ = _run_options(seed, atoms, replicas, nm)
        grid = cls(pairs=pairs_, shape=shape_, seed=seed_, atoms=atoms_, replicas=replicas_,
                   **values)
        return grid._checked_size(values, nm)

    def _checked_size(self, values, nm):
        count = sum(math.prod(self.shape_of(p)) for p in self.pairs)
        if count > TASKS_MAX:
            biggest = max((a for a in AXES if a.pairs), key=lambda a: len(values[a.name]))
            raise GridError(nm(biggest.name), f"the grid would have {count:,} tasks; at most "
                                              f"{TASKS_MAX:,} (split it into several scans)")
        self._check_costs(nm)
        return self

    @classmethod
    def _build_geometry(cls, geometry, raw, pairs, shape, seed, atoms, replicas, keep,
                        directions, nm):
        """:meth:`build` for a grid over a geometry of clouds of their own."""
        if not isinstance(geometry, Geometry):
            raise GridError(nm("geometry"), f"must be a lehmberg.Geometry, got "
                                            f"{type(geometry).__name__}")
        for key, value in (("kL", raw["kL"]), ("R_dir", raw["R_dir"]), ("p_hat", raw["p_hat"]),
                           ("shape", shape), ("directions", directions or None)):
            if value is not None:
                raise GridError(nm(key), "comes from the geometry file; vary the geometry with "
                                         "kR, scale, aspect, waist or probe_angle")
        base = geometry
        two = base.II is not None
        default_pairs = ("intra",) + (("inter",) if two else ()) + \
            (("intra_II",) if two and not base.identical else ())
        if pairs is None:
            pairs_ = default_pairs
        else:
            items = [s.strip() for s in pairs.split(",")] if isinstance(pairs, str) else pairs
            if not isinstance(items, (list, tuple)) or not items or any(
                    not isinstance(p, str) or p not in default_pairs for p in items):
                raise GridError(nm("pairs"), f"must be some of {', '.join(default_pairs)} for "
                                             f"this geometry, got {pairs!r}")
            pairs_ = tuple(p for p in PAIRS if p in items)
        if raw["kR"] is not None and not two:
            raise GridError(nm("kR"), "the geometry has no cloud II to move")
        keep_ = _checked(lambda v: _checks.choice(v, "keep", KEEP),
                         "volume" if keep is None else keep, "keep", nm("keep"))
        if keep is not None and raw["aspect"] is None:
            raise GridError(nm("keep"), "only with aspect")
        values = {}
        for axis in AXES:
            value = raw[axis.name]
            if axis.mode == "paper" or (value is None and axis.default is None):
                values[axis.name] = ()
                continue
            if axis.name == "kR" and "inter" not in pairs_:
                raise GridError(nm("kR"), "given, but pairs has no inter")
            value = value if value is not None else axis.default
            values[axis.name] = _axis_values(axis, value, nm(axis.name), {})
        if values["waist"] and any(c.shape != "gaussian" for c in (base.I, base.II)
                                   if c is not None):
            raise GridError(nm("waist"), "a probe waist needs Gaussian clouds (SPEC §9)")
        seed_, atoms_, replicas_ = _run_options(seed, atoms, replicas, nm)
        text = json.dumps(base.as_dict(), sort_keys=True, separators=(",", ":"))
        grid = cls(kL=(), pairs=pairs_, shape="geometry", seed=seed_, atoms=atoms_,
                   replicas=replicas_, geometry=text, keep=keep_,
                   R_dir=(), p_hat=(), **{k: v for k, v in values.items()
                                          if k not in ("kL", "R_dir", "p_hat")})
        try:  # every point's geometry (Geometry.varied) is made here, before any work
            grid.tasks
        except (TypeError, ValueError) as exc:
            raise GridError(nm(str(exc).split(" ", 1)[0].rstrip(":")), str(exc)) from None
        return grid._checked_size(values, nm)

    def _active(self, axis) -> bool:
        """Whether ``axis`` is a dimension of this grid's tasks."""
        if self.geometry is None:
            return axis.mode != "geometry"
        return axis.mode != "paper" and len(getattr(self, axis.name)) > 0

    def base_geometry(self) -> Geometry | None:
        """The geometry a geometry grid varies (None for the paper's shorthand grids)."""
        return None if self.geometry is None else Geometry.from_dict(json.loads(self.geometry))

    def geometry_at(self, pair: str, point: dict) -> Geometry:
        """The :class:`lehmberg.Geometry` of ``pair`` at ``point`` ({axis: value}) of a
        geometry grid: the base varied by :meth:`lehmberg.Geometry.varied`, then the pair's
        clouds (``single()`` for intra, ``single("II")`` for intra_II)."""
        kw = {}
        for name in ("scale", "aspect", "waist", "probe_angle", "kR"):
            if name in point:
                kw[name] = point[name]
        if "aspect" in kw:
            kw["keep"] = self.keep
        g = self.base_geometry().varied(**kw)
        return {"intra": g.single(), "inter": g}.get(pair) or g.single("II")

    def _check_costs(self, nm):
        """Every task's estimator limits (plan_cost), before any work; GridError naming it."""
        seen = set()
        for task in self.tasks:
            p = task.payload
            key = json.dumps({k: v for k, v in p.items() if k not in ("index", "seed",
                                                                       "rel_err")},
                             sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
            try:
                plan_cost(_geometry(p), p["method"], p["samples"], self.atoms, self.replicas)
            except ValueError as exc:
                raise _cost_error(str(exc), p, nm) from None

    # ------------------------------------------------------------------ shape of the grid
    def dims(self, pair: str) -> tuple:
        """The dimensions of the variables of ``pair``, in task-enumeration (C) order."""
        return tuple(a.name for a in AXES if pair in a.pairs and self._active(a))

    def shape_of(self, pair: str) -> tuple:
        """The lengths of :meth:`dims` of ``pair``."""
        return tuple(len(getattr(self, d)) for d in self.dims(pair))

    def axes(self) -> list:
        """Every task dimension this grid uses, in file order."""
        return [a.name for a in AXES if a.pairs and self._active(a)
                and any(p in self.pairs for p in a.pairs)]

    def spec(self) -> dict:
        """The scan's identity as plain JSON data: everything that changes a number (not N).

        The lehmberg version is part of it, so a resume never mixes two versions' numbers.
        """
        from .. import __version__

        out = {"format": FORMAT, "lehmberg_version": __version__, "seed": self.seed,
               "shape": self.shape, "pairs": list(self.pairs), "atoms": self.atoms,
               "replicas": self.replicas}
        if self.geometry is not None:
            out.update(geometry=json.loads(self.geometry), keep=self.keep)
        for name in self.axes():
            values = getattr(self, name)
            out[name] = ([[lab, None if v is None else list(v)] for lab, v in values]
                         if _AXIS[name].kind == "direction" else list(values))
        return out

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`spec`."""
        text = json.dumps(self.spec(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @functools.cached_property
    def tasks(self) -> tuple:
        """Every :class:`Task`, in index order: intra points in C order over
        ``dims("intra")``, then inter points over ``dims("inter")``."""
        out = []
        for pair in self.pairs:
            dims = self.dims(pair)
            for pos in np.ndindex(*self.shape_of(pair)):
                at = dict(zip(dims, pos))
                if self.geometry is not None:
                    values = {d: getattr(self, d)[at[d]] for d in dims}
                    point = {"pair": pair, "geometry": self.geometry_at(pair, {
                                 k: v for k, v in values.items()
                                 if k not in ("method", "samples", "rel_err")}).as_dict(),
                             "atoms": self.atoms, "replicas": self.replicas, **values}
                    index = len(out)
                    payload = dict(point, index=index, seed=task_seed(self.seed, point))
                    out.append(Task(index, pair, tuple(int(i) for i in pos), payload))
                    continue
                point = {
                    "pair": pair, "shape": self.shape, "kL": self.kL[at["kL"]],
                    "kR": self.kR[at["kR"]] if pair == "inter" else None,
                    "R_dir": list(self.R_dir[at["R_dir"]][1]) if pair == "inter" else None,
                    "p_hat": _list_or_none(self.p_hat[at["p_hat"]][1]),
                    "method": self.method[at["method"]],
                    "samples": self.samples[at["samples"]],
                    "rel_err": self.rel_err[at["rel_err"]],
                    "atoms": self.atoms, "replicas": self.replicas,
                }
                index = len(out)
                payload = dict(point, index=index, seed=task_seed(self.seed, point))
                out.append(Task(index, pair, tuple(int(i) for i in pos), payload))
        return tuple(out)


def _list_or_none(v):
    return None if v is None else list(v)


def _geometry(payload) -> Geometry:
    """The :class:`lehmberg.Geometry` of a task's payload."""
    if "geometry" in payload:
        return Geometry.from_dict(payload["geometry"])
    kw = {"R_dir": payload["R_dir"]} if payload["R_dir"] is not None else {}
    return Geometry(kL=payload["kL"], kR=payload["kR"], p_hat=payload["p_hat"],
                    shape=payload["shape"], **kw)


def _cost_error(message, payload, nm):
    word = message.split(" ", 1)[0].rstrip(":")
    if word == "atoms/replicas":
        word = "atoms"
    if "geometry" in payload:
        point = ", ".join(f"{k}={payload[k]:g}" for k in ("kR", "scale", "aspect", "waist",
                                                         "probe_angle")
                          if payload.get(k) is not None) or payload["pair"]
    else:
        point = f"kL={payload['kL']:g}" + ("" if payload["kR"] is None else
                                           f", kR={payload['kR']:g}")
    if word in ("method", "samples", "atoms", "replicas"):
        for tail in (" must", " would", ":"):
            if message.startswith(word + tail):
                message = message[len(word) + (1 if tail != ":" else 2):]
                break
        return GridError(nm(word), f"{message} (at the grid point {point})")
    return GridError(nm("method"), f"{message} (at the grid point {point})")


def _run_options(seed, atoms, replicas, nm):
    """The checked master seed, atoms and replicas of a grid (GridError naming each)."""
    seed_ = _checked(lambda v: _checks.integer(v, "seed", 0, _checks.SEED_MAX),
                     0 if seed is None else _int_text(seed, nm("seed")), "seed", nm("seed"))
    atoms_ = _checked(lambda v: _checks.integer(v, "atoms", _checks.ATOMS_MIN, ATOMS_MAX,
                                                allow_none=True),
                      _int_text(atoms, nm("atoms")), "atoms", nm("atoms"))
    replicas_ = _checked(lambda v: _checks.integer(v, "replicas", _checks.REPLICAS_MIN,
                                                   _checks.REPLICAS_MAX, allow_none=True),
                         _int_text(replicas, nm("replicas")), "replicas", nm("replicas"))
    return seed_, atoms_, replicas_


def _int_text(value, param):
    """An integer option given as text ('2e5') or a number; None passes."""
    if value is None or not isinstance(value, str):
        return value
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise GridError(param, f"not an integer: {value!r}") from None


def _pairs(pairs, kR, param):
    if pairs is None:
        return ("intra", "inter") if kR is not None else ("intra",)
    items = [s.strip() for s in pairs.split(",")] if isinstance(pairs, str) else pairs
    if not isinstance(items, (list, tuple)) or not items or \
            any(not isinstance(p, str) or p not in PAIRS for p in items):
        raise GridError(param, f"must be intra, inter or both, got {pairs!r}")
    return tuple(p for p in PAIRS if p in items)


# ----------------------------------------------------------------------------- TOML

#: Top-level keys of a scan's TOML file (``title`` is free text) and keys of its ``[grid]``.
TOML_TOP = ("title", "seed", "shape", "pairs", "atoms", "replicas", "grid", "directions",
            "geometry", "keep")
TOML_GRID = tuple(a.name for a in AXES)


def grid_from_toml(path, overrides=None, names=None) -> Grid:
    """A :class:`Grid` from a TOML file; ``overrides`` (non-None values) replace its entries.

    Layout (every key optional except ``grid.kL``, which an override may give)::

        seed = 2024
        shape = "gaussian"
        pairs = ["intra", "inter"]
        atoms = 1000                   # realised clouds (with method clouds or auto)
        [grid]
        kL = [1, 3, 10, 30]            # or "1:30:4:log", or {start=1, stop=30, num=4}
        kR = "10:100:3:log"
        R_dir = ["z", "x", [1, 0, 1]]
        p_hat = ["x", "none"]
        method = ["auto"]
        samples = [1e6]
        rel_err = [0.01]
        N = [1e5, 1e6]
        [directions]                   # names usable in R_dir and p_hat
        diagonal = [1, 0, 1]

    A scan of clouds of their own names a geometry file (relative to this one) and varies it
    by the geometry axes (``kL``, ``R_dir``, ``p_hat``, ``shape`` then come from the file)::

        geometry = "two_cigars.toml"
        keep = "volume"                # aspect at fixed volume (or "area")
        [grid]
        aspect = "1:10:10"
        waist = ["none", 20]
        probe_angle = [0, 90]
        kR = [1000, 3000]              # cloud II moved along the line of the centres

    Errors name the file and the key (``scan.toml: grid.kL: required``).
    """
    from pathlib import Path

    from ..io import read_toml

    path = Path(path)
    try:
        doc = read_toml(path)
    except ValueError as exc:
        raise GridError(str(path), str(exc)) from None
    for key in doc:
        if key not in TOML_TOP:
            raise GridError(f"{path}: {key}", f"unknown key (known: {', '.join(TOML_TOP)})")
    grid = doc.get("grid", {})
    dirs = doc.get("directions", {})
    if not isinstance(grid, dict):
        raise GridError(f"{path}: grid", "must be a table [grid]")
    if not isinstance(dirs, dict):
        raise GridError(f"{path}: directions", "must be a table [directions]")
    for key in grid:
        if key not in TOML_GRID:
            raise GridError(f"{path}: grid.{key}", f"unknown key (known: {', '.join(TOML_GRID)})")
    values = dict(grid)
    for key in ("seed", "shape", "pairs", "atoms", "replicas", "keep"):
        if key in doc:
            values[key] = doc[key]
    if "geometry" in doc:  # a geometry file, relative to this one
        where_g = f"{path}: geometry"
        if not isinstance(doc["geometry"], str) or not doc["geometry"].strip():
            raise GridError(where_g, "must be the name of a geometry file (TOML)")
        try:
            values["geometry"] = _read_geometry(path.parent / doc["geometry"])
        except (TypeError, ValueError) as exc:
            raise GridError(where_g, str(exc)) from None
    where = {key: f"{path}: {'grid.' if key in TOML_GRID else ''}{key}"
             for key in (*TOML_GRID, "seed", "shape", "pairs", "atoms", "replicas", "directions",
                         "geometry", "keep")}
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
            if names and key in names:
                where[key] = names[key]
    return Grid.build(directions=dirs, names=where, **values)
