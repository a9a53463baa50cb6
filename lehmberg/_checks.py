"""Every argument check and every limit of the package, in one place.

The public boundaries (:class:`lehmberg.Geometry`, :func:`lehmberg.rates`, the model
factories, the command line) call these; inner loops assume valid input.  Each
check raises ``ValueError`` (``TypeError`` for a wrong type) whose message starts
with the parameter's name, which the command line prints as one line (exit 2).
"""

import math
import numbers

import numpy as np

#: k_L L for which the estimators are tested; outside it every entry point refuses.
KL_RANGE = (1e-3, 1e7)
#: Largest k_L R accepted (the reference and the plane waves are tested up to it).
KR_MAX = 1e12
#: Fewest batch means a standard error is judged on, and fewest samples (pair samples or
#: directions) of one request: at least 32 batch means of at least 32 samples.
MIN_BATCHES = 32
SAMPLES_MIN = MIN_BATCHES * 32
#: Most samples one request may use: about 2 minutes of independent pairs on 2 cores
#: (~1e7 pairs/s), seconds for plane waves.  Larger budgets are refused before any work.
SAMPLES_MAX = 10**9
#: Fewest realised clouds for a standard error over replicas.
REPLICAS_MIN = 2
#: Most realised clouds in one request.
REPLICAS_MAX = 10**5
#: Fewest atoms per realised cloud, and the most.
ATOMS_MIN = 2
ATOMS_MAX = 10**8
#: Longest predicted run of one realised-cloud request over all its replicas (15 minutes on
#: 2 cores; the prediction scales with the threads Numba and finufft get).
CLOUD_SECONDS_MAX = 900.0
#: Largest seed (SeedSequence takes any non-negative integer; this keeps it a 64-bit word).
SEED_MAX = 2**63 - 1


def unit_vector(v, name, allow_none=False):
    """``v`` as a normalised float64 3-vector; ValueError naming ``name`` otherwise.

    Scaled by its largest component first, so huge or subnormal components
    neither overflow nor underflow the norm: (1e300, 0, 1e300) and
    (1e-320, 0, 1e-320) both give (1/√2, 0, 1/√2).  ``allow_none`` passes None
    through (the package's one spelling of "no dipole factor").
    """
    if v is None and allow_none:
        return None
    if isinstance(v, str):
        raise TypeError(f"{name} must be a 3-vector of numbers, got {v!r}")
    try:
        a = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 3-vector of numbers, got {v!r}") from None
    if a.shape != (3,) or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be a finite 3-vector, got {v!r}")
    big = float(np.max(np.abs(a)))
    if big == 0.0:
        raise ValueError(f"{name} must not be the zero vector")
    a = a / big
    return a / float(np.linalg.norm(a))


def number(value, name, lo=None, hi=None, *, lo_open=False, allow_none=False):
    """``value`` as a finite float in [lo, hi] (``lo_open``: lo excluded)."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not isinstance(value, (numbers.Real, np.floating, np.integer)):
        if isinstance(value, str):
            raise TypeError(f"{name} must be a number, got {value!r}")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a number, got {value!r}") from None
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if lo is not None and (value < lo or (lo_open and value == lo)):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo:g}, got {value:g}")
    if hi is not None and value > hi:
        raise ValueError(f"{name} must be <= {hi:g}, got {value:g}")
    return value


def integer(value, name, lo=None, hi=None, *, allow_none=False):
    """``value`` as an int in [lo, hi]; floats are accepted only when integral (2e5)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, (numbers.Integral, np.integer)):
        value = int(value)
    else:
        f = number(value, name)
        if f != math.floor(f):
            raise ValueError(f"{name} must be an integer, got {value!r}")
        value = int(f)
    if lo is not None and value < lo:
        raise ValueError(f"{name} must be >= {lo:g}, got {value:g}")
    if hi is not None and value > hi:
        raise ValueError(f"{name} must be <= {hi:g}, got {value:g}")
    return value


def choice(value, name, options):
    """``value`` if it is one of ``options``; ValueError listing them otherwise."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(str, options))}; got {value!r}")
    return value
