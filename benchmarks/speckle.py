"""Speckle: how far one realised cloud's pair sum lies from the position average, N = 10² … 10⁷.

Not part of the test suite.  Run from the repository root::

    python benchmarks/speckle.py --force --case-budget 160   # data/speckle.nc, .png (~10 min, shared 2 cores)

For one Gaussian cloud of N atoms (p̂ = x̂) the pair mean
Γ_N = Σ_{i≠j} e^{ik_L·r_ij} γ(r_ij) / (N(N−1)) of one snapshot scatters around the
position average Γ̄.  Its relative scatter σ_N/Γ̄ is measured from independent replicas
(``lehmberg.clouds.cloud_rates``: the exact pair sum, by the fast pair kernel or, where
faster, the structure-factor engine) for a grid of N and k_L L, and compared with the
U-statistic law

    σ_N² = 4ζ₁/N + 2ζ₂/N²,   ζ₂ = Var h(r_i − r_j),  ζ₁ = Var_i E_j[h(r_i − r_j)]

with h = e^{ik_L·r} γ(r): ζ₂ (the pair noise, ∝ (k_L L)² Γ̄²) dominates until
N ~ ζ₂/ζ₁ ~ (k_L L)², where σ_N/Γ̄ ∝ k_L L/N; beyond, the per-atom term gives 1/√N.
ζ₂ is estimated from 2²⁰ independent pairs, ζ₁ fitted (weighted by replicas) to the points
with N >= 10⁴.  Each point's error bar is the sampling error of a standard deviation from R
replicas, σ/√(2(R−1)).  Cases whose predicted cost exceeds ``--case-budget`` seconds are
skipped (NaN in the file).
"""

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from lehmberg.kernels import gamma as gamma_kernel
from lehmberg import Geometry
from lehmberg.clouds import cloud_rates
from lehmberg.planewave import planewave_rates
from lehmberg.structure import predicted_seconds
from sampling import TwoClouds, make_rng


def zeta2(kL, n=2**20):
    r = TwoClouds("gaussian", kL).sample_pairs(n, make_rng(7, int(round(kL))))
    h = np.cos(r[:, 2]) * gamma_kernel(r)  # Re h; Im h averages out of the real pair mean
    return float(h.var())


