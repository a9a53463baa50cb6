"""The one statistical harness of the suite.

A Monte-Carlo estimate agrees with an expected value when they differ by at most K of
their combined standard errors.  Every statistical test is seeded, so each comparison is
deterministic; with K = 4 an innocent change of random stream flips a given comparison
with probability about 6e-5 (two-sided normal tail), a few percent over the ~300
comparisons of the suite: a new failure after a change of streams should be judged
with that in mind (rerun with other seeds before believing a bias).
"""

import math

#: Standard errors within which an estimate must agree with its expectation.
K = 4.0


def agree(value, err, expected, expected_err=0.0, k=K):
    """Assert |value − expected| <= k·sqrt(err² + expected_err²), with err > 0."""
    assert err > 0, (value, err)
    tol = k * math.hypot(err, expected_err)
    assert abs(value - expected) <= tol, (value, err, expected, expected_err)


def agree_complex(value, err, expected, expected_err=0j, k=K):
    """:func:`agree` on the real and the imaginary parts (errors packed as err_re + 1j·err_im)."""
    agree(value.real, err.real, expected.real, expected_err.real, k)
    agree(value.imag, err.imag, expected.imag, expected_err.imag, k)


def z_scores_std(z):
    """Sample standard deviation of z-scores (1 for honest error bars)."""
    n = len(z)
    mean = sum(z) / n
    return math.sqrt(sum((x - mean) ** 2 for x in z) / (n - 1))
