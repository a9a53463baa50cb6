"""Time ``lehmberg scan`` on the two grids of docs/scan.md (not a test; run from the repository
root).

1. The 3-point scan of issue 11 to 1% (``--kL 100,1000,1e5 --rel-err 0.01 --seed 3``), in
   this process: the estimators ``auto`` picks, the values against the paper's
   3/(4 (k_L L)²) and the wall time of the command.
2. A 10 × 10 (k_L L, k_L R) grid to 1% (k_L L from 10 to 10⁵, k_L R from 10 to 10⁴, both
   geometric; 110 tasks), in this process and with ``--workers 2``.

Every command runs as a fresh process (``python -m lehmberg scan``), so the times include
start-up (imports, the Numba cache) as a user sees them; ``wall_s`` is the scan itself.
Prints a table on stderr and one JSON object on stdout::

    python benchmarks/scan.py > scan_bench.json
"""

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(argv, out):
    cmd = [sys.executable, "-m", "lehmberg", "scan", *argv, "--out", str(out), "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    summary = json.loads(proc.stdout)
    return {"command": "lehmberg scan " + " ".join(argv) + f" --out {out.name}",
            "command_s": round(wall, 2), "scan_s": round(summary["wall_s"], 2),
            "tasks": summary["tasks"], "done": summary["done"], "not_met": summary["not_met"]}


def main():
    import numpy as np
    import xarray as xr

    from lehmberg.scan.run import machine

    cores, memory = machine()
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            model = next(line.split(":", 1)[1].strip() for line in fh
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    info = {"machine": f"{model}, {cores} cores, "
                       f"{memory / 2**30:.0f} GiB, Python {platform.python_version()}",
            "NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS", "all cores"),
            "load_average_before": os.getloadavg(), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        three = run(["--kL", "100,1000,1e5", "--rel-err", "0.01", "--seed", "3"], tmp / "s.nc")
        with xr.open_dataset(tmp / "s.nc", engine="h5netcdf") as ds:
            g = ds["intra_Gamma_ij"].squeeze()
            e = ds["intra_Gamma_ij_err"].squeeze()
            three["points"] = [
                {"kL": float(kL), "Gamma_ij": float(v), "Gamma_ij_err": float(s),
                 "rel_err": float(s / v), "method": str(m),
                 "paper_3_over_4kL2": 3 / (4 * float(kL) ** 2)}
                for kL, v, s, m in zip(ds["kL"].values, g.values, e.values,
                                       ds["intra_method_used"].squeeze().values)]
        info["runs"].append(three)
        grid = ["--kL", "10:1e5:10:log", "--kR", "10:1e4:10:log", "--rel-err", "0.01",
                "--seed", "1"]
        here = run(grid, tmp / "grid_here.nc")
        dask = run(grid + ["--workers", "2"], tmp / "grid_dask.nc")
        with xr.open_dataset(tmp / "grid_here.nc", engine="h5netcdf") as a, \
                xr.open_dataset(tmp / "grid_dask.nc", engine="h5netcdf") as b:
            same = all(np.array_equal(a[v].values, b[v].values) for v in a.data_vars)
            rel = (a["inter_Gamma_ij_err"] / abs(a["inter_Gamma_ij"])).values
            methods = sorted(set(a["inter_method_used"].values.ravel().tolist()))
        dask["identical_to_in_process"] = bool(same)
        here["max_rel_err_inter"] = float(np.nanmax(rel))
        here["methods_inter"] = methods
        info["runs"] += [here, dask]
    info["load_average_after"] = os.getloadavg()
    for r in info["runs"]:
        print(f"{r['command']}\n    {r['tasks']} tasks, command {r['command_s']} s, "
              f"scan {r['scan_s']} s", file=sys.stderr)
        for p in r.get("points", []):
            print(f"    k_L L = {p['kL']:g}: Gamma_ij = {p['Gamma_ij']:.4e} ± "
                  f"{p['Gamma_ij_err']:.1e} [{p['method']}], 3/(4(k_L L)^2) = "
                  f"{p['paper_3_over_4kL2']:.4e}", file=sys.stderr)
    print(f"load average {info['load_average_before']} -> {info['load_average_after']}",
          file=sys.stderr)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
