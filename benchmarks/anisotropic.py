"""Benchmark: lehmberg.anisotropic.rates against the isotropic radial reference.

Not part of the test suite.  Run from the repository root::

    python benchmarks/anisotropic.py            # table on stdout (~1 min)
    python benchmarks/anisotropic.py --kL 10 100 --no-far

For isotropic clouds (where both apply) it times ``anisotropic.rates`` and
``reference.reference_rates`` on the same case (best of ``--repeat``) and prints the
evaluations, the ratio of times and the largest relative difference of Γ̄, Ḡ; then
anisotropic cases the reference cannot do (cigars, a tilted probe, σ+, a waist).  On a
shared machine quote the ratios of one run.
"""

import argparse
import time

import numpy as np

from lehmberg.anisotropic import gaussian_cov, rates
from lehmberg.reference import reference_rates


def best(f, repeat):
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        t.append(time.perf_counter() - t0)
    return min(t), out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kL", type=float, nargs="+", default=[10.0, 100.0, 1000.0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-far", action="store_true", help="skip k_L R = 10³ (k_L L)²")
    a = ap.parse_args(argv)
    print(f"{'kL':>6} {'case':<22} {'evals':>9} {'t_aniso/s':>10} {'t_ref/s':>9} {'ratio':>7} "
          f"{'max rel diff':>12}")
    for kL in a.kL:
        cov = gaussian_cov(kL)
        cases = [("intra", None, (0, 0, 1)), ("along, R = 2 L²", 2 * kL * kL, (0, 0, 1)),
                 ("across, R = 3 L", 3 * kL, (1, 0, 0)), ("oblique, R = 5 L", 5 * kL, (1, 1, 0.3))]
        if not a.no_far:
            cases.append(("along, R = 1e3 L²", 1e3 * kL * kL, (0, 0, 1)))
        for name, kR, d in cases:
            d = np.asarray(d, float) / np.linalg.norm(d)
            rep = 1 if name.endswith("1e3 L²") else a.repeat
            if kR is None:
                ta, out = best(lambda: rates(cov), rep)
            else:
                ta, out = best(lambda: rates(cov, cov, centre_b=kR * d), rep)
            tr, ref = best(lambda: reference_rates(kL, kR, d), rep)
            diff = max(abs(out.gamma_bar - ref.gamma_bar) / abs(ref.gamma_bar),
                       abs(out.g_bar - ref.g_bar) / abs(ref.g_bar))
            print(f"{kL:6g} {name:<22} {out.evaluations:9d} {ta:10.4f} {tr:9.4f} {ta / tr:7.2f} "
                  f"{diff:12.1e}")
    print("\nbeyond the reference (Γ_ij × transverse sizes L₁L₂, Ḡ, η, evaluations, time):")
    Q = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])  # long axis along x̂
    for name, trans, kw in [
            ("cigar 100x100x1000 along", 1e4, dict(cov_a=gaussian_cov([100, 100, 1000]))),
            ("cigar 100x100x1000 across", 1e5, dict(cov_a=gaussian_cov([100, 100, 1000], Q))),
            ("same, sigma+", 1e5, dict(cov_a=gaussian_cov([100, 100, 1000], Q), p_hat=(-1, -1j, 0))),
            ("same, waist 150", 1e5, dict(cov_a=gaussian_cov([100, 100, 1000], Q), waist_a=150.0)),
            ("two cigars in series", 900.0, dict(cov_a=gaussian_cov([30, 30, 300]),
                                                 cov_b=gaussian_cov([30, 30, 300]),
                                                 centre_b=(0, 0, 2000.0), k_hat=(0.01, 0, 1)))]:
        t, out = best(lambda: rates(**kw), 1)
        print(f"  {name:<28} {out.Gamma_ij * trans:.6f}  {out.g_bar:.3e}  η={out.eta_a:.4f}  "
              f"{out.evaluations:8d}  {t:.3f} s")


if __name__ == "__main__":
    main()
