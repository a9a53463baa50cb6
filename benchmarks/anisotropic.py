"""Benchmark: lehmberg.anisotropic.rates against the isotropic radial reference.

Not part of the test suite.  Run from the repository root::

    python benchmarks/anisotropic.py                 # table on stdout (~10 s)
    python benchmarks/anisotropic.py --kL 10 100 --repeat 5
    python benchmarks/anisotropic.py --directions    # also the direction route (minutes)

For isotropic clouds (where both apply) it times ``anisotropic.rates`` (the line route,
D5–D6) and ``reference.reference_rates`` on the same case (best of ``--repeat``) at
k_L R ∈ {0 (inside one cloud), (k_L L)², 10³ (k_L L)²}, along and across the probe, and
prints the evaluations, the ratio of times and the largest relative difference of Γ̄, Ḡ
where the reference resolves them (across the probe the rates are e^{−(k_L L)²}-small:
"≤ err" then says both agree within their error estimates); then anisotropic cases the
reference cannot do (cigars, a tilted probe, σ+, a waist, clouds far apart).  On a shared
machine quote the ratios of one run.
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


def compare(out, ref):
    """Largest relative difference of Γ̄, Ḡ where the reference resolves the value, or
    '≤ err' when every difference is inside the two error estimates."""
    rel, inside = [], True
    for q in ("gamma_bar", "g_bar"):
        a, b = getattr(out, q), getattr(ref, q)
        ea, eb = abs(getattr(out, q + "_err")), abs(getattr(ref, q + "_err"))
        inside &= abs(a - b) <= ea + eb
        if abs(b) > 1e3 * eb:
            rel.append(abs(a - b) / abs(b))
    if rel:
        return f"{max(rel):.1e}" + ("" if inside else " (!)")
    return "≤ err" if inside else "outside err (!)"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kL", type=float, nargs="+", default=[10.0, 100.0, 1000.0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--directions", action="store_true",
                    help="also time the direction route (D2–D4; minutes far apart)")
    a = ap.parse_args(argv)
    head = (f"{'kL':>6} {'kR':>8} {'dir':<7} {'evals':>6} {'t_line/s':>9} {'t_ref/s':>8} "
            f"{'ratio':>6} {'max rel diff':>13}")
    print(head + (f" {'t_dirs/s':>9} {'dirs/ref':>8}" if a.directions else ""))
    for kL in a.kL:
        cov = gaussian_cov(kL)
        cases = [(0.0, "intra", None)] + [(f * kL * kL, name, d) for f in (1.0, 1e3)
                                          for name, d in (("along", (0, 0, 1)),
                                                          ("across", (1, 0, 0)))]
        for kR, name, d in cases:
            if d is None:
                def run(**kw):
                    return rates(cov, **kw)
                ref_args = (kL, None)
            else:
                c = kR * np.asarray(d, float)

                def run(c=c, **kw):
                    return rates(cov, cov, centre_b=c, **kw)
                ref_args = (kL, kR, d)
            ta, out = best(run, a.repeat)
            tr, ref = best(lambda: reference_rates(*ref_args), a.repeat)
            row = (f"{kL:6g} {kR:8.0e} {name:<7} {out.evaluations:6d} {ta:9.4f} {tr:8.4f} "
                   f"{ta / tr:6.2f} {compare(out, ref):>13}")
            if a.directions:
                td, _ = best(lambda: run(method="directions"), 1)
                row += f" {td:9.3f} {td / tr:8.1f}"
            print(row, flush=True)
    print("\nbeyond the reference (Γ_ij × transverse sizes L₁L₂, Ḡ, η, evaluations, time):")
    Q = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])  # long axis along x̂
    for name, trans, kw in [
            ("cigar 100x100x1000 along", 1e4, dict(cov_a=gaussian_cov([100, 100, 1000]))),
            ("cigar 100x100x1000 across", 1e5, dict(cov_a=gaussian_cov([100, 100, 1000], Q))),
            ("same, sigma+", 1e5, dict(cov_a=gaussian_cov([100, 100, 1000], Q),
                                       p_hat=(-1, -1j, 0))),
            ("same, waist 150", 1e5, dict(cov_a=gaussian_cov([100, 100, 1000], Q), waist_a=150.0)),
            ("two cigars in series", 900.0, dict(cov_a=gaussian_cov([30, 30, 300]),
                                                 cov_b=gaussian_cov([30, 30, 300]),
                                                 centre_b=(0, 0, 2000.0), k_hat=(0.01, 0, 1))),
            ("same, 10^3 L_perp^2 apart", 900.0, dict(cov_a=gaussian_cov([30, 30, 300]),
                                                     cov_b=gaussian_cov([30, 30, 300]),
                                                     centre_b=(0, 0, 9e5), k_hat=(0.01, 0, 1)))]:
        t, out = best(lambda: rates(**kw), 1)
        print(f"  {name:<28} {out.Gamma_ij * trans:.6f}  {out.g_bar:.3e}  η={out.eta_a:.4f}  "
              f"{out.evaluations:8d}  {t:.3f} s")


if __name__ == "__main__":
    main()
