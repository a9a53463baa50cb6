"""Times to 1 % of lehmberg.planewave.general_rates per shape at k_L L = 10, 1e3, 1e5.

Run: python benchmarks/planewave_general.py  (prints a markdown table; the shared
2-core machine makes the times indicative).  Γ̄: rel_err = 0.01 (intra, and two cells in
series along the probe at centre distance 1.5 L₃); Ḡ (Gaussians): g_rel_err = 0.01 too,
capped at 4e6 directions.
"""

import math
import time

import numpy as np

from lehmberg import Cloud
from lehmberg.planewave import general_rates

K = np.array([0.3, -0.4, 1.0]) / math.sqrt(1.25)


def _rot(seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def main():
    print("| shape | k_L L | pair | Γ̄ 1%: s (directions) | Ḡ 1%: s (directions, reached) |")
    print("|---|---|---|---|---|")
    for shape, sizes, ax in (("gaussian", (1.0, 1.5, 3.0), _rot(1)),
                             ("box", (1.0, 1.5, 3.0), _rot(2)),
                             ("cylinder", (1.0, 1.0, 3.0), _rot(3))):
        for L in (10.0, 1e3, 1e5):
            kl = tuple(L * s for s in sizes)
            a = Cloud(shape=shape, kL=kl, axes=ax.T)
            for pair in ("intra", "inter"):
                b = None if pair == "intra" else Cloud(shape=shape, kL=kl, axes=ax.T,
                                                       centre=tuple(1.5 * kl[2] * K))
                t = time.perf_counter()
                e = general_rates(a, b, k_hat=K, p_hat=(1, 0.5j, 0), rel_err=0.01, seed=1,
                                  max_directions=4 * 10**6, want_g=False)
                tg = time.perf_counter() - t
                cell = f"{tg:.3f} ({e.n_samples}{'' if e.target_met else ', not met'})"
                gcell = "—"
                if shape == "gaussian":
                    t = time.perf_counter()
                    e = general_rates(a, b, k_hat=K, p_hat=(1, 0.5j, 0), rel_err=0.01,
                                      g_rel_err=0.01, seed=1, max_directions=4 * 10**6)
                    tG = time.perf_counter() - t
                    gcell = f"{tG:.3f} ({e.n_samples}, {'yes' if e.target_met else 'no'}; " \
                            f"rel {abs(e.g_bar_err) / abs(e.g_bar):.2g})"
                print(f"| {shape} | {L:g} | {pair} | {cell} | {gcell} |")


if __name__ == "__main__":
    main()
