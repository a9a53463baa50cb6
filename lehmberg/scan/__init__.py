"""Parameter scans: grids of position-averaged rates through :func:`lehmberg.rates`,
in this process or on Dask, checkpointed to one CF netCDF-4 file.

* :mod:`lehmberg.scan.grid` — the grid: its axes (one table), every value checked,
  every limit checked before work, the tasks and the one seed rule;
* :mod:`lehmberg.scan.store` — where results go: :class:`MemoryStore` (tests) and
  :class:`FileStore` (the netCDF-4 file, its journal and its lock);
* :mod:`lehmberg.scan.run` — one task (:func:`run_task`), and :func:`run_scan` in this
  process or on Dask.

``lehmberg.scan`` never prints: progress comes through a callback and
:func:`run_scan` returns a :class:`Summary`.  Usage and guarantees: ``docs/scan.md``.

Examples
--------
>>> from lehmberg.scan import Grid, MemoryStore, run_scan
>>> grid = Grid.build(kL="1e3,1e5", rel_err="0.01", seed=3)
>>> store = MemoryStore()
>>> summary = run_scan(grid, store)
>>> g = store.dataset["intra_Gamma_ij"].squeeze()
>>> bool(abs(g[1] / 7.5e-11 - 1) < 5 * store.dataset["intra_Gamma_ij_err"].squeeze()[1] / g[1])
True
"""

from .grid import AXES, DIRECTIONS, TASKS_MAX, Grid, GridError, grid_from_toml, parse_directions, \
    parse_values, task_seed
from .run import Summary, check_scheduler, connect, local_client, run_scan, run_task, workers_max
from .store import FIELDS, FileStore, MemoryStore, ScanFileError, dataset, journal_path, read_file

__all__ = ["AXES", "DIRECTIONS", "FIELDS", "TASKS_MAX", "FileStore", "Grid", "GridError",
           "MemoryStore", "ScanFileError", "Summary", "check_scheduler", "connect", "dataset",
           "grid_from_toml", "journal_path", "local_client", "parse_directions", "parse_values",
           "read_file", "run_scan", "run_task", "task_seed", "workers_max"]
