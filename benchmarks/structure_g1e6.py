"""Ḡ of 10⁶ atoms at k_L L = 10 inside one cloud (issue 22's target: < 40 s, < 4 GB).

Run: /usr/bin/time -v python benchmarks/structure_g1e6.py  (prints the wall time of the
g_pair_sum call; "Maximum resident set size" is the peak memory of the whole process).
"""

import time

from lehmberg import structure
from sampling import TwoClouds, make_rng

a, _ = TwoClouds("gaussian", 10.0, 0.0).realise(10**6, make_rng(7, 1))
structure.g_pair_sum(a[:20000], None, (1.0, 0.0, 0.0), tol=structure.G_TOL)  # load the kernels
t = time.perf_counter()
s, near, n = structure.g_pair_sum(a, None, (1.0, 0.0, 0.0), tol=structure.G_TOL)
print(f"g_pair_sum of 10^6 atoms at k_L L = 10: {time.perf_counter() - t:.1f} s (sum {s:.6g})")
