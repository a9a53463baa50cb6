"""Benchmark: the short part of Ḡ's Ewald split (and Ḡ whole), this tree against another commit.

Not part of the test suite.  Run from the repository root, with the other commit checked out
beside it (``git worktree add /tmp/gbar_old <commit>``)::

    python benchmarks/structure_short.py --old /tmp/gbar_old                  # N 1e4, 1e5 (~2 min)
    python benchmarks/structure_short.py --old /tmp/gbar_old --N 1e6 --repeat 1
    python benchmarks/structure_short.py --old /tmp/gbar_old --N 1e5 --full   # all of g_pair_sum

Each case draws one Gaussian cloud of N atoms at k_L L (``sampling.TwoClouds``, seed 0; with
``--kR`` a second cloud that far along the probe) and times, in fresh subprocesses taken in
turn (old, new, old, new, …; ``--rounds``), ``structure._short_part`` (the sum over pairs
within r_c of e^{i(z_i−z_j)} g_s, with the near sum below ``--near`` = 1) on the atoms of the
trimmed Ewald box, at the screening width a that the *old* commit's cost model picks (the
same pairs for both), or with ``--full`` the whole ``structure.g_pair_sum`` at
``structure.G_TOL`` (each commit's own a).  Inside a child the kernels are compiled or loaded
first; the time is the minimum over ``--repeat`` calls.  The parent checks that both commits
give the same sums (to 1e-9 of their size), and prints pairs per second (unordered pairs
within r_c, counted once per case) and the ratio new/old of the same round, with the
1-minute load average before and after.  On a shared machine quote the ratios.
"""

import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time
import numpy as np
from lehmberg import structure
from sampling import TwoClouds, make_rng
kL, kR, N, a_in, near, repeat, full, count = (float(sys.argv[1]), sys.argv[2], int(float(sys.argv[3])),
    sys.argv[4], float(sys.argv[5]), int(sys.argv[6]), sys.argv[7] == "1", sys.argv[8] == "1")
kR = None if kR == "none" else float(kR)
p = np.array([1.0, 0.0, 0.0])
w = np.random.default_rng(0).normal(size=(300, 3))
structure.g_pair_sum(w, None, p, tol=structure.G_TOL)                     # compile / load
structure.g_pair_sum(w, w + 0.5, p, tol=structure.G_TOL)
a, b = TwoClouds("gaussian", kL, 0.0 if kR is None else kR).realise(N, make_rng(0, 1))
A = np.ascontiguousarray(a.T)
B = None if kR is None else np.ascontiguousarray(b.T)
if full:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        sg, sn, nn = structure.g_pair_sum(A, B, p, tol=structure.G_TOL, near_radius=near)
        times.append(time.perf_counter() - t)
    print(json.dumps({"file": structure.__file__, "seconds": min(times), "all": times, "short": [sg.real, sg.imag],
                      "near": [sn.real, sn.imag], "n_near": nn}))
    sys.exit()
ia = structure._trim(A)[0]
ib = None if B is None else structure._trim(B)[0]
n_all = A.shape[1] + (0 if B is None else B.shape[1])
dens = structure._mean_density(A) if B is None else structure._cross_density(A, B)
E = structure._separation_box(ia, ib)[2]
if a_in == "auto":
    a_s, r_c, q_max = structure.ewald_parameters(n_all, dens, float(E.max()), None, structure.G_TOL,
                                                 clouds=1 if B is None else 2)
else:
    a_s, r_c, q_max = structure.ewald_parameters(n_all, dens, float(E.max()), float(a_in),
                                                 structure.G_TOL)
split = structure._split(a_s, max(r_c, near), q_max)
times = []
for _ in range(repeat):
    t = time.perf_counter()
    sg, sn, nn = structure._short_part(ia, ib, p, split, near)
    times.append(time.perf_counter() - t)
