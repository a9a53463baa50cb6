"""Benchmark: the exact structure-factor engine against the fast pair kernel and the naive loop.

Not part of the test suite.  Run from the repository root::

    python benchmarks/structure.py > structure.json        # table on stderr (~15 min)
    python benchmarks/structure.py --N 1e4 1e5 --kL 10      # a subset

For one realised Gaussian cloud of N atoms (p̂ = x̂) it times S_γ (Γ̄ of the snapshot) with
``lehmberg.structure.gamma_pair_sum``, each case in a fresh subprocess so that its peak
resident memory (``ru_maxrss``, with the interpreter and libraries) is its own, and beside
it the fast pair kernel and the naive ``prange`` loop: measured at N = 10⁴ (naive: 3·10³),
extrapolated as N² beyond.  Cases whose predicted time (``structure.predicted_seconds``)
exceeds ``--budget`` are not run and show the prediction.  The machine is described in the
JSON; on a shared machine quote the ratios of one run.
"""

import argparse
import json
import subprocess
import sys
import time

from bench import machine  # benchmarks/bench.py: CPU model, threads, versions

CHILD = r"""
import json, resource, sys, time
import numpy as np
from lehmberg.structure import gamma_pair_sum
from sampling import TwoClouds, make_rng
kL, N = float(sys.argv[1]), int(float(sys.argv[2]))
gamma_pair_sum(np.random.default_rng(0).normal(size=(50, 3)))          # compile / load
a, _ = TwoClouds("gaussian", kL).realise(N, make_rng(0, 1))
t = time.perf_counter()
s = gamma_pair_sum(a)
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "peak_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "pair_mean": s.real / (N * (N - 1.0))}))
"""


def child(kL, N, timeout):
    out = subprocess.run([sys.executable, "-c", CHILD, repr(kL), repr(N)], capture_output=True,
                         text=True, timeout=timeout)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def pair_rates():
    """Pairs per second of the fast kernel (N = 10⁴, i < j) and of the naive loop (N = 3·10³, i ≠ j)."""
    import numpy as np

    from lehmberg.pairsum import fast_pair_sum, naive_pair_sum
    from sampling import TwoClouds, make_rng
    small = np.random.default_rng(0).normal(size=(3, 40))
    fast_pair_sum(small)
    naive_pair_sum(small)
    a, _ = TwoClouds("gaussian", 10.0).realise(10_000, make_rng(0, 2))
    t = time.perf_counter()
    fast_pair_sum(a)
    fast = 10_000 * 9_999 / 2 / (time.perf_counter() - t)
    a = a[:3000]
    t = time.perf_counter()
    naive_pair_sum(a)
    naive = 3000 * 2999 / (time.perf_counter() - t)
    return fast, naive


def main(argv=None):
    from lehmberg.structure import predicted_seconds

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--N", type=float, nargs="*", default=[1e4, 1e5, 1e6, 1e7])
    ap.add_argument("--kL", type=float, nargs="*", default=[3.0, 10.0, 30.0, 100.0])
    ap.add_argument("--budget", type=float, default=150.0, help="skip cases predicted longer (s)")
    args = ap.parse_args(argv)
    fast, naive = pair_rates()
    rows = []
    for kL in args.kL:
        for N in args.N:
            N = int(N)
            row = {"kL": kL, "N": N, "fast_pairs_s": N * (N - 1) / 2 / fast,
                   "naive_s": N * (N - 1) / naive,
                   "predicted_s": predicted_seconds("structure", kL, atoms=N)}
            if row["predicted_s"] <= args.budget:
                row.update(child(kL, N, timeout=max(600.0, 6 * args.budget)))
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    lines = [f"{'k_L L':>6} {'N':>9} {'structure s':>12} {'peak MiB':>9} {'fast pairs s':>13}"
             f" {'naive s':>10} {'fast/structure':>15}"]
    for r in rows:
        s = r.get("seconds")
        lines.append(f"{r['kL']:>6g} {r['N']:>9.0e} "
                     + (f"{s:>12.3g} {r['peak_MiB']:>9.0f}" if s is not None
                        else f"{'(' + format(r['predicted_s'], '.2g') + ')':>12} {'-':>9}")
                     + f" {r['fast_pairs_s']:>13.3g} {r['naive_s']:>10.3g}"
                     + (f" {r['fast_pairs_s'] / s:>15.3g}" if s is not None else f" {'-':>15}"))
    print("\n".join(lines), file=sys.stderr)
    print(json.dumps({"machine": machine(), "fast_pairs_per_s": fast, "naive_pairs_per_s": naive,
                      "rows": rows, "settings": vars(args)}))


if __name__ == "__main__":
    main()
