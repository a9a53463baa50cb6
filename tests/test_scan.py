"""``lehmberg.scan``, the library: the grid (axes, checks, limits, seeds), tasks through the face,
the in-memory store, resume and failures.  No files, no Dask (test_scan_file.py,
test_scan_dask.py)."""

import math

import numpy as np
import pytest

import lehmberg
from lehmberg import scan
from lehmberg.scan import Grid, GridError, MemoryStore, run_scan
from lehmberg.scan.run import fields
from tests._stats import agree

# 2 intra + 8 inter tasks of plane waves (fast, Monte Carlo: the seeds matter)
GRID = dict(kL="2,4", kR="3,6", R_dir="z,x", method="planewave", samples="4096", seed=11)


@pytest.fixture(scope="module")
def full():
    """GRID run in this process into memory, uninterrupted."""
    store = MemoryStore()
    summary = run_scan(Grid.build(**GRID), store)
    assert (summary.done, summary.skipped, summary.failed, summary.complete) == (10, 0, 0, True)
    return store


# ----------------------------------------------------------------------------- grid input

@pytest.mark.parametrize("text, values", [
    ("1,3,10,30", [1, 3, 10, 30]),
    ("1:3:3", [1.0, 2.0, 3.0]),
    ("0.5,1:100:3:log", [0.5, 1, 10, 100]),
    ({"start": 0, "stop": 1, "num": 3}, [0.0, 0.5, 1.0]),
    ({"start": 1, "stop": 100, "num": 3, "spacing": "log"}, [1, 10, 100]),
    ([1, "2:3:2"], [1, 2, 3]),
    (7, [7.0]),
])
def test_lists_and_ranges(text, values):
    np.testing.assert_allclose(scan.parse_values(text, "kL"), values)


def test_every_axis_comes_from_the_one_table():
    every = [a.name for a in scan.AXES]
    assert every == ["kL", "kR", "scale", "aspect", "waist", "probe_angle", "R_dir", "p_hat",
                     "method", "samples", "rel_err", "N"]
    names = [a.name for a in scan.AXES if a.mode != "geometry"]  # the paper's grids
    g = Grid.build(kL="1", kR="2")
    assert g.dims("intra") == tuple(n for n in names if n not in ("kR", "R_dir", "N"))
    assert g.dims("inter") == tuple(n for n in names if n != "N")
    for axis in scan.AXES:
        assert axis.long_name and axis.help and axis.option.startswith("--")


def test_directions_mean_what_they_mean_in_rates():
    g = Grid.build(kL="3", kR="10", R_dir="1e300:0:1e300,x", p_hat="1e300:1e300:0,none")
    tiny = Grid.build(kL="3", p_hat="1e-320:1e-320:0")
    R, p = dict(g.R_dir), dict(g.p_hat)
    assert R["1e300:0:1e300"] == lehmberg.Geometry(kL=3, R_dir=(1e300, 0, 1e300)).R_dir
    assert R["1e300:0:1e300"] == lehmberg.Geometry(kL=3, R_dir=(1, 0, 1)).R_dir
    assert p["1e300:1e300:0"] == lehmberg.Geometry(kL=3, p_hat=(1e300, 1e300, 0)).p_hat
    assert dict(tiny.p_hat)["1e-320:1e-320:0"] == lehmberg.Geometry(kL=3, p_hat=(1, 1, 0)).p_hat
    assert p["none"] is None  # "no dipole factor" is None, never a zero vector
    assert [t.payload["p_hat"] for t in g.tasks if t.pair == "intra"] == \
        [list(p["1e300:1e300:0"]), None]
    assert [t.payload["R_dir"] for t in g.tasks if t.pair == "inter"][:2] == \
        [list(R["1e300:0:1e300"])] * 2