pairs = None
if count:  # pairs within r_c (ordered inside one cloud): the near count at radius r_c
    pairs = structure.near_pair_sum(ia, ib, p, split.r_c)[1]
print(json.dumps({"file": structure.__file__, "seconds": min(times), "all": times, "a": a_s, "r_c": split.r_c, "pairs": pairs,
                  "short": [sg.real, sg.imag], "near": [sn.real, sn.imag], "n_near": nn}))
"""


def child(tree, args, timeout):
    tree = os.path.abspath(tree)
    env = dict(os.environ)
    env["PYTHONPATH"] = tree + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # run inside the tree: ``python -c`` puts the working directory first on sys.path
    out = subprocess.run([sys.executable, "-c", CHILD] + [str(x) for x in args], capture_output=True,
                         text=True, timeout=timeout, env=env, cwd=tree)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def close(x, y, rel=1e-9):
    scale = max(abs(complex(*x)), abs(complex(*y)), 1e-300)
    return abs(complex(*x) - complex(*y)) <= rel * scale


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", required=True, help="checkout of the commit to compare against")
    ap.add_argument("--new", default=".", help="checkout of this tree (default: .)")
    ap.add_argument("--N", type=float, nargs="*", default=[1e4, 1e5])
    ap.add_argument("--kL", type=float, default=10.0)
    ap.add_argument("--kR", default="none", help="second cloud this far along the probe (none: one cloud)")
    ap.add_argument("--near", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--full", action="store_true", help="time all of g_pair_sum")
    args = ap.parse_args(argv)
    rows = []
    for N in args.N:
        N = int(N)
        a_old = "auto"
        pairs = None
        for rnd in range(args.rounds):
            load0 = os.getloadavg()[0]
            base = [args.kL, args.kR, N]
            tail = [args.near, args.repeat, "1" if args.full else "0"]
            old = child(args.old, base + [a_old] + tail + ["1" if pairs is None and not args.full else "0"],
                        timeout=3600)
            if not args.full:
                a_old = repr(old["a"])
                pairs = old["pairs"] if pairs is None else pairs
            new = child(args.new, base + [a_old] + tail + ["0"], timeout=3600)
            row = {"N": N, "kL": args.kL, "kR": args.kR, "full": args.full, "round": rnd,
                   "old_s": old["seconds"], "new_s": new["seconds"], "ratio": old["seconds"] / new["seconds"],
                   "same_sums": close(old["short"], new["short"]) and close(old["near"], new["near"], 1e-12)
                   and old["n_near"] == new["n_near"],
                   "old": old, "new": new, "load": [load0, os.getloadavg()[0]]}
            if not args.full:
                unordered = pairs / 2 if args.kR == "none" else pairs
                row.update(pairs=unordered, old_pairs_per_s=unordered / old["seconds"],
                           new_pairs_per_s=unordered / new["seconds"])
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    what = "g_pair_sum" if args.full else "short part"
    lines = [f"{what}: old {args.old}, new {args.new}",
             f"{what}: k_L L {args.kL:g}, k_L R {args.kR}",
             f"{'N':>8} {'round':>5} {'old s':>8} {'new s':>8} {'new/old speed':>13}"
             + ("" if args.full else f" {'old pairs/s':>11} {'new pairs/s':>11}") + f" {'same':>5} {'load':>9}"]
    for r in rows:
        line = f"{r['N']:>8.0e} {r['round']:>5} {r['old_s']:>8.3g} {r['new_s']:>8.3g} {r['ratio']:>13.2f}"
        if not args.full:
            line += f" {r['old_pairs_per_s']:>11.3g} {r['new_pairs_per_s']:>11.3g}"
        line += f" {str(r['same_sums']):>5} {r['load'][0]:>4.1f}→{r['load'][1]:<4.1f}"
        lines.append(line)
    print("\n".join(lines), file=sys.stderr)
    print(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "rows": rows, "settings": vars(args)}))


if __name__ == "__main__":
    main()
