"""Parameter scans: grids of Monte-Carlo rates, run in-process or on Dask, checkpointed to HDF5.

A scan is a grid over k_L L, k_L R, the directions R̂ and p̂ and the estimator
settings (samples, rel_err).  Every grid point of every pair of clouds
(``intra``: i and j in cloud I; ``inter``: i in I, j in II) is one *task*, a
call of :func:`lehmberg.average.mc_rates`.  The intra rates do not depend on
k_L R or R̂, so intra tasks run once per (k_L L, p̂, samples, rel_err), not once
per k_L R.  N is not a task axis: d = N Γ_ij needs no Monte Carlo and is
computed from Γ_ij when the file is written.

Reproducibility
---------------
Tasks are numbered in a fixed order (all intra points in C order over
``DIMS["intra"]``, then all inter points over ``DIMS["inter"]``).  Task ``i``
runs with seed ``SeedSequence(master_seed, spawn_key=(i,)).generate_state(1,
uint64)[0]`` and is a pure function of (master seed, i, its parameters); its
numbers do not depend on which process runs it, on how many threads Numba uses,
or on the order in which tasks finish.

Checkpoints and kill -9
-----------------------
The scan process is the only writer.  Two files:

* ``OUT.journal`` — the source of truth while a scan runs: a JSON header line
  (the grid) followed by one JSON line per finished task, each appended with a
  single ``write`` and ``fsync``'d before the next task is handed over.  A
  process killed mid-line leaves a torn last line, which the next run drops
  (that task runs again).
* ``OUT`` — the HDF5 (netCDF-4) dataset, rebuilt from memory into a temporary
  file and renamed into place (:func:`lehmberg.io.atomic_h5`) at start, at most
  every ``checkpoint_every`` seconds and at the end.  Readers and a killed
  writer only ever see a complete old or a complete new file.

On start, finished tasks are read from both; the journal is deleted once the
file holds every task.  An ``fcntl`` lock on the journal keeps two scans off
one file; the kernel drops it when the holder dies, even by ``kill -9``.

Execution
---------
``client=None`` runs the tasks here, one after another (Numba uses all cores
inside each task; no server, no Dask).  With a ``distributed.Client`` every
task is submitted at once and results are taken in completion order
(``as_completed``); the scheduler re-runs the tasks of a worker that dies
(up to ``distributed.scheduler.allowed-failures`` times per task).
"""

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import math
import os
import time
from pathlib import Path

import numpy as np

__all__ = ["Grid", "GridError", "ScanFileError", "Summary", "DIMS", "FIELDS", "DIRECTIONS",
           "parse_values", "parse_directions", "grid_from_toml", "task_seed", "run_task",
           "check_file", "run_scan", "local_client", "connect", "journal_path"]

FORMAT = 1  # version of the file layout and of the journal

#: Dimensions of the variables of each pair of clouds, in task-enumeration order.
DIMS = {
    "intra": ("kL", "p_hat", "samples", "rel_err"),
    "inter": ("kL", "kR", "R_dir", "p_hat", "samples", "rel_err"),
}

#: Named directions; ``none`` (p̂ only) drops the dipole factor as the paper does in App. B 2.
DIRECTIONS = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0),
              "-x": (-1.0, 0.0, 0.0), "-y": (0.0, -1.0, 0.0), "-z": (0.0, 0.0, -1.0)}

#: Per-task result fields: name -> (dtype, units, description).  Complex Γ̄, Ḡ are split in re/im.
FIELDS = {
    "Gamma_ij": ("f8", "Gamma", "Gamma_ij = Re<J_ij> = Re gamma_bar - Im g_bar"),
    "Gamma_ij_err": ("f8", "Gamma", "standard error of Gamma_ij"),
    "G_ij": ("f8", "Gamma", "G_ij = Im<J_ij> = Im gamma_bar + Re g_bar"),
    "G_ij_err": ("f8", "Gamma", "standard error of G_ij"),
    "gamma_bar_re": ("f8", "Gamma", "Re gamma_bar, gamma_bar = E[exp(i k_L.r) gamma(r)]"),
    "gamma_bar_im": ("f8", "Gamma", "Im gamma_bar"),
    "gamma_bar_re_err": ("f8", "Gamma", "standard error of Re gamma_bar"),
    "gamma_bar_im_err": ("f8", "Gamma", "standard error of Im gamma_bar"),
    "g_bar_re": ("f8", "Gamma", "Re g_bar, g_bar = E[exp(i k_L.r) g(r)]"),
    "g_bar_im": ("f8", "Gamma", "Im g_bar"),
    "g_bar_re_err": ("f8", "Gamma", "standard error of Re g_bar"),
    "g_bar_im_err": ("f8", "Gamma", "standard error of Im g_bar"),
    "n_samples": ("i8", "1", "pair samples used (0: task not done)"),
    "target_met": ("i1", "1", "rel_err target on Gamma_ij: 1 met, 0 not met, -1 none requested"),
}

