"""Measured ratios of the general pairs and realised clouds against the paper's paths (one run, same machine).

Run: python benchmarks/general_estimators.py
"""
import time, warnings
import numpy as np
import lehmberg
from lehmberg import Cloud, Geometry, clouds
from lehmberg.average import _general_sums, _chunk_sums, pair_rates, mc_rates
from lehmberg.estimators import plan_cost

def best(f, n=3):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return min(ts)

# 1. per-sample cost of the general pair kernel against the paper's symmetrised one
r = np.ascontiguousarray(np.random.default_rng(1).normal(size=(2**18, 3)) * 3)
_general_sums(r, 0.6, 0, 0, 0, 0.8, 0, 1, False, 1.0, 64); _chunk_sums(r, 1., 0., 0., 0, 0., 0., 0., 2.0, 0.0, 64)
tg = best(lambda: _general_sums(r, 0.6, 0, 0, 0, 0.8, 0, 1, False, 1.0, 64))
tp = best(lambda: _chunk_sums(r, 1., 0., 0., 0, 0., 0., 0., 2.0, 0.0, 64))
print(f"pair kernel per sample: general/paper-symmetrised = {tg / tp:.2f}")

# 2. the same isotropic cloud as the paper's set-up and as a general geometry (probe turned)
paper, turned = Geometry(3.0), Geometry.of(Cloud(kL=3.0), probe=(1, 0, 0), p_hat=(0, 0, 1))
sigma = Geometry.of(Cloud(kL=3.0), probe=(1, 0, 0), p_hat=(0, 1, 1j))
pair_rates(turned, samples=4096); mc_rates(3.0, samples=4096)
a = best(lambda: mc_rates(3.0, samples=2**20, seed=1)); b = best(lambda: pair_rates(turned, samples=2**20, seed=1))
ea, eb = mc_rates(3.0, samples=2**20, seed=1), pair_rates(turned, samples=2**20, seed=1)
print(f"pairs, 2^20 samples: general/paper time = {b / a:.2f}; error ratio Gamma {eb.gamma_bar_err.real / ea.gamma_bar_err.real:.2f}, "
      f"Gbar {eb.g_bar_err.real / ea.g_bar_err.real:.2f}")
for N in (2000,):
    kw = dict(atoms=N, replicas=4, with_g=True, seed=1)
    lehmberg.rates(turned, "clouds", atoms=50, replicas=2)
    a = best(lambda: lehmberg.rates(paper, "clouds", **kw), 2)
    b = best(lambda: lehmberg.rates(turned, "clouds", **kw), 2)
    c = best(lambda: lehmberg.rates(sigma, "clouds", **kw), 2)
    print(f"clouds N={N} (pair kernel): general/paper = {b / a:.2f}, complex dipole/real = {c / b:.2f}")

# 3. predicted against measured, structure engine, a tilted cigar (conservative mapping)
Q, _ = np.linalg.qr(np.random.default_rng(2).normal(size=(3, 3)))
cigar = Geometry.of(Cloud(kL=(5, 5, 20), axes=Q), probe=(0, 0.6, 0.8))
for N, g in ((20000, False), (20000, True)):
    plan = clouds.plan(cigar, N, 2, engine="structure", with_g=g)
    t = time.perf_counter(); clouds.cloud_rates(cigar, plan, seed=1); t = time.perf_counter() - t
    print(f"structure, tilted cigar (5,5,20), N={N}, with_g={g}: measured/predicted = {t / plan.seconds:.2f}")
two = Geometry.of(Cloud(shape="box", kL=(20, 20, 40), axes=Q), Cloud(shape="box", kL=(20, 20, 40), axes=Q, centre=(0, 0, 45)))
for N in (20000,):
    plan = clouds.plan(two, N, 2, engine="structure", with_g=True)
    t = time.perf_counter(); clouds.cloud_rates(two, plan, seed=1); t = time.perf_counter() - t
    print(f"structure, two rotated boxes (20,20,40), N={N}, with_g: measured/predicted = {t / plan.seconds:.2f}")