def replicas_for(N, base):
    return base if N <= 10_000 else max(4, base // 2) if N <= 100_000 else max(4, base // 4) \
        if N <= 1_000_000 else 4


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kL", type=float, nargs="*", default=[3.0, 10.0, 30.0, 100.0])
    ap.add_argument("--N", type=float, nargs="*",
                    default=[1e2, 3e2, 1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6, 1e7])
    ap.add_argument("--replicas", type=int, default=32, help="at N <= 1e4 (fewer beyond)")
    ap.add_argument("--case-budget", type=float, default=160.0,
                    help="skip (k_L L, N) whose replicas are predicted to take longer (s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="data/speckle")
    ap.add_argument("--force", action="store_true", help="overwrite data/speckle.nc, .png")
    args = ap.parse_args(argv)
    out_nc, out_png = Path(args.out + ".nc"), Path(args.out + ".png")
    for f in (out_nc, out_png):
        if f.exists() and not args.force:
            ap.error(f"{f} exists (use --force)")

    kLs, Ns = np.array(args.kL), np.array(args.N).astype(np.int64)
    shape = (kLs.size, Ns.size)
    mean, se, scatter, scatter_err = (np.full(shape, np.nan) for _ in range(4))
    reps = np.zeros(shape, dtype=np.int64)
    engine = np.full(shape, "", dtype=object)
    avg, avg_err, z2 = np.zeros(kLs.size), np.zeros(kLs.size), np.zeros(kLs.size)
    for a, kL in enumerate(kLs):
        ref = planewave_rates(kL, rel_err=1e-4, seed=1)
        avg[a], avg_err[a] = ref.Gamma_ij, ref.Gamma_ij_err
        z2[a] = zeta2(kL)
        for b, N in enumerate(Ns):
            R = replicas_for(int(N), args.replicas)
            cost = R * min(predicted_seconds("structure", kL, atoms=int(N)),
                           predicted_seconds("pairs", kL, atoms=int(N)))
            if cost > args.case_budget:
                print(f"kL={kL:g} N={N}: skipped (predicted {cost:.3g} s)", file=sys.stderr)
                continue
            est = cloud_rates(Geometry(kL), atoms=int(N), replicas=R, seed=args.seed)
            mean[a, b], se[a, b], reps[a, b] = est.Gamma_ij, est.Gamma_ij_err, R
            scatter[a, b] = est.Gamma_ij_err * math.sqrt(R) / avg[a]
            scatter_err[a, b] = scatter[a, b] / math.sqrt(2.0 * (R - 1))
            engine[a, b] = est.notes[0].removeprefix("engine: ")
            print(f"kL={kL:g} N={N}: one snapshot scatters by {100 * scatter[a, b]:.3g}% "
                  f"± {100 * scatter_err[a, b]:.2g}% ({R} replicas, {engine[a, b]})", file=sys.stderr)
    # ζ1: weighted fit of (σ² − 2ζ₂/N²) N/4 over the points with N >= 1e4
    z1 = np.full(kLs.size, np.nan)
    for a in range(kLs.size):
        ok = (Ns >= 10_000) & np.isfinite(scatter[a])
        if ok.any():
            s2 = (scatter[a, ok] * avg[a]) ** 2
            z1[a] = max(0.0, float(np.average((s2 - 2 * z2[a] / Ns[ok] ** 2) * Ns[ok] / 4,
                                              weights=reps[a, ok] - 1)))
    write(args, out_nc, kLs, Ns, mean, se, scatter, scatter_err, reps, engine, avg, avg_err, z1, z2)
    plot(out_png, kLs, Ns, scatter, scatter_err, avg, z1, z2)
    print(json.dumps({"kL": kLs.tolist(), "N": Ns.tolist(),
                      "rel_scatter": np.where(np.isfinite(scatter), scatter, None).tolist(),
                      "rel_scatter_err": np.where(np.isfinite(scatter), scatter_err, None).tolist(),
                      "zeta1": np.where(np.isfinite(z1), z1, None).tolist(), "zeta2": z2.tolist(),
                      "average": avg.tolist()}))


def write(args, path, kLs, Ns, mean, se, scatter, scatter_err, reps, engine, avg, avg_err, z1, z2):
    import xarray as xr

    G = "in units of Γ, the single-atom decay rate"
    dims = ("kL", "N")
    ds = xr.Dataset(
        {
            "pair_mean": (dims, mean, {"units": "1", "long_name": f"replica mean of one snapshot's pair mean Γ_N, {G}"}),
            "pair_mean_err": (dims, se, {"units": "1", "long_name": f"standard error of pair_mean, {G}"}),
            "rel_scatter": (dims, scatter, {"units": "1", "long_name": "standard deviation of Γ_N over replicas / position average"}),
            "rel_scatter_err": (dims, scatter_err, {"units": "1", "long_name": "sampling error of rel_scatter, σ/√(2(R−1))"}),
            "replicas": (dims, reps, {"units": "1", "long_name": "independent snapshots (0: skipped)"}),
            "engine": (dims, engine.astype(str), {"long_name": "exact pair-sum engine used"}),
            "gamma_bar_average": (("kL",), avg, {"units": "1", "long_name": f"position average Γ̄ (plane waves), {G}"}),
            "gamma_bar_average_err": (("kL",), avg_err, {"units": "1", "long_name": f"standard error of gamma_bar_average, {G}"}),
            "zeta1": (("kL",), z1, {"units": "1", "long_name": "U-statistic ζ₁ (fitted), in units of Γ²"}),
            "zeta2": (("kL",), z2, {"units": "1", "long_name": "U-statistic ζ₂ = Var h, in units of Γ²"}),
        },
        coords={"kL": ("kL", kLs, {"units": "1", "long_name": "k_L L (cloud size times probe wavenumber)"}),
                "N": ("N", Ns, {"units": "1", "long_name": "atoms per cloud"})},
        attrs={"description": "relative scatter of one realised Gaussian cloud's pair mean of "
                              "e^{ik_L·r}γ(r) around the position average (p_hat = x)",
               "command": "python benchmarks/speckle.py " + " ".join(sys.argv[1:])})
    tmp = path.with_suffix(".nc.tmp")
    ds.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=False)
    tmp.replace(path)


def plot(path, kLs, Ns, scatter, scatter_err, avg, z1, z2):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.8, 4.8))
    NN = np.geomspace(Ns[0], Ns[-1], 200)
    for a, kL in enumerate(kLs):
        ok = np.isfinite(scatter[a])
        bar = ax.errorbar(Ns[ok], scatter[a, ok], yerr=scatter_err[a, ok], fmt="o", ms=4,
                          capsize=2, label=rf"$k_L L = {kL:g}$")
        if np.isfinite(z1[a]):
            model = np.sqrt(4 * z1[a] / NN + 2 * z2[a] / NN**2) / avg[a]
            ax.plot(NN, model, "-", color=bar[0].get_color(), lw=0.9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"atoms per cloud $N$")
    ax.set_ylabel(r"relative scatter $\sigma_N / \bar\Gamma$ of one snapshot")
    ax.set_title(r"speckle of $\Gamma_{ij}$ in one Gaussian cloud; lines: "
                 r"$\sigma_N^2 = 4\zeta_1/N + 2\zeta_2/N^2$", fontsize=10)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
