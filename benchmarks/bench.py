"""Benchmark: pair-kernel throughput (fast vs naive) and time to 1% on Γ_ij per estimator.

Not part of the test suite.  Run from the repository root::

    python benchmarks/bench.py            # table on stderr, one JSON object on stdout
    python benchmarks/bench.py --budget 30 --atoms 1000 > bench.json

Kernel: the fast SIMD pair kernel and the naive ``prange`` double loop
(``math.sqrt``/``math.sin``/``math.cos`` per pair) on the same realised positions, in
the same process, best of ``--repeat`` runs each; pairs/s counts the pairs each one
evaluates (the fast kernel evaluates i < j inside one cloud, the naive one i ≠ j, so
the time-to-same-sum ratio is twice the throughput ratio there; both are reported).

Time to 1%: wall time until the relative standard error of Γ_ij inside one Gaussian
cloud (p̂ = x̂) is <= 1%, for each estimator, after a warm-up (compilation excluded).
A short pilot gives each estimator's cost per unit of 1/ε² (its standard error judged
against the plane-wave value of Γ_ij, not against its own noisy estimate); runs projected
to exceed ``--budget`` seconds are not run and show a dash (the JSON keeps the projection).
The reported rel_err of a run is its standard error over the plane-wave value.
"""

import argparse
import json
import math
import platform
import subprocess
import sys
import time

import numba
import numpy as np

from lehmberg.average import mc_rates
from lehmberg import Geometry
from lehmberg.clouds import cloud_rates
from lehmberg.pairsum import fast_pair_sum, naive_pair_sum
from lehmberg.planewave import planewave_rates
from sampling import TwoClouds, make_rng

KLS = [10.0, 100.0, 1e3, 1e5]
TARGET = 0.01


def machine():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(line.split(":", 1)[1].strip() for line in out.splitlines()
                     if line.startswith("Model name"))
    except Exception:  # noqa: BLE001 - lscpu absent: fall back to platform
        model = platform.processor() or "unknown"
    return {"cpu": model, "cores": numba.config.NUMBA_NUM_THREADS,
            "numba_threads": numba.get_num_threads(), "numba": numba.__version__,
            "numpy": np.__version__, "python": platform.python_version()}


def best_time(fn, repeat):
    best = math.inf
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def kernel_bench(N, kL, repeat):
    clouds = TwoClouds("gaussian", kL, 3.0 * kL)
    a, b = clouds.realise(N, make_rng(0, 99))
    a, b = a.T.copy(), b.T.copy()
    small = a[:, :50].copy(), b[:, :50].copy()
    for s in (None, small[1]):  # compile
        fast_pair_sum(small[0], s)
        naive_pair_sum(small[0], s)
    res = {}
    for name, bb in [("intra", None), ("inter", b)]:
        tf, f = best_time(lambda: fast_pair_sum(a, bb), repeat)
        tn, n = best_time(lambda: naive_pair_sum(a, bb), max(1, repeat - 1))
        pairs_f = f[2] // 2 if bb is None else f[2]  # pairs the fast kernel evaluates
        res[name] = {
            "atoms": N, "kL": kL,
            "fast_pairs_per_s": pairs_f / tf, "naive_pairs_per_s": n[2] / tn,
            "throughput_ratio": (pairs_f / tf) / (n[2] / tn), "time_ratio": tn / tf,
            "max_rel_diff": max(abs(f[0] - n[0]) / abs(n[0]), abs(f[1] - n[1]) / abs(n[1])),
        }
    return res


def _timed(fn):
    t0 = time.perf_counter()
    est = fn()
    return time.perf_counter() - t0, est


