"""Ḡ of boxes and cylinders by lehmberg.uniform_g.g_rates: values, errors, seconds to 1 %.

Run: python benchmarks/uniform_g.py  (prints a markdown table; the shared 2-core machine
makes the times indicative: compare rows of one run).  Clouds of aspect 2 along the probe
ẑ (sides k_L L, k_L L, 2 k_L L; cylinder: diameter k_L L), dipole x̂; "intra" inside one
cloud, "series" two equal clouds in series along the probe with centres 2.4 k_L L apart
(L₃ + a gap of 0.2 L₃).  Columns: Ḡ·V (V the volume of one cloud), its relative error
|err|/|Ḡ| and the seconds (samples) to rel_err = 1 %, then to 1e-3 at k_L L = 10 (the
cost grows as 1/rel_err²).  Intra, (F1) of the module notes is printed for comparison.
"""

import time

from lehmberg import Cloud
from lehmberg.uniform_g import fresnel_law, g_rates


def _run(a, b, rel):
    t = time.perf_counter()
    out = g_rates(a, b, rel_err=rel, seed=1, max_samples=2**27)
    return out, time.perf_counter() - t


def main():
    print("| shape | k_L L | pair | Ḡ·V | rel err | s to 1 % (samples) | Fresnel (F1)·V "
          "| s to 1e-3 (samples) |")
    print("|---|---|---|---|---|---|---|---|")
    for shape in ("box", "cylinder"):
        for L in (1.0, 10.0, 1e2, 1e3, 1e4, 1e5):
            a = Cloud(shape=shape, kL=(L, L, 2 * L))
            V = a.volume
            for pair in ("intra", "series"):
                b = None if pair == "intra" else a.moved((0.0, 0.0, 2.4 * L))
                out, dt = _run(a, b, 0.01)
                g = out.g_bar * V
                val = f"{g.real:.4g}" if pair == "intra" else f"{g.real:.4g} {g.imag:+.4g}i"
                fres = f"{fresnel_law(a) * V:.4g}" if pair == "intra" and L >= 1e2 else "—"
                fine = "—"
                if L == 10.0:
                    o3, d3 = _run(a, b, 1e-3)
                    fine = f"{d3:.1f} ({o3.evaluations}{'' if o3.target_met else ', not met'})"
                print(f"| {shape} | {L:g} | {pair} | {val} | {out.rel_err:.2g} | "
                      f"{dt:.2f} ({out.evaluations}{'' if out.target_met else ', not met'}) | "
                      f"{fres} | {fine} |")


if __name__ == "__main__":
    main()
