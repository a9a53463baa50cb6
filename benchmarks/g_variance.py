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
from lehmberg.figures import g_variance
from lehmberg.kernels import g as g_kernel
from lehmberg.reference import reference_rates
from sampling import TwoClouds, make_rng


def batch_se(x, batches=64):
    """Mean of x, its standard error from ``batches`` contiguous batch means, and that error's s.d.

    The standard error s/√B of B batch means is itself an estimate; its relative standard
    deviation is ½ √((m₄/m₂² − (B−3)/(B−1))/B), with the kurtosis m₄/m₂² of the batch means
    (for infinite-variance samples, as the naive Ḡ, this is only indicative).
    """
    m = x[: len(x) // batches * batches].reshape(batches, -1).mean(axis=1)
    se = float(m.std(ddof=1) / math.sqrt(batches))
    d = m - m.mean()
    kurt = float(np.mean(d**4) / np.mean(d**2) ** 2)
    rel = 0.5 * math.sqrt(max(kurt - (batches - 3) / (batches - 1), 0.0) / batches)
    return float(m.mean()), se, se * rel


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
        ms, ss, es = batch_se(sym[:n])
        mn, sn, en = batch_se(naive[:n])
        rows.append({"n": n, "sym_mean": ms, "sym_se": ss, "sym_se_err": es,
                     "naive_mean": mn, "naive_se": sn, "naive_se_err": en})
    out = {"kL": args.kL, "reference_g_bar": ref, "rows": rows}
    g_variance(args.kL, ref, rows).savefig(args.out, dpi=120)
    print(json.dumps(out))
    for r_ in rows:
        print(f"n={r_['n']:>9d}  SE sym {r_['sym_se']:.3e} ± {r_['sym_se_err']:.1e}  "
              f"SE naive {r_['naive_se']:.3e} ± {r_['naive_se_err']:.1e}", file=sys.stderr)


if __name__ == "__main__":
    main()
