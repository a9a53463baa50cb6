"""Benchmark: does ``structure.estimate_memory`` bound the peak, and how good is ``predicted_seconds``?

Not part of the test suite.  Run from the repository root::

    python benchmarks/structure_memory.py > structure_memory.json     # table on stderr (~15 min)
    python benchmarks/structure_memory.py --N 1e4 1e5 --kR none 1e5   # a subset
    python benchmarks/structure_memory.py --g-only --N 1e3 1e4 1e5    # Ḡ cases only

Each case runs in a fresh subprocess, which draws the clouds of one replica as the package
does (``sampling.TwoClouds(...).realise``) and sums them with the structure engine:
``gamma_pair_sum`` (Γ̄), and for the Ḡ cases also ``g_pair_sum`` with the tails
``cloud_rates`` uses (``structure.G_TOL``) and the default near radius.  The child reports
the wall time of the sums (after a warm-up on 50 atoms that loads the compiled kernels) and
its peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``: interpreter,
libraries, the drawn clouds and every temporary).  Beside them the parent prints
``structure.predicted_seconds`` and ``structure.estimate_memory`` for the same request and
the ratios measured/predicted; ``peak/est`` must stay below 1.  Cases whose estimate
exceeds half of the memory available now, or whose prediction exceeds ``--budget``, are
not run.  The machine (CPU, threads, versions), the date and the load average before and
after each case are in the JSON; on a shared machine quote ratios, not absolute times.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys

from bench import machine  # benchmarks/bench.py: CPU model, threads, versions

CHILD = r"""
import json, resource, sys, time
import numpy as np
from lehmberg import structure
from sampling import TwoClouds, make_rng
shape, kL, kR, N, with_g = sys.argv[1], float(sys.argv[2]), sys.argv[3], int(float(sys.argv[4])), sys.argv[5] == "1"
kR = None if kR == "none" else float(kR)
w = np.random.default_rng(0).normal(size=(50, 3))
structure.gamma_pair_sum(w, w + 1.0)                                        # load the kernels
if with_g:
    structure.g_pair_sum(w, None, tol=structure.G_TOL)
    structure.g_pair_sum(w, w + 0.5, tol=structure.G_TOL)
a, b = TwoClouds(shape, kL, 0.0 if kR is None else kR).realise(N, make_rng(0, 1))
b = None if kR is None else b
t = time.perf_counter()
s = structure.gamma_pair_sum(a, b)
t_gamma = time.perf_counter() - t
t_g = None
if with_g:
    t = time.perf_counter()
    structure.g_pair_sum(a, b, tol=structure.G_TOL)
    t_g = time.perf_counter() - t
print(json.dumps({"gamma_s": t_gamma, "g_s": t_g,
                  "peak_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "pair_mean": abs(s) / (N * (N - 1.0 if b is None else N))}))
"""


def child(shape, kL, kR, N, with_g, timeout):
    out = subprocess.run([sys.executable, "-c", CHILD, shape, repr(kL), str(kR), repr(N),
                          "1" if with_g else "0"], capture_output=True, text=True, timeout=timeout)
    if out.returncode:
        return {"error": out.stderr[-1500:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    from lehmberg import structure

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--N", type=float, nargs="*", default=[1e3, 1e4, 1e5, 1e6, 1e7])
    ap.add_argument("--kR", nargs="*", default=["none", "0", "1e3", "1e5"])
    ap.add_argument("--kL", type=float, default=10.0)
    ap.add_argument("--shape", default="gaussian")
    ap.add_argument("--gN", type=float, nargs="*", default=[1e3, 1e4, 1e5],
                    help="sizes of the Ḡ cases")
    ap.add_argument("--g-only", action="store_true")
    ap.add_argument("--no-g", action="store_true")
    ap.add_argument("--budget", type=float, default=200.0, help="skip cases predicted longer (s)")
    args = ap.parse_args(argv)
    cases = []
    if not args.g_only:
        cases += [(int(N), kR, False) for N in args.N for kR in args.kR]
    if not args.no_g:
        cases += [(int(N), kR, True) for N in (args.N if args.g_only else args.gN) for kR in args.kR]
    rows = []
    for N, kR, with_g in cases:
        kRv = None if kR == "none" else float(kR)
        pred = structure.predicted_seconds("structure", args.kL, kRv, N, args.shape, with_g)
        est = structure.estimate_memory(N, args.kL, kRv, args.shape, "structure", with_g)
        row = {"shape": args.shape, "kL": args.kL, "kR": kR, "N": N, "with_g": with_g,
               "predicted_s": pred, "estimate_MiB": est / 2**20, "load_before": os.getloadavg()[0]}
        if est <= 0.5 * structure.available_memory() and pred <= args.budget:
            row.update(child(args.shape, args.kL, kR, N, with_g, timeout=max(600.0, 10 * pred)))
            row["load_after"] = os.getloadavg()[0]
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    head = (f"{'k_L R':>6} {'N':>7} {'Ḡ':>2} {'pred s':>8} {'meas s':>8} {'meas/pred':>9}"
            f" {'est MiB':>8} {'peak MiB':>8} {'peak/est':>8} {'load':>9}")
    lines = [head]
    for r in rows:
        meas = None if "gamma_s" not in r else r["gamma_s"] + (r["g_s"] or 0.0)
        cells = (f"{r['kR']:>6} {r['N']:>7.0e} {'y' if r['with_g'] else '-':>2} {r['predicted_s']:>8.3g}")
        if meas is None:
            cells += f" {'-':>8} {'-':>9} {r['estimate_MiB']:>8.0f} {'-':>8} {'-':>8}"
            cells += " (error)" if "error" in r else " (not run)"
        else:
            cells += (f" {meas:>8.3g} {meas / r['predicted_s']:>9.2f} {r['estimate_MiB']:>8.0f}"
                      f" {r['peak_MiB']:>8.0f} {r['peak_MiB'] / r['estimate_MiB']:>8.2f}"
                      f" {r['load_before']:>4.1f}→{r['load_after']:<4.1f}")
        lines.append(cells)
    print("\n".join(lines), file=sys.stderr)
    print(json.dumps({"machine": machine(), "date": datetime.datetime.now().isoformat(timespec="minutes"),
                      "rows": rows, "settings": vars(args)}))


if __name__ == "__main__":
    main()
