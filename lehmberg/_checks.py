"""Input checks shared by the numerics (the command line turns their ValueErrors into one line)."""

import numpy as np


def unit_vector(v, name, allow_none=False):
    """``v`` as a normalised float64 3-vector; ValueError naming ``name`` otherwise.

    Scaled by its largest component first, so huge or subnormal components
    neither overflow nor underflow the norm.  ``allow_none`` passes None through.
    """
    if v is None and allow_none:
        return None
    a = np.asarray(v, dtype=np.float64)
    if a.shape != (3,) or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be a finite 3-vector, got {v!r}")
    big = float(np.max(np.abs(a)))
    if big == 0.0:
        raise ValueError(f"{name} must not be the zero vector")
    a = a / big
    return a / float(np.linalg.norm(a))
