"""Are the plane-wave error bars honest at long runs?  z-scores against the quadrature reference.

For each geometry, ``--runs`` independent seeds of ``--directions`` directions each; z =
(estimate − reference)/(standard error) for Re Γ̄ and for Γ_ij.  Honest error bars give
z-scores of mean 0 and standard deviation 1; the standard deviation of n z-scores has its own
standard error ≈ 1/√(2(n − 1)).  The reference's quadrature error is < 1e-9 relative, far below
the plane waves' (~1e-4).  Prints a table on stderr and one JSON object on stdout.

    python benchmarks/planewave_errors.py [--runs 16] [--directions 10000000]
"""

import argparse
import json
import math
import statistics
import sys
import time

from lehmberg import Geometry, rates

GEOMETRIES = [  # (kL, kR or None): inside a vapour cell, the review's far pair, a cold-cloud pair
    (1e3, None), (1e5, 1e11), (30.0, 900.0),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=16)
    ap.add_argument("--directions", type=int, default=10**7)
    args = ap.parse_args()
    out = []
    for kL, kR in GEOMETRIES:
        geo = Geometry(kL=kL, kR=kR)
        ref = rates(geo, "reference")
        zs = {"gamma_bar_re": [], "Gamma_ij": []}
        t0 = time.perf_counter()
        for seed in range(args.runs):
            est = rates(geo, "planewave", samples=args.directions, seed=1000 + seed)
            zs["gamma_bar_re"].append((est.gamma_bar.real - ref.gamma_bar.real) / est.gamma_bar_err.real)
            zs["Gamma_ij"].append((est.Gamma_ij - ref.Gamma_ij) / est.Gamma_ij_err)
        row = {"kL": kL, "kR": kR, "runs": args.runs, "directions": args.directions,
               "seconds_per_run": (time.perf_counter() - t0) / args.runs,
               "reference_rel_err": ref.Gamma_ij_err / abs(ref.Gamma_ij)}
        for name, z in zs.items():
            row[name] = {"mean": statistics.fmean(z), "std": statistics.stdev(z),
                         "std_err_of_std": 1.0 / math.sqrt(2 * (len(z) - 1)), "z": z}
        out.append(row)
        g, G = row["gamma_bar_re"], row["Gamma_ij"]
        print(f"kL={kL:g} kR={kR}: z(Re Γ̄) mean {g['mean']:+.2f} std {g['std']:.2f}; "
              f"z(Γ_ij) mean {G['mean']:+.2f} std {G['std']:.2f} (± {G['std_err_of_std']:.2f}); "
              f"{row['seconds_per_run']:.1f} s per run", file=sys.stderr, flush=True)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
