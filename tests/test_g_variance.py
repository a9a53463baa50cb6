"""The T_h-symmetrised Ḡ estimator has a finite variance: its standard error falls like 1/√n."""

import math

import numpy as np

from lehmberg.average import symmetrised_samples
from lehmberg.reference import reference_rates
from sampling import TwoClouds, make_rng

BATCH = 4096


def _batch_means(x):
    return x[: len(x) // BATCH * BATCH].reshape(-1, BATCH).mean(axis=1)


def _se_and_its_rel_sd(means):
    """Batch standard error and the relative standard deviation of that estimate.

    Var(s²)/σ⁴ = (m4/m2² − (B−3)/(B−1))/B for B batch means; the relative spread of s is
    half that of s².  m4/m2² is taken from ``means`` itself.
    """
    B = means.size
    d = means - means.mean()
    m2 = np.mean(d**2)
    kurt = np.mean(d**4) / m2**2
    rel_var_s2 = (kurt - (B - 3) / (B - 1)) / B
    return means.std(ddof=1) / math.sqrt(B), 0.5 * math.sqrt(rel_var_s2)


def test_symmetrised_G_standard_error_falls_like_inverse_sqrt_n():
    kL = 3.0
    clouds = TwoClouds("gaussian", kL)
    p = np.array([1.0, 0.0, 0.0])
    n1 = 128 * BATCH
    r = clouds.sample_pairs(16 * n1, make_rng(2024, 0))
    g = symmetrised_samples(r, clouds, "intra", p)[:, 2]
    means = _batch_means(g)
    se1, rel1 = _se_and_its_rel_sd(means[:128])
    se16, rel16 = _se_and_its_rel_sd(means)
    _, rel1_pooled = _se_and_its_rel_sd(means)  # kurtosis from all 2048 batches, for B = 128
    rel1 = max(rel1, rel1_pooled * math.sqrt(2048 / 128))
    ratio = se1 / se16
    # log of the ratio: 4 standard deviations of the two SE estimates (taken as independent)
    tol = 4.0 * math.hypot(rel1, rel16)
    assert abs(math.log(ratio / 4.0)) <= tol, (ratio, tol)
    assert tol < 0.5  # the test can fail: a 1/n^{1/4} law (ratio 2) would be far outside
    # and the estimate itself agrees with the quadrature reference
    ref = reference_rates(kL, p_hat=p).g_bar.real
    assert abs(means.mean() - ref) <= 4.0 * se16