def time_to_target(kL, budget, atoms):
    """{estimator: {seconds, rel_err, projected_s, ...}} for Γ_ij inside one cloud at k_L L."""
    out = {}
    # the scale the pilots' standard errors are judged against (a noisy pilot estimate
    # would make its own relative error meaningless at large k_L L)
    ref = planewave_rates(kL, rel_err=1e-3, seed=99).Gamma_ij

    def rel(est):
        return est.Gamma_ij_err / abs(ref)

    # independent pairs: cost ∝ samples; pilot → samples needed
    t, est = _timed(lambda: mc_rates(kL, samples=2**17, seed=1))
    need = 2**17 * (rel(est) / TARGET) ** 2
    proj = t * need / 2**17
    if proj <= budget:
        t, est = _timed(lambda: mc_rates(kL, samples=int(4 * need) + 2**17, rel_err=TARGET, seed=2))
        out["pairs"] = {"seconds": t, "rel_err": rel(est), "samples": est.n_samples}
    else:
        out["pairs"] = {"seconds": None, "projected_s": proj, "samples_needed": need}

    # realised clouds of `atoms` atoms: replicas needed from the replica scatter of a pilot
    if kL / math.sqrt(2) * 10 < 9e5:  # extent of N atoms within the fast sincos range
        t, est = _timed(lambda: cloud_rates(Geometry(kL), atoms=atoms, replicas=8, seed=1))
        reps = 8 * (rel(est) / TARGET) ** 2
        proj = t * reps / 8
        if proj <= budget:
            r = max(8, int(math.ceil(1.2 * reps)))
            t, est = _timed(lambda: cloud_rates(Geometry(kL), atoms=atoms, replicas=r, seed=2))
            out["clouds"] = {"seconds": t, "rel_err": rel(est), "replicas": r, "atoms": atoms}
        else:
            out["clouds"] = {"seconds": None, "projected_s": proj, "replicas_needed": reps,
                             "atoms": atoms}
    else:
        out["clouds"] = {"seconds": None, "note": "cloud extent beyond the fast sincos range"}

    # plane wave, closed-form characteristic function
    t, est = _timed(lambda: planewave_rates(kL, rel_err=TARGET, seed=2))
    out["planewave"] = {"seconds": t, "rel_err": rel(est), "directions": est.n_samples}

    # plane wave, drawn positions (what a shape without closed form costs)
    t, est = _timed(lambda: planewave_rates(kL, average="drawn", rel_err=None,
                                            max_directions=2**15, seed=1))
    need = 2**15 * (rel(est) / TARGET) ** 2
    proj = t * need / 2**15
    if proj <= budget:
        t, est = _timed(lambda: planewave_rates(kL, average="drawn", rel_err=TARGET,
                                                max_directions=int(4 * need) + 2**15, seed=2))
        out["planewave_drawn"] = {"seconds": t, "rel_err": rel(est),
                                  "directions": est.n_samples}
    else:
        out["planewave_drawn"] = {"seconds": None, "projected_s": proj}
    out["reference_Gamma_ij"] = ref
    return out


def warm_up():
    mc_rates(3.0, samples=4096)
    cloud_rates(Geometry(3.0), atoms=20, replicas=2)
    planewave_rates(3.0, rel_err=0.1)
    planewave_rates(3.0, average="drawn", rel_err=None, max_directions=2048)


def table(res):
    lines = []
    k = res["kernel"]
    lines.append(f"machine: {res['machine']['cpu']}, {res['machine']['numba_threads']} threads")
    lines.append("")
    lines.append(f"{'pair kernel':<12}{'atoms':>7}{'fast pairs/s':>15}{'naive pairs/s':>15}"
                 f"{'ratio':>8}{'time ratio':>12}")
    for name in ("intra", "inter"):
        r = k[name]
        lines.append(f"{name:<12}{r['atoms']:>7}{r['fast_pairs_per_s']:>15.3e}"
                     f"{r['naive_pairs_per_s']:>15.3e}{r['throughput_ratio']:>8.2f}"
                     f"{r['time_ratio']:>12.2f}")
    lines.append("")
    names = ["pairs", "clouds", "planewave", "planewave_drawn"]
    lines.append("time to 1% rel. std. error on Γ_ij (one Gaussian cloud), seconds")
    lines.append(f"{'k_L L':>8}" + "".join(f"{n:>17}" for n in names))
    for kL, row in res["time_to_1pct"].items():
        cells = []
        for n in names:
            if n not in row:
                continue
            s = row[n].get("seconds")
            cells.append(f"{s:>17.3g}" if s is not None else f"{'-':>17}")
        lines.append(f"{float(kL):>8.0e}" + "".join(cells))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--atoms", type=int, default=6000, help="atoms per cloud for the kernel (6000)")
    ap.add_argument("--cloud-atoms", type=int, default=1000,
                    help="atoms per realised cloud for the clouds estimator (1000)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--budget", type=float, default=60.0,
                    help="skip runs projected to take longer than this (s)")
    ap.add_argument("--kL", type=float, nargs="*", default=KLS)
    args = ap.parse_args(argv)
    res = {"machine": machine(), "kernel": kernel_bench(args.atoms, 100.0, args.repeat)}
    warm_up()
    res["time_to_1pct"] = {repr(kL): time_to_target(kL, args.budget, args.cloud_atoms)
                           for kL in args.kL}
    res["settings"] = vars(args)
    print(table(res), file=sys.stderr)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
