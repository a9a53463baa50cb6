"""Old name of :mod:`lehmberg._jit` (kept only until ``structure`` moves to it)."""

from ._jit import FAST

_FAST = set(FAST)
from ._jit import sincos as _sincos  # noqa: F401
