"""Speckle: how far one realised cloud's pair sum lies from the position average.

Not part of the test suite.  Run from the repository root::

    python benchmarks/speckle.py      # writes data/speckle.h5 and data/speckle.png

For one Gaussian cloud of N atoms (p̂ = x̂) the pair mean
Γ_N = Σ_{i≠j} e^{ik_L·r_ij} γ(r_ij) / (N(N−1)) of one snapshot scatters around the
position average Γ̄.  Its relative scatter σ_N/Γ̄ is measured from independent replicas
(``lehmberg.pairsum.cloud_rates``) for a grid of N and k_L L, and compared with the
U-statistic law

    σ_N² = 4ζ₁/N + 2ζ₂/N²,   ζ₂ = Var h(r_i − r_j),  ζ₁ = Var_i E_j[h(r_i − r_j)]

with h = e^{ik_L·r} γ(r): ζ₂ (the pair-noise, ∝ (k_L L)² Γ̄²) dominates until
N ~ (ζ₂/ζ₁), after which the per-atom term gives 1/√N.  ζ₂ is estimated from 2²⁰
independent pairs and ζ₁ from the measured scatter at the largest N.
"""

import argparse
import json
import math
import sys

import numpy as np

from lehmberg.io import atomic_h5
from lehmberg.kernels import gamma as gamma_kernel
from lehmberg.pairsum import cloud_rates
from lehmberg.planewave import planewave_rates
from sampling import TwoClouds, make_rng


def zeta2(kL, n=2**20):
    r = TwoClouds("gaussian", kL).sample_pairs(n, make_rng(7, int(round(kL))))
    h = np.cos(r[:, 2]) * gamma_kernel(r)  # Re h; Im h averages out of the real pair mean
    return float(h.var())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kL", type=float, nargs="*", default=[3.0, 10.0, 30.0, 100.0])
    ap.add_argument("--N", type=int, nargs="*", default=[30, 100, 300, 1000, 3000, 10000])
    ap.add_argument("--replicas", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="data/speckle")
    ap.add_argument("--force", action="store_true", help="overwrite data/speckle.h5")
    args = ap.parse_args(argv)

    kLs, Ns = np.array(args.kL), np.array(args.N)
    mean = np.zeros((kLs.size, Ns.size))
    se = np.zeros_like(mean)
    scatter = np.zeros_like(mean)
    reps = np.zeros(mean.shape, dtype=int)
    avg = np.zeros(kLs.size)
    z2 = np.zeros(kLs.size)
    for a, kL in enumerate(kLs):
        avg[a] = planewave_rates(kL, rel_err=1e-4, seed=1).Gamma_ij
        z2[a] = zeta2(kL)
        for b, N in enumerate(Ns):
            R = args.replicas if N <= 3000 else max(8, args.replicas // 2)
            est = cloud_rates(kL, atoms=int(N), replicas=R, seed=args.seed)
            mean[a, b], se[a, b], reps[a, b] = est.Gamma_ij, est.Gamma_ij_err, R
            scatter[a, b] = est.Gamma_ij_err * math.sqrt(R) / avg[a]
            print(f"kL={kL:g} N={N}: one snapshot scatters by {100 * scatter[a, b]:.3g}% "
                  f"(mean {mean[a, b]:.5g} ± {se[a, b]:.2g}, average {avg[a]:.5g})", file=sys.stderr)
    # ζ1 from the largest N after removing the pair-noise part
    z1 = np.maximum((scatter[:, -1] * avg) ** 2 - 2 * z2 / Ns[-1] ** 2, 0.0) * Ns[-1] / 4

    with atomic_h5(args.out + ".h5", force=args.force) as f:
        f.attrs["description"] = ("relative scatter of one realised Gaussian cloud's pair mean of "
                                  "e^{ik_L·r}γ(r) around the position average (p_hat = x)")
        f.attrs["command"] = "python benchmarks/speckle.py " + " ".join(argv or sys.argv[1:])
        dk = f.create_dataset("kL", data=kLs)
        dk.attrs["units"] = "1 (k_L L)"
        dn = f.create_dataset("N", data=Ns)
        dn.attrs["units"] = "atoms per cloud"
        for name, data, units in [("pair_mean", mean, "Gamma"), ("pair_mean_err", se, "Gamma"),
                                  ("rel_scatter", scatter, "1"), ("replicas", reps, "1")]:
            d = f.create_dataset(name, data=data)
            d.attrs["units"] = units
            d.dims[0].attach_scale(dk)
            d.dims[1].attach_scale(dn)
        dk.make_scale("kL")
        dn.make_scale("N")
        for name, data in [("gamma_bar_average", avg), ("zeta1", z1), ("zeta2", z2)]:
            d = f.create_dataset(name, data=data)
            d.attrs["units"] = "Gamma" if name == "gamma_bar_average" else "Gamma^2"
            d.dims[0].attach_scale(dk)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    NN = np.geomspace(Ns[0], Ns[-1], 100)
    for a, kL in enumerate(kLs):
        line, = ax.loglog(Ns, scatter[a], "o", label=f"k_L L = {kL:g}")
        model = np.sqrt(4 * z1[a] / NN + 2 * z2[a] / NN**2) / avg[a]
        ax.loglog(NN, model, "-", color=line.get_color(), lw=0.8)
    ax.set_xlabel("atoms per cloud N")
    ax.set_ylabel("relative scatter of one snapshot's pair mean")
    ax.set_title("speckle of Γ_ij inside one Gaussian cloud (lines: 4ζ₁/N + 2ζ₂/N²)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out + ".png", dpi=120)
    print(json.dumps({"kL": kLs.tolist(), "N": Ns.tolist(), "rel_scatter": scatter.tolist(),
                      "zeta1": z1.tolist(), "zeta2": z2.tolist(), "average": avg.tolist()}))


if __name__ == "__main__":
    main()
