"""Standard error of Ḡ against the number of samples n: T_h-symmetrised vs naive estimator.

Not part of the test suite.  Run from the repository root::

    python benchmarks/g_variance.py            # writes data/g_variance.png, prints JSON

Inside one Gaussian cloud (k_L L = 3, p̂ = x̂) the naive sample e^{ik_L·r} g(r) has the
1/(k r)³ near field: its variance is infinite, so the batch standard error does not fall
like 1/√n and jumps whenever a close pair is drawn.  The symmetrised sample of
``lehmberg.average`` cancels the 1/x³ and 1/x² parts; the leftover O(1/x) has a finite
variance and the standard error falls like 1/√n.  Both are computed from 64 batch means
at each n, on the same draws of r; the actual error against the quadrature reference is
shown as well.
"""

import argparse
import json
import math
import sys

import numpy as np

from lehmberg.average import symmetrised_samples
from lehmberg.kernels import g as g_kernel
from lehmberg.reference import reference_rates
from sampling import TwoClouds, make_rng


def batch_se(x, batches=64):
    """Standard error of the mean of x from ``batches`` contiguous batch means."""
    m = x[: len(x) // batches * batches].reshape(batches, -1).mean(axis=1)
    return float(m.mean()), float(m.std(ddof=1) / math.sqrt(batches))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kL", type=float, default=3.0)
    ap.add_argument("--max-log2n", type=int, default=23)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="data/g_variance.png")
    args = ap.parse_args(argv)

    clouds = TwoClouds("gaussian", args.kL)
    p = np.array([1.0, 0.0, 0.0])
    ref = reference_rates(args.kL, p_hat=p).g_bar.real
    nmax = 2**args.max_log2n
    r = clouds.sample_pairs(nmax, make_rng(args.seed, 0))
    sym = symmetrised_samples(r, clouds, "intra", p)[:, 2]  # Re Ḡ per sample
    naive = (np.cos(r[:, 2]) * g_kernel(r, p))  # Re(e^{iz} g); Im averages to 0
    rows = []
    for k in range(12, args.max_log2n + 1):
        n = 2**k
        ms, ss = batch_se(sym[:n])
        mn, sn = batch_se(naive[:n])
        rows.append({"n": n, "sym_mean": ms, "sym_se": ss, "naive_mean": mn, "naive_se": sn})
    out = {"kL": args.kL, "reference_g_bar": ref, "rows": rows}

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = np.array([r_["n"] for r_ in rows], float)
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].loglog(n, [r_["sym_se"] for r_ in rows], "o-", label="symmetrised (T_h)")
    ax[0].loglog(n, [r_["naive_se"] for r_ in rows], "s-", label="naive e^{ik·r} g(r)")
    ax[0].loglog(n, rows[0]["sym_se"] * np.sqrt(n[0] / n), "k--", lw=0.8, label="∝ 1/√n")
    ax[0].set_xlabel("samples n")
    ax[0].set_ylabel("batch standard error of Re Ḡ (units of Γ)")
    ax[0].legend()
    ax[0].set_title(f"k_L L = {args.kL:g}, p̂ = x̂, 64 batch means")
    ax[1].semilogx(n, [r_["sym_mean"] - ref for r_ in rows], "o-", label="symmetrised")
    ax[1].semilogx(n, [r_["naive_mean"] - ref for r_ in rows], "s-", label="naive")
    ax[1].fill_between(n, [-2 * r_["sym_se"] for r_ in rows], [2 * r_["sym_se"] for r_ in rows],
                       alpha=0.3, label="±2 SE (symmetrised)")
    ax[1].axhline(0.0, color="k", lw=0.5)
    ax[1].set_xlabel("samples n")
    ax[1].set_ylabel("estimate − reference")
    ax[1].set_ylim(-20 * rows[0]["sym_se"], 20 * rows[0]["sym_se"])
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(json.dumps(out))
    for r_ in rows:
        print(f"n={r_['n']:>9d}  SE sym {r_['sym_se']:.3e}  SE naive {r_['naive_se']:.3e}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
