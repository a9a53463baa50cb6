"""Every geometry case through the face: lehmberg.rates(geometry, rel_err=0.01), method auto.

Run: python benchmarks/geometry.py [--rel-err 0.01]  (prints a markdown table: the case, the
method auto chose for Γ̄ and for Ḡ, the seconds of the call, Γ_ij with its relative error, and
the relative error Ḡ reached).  Cases: cigars (aspect 4) along, across and tilted against the probe,
σ+ and linear dipoles, a probe waist, two different cigars in series, boxes and cylinders (vapour
cells) alone and in series, at k_L L = 10, 10³ and 10⁵ (the transverse size).  Issue 21's
targets: Γ̄ to 1 % in under 1 s and Ḡ in under 10 s for every case at every k_L L; the times
are wall times of one call on the (shared) machine that runs it.
"""

import argparse
import math
import time

import numpy as np

import lehmberg
from lehmberg import Cloud, Geometry

SIGMA_PLUS = (-1 / math.sqrt(2), -1j / math.sqrt(2), 0.0)
TILT = ((math.cos(0.5), 0.0, -math.sin(0.5)), (0.0, 1.0, 0.0), (math.sin(0.5), 0.0, math.cos(0.5)))
ACROSS = ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0))


def cases(L):
    """(label, geometry) of every case at transverse size k_L L = L."""
    cig = (L, L, 4 * L)
    out = [
        ("gaussian cigar along, σ+", Geometry.of(Cloud(kL=cig), p_hat=SIGMA_PLUS)),
        ("gaussian cigar across, p̂ = ŷ", Geometry.of(Cloud(kL=cig, axes=ACROSS),
                                                     p_hat=(0, 1, 0))),
        ("gaussian cigar tilted 0.5 rad", Geometry.of(Cloud(kL=cig, axes=TILT))),
        ("gaussian cigar along, waist L", Geometry.of(Cloud(kL=cig, waist=L))),
        ("two gaussian cigars in series", Geometry.of(
            Cloud(kL=cig), Cloud(kL=(L, 1.3 * L, 4 * L), centre=(0, 0, 12 * L)))),
        ("box cell (L, L, 3L)", Geometry.of(Cloud(shape="box", kL=(L, L, 3 * L)))),
        ("two box cells in series", Geometry.of(
            Cloud(shape="box", kL=(L, L, 3 * L)),
            Cloud(shape="box", kL=(L, L, 3 * L), centre=(0, 0, 4 * L)))),
        ("cylinder cell (L, L, 3L)", Geometry.of(Cloud(shape="cylinder", kL=(L, L, 3 * L)))),
        ("box cell tilted 0.5 rad", Geometry.of(Cloud(shape="box", kL=(L, L, 3 * L), axes=TILT))),
    ]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rel-err", type=float, default=0.01)
    ap.add_argument("--kL", default="10,1e3,1e5")
    args = ap.parse_args()
    print("| case | k_L L | Γ̄ by | Ḡ by | s | Γ_ij | rel. error | Ḡ rel. error |")
    print("|---|---|---|---|---|---|---|---|")
    for L in (float(x) for x in args.kL.split(",")):
        for label, g in cases(L):
            t = time.perf_counter()
            try:
                r = lehmberg.rates(g, rel_err=args.rel_err, seed=1)
            except ValueError as exc:
                print(f"| {label} | {L:g} | refused: {exc} | | | | | |")
                continue
            s = time.perf_counter() - t
            has_g = bool(np.isfinite(r.g_bar.real))
            rel = abs(r.Gamma_ij_err / r.Gamma_ij) if np.isfinite(r.Gamma_ij) else float("nan")
            m = r.methods
            g_rel = (f"{abs(r.g_bar_err) / abs(r.g_bar):.2g}" if has_g and abs(r.g_bar) > 0
                     else "not computed")
            print(f"| {label} | {L:g} | {m['gamma_bar']} | {m['g_bar'] if has_g else '—'} | "
                  f"{s:.3f} | {r.Gamma_ij:.6g} | {rel:.2g} | {g_rel} |")


if __name__ == "__main__":
    main()
