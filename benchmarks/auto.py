"""Every single-point request of the face to 1 % and to 1e-3: the method auto picks and its time.

Part 1 measures the cost models of ``lehmberg.estimators`` (seconds per reference evaluation,
per plane-wave direction, per symmetrised pair sample; the per-sample relative spread σ of the
two Monte-Carlo estimators over k_L L and u = k_L R/(k_L L)²), to refit ``SECONDS_PER`` and
``_PW_SIGMA``.  Part 2 runs ``lehmberg.rates(geometry, rel_err=ε)`` over k_L L = 1 … 10⁷ and
k_L R = 0 … 10³ (k_L L)² (within ``KR_MAX``), intra and inter, ε = 10⁻² and 10⁻³, in one
process after a warm-up (compute time, no start-up), and prints the method auto chose, the
time, the relative error reached.  Table on stderr, JSON on stdout.

    python benchmarks/auto.py [--quick]
"""

import argparse
import json
import math
import sys
import time
import warnings

import lehmberg
from lehmberg import Geometry
from lehmberg._checks import KR_MAX
from lehmberg.reference import cost

KL = (1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e7)
U = (None, 0.0, 0.01, 0.1, 1.0, 10.0, 1000.0)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def cost_models(quick):
    n = 2**17 if quick else 2**20
    rows = {}
    geo = Geometry(kL=1e3)
    t, _ = timed(lambda: lehmberg.rates(geo, "reference"))
    rows["reference_s_per_evaluation"] = t / cost(geo.kL)
    for m in ("planewave", "pairs"):
        lehmberg.rates(Geometry(kL=10.0, kR=1e3), m, samples=4096)
        t, e = timed(lambda: lehmberg.rates(Geometry(kL=10.0, kR=1e3), m, samples=n, seed=1))
        rows[f"{m}_s_per_sample"] = t / e.n_samples
    sig = []
    for kL in (10.0, 1e3, 1e5):
        for u in U:
            kR = None if u is None else u * kL * kL
            if kR is not None and kR > KR_MAX:
                continue
            row = {"kL": kL, "u": u}
            for m in ("planewave", "pairs"):
                e = lehmberg.rates(Geometry(kL=kL, kR=kR), m, samples=n // 4, seed=2)
                row[m] = e.rel_err() * math.sqrt(e.n_samples)
            sig.append(row)
    rows["sigma"] = sig
    return rows


def grid(quick):
    out = []
    for kL in KL[::3] if quick else KL:
        for u in U:
            kR = None if u is None else u * kL * kL
            if kR is not None and kR > KR_MAX:
                continue
            geo = Geometry(kL=kL, kR=kR)
            for eps in (1e-2, 1e-3):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", lehmberg.TargetNotMetWarning)
                    t, e = timed(lambda: lehmberg.rates(geo, rel_err=eps, seed=3))
                out.append({"kL": kL, "u": u, "rel_err": eps, "method": e.methods["Gamma_ij"],
                            "seconds": t, "reached": e.rel_err(), "samples": e.n_samples})
                r = out[-1]
                print(f"kL {kL:8.0e}  u {'intra' if u is None else f'{u:g}':>6}  eps {eps:.0e}: "
                      f"{r['method']:10s} {t:7.3f} s  reached {r['reached']:.1e}", file=sys.stderr,
                      flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer points, shorter runs")
    args = ap.parse_args()
    lehmberg.rates(Geometry(kL=3.0, kR=30.0), "pairs", samples=4096)  # warm-up: load the kernels
    lehmberg.rates(Geometry(kL=3.0, kR=3.0), "planewave", samples=4096)
    models = cost_models(args.quick)
    print(json.dumps({k: v for k, v in models.items() if k != "sigma"}), file=sys.stderr)
    json.dump({"cost_models": models, "grid": grid(args.quick)}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