@pytest.mark.parametrize("kwargs, param", [
    ({"kL": "-1"}, "kL"), ({"kL": "nan"}, "kL"), ({"kL": "1,1"}, "kL"), ({"kL": "1e300"}, "kL"),
    ({"kL": "0"}, "kL"), ({"kL": "abc"}, "kL"), ({"kL": "1:10:10000000"}, "kL"),
    ({"kL": "1", "kR": "inf"}, "kR"), ({"kL": "1", "kR": "-1"}, "kR"),
    ({"kL": "1", "samples": "100"}, "samples"), ({"kL": "1", "samples": "1e15"}, "samples"),
    ({"kL": "1", "samples": "4096.5"}, "samples"),
    ({"kL": "1", "pairs": "inter"}, "kR"), ({"kL": "1", "pairs": "both"}, "pairs"),
    ({"kL": "1", "R_dir": "x"}, "R_dir"),
    ({"kL": "1", "kR": "2", "R_dir": "none"}, "R_dir"),
    ({"kL": "1", "kR": "2", "R_dir": "0:0:0"}, "R_dir"),
    ({"kL": "1", "p_hat": "0:0:0"}, "p_hat"), ({"kL": "1", "p_hat": "nan:0:0"}, "p_hat"),
    ({"kL": "1", "p_hat": "x,1:0:0"}, "p_hat"),  # the same direction twice
    ({"kL": "1", "method": "monte-carlo"}, "method"),
    ({"kL": "1", "rel_err": "-0.1"}, "rel_err"), ({"kL": "1", "rel_err": "0"}, "rel_err"),
    ({"kL": "1", "N": "0"}, "N"), ({"kL": "1", "N": "1e300"}, "N"),
    ({"kL": "1", "seed": "-3"}, "seed"), ({"kL": "1", "seed": "2.5"}, "seed"),
    ({"kL": "1", "atoms": "1"}, "atoms"), ({"kL": "1", "atoms": "5e7"}, "atoms"),
    ({"kL": "1", "atoms": "1e8"}, "atoms"),  # beyond the memory of a 24 GiB machine
    ({"kL": "1", "atoms": "100", "replicas": "1"}, "replicas"),
    ({"kL": "1", "shape": "sphere"}, "shape"),
    ({}, "kL"),
])
def test_bad_grid_values_name_the_parameter(kwargs, param):
    with pytest.raises(GridError) as info:
        Grid.build(**kwargs)
    assert info.value.param == param


@pytest.mark.parametrize("kwargs, param, words", [
    ({"kL": "1e6", "method": "reference"}, "method", "integrand evaluations"),
    ({"kL": "1", "atoms": "1e7", "replicas": "1000"}, "atoms", "beyond the limit"),
    ({"kL": "1", "method": "pairs", "atoms": "100"}, "atoms", "not with method 'pairs'"),
    ({"kL": "1", "shape": "cube", "method": "reference"}, "method", "Gaussian clouds only"),
    ({"kL": "1:10:200", "kR": "1:10:200"}, "kL", "tasks"),
])
def test_limits_are_checked_before_any_work(kwargs, param, words):
    with pytest.raises(GridError) as info:
        Grid.build(**kwargs)
    assert info.value.param == param and words in info.value.message


# ----------------------------------------------------------------------------- seeds, tasks

def test_one_seed_rule_a_point_has_its_seed_in_every_grid():
    small = Grid.build(kL="3", method="planewave", samples="4096", seed=5)
    big = Grid.build(kL="1,3", kR="10", method="planewave,pairs", samples="4096", seed=5)
    (task,) = small.tasks
    same = [t for t in big.tasks if t.payload["pair"] == "intra" and t.payload["kL"] == 3.0
            and t.payload["method"] == "planewave"]
    assert len(same) == 1 and same[0].payload["seed"] == task.payload["seed"]
    point = {k: v for k, v in task.payload.items() if k not in ("index", "seed")}
    assert task.payload["seed"] == scan.task_seed(5, point)
    seeds = [t.payload["seed"] for t in big.tasks]
    assert len(set(seeds)) == len(seeds) and all(0 <= s < 2**63 for s in seeds)
    assert scan.task_seed(6, point) != task.payload["seed"]


def test_a_task_is_lehmberg_rates_at_its_point():
    g = Grid.build(kL="4", kR="8", R_dir="1:0:1", p_hat="none", method="planewave",
                   samples="8192", rel_err="0.05", seed=2)
    for task in g.tasks:
        p = task.payload
        geo = lehmberg.Geometry(kL=p["kL"], kR=p["kR"], p_hat=None,
                                **({"R_dir": (1, 0, 1)} if p["kR"] is not None else {}))
        est = lehmberg.rates(geo, "planewave", samples=8192, rel_err=0.05, seed=p["seed"])
        got = scan.run_task(p)
        assert {k: got[k] for k in scan.FIELDS} == fields(est)


def test_three_point_scan_reaches_one_percent_and_agrees_with_the_paper():
    """The case of issue 11: k_L L = 1e5 was 6.4e-9 ± 2.8e-9 with independent pairs."""
    store = MemoryStore()
    run_scan(Grid.build(kL="100,1000,1e5", rel_err="0.01", seed=3), store)
    ds = store.dataset
    g = ds["intra_Gamma_ij"].squeeze().values
    e = ds["intra_Gamma_ij_err"].squeeze().values
    kL = ds["kL"].values
    assert list(ds["intra_method_used"].squeeze().values) == ["reference", "reference",
                                                              "planewave"]
    assert np.all(e / g <= 0.01)
    # 3/(4 (k_L L)^2)(1 - 1/(k_L L)^2 + ...) for a Gaussian cloud with the dipole factor
    agree(g[2], e[2], 3 / (4 * kL[2] ** 2))
    ref = lehmberg.rates(lehmberg.Geometry(kL=1e3), "reference")
    assert g[1] == ref.Gamma_ij  # deterministic: the very same call


def test_target_not_met_is_recorded_not_printed(capsys):
    store = MemoryStore()
    with _no_warning():
        summary = run_scan(Grid.build(kL="30", method="pairs", samples="2048", rel_err="1e-4"),
                           store)
    assert summary.not_met == 1
    assert int(store.dataset["intra_target_met"].squeeze()) == 0
    assert capsys.readouterr() == ("", "")