_AXIS_ATTRS = {
    "kL": ("k_L L, cloud size times probe wavenumber", "1"),
    "kR": ("k_L R, distance of cloud II times probe wavenumber", "1"),
    "R_dir": ("direction of R (label; vector in R_dir_vector)", None),
    "p_hat": ("dipole direction (label; vector in p_hat_vector; none: no dipole factor)", None),
    "samples": ("pair samples per task (with rel_err > 0: the cap)", "1"),
    "rel_err": ("target relative standard error of Gamma_ij (0: none, run all samples)", "1"),
    "N": ("atoms per cloud (for d = N Gamma_ij)", "1"),
}


class GridError(ValueError):
    """Bad grid input; ``param`` names the offending parameter (``kL``, ``grid.kL``, ...)."""

    def __init__(self, param, message):
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


class ScanFileError(ValueError):
    """An existing output file or journal that cannot be resumed (other grid, unreadable, locked)."""


# ----------------------------------------------------------------------------- grid input


def _number(value, param):
    if isinstance(value, bool):
        raise GridError(param, f"not a number: {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise GridError(param, f"not a number: {value!r}") from None
    if not math.isfinite(v):
        raise GridError(param, f"must be finite, got {value!r}")
    return v


def _range(start, stop, num, spacing, param):
    start, stop = _number(start, param), _number(stop, param)
    n = _number(num, param)
    if n != int(n) or n < 1:
        raise GridError(param, f"number of range points must be an integer >= 1, got {num!r}")
    if spacing == "log":
        if start <= 0 or stop <= 0:
            raise GridError(param, "log ranges need start and stop > 0")
        return np.geomspace(start, stop, int(n)).tolist()
    if spacing not in ("lin", "linear"):
        raise GridError(param, f"range spacing must be 'lin' or 'log', got {spacing!r}")
    return np.linspace(start, stop, int(n)).tolist()


def parse_values(value, param):
    """Numbers of one axis from a CLI string or a TOML value.

    Accepted: ``"1,3,10,30"``; ranges ``"START:STOP:NUM"`` (linear, both ends
    included) and ``"START:STOP:NUM:log"`` (geometric), mixable with commas;
    a TOML number, array of numbers, or table ``{start, stop, num, spacing}``.
    """
    if isinstance(value, dict):
        unknown = set(value) - {"start", "stop", "num", "spacing"}
        if unknown or not {"start", "stop", "num"} <= set(value):
            raise GridError(param, "a range table needs start, stop, num and optionally spacing")
        return _range(value["start"], value["stop"], value["num"], value.get("spacing", "lin"),
                      param)
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            out.extend(parse_values(item, param) if isinstance(item, str) else
                       [_number(item, param)])
        return out
    if not isinstance(value, str):
        return [_number(value, param)]
    out = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            raise GridError(param, f"empty list entry in {value!r}")
        parts = item.split(":")
        if len(parts) == 1:
            out.append(_number(item, param))
        elif len(parts) in (3, 4):
            out.extend(_range(*parts[:3], parts[3] if len(parts) == 4 else "lin", param))
        else:
            raise GridError(param, f"not a number or START:STOP:NUM[:log] range: {item!r}")
    return out


def _vector_label(v):
    return ":".join(f"{x:g}" for x in v)


def _direction(item, param, custom, allow_none):
    """(label, unit vector) of one direction entry; the zero vector stands for ``none``."""
    if isinstance(item, str):
        name = item.strip()
        if name == "none":
            if not allow_none:
                raise GridError(param, "'none' is only allowed for p_hat")
            return "none", (0.0, 0.0, 0.0)
        if name in custom:
            vec, label = custom[name], name
        elif name in DIRECTIONS:
            vec, label = DIRECTIONS[name], name
        elif name.count(":") == 2:
            vec = [_number(x, param) for x in name.split(":")]
            label = _vector_label(vec)
        else:
            known = ", ".join(list(DIRECTIONS) + list(custom) + (["none"] if allow_none else []))
            raise GridError(param, f"unknown direction {name!r} (known: {known}; or X:Y:Z)")
    elif isinstance(item, (list, tuple)) and len(item) == 3:
        vec = [_number(x, param) for x in item]
        label = _vector_label(vec)
    else:
        raise GridError(param, f"a direction is a name or three numbers, got {item!r}")
    v = np.asarray(vec, dtype=float)
    n = float(np.linalg.norm(v))
    if n == 0.0:
        raise GridError(param, f"direction {item!r} is the zero vector")
    return label, tuple(float(x) for x in v / n)


def parse_directions(value, param, custom=None, allow_none=False):
    """Directions of one axis: ``"x,z,1:0:1"`` (CLI) or a TOML array of names and 3-arrays.

    Returns ``(labels, unit_vectors)``.
    """
    custom = custom or {}
    if isinstance(value, str):
        items = [s.strip() for s in value.split(",")]
        if any(not s for s in items):
            raise GridError(param, f"empty list entry in {value!r}")
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise GridError(param, f"expected a list of directions, got {value!r}")
    out = [_direction(item, param, custom, allow_none) for item in items]
    return [lab for lab, _ in out], [vec for _, vec in out]


def _unique(values, param):
    if not values:
        raise GridError(param, "needs at least one value")
    if len(set(values)) != len(values):
        raise GridError(param, f"repeated value in {list(values)!r}")
    return tuple(values)


@dataclasses.dataclass(frozen=True)
class Grid:
    """A validated scan grid.

    Attributes
    ----------
    kL, kR : tuple of float
        k_L L (> 0) and k_L R (>= 0; empty when only intra pairs are scanned).
    R_dir, p_hat : tuple of (label, unit 3-vector)
        Directions of R and of the dipole; p̂ = (0, 0, 0), label ``none``, drops the dipole factor.
    samples : tuple of int
        Pair samples per task (>= 1024); with rel_err > 0 the cap.
    rel_err : tuple of float
        Target relative standard error of Γ_ij (>= 0; 0 means none).
    N : tuple of float
        Atoms per cloud for the derived d = N Γ_ij (may be empty; not part of the identity).
    pairs : tuple of str
        ``("intra",)``, ``("inter",)`` or ``("intra", "inter")``.
    shape : str
        ``gaussian`` or ``cube``.
    seed : int
        Master seed.
    """

    kL: tuple
    kR: tuple = ()
    R_dir: tuple = (("z", (0.0, 0.0, 1.0)),)
    p_hat: tuple = (("x", (1.0, 0.0, 0.0)),)
    samples: tuple = (10**6,)
    rel_err: tuple = (0.0,)
    N: tuple = ()
    pairs: tuple = ("intra",)
    shape: str = "gaussian"
    seed: int = 0

    @classmethod
    def build(cls, kL, kR=None, R_dir=None, p_hat=None, samples=None, rel_err=None, N=None,
              pairs=None, shape="gaussian", seed=0, directions=None, names=None):
        """Validate raw values (strings, lists or TOML values) into a :class:`Grid`.

        ``names`` maps a parameter to the name used in error messages (e.g.
        ``{"kL": "--kL"}``); :class:`GridError` names the offending parameter.
        """
        names = names or {}
        nm = lambda key: names.get(key, key)  # noqa: E731
        custom = {}
        for name, vec in (directions or {}).items():
            if name in DIRECTIONS or name == "none" or not name or ":" in name or "," in name:
                raise GridError(nm("directions"), f"cannot redefine or use the name {name!r}")
            custom[name] = _direction(vec, f"{nm('directions')}.{name}", {}, False)[1]
        if kL is None:
            raise GridError(nm("kL"), "required")
        kL_ = parse_values(kL, nm("kL"))
        if any(v <= 0 for v in kL_):
            raise GridError(nm("kL"), f"must be > 0, got {kL_!r}")
        kR_ = [] if kR is None else parse_values(kR, nm("kR"))
        if any(v < 0 for v in kR_):
            raise GridError(nm("kR"), f"must be >= 0, got {kR_!r}")
        if pairs is None:
            pairs_ = ["intra", "inter"] if kR_ else ["intra"]
        else:
            pairs_ = [s.strip() for s in pairs.split(",")] if isinstance(pairs, str) else list(pairs)
            bad = [p for p in pairs_ if p not in ("intra", "inter")]
            if bad or not pairs_:
                raise GridError(nm("pairs"), f"must be intra, inter or both, got {pairs!r}")
            pairs_ = [p for p in ("intra", "inter") if p in pairs_]
        if "inter" in pairs_ and not kR_:
            raise GridError(nm("kR"), "required for inter pairs")
        if kR_ and "inter" not in pairs_:
            raise GridError(nm("kR"), "given, but pairs has no inter")
        R_dir_ = parse_directions("z" if R_dir is None else R_dir, nm("R_dir"), custom)
        if "inter" not in pairs_:
            if R_dir is not None:
                raise GridError(nm("R_dir"), "given, but pairs has no inter")
            R_dir_ = ([], [])
        p_hat_ = parse_directions("x" if p_hat is None else p_hat, nm("p_hat"), custom, True)
        samples_ = []
        for v in parse_values(10**6 if samples is None else samples, nm("samples")):
            n = round(v)
            if abs(v - n) > 1e-9 * max(1.0, abs(v)):
                raise GridError(nm("samples"), f"must be integers, got {v!r}")
            if n < 1024:
                raise GridError(nm("samples"), f"must be >= 1024 for an honest standard error, "
                                               f"got {n}")
            samples_.append(int(n))
        rel_ = parse_values(0.0 if rel_err is None else rel_err, nm("rel_err"))
        if any(v < 0 for v in rel_):
            raise GridError(nm("rel_err"), f"must be >= 0 (0: no target), got {rel_!r}")
        N_ = [] if N is None else parse_values(N, nm("N"))
        if any(v <= 0 for v in N_):
            raise GridError(nm("N"), f"must be > 0, got {N_!r}")
        if shape not in ("gaussian", "cube"):
            raise GridError(nm("shape"), f"must be gaussian or cube, got {shape!r}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise GridError(nm("seed"), f"must be an integer >= 0, got {seed!r}")
        _unique(kL_, nm("kL"))
        if kR_:
            _unique(kR_, nm("kR"))
            _unique(R_dir_[0], nm("R_dir"))
            _unique(R_dir_[1], nm("R_dir"))
        _unique(p_hat_[0], nm("p_hat"))
        _unique(p_hat_[1], nm("p_hat"))
        _unique(samples_, nm("samples"))
        _unique(rel_, nm("rel_err"))
        if N_:
            _unique(N_, nm("N"))
        return cls(kL=tuple(kL_), kR=tuple(kR_), R_dir=tuple(zip(*R_dir_)),
                   p_hat=tuple(zip(*p_hat_)), samples=tuple(samples_), rel_err=tuple(rel_),
                   N=tuple(N_), pairs=tuple(pairs_), shape=shape, seed=int(seed))

    def coords(self, name):
        """Values of the coordinate ``name`` (labels for directions)."""
        if name in ("R_dir", "p_hat"):
            return [lab for lab, _ in getattr(self, name)]
        return list(getattr(self, name))

    def axes(self):
        """Names of every task axis used by this grid, in file order."""
        used = []
        for pair in self.pairs:
            used += [d for d in DIMS[pair] if d not in used]
        return [a for a in ("kL", "kR", "R_dir", "p_hat", "samples", "rel_err") if a in used]

    def shape_of(self, pair):
        return tuple(len(getattr(self, d)) for d in DIMS[pair])

    def spec(self):
        """The scan's identity as plain JSON-able data: everything that changes a number (not N).

        The lehmberg version is part of it, so that a resume never mixes numbers of two versions.
        """
        from . import __version__

        return {
            "format": FORMAT, "lehmberg_version": __version__, "seed": self.seed, "shape": self.shape, "pairs": list(self.pairs),
            "kL": list(self.kL), "kR": list(self.kR),
            "R_dir": [[lab, list(v)] for lab, v in self.R_dir],
            "p_hat": [[lab, list(v)] for lab, v in self.p_hat],
            "samples": list(self.samples), "rel_err": list(self.rel_err),
        }

    def fingerprint(self):
        """SHA-256 of the canonical JSON of :meth:`spec`."""
        text = json.dumps(self.spec(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def tasks(self):
        """Every task: list of ``(index, pair, position, payload)``, in index order."""
        out = []
        for pair in self.pairs:
            for pos in np.ndindex(*self.shape_of(pair)):
                at = dict(zip(DIMS[pair], pos))
                index = len(out)
                payload = {
                    "index": index, "pair": pair, "seed": task_seed(self.seed, index),
                    "shape": self.shape, "kL": self.kL[at["kL"]],
                    "kR": self.kR[at["kR"]] if pair == "inter" else None,
                    "R_dir": list(self.R_dir[at["R_dir"]][1]) if pair == "inter" else None,
                    "p_hat": list(self.p_hat[at["p_hat"]][1]),
                    "samples": self.samples[at["samples"]],
                    "rel_err": self.rel_err[at["rel_err"]],
                }
                out.append((index, pair, tuple(int(i) for i in pos), payload))
        return out


def grid_from_toml(path, overrides=None, names=None):
    """A :class:`Grid` from a TOML file; ``overrides`` (non-None values) replace its entries.

    Layout (every key optional except ``grid.kL``)::

        seed = 2024
        shape = "gaussian"
        pairs = ["intra", "inter"]
        [grid]
        kL = [1, 3, 10, 30]            # or "1:30:4:log", or {start=1, stop=30, num=4, spacing="log"}
        kR = "10:100:3:log"
        R_dir = ["z", "x", [1, 0, 1]]
        p_hat = ["x", "none"]
        samples = [100000]
        rel_err = [0.01]
        N = [1e5, 1e6]
        [directions]                   # names usable in R_dir and p_hat
        diagonal = [1, 0, 1]
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise GridError(str(path), "no such file") from None
    except IsADirectoryError:
        raise GridError(str(path), "is a directory") from None
    except tomllib.TOMLDecodeError as exc:
        raise GridError(str(path), f"malformed TOML ({exc})") from None
    except UnicodeDecodeError:
        raise GridError(str(path), "not a UTF-8 text file") from None
    top = {"seed", "shape", "pairs", "grid", "directions", "title"}  # title: free text
    grid_keys = {"kL", "kR", "R_dir", "p_hat", "samples", "rel_err", "N"}
    for key in doc:
        if key not in top:
            raise GridError(f"{path}: {key}", f"unknown key (known: {', '.join(sorted(top))})")
    grid = doc.get("grid", {})
    dirs = doc.get("directions", {})
    if not isinstance(grid, dict):
        raise GridError(f"{path}: grid", "must be a table [grid]")
    if not isinstance(dirs, dict):
        raise GridError(f"{path}: directions", "must be a table [directions]")
    for key in grid:
        if key not in grid_keys:
            raise GridError(f"{path}: grid.{key}",
                            f"unknown key (known: {', '.join(sorted(grid_keys))})")
    values = dict(grid)
    for key in ("seed", "shape", "pairs"):
        if key in doc:
            values[key] = doc[key]
    where = {key: f"{path}: {'grid.' if key in grid_keys else ''}{key}"
             for key in grid_keys | {"seed", "shape", "pairs", "directions"}}
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
            if names and key in names:
                where[key] = names[key]
    return Grid.build(directions=dirs, names=where, **values)


# ----------------------------------------------------------------------------- tasks


def task_seed(master_seed, index):
    """Seed of task ``index``: the first 64-bit word of ``SeedSequence(master_seed, spawn_key=(index,))``."""
    ss = np.random.SeedSequence(int(master_seed), spawn_key=(int(index),))
    return int(ss.generate_state(1, dtype=np.uint64)[0])


def run_task(payload):
    """Run one task (pure: the result depends only on ``payload``); returns a dict of FIELDS + index.

    This is what Dask workers execute; it must stay importable as ``lehmberg.scan.run_task``.
    """
    from .average import mc_rates

    p_hat = payload["p_hat"]
    t0 = time.perf_counter()
    est = mc_rates(payload["kL"], payload["kR"],
                   (0.0, 0.0, 1.0) if payload["R_dir"] is None else payload["R_dir"],
                   None if not any(p_hat) else p_hat, payload["shape"], payload["samples"],
                   payload["rel_err"] or None, payload["seed"])
    return {
        "index": payload["index"],
        "Gamma_ij": est.Gamma_ij, "Gamma_ij_err": est.Gamma_ij_err,
        "G_ij": est.G_ij, "G_ij_err": est.G_ij_err,
        "gamma_bar_re": est.gamma_bar.real, "gamma_bar_im": est.gamma_bar.imag,
        "gamma_bar_re_err": est.gamma_bar_err.real, "gamma_bar_im_err": est.gamma_bar_err.imag,
        "g_bar_re": est.g_bar.real, "g_bar_im": est.g_bar.imag,
        "g_bar_re_err": est.g_bar_err.real, "g_bar_im_err": est.g_bar_err.imag,
        "n_samples": int(est.n_samples),
        "target_met": -1 if est.target_met is None else int(est.target_met),
        "wall_s": time.perf_counter() - t0,
    }


# ----------------------------------------------------------------------------- the store


def journal_path(path):
    """The journal beside the output file: ``OUT.journal``."""
    return Path(str(path) + ".journal")


def _read_h5(path, grid):
    """Finished tasks of an existing scan file: ``({index: record}, N)``; ScanFileError if foreign."""
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ScanFileError(f"{path} is not a readable HDF5 file ({exc}); "
                            "remove it or use --force") from None
    with f:
        if "lehmberg_scan_spec" not in f.attrs:
            raise ScanFileError(f"{path} is not a lehmberg scan file; choose another --out "
                                "or use --force to replace it")
        try:
            spec = json.loads(f.attrs["lehmberg_scan_spec"])
        except (ValueError, TypeError):
            raise ScanFileError(f"{path}: damaged scan description; use --force to start over")
        _check_spec(spec, grid, path)
        records = {}
        tasks = grid.tasks()
        try:
            for pair in grid.pairs:
                done = f[f"{pair}_done"][()]
                cols = {name: f[f"{pair}_{name}"][()] for name in FIELDS}
                for index, p, pos, _ in tasks:
                    if p == pair and done[pos]:
                        records[index] = {name: cols[name][pos].item() for name in FIELDS}
            N = tuple(f["N"][()].tolist()) if "N" in f else ()
        except (KeyError, ValueError, IndexError, OSError) as exc:
            raise ScanFileError(f"{path}: damaged scan file ({exc}); use --force to start "
                                "over") from None
    return records, N


def _check_spec(found, grid, path):
    want = grid.spec()
    if found == want:
        return
    for key in want:
        if found.get(key) != want[key]:
            raise ScanFileError(
                f"{path} holds a different scan ({key} is {_short(found.get(key))} there, "
                f"{_short(want[key])} here); choose another --out, or --force to discard it")
    raise ScanFileError(f"{path} holds a different scan; choose another --out, or --force")


def _short(value):
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _read_journal(fh, grid, path):
    """Records of an open journal and the byte length of its valid part (a torn last line is cut)."""
    fh.seek(0)
    data = fh.read()
    records, good = {}, 0
    ntasks = len(grid.tasks())
    lines = data.split(b"\n")
    complete = lines[:-1]  # the part after the last newline is torn (or empty)
    for n, line in enumerate(complete):
        try:
            obj = json.loads(line)
            if n == 0:
                ok = obj.get("lehmberg_scan_journal") == FORMAT and isinstance(obj["spec"], dict)
            else:
                index = int(obj["index"])
                ok = 0 <= index < ntasks and all(k in obj for k in FIELDS)
        except (ValueError, TypeError, KeyError, AttributeError):
            ok = False
        if not ok:
            raise ScanFileError(f"{path}: line {n + 1} is not a lehmberg scan journal entry; "
                                "remove the journal to resume from the HDF5 file alone, or use "
                                "--force")
        if n == 0:
            _check_spec(obj["spec"], grid, path)
        else:
            records[index] = obj
        good += len(line) + 1
    return records, good


@dataclasses.dataclass
class Summary:
    """End-of-run account: tasks in the grid, run now, skipped (already done), failed, wall time."""

    tasks: int
    done: int = 0
    skipped: int = 0
    failed: int = 0
    wall_s: float = 0.0
    failures: list = dataclasses.field(default_factory=list)  # (index, message)
    complete: bool = False
    path: str = ""

    def as_dict(self):
        return dataclasses.asdict(self)


class _Store:
    """The scan's state in memory, its journal and its HDF5 file (see the module docstring)."""

    def __init__(self, path, grid, force=False):
        self.path = Path(path)
        self.grid = grid
        self.tasks = grid.tasks()
        self.journal = journal_path(self.path)
        if self.path.is_dir():
            raise ScanFileError(f"{self.path} is a directory")
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.is_dir():
            raise FileNotFoundError(f"directory {parent} does not exist")
        existed = self.journal.exists()
        self.fh = open(self.journal, "a+b")
        try:
            try:
                fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ScanFileError(f"another scan is writing {self.path} "
                                    f"(it holds the lock on {self.journal})") from None
            self._load(force)
        except BaseException:
            if not existed:
                with contextlib.suppress(OSError):
                    self.journal.unlink()
            self.fh.close()
            raise
        self._clean_temporaries()

    def _load(self, force):
        if force:
            self.fh.truncate(0)
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        records, self.file_N = {}, None
        if self.path.exists():
            records, self.file_N = _read_h5(self.path, self.grid)
        self.in_file = len(records)  # tasks the HDF5 file already holds
        jrec, good = _read_journal(self.fh, self.grid, self.journal)
        records.update(jrec)
        self.fh.truncate(good)  # drop a torn last line before appending
        self.fh.seek(0, os.SEEK_END)
        self.has_header = good > 0
        self.records = {i: {k: r[k] for k in FIELDS} for i, r in records.items()}

    def _clean_temporaries(self):
        """Remove temporary files of checkpoints interrupted by a kill (we hold the lock)."""
        parent = self.path.parent if str(self.path.parent) else Path(".")
        for tmp in parent.glob(f".{self.path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()

    def todo(self):
        return [t for t in self.tasks if t[0] not in self.records]

    def start(self):
        """Write the journal header (if none) and the first file (if none)."""
        if not self.has_header:
            self._append({"lehmberg_scan_journal": FORMAT, "spec": self.grid.spec(),
                          "fingerprint": self.grid.fingerprint()})
            self.has_header = True
        if not self.path.exists():
            self.write_h5()

    def _append(self, obj):
        self.fh.write((json.dumps(obj, sort_keys=True) + "\n").encode())
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def record(self, result):
        index = int(result["index"])
        self._append(result)
        self.records[index] = {k: result[k] for k in FIELDS}

    def write_h5(self, command=""):
        _write_h5(self.path, self.grid, self.tasks, self.records, command)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        parent = self.path.parent if str(self.path.parent) else Path(".")
        with contextlib.suppress(OSError):
            dfd = os.open(parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def close(self, complete):
        """Delete the journal once the file holds every task; release the lock."""
        if complete and len(self.records) == len(self.tasks):
            with contextlib.suppress(FileNotFoundError):
                self.journal.unlink()
        elif not self.records and not self.path.exists():
            with contextlib.suppress(FileNotFoundError):
                self.journal.unlink()
        self.fh.close()


def _write_h5(path, grid, tasks, records, command=""):
    """Write the whole dataset, atomically, in netCDF-4 form (dimension scales, units)."""
    import h5py

    from .io import atomic_h5

    with atomic_h5(path, force=True) as f:
        f.attrs["title"] = "lehmberg scan: Monte-Carlo position-averaged Lehmberg rates"
        f.attrs["lehmberg_scan_spec"] = json.dumps(grid.spec(), sort_keys=True)
        f.attrs["lehmberg_scan_fingerprint"] = grid.fingerprint()
        f.attrs["seed"] = grid.seed
        f.attrs["shape"] = grid.shape
        f.attrs["pairs"] = ",".join(grid.pairs)
        f.attrs["tasks_total"] = len(tasks)
        f.attrs["tasks_done"] = len(records)
        f.attrs["complete"] = int(len(records) == len(tasks))
        f.attrs["seed_rule"] = ("task i runs lehmberg.average.mc_rates with seed "
                                "SeedSequence(seed, spawn_key=(i,)).generate_state(1, uint64)[0]; "
                                "see task_index and task_seed")
        f.attrs["units"] = "rates in units of Gamma; lengths in units of 1/k_L"
        if command:
            f.attrs["command"] = command
        scales = {}

        def coord(name, data, dtype=None):
            if dtype is str:
                ds = f.create_dataset(name, data=np.array(data, dtype=object),
                                      dtype=h5py.string_dtype())
            else:
                ds = f.create_dataset(name, data=np.asarray(data, dtype=dtype))
            ds.make_scale(name)
            long_name, units = _AXIS_ATTRS.get(name, (name, None))
            ds.attrs["long_name"] = long_name
            if units:
                ds.attrs["units"] = units
            scales[name] = ds

        def var(name, data, dims, units, long_name, coordinates=None):
            ds = f.create_dataset(name, data=data)
            for i, d in enumerate(dims):
                ds.dims[i].attach_scale(scales[d])
            if units:
                ds.attrs["units"] = units
            ds.attrs["long_name"] = long_name
            if coordinates:
                ds.attrs["coordinates"] = coordinates
            return ds

        axes = grid.axes()
        for name in axes:
            dtype = {"samples": np.int64}.get(name, str if name in ("R_dir", "p_hat") else float)
            coord(name, grid.coords(name), dtype)
        coord("xyz", ["x", "y", "z"], str)
        scales["xyz"].attrs["long_name"] = "Cartesian component (k_L along z)"
        if grid.N:
            coord("N", grid.N, float)
        for name in ("R_dir", "p_hat"):
            if name in axes:
                var(f"{name}_vector", np.array([v for _, v in getattr(grid, name)]),
                    (name, "xyz"), "1", f"unit vector of {name} (zero: no dipole factor)")
        by_pair = {pair: [] for pair in grid.pairs}
        for index, pair, pos, payload in tasks:
            by_pair[pair].append((index, pos, payload["seed"]))
        for pair in grid.pairs:
            dims = DIMS[pair]
            shape = grid.shape_of(pair)
            coords = "R_dir_vector p_hat_vector" if pair == "inter" else "p_hat_vector"
            cols = {name: np.full(shape, np.nan) if dt == "f8" else
                    np.full(shape, -1 if name == "target_met" else 0, dtype=dt)
                    for name, (dt, _, _) in FIELDS.items()}
            done = np.zeros(shape, dtype=np.uint8)
            index_arr = np.zeros(shape, dtype=np.int64)
            seed_arr = np.zeros(shape, dtype=np.uint64)
            for index, pos, seed in by_pair[pair]:
                index_arr[pos] = index
                seed_arr[pos] = seed
                rec = records.get(index)
                if rec is not None:
                    done[pos] = 1
                    for name in FIELDS:
                        cols[name][pos] = rec[name]
            label = {"intra": "i and j in cloud I", "inter": "i in cloud I, j in cloud II"}[pair]
            for name, (dt, units, desc) in FIELDS.items():
                ds = var(f"{pair}_{name}", cols[name], dims, units, f"{desc} ({label})", coords)
                if name == "target_met":
                    ds.attrs["flag_values"] = np.array([-1, 0, 1], dtype=np.int8)
                    ds.attrs["flag_meanings"] = "no_target not_met met"
            var(f"{pair}_done", done, dims, None, f"1 where the task is finished ({label})", coords)
            var(f"{pair}_task_index", index_arr, dims, None, "task number (seed spawn key)", coords)
            var(f"{pair}_task_seed", seed_arr, dims, None, "seed passed to mc_rates", coords)
            if grid.N:
                Nv = np.asarray(grid.N).reshape((1,) * len(dims) + (-1,))
                var(f"{pair}_d", cols["Gamma_ij"][..., None] * Nv, dims + ("N",), "1",
                    f"d = N Gamma_ij, optical depth ({label})", coords)
                var(f"{pair}_d_err", cols["Gamma_ij_err"][..., None] * Nv, dims + ("N",), "1",
                    f"standard error of d ({label})", coords)


# ----------------------------------------------------------------------------- execution


def check_file(path, grid):
    """Raise :class:`ScanFileError` if ``path`` or its journal cannot be resumed with ``grid``.

    Read-only: a quick check before a cluster is started.
    """
    path = Path(path)
    if path.is_dir():
        raise ScanFileError(f"{path} is a directory")
    if not (path.parent if str(path.parent) else Path(".")).is_dir():
        raise ScanFileError(f"directory {path.parent} does not exist")
    if path.exists():
        _read_h5(path, grid)
    j = journal_path(path)
    if j.exists():
        with open(j, "rb") as fh:
            _read_journal(fh, grid, j)


def _run_here(todo):
    for _, _, _, payload in todo:
        try:
            yield payload["index"], run_task(payload), None
        except Exception as exc:  # a failed task is reported, the scan goes on
            yield payload["index"], None, f"{type(exc).__name__}: {exc}"


def _run_dask(client, todo, prefix):
    from distributed import as_completed

    futures = [client.submit(run_task, payload, key=f"{prefix}-{payload['index']}", pure=False)
               for _, _, _, payload in todo]
    index = {f.key: payload["index"] for f, (_, _, _, payload) in zip(futures, todo)}
    try:
        for fut in as_completed(futures):
            try:
                yield index[fut.key], fut.result(), None
            except Exception as exc:  # includes KilledWorker after allowed-failures deaths
                yield index[fut.key], None, f"{type(exc).__name__}: {exc}"
            fut.release()
    finally:
        client.cancel([f for f in futures if not f.done()])


def run_scan(grid, path, client=None, progress=None, checkpoint_every=10.0, force=False,
             command=""):
    """Run every unfinished task of ``grid`` and store the results in the HDF5 file ``path``.

    Parameters
    ----------
    grid : Grid
    path : path-like
        The dataset; an existing one must hold the same grid (same seed) and is resumed.
    client : distributed.Client, optional
        Run on Dask; ``None`` runs the tasks in this process.
    progress : callable, optional
        ``progress(finished, to_run)`` after every task of this run (done or failed).
    checkpoint_every : float
        Seconds between rewrites of the HDF5 file (every task is journaled at once;
        0: rewrite after every task).
    force : bool
        Discard an existing file and journal and start over.
    command : str
        Recorded in the file's ``command`` attribute.

    Returns
    -------
    Summary
    """
    t0 = time.perf_counter()
    store = _Store(path, grid, force)
    summary = Summary(tasks=len(store.tasks), path=str(path))
    try:
        todo = store.todo()
        summary.skipped = len(store.tasks) - len(todo)
        if store.in_file == len(store.tasks) and store.file_N == grid.N:  # nothing to (re)write
            summary.complete = True
            summary.wall_s = time.perf_counter() - t0
            return summary
        store.start()
        if progress is not None:
            progress(0, len(todo))
        last = time.monotonic()
        stream = (_run_here(todo) if client is None else
                  _run_dask(client, todo, f"lehmberg-scan-{grid.fingerprint()[:12]}"))
        finished = 0
        try:
            for index, result, error in stream:
                finished += 1
                if error is None:
                    store.record(result)
                    summary.done += 1
                else:
                    summary.failed += 1
                    summary.failures.append((index, error))
                if time.monotonic() - last >= checkpoint_every:
                    store.write_h5(command)
                    last = time.monotonic()
                if progress is not None:
                    progress(finished, len(todo))
        finally:
            stream.close()
            store.write_h5(command)  # also on KeyboardInterrupt: everything journaled is kept
        summary.complete = len(store.records) == len(store.tasks)
        summary.wall_s = time.perf_counter() - t0
        return summary
    finally:
        store.close(summary.complete)


@contextlib.contextmanager
def local_client(n_workers, threads=None):
    """A ``distributed`` cluster of ``n_workers`` processes on 127.0.0.1 and its client.

    Each worker runs one task at a time; Numba inside it gets ``threads``
    threads (default: the cores divided among the workers).
    """
    from distributed import Client, LocalCluster

    threads = threads or max(1, (os.cpu_count() or 1) // n_workers)
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None,
                      env={"NUMBA_NUM_THREADS": str(threads)}) as cluster, \
            Client(cluster) as client:
        yield client


def connect(address, timeout=30):
    """A client of an existing scheduler: an address (``tcp://host:8786``) or a scheduler file."""
    from distributed import Client

    if os.path.isfile(address):
        return Client(scheduler_file=address, timeout=timeout)
    return Client(address, timeout=timeout)