class _no_warning:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings(record=True)
        self.caught = self._w.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._w.__exit__(*exc)
        assert not [w for w in self.caught if issubclass(w.category, lehmberg.LehmbergWarning)]


# ----------------------------------------------------------------------------- the store

def test_memory_store_resume_runs_only_the_rest_and_gives_the_same_numbers(full):
    grid = Grid.build(**GRID)
    partial = {i: full.saved[i] for i in (0, 3)}
    store = MemoryStore(partial)
    summary = run_scan(grid, store)
    assert (summary.done, summary.skipped) == (8, 2)
    assert [i for i, _ in store.journal] == [1, 2, 4, 5, 6, 7, 8, 9]
    assert store.saved == full.saved
    assert store.dataset.identical(full.dataset.assign_attrs(
        history=store.dataset.attrs["history"], created_utc=store.dataset.attrs["created_utc"]))


def test_nothing_to_do_starts_nothing(full):
    grid = Grid.build(**GRID)
    store = MemoryStore(full.saved)

    def no_cluster(n):
        raise AssertionError("a cluster was started with nothing to run")

    summary = run_scan(grid, store, client=no_cluster)
    assert summary.started == "nothing" and summary.complete and store.checkpoints == 0
    store = MemoryStore(full.saved)
    summary = run_scan(Grid.build(**GRID, N="1e4"), store, client=no_cluster)  # new N: rewrite only
    assert summary.started == "nothing" and store.checkpoints == 1
    np.testing.assert_array_equal(store.dataset["inter_d"].sel(N=1e4).values,
                                  1e4 * store.dataset["inter_Gamma_ij"].values)


def test_failed_task_is_reported_and_retried(full, monkeypatch):
    real = scan.run.run_task

    def flaky(payload):
        if payload["index"] == 4:
            raise RuntimeError("node on fire")
        return real(payload)

    monkeypatch.setattr(scan.run, "run_task", flaky)
    store = MemoryStore()
    summary = run_scan(Grid.build(**GRID), store)
    assert (summary.done, summary.failed, summary.complete) == (9, 1, False)
    assert summary.failures == [(4, "RuntimeError: node on fire")]
    assert store.closed is False and int(store.dataset["inter_done"].sum()) == 7
    monkeypatch.setattr(scan.run, "run_task", real)
    summary = run_scan(Grid.build(**GRID), store)
    assert (summary.done, summary.skipped, summary.complete) == (1, 9, True)
    assert store.saved == full.saved


def test_a_store_that_fails_stops_the_scan_and_keeps_what_was_recorded(full):
    from lehmberg.io import WriteError

    class Full(MemoryStore):
        def record(self, index, fields):
            if len(self.journal) == 2:
                raise WriteError(28, "cannot write x.nc.journal: No space left on device")
            super().record(index, fields)

    store = Full()
    with pytest.raises(WriteError, match="No space left"):
        run_scan(Grid.build(**GRID), store)
    assert len(store.journal) == 2 and store.closed is False and store.checkpoints == 0
    resumed = MemoryStore(dict(store.journal))
    run_scan(Grid.build(**GRID), resumed)
    assert resumed.saved == full.saved


# ----------------------------------------------------------------------------- the dataset

def test_dataset_layout(full):
    ds = full.dataset
    assert ds.attrs["Conventions"] == "CF-1.11" and "lehmberg" in ds.attrs["history"]
    assert ds.attrs["complete"] == 1 and ds.attrs["tasks_done"] == 10
    assert ds["intra_Gamma_ij"].dims == ("kL", "p_hat", "method", "samples", "rel_err")
    assert ds["inter_Gamma_ij"].dims == ("kL", "kR", "R_dir", "p_hat", "method", "samples",
                                         "rel_err")
    assert list(ds["R_dir_label"].values) == ["z", "x"]
    np.testing.assert_array_equal(ds["R_dir_vector"].values, [[0, 0, 1], [1, 0, 0]])
    for name, var in ds.data_vars.items():
        if name.endswith(("Gamma_ij", "G_ij", "_re", "_im")) and "vector" not in name:
            assert var.attrs["units"] == "1" and "in units of Gamma" in var.attrs["long_name"]
            assert var.attrs["ancillary_variables"] == f"{name}_err" and f"{name}_err" in ds
    x = ds.set_xindex("R_dir_label").sel(R_dir_label="x", kL=4.0, kR=6.0).squeeze()
    (task,) = [t for t in Grid.build(**GRID).tasks
               if t.pair == "inter" and t.position[:3] == (1, 1, 1)]
    assert float(x["inter_Gamma_ij"]) == full.saved[task.index]["Gamma_ij"]
    assert math.isfinite(float(x["inter_Gamma_ij_err"])) and float(x["inter_Gamma_ij_err"]) > 0
