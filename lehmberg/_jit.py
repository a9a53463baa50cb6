"""The package's one Numba policy, and the branch-free elementary functions of its kernels.

Every compiled function is made by one of four decorators (after numba-stats' ``_jit``):

``kernel``
    a scalar helper inlined into its callers (``inline="always"``);
``function``
    a compiled function called from Python or from other compiled functions;
``loop``
    a ``prange`` loop (``parallel=True``).

All are cached on disk (``cache=True``, so the second run does not pay the compile) and use
NumPy's error model (a division by zero gives inf/nan, never an exception inside a kernel).
``fast=True`` adds :data:`FAST` — reassociation and contraction only (no unsafe math), which
lets LLVM vectorise the reductions; it changes results at the rounding level, so each function
keeps the setting it was validated with.

``sincos`` is a Cody–Waite reduction with the fdlibm minimax polynomials (about 1 ulp for
0 <= x < 1.6e6): unlike ``math.sin``/``math.cos`` it has no branch, so LLVM vectorises the
loops that call it (``pairsum`` and the ``structure`` cell list).
"""

import math

import numba as nb

__all__ = ["FAST", "kernel", "function", "loop", "sincos"]

#: fastmath flags of ``fast=True``: reassociation and contraction, no unsafe math.
FAST = frozenset({"reassoc", "contract"})


def _options(fast, **extra):
    opts = dict(cache=True, error_model="numpy", **extra)
    if fast:
        opts["fastmath"] = set(FAST)
    return opts


def _decorator(fn, fast, **extra):
    make = nb.njit(**_options(fast, **extra))
    return make if fn is None else make(fn)


def kernel(fn=None, *, fast=False):
    """A scalar helper, inlined into every compiled caller."""
    return _decorator(fn, fast, inline="always")


def function(fn=None, *, fast=False):
    """A compiled (not inlined) function."""
    return _decorator(fn, fast)


def loop(fn=None, *, fast=False):
    """A compiled function with ``prange`` loops (Numba's threads)."""
    return _decorator(fn, fast, parallel=True)


# Cody–Waite split of π/2 (fdlibm): n·_P1 is exact for n < 2^20 (k r < 1.6e6)
_TWO_OVER_PI = 0.636619772367581382433
_P1 = 1.57079632673412561417e+00
_P2 = 6.07710050630396597660e-11
_P3 = 2.02226624879595063154e-21
# fdlibm __kernel_sin / __kernel_cos on |y| <= π/4
_S1, _S2, _S3 = -1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04
_S4, _S5, _S6 = 2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10
_C1, _C2, _C3 = 4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05
_C4, _C5, _C6 = -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11


@kernel(fast=True)
def sincos(x):
    """(sin x, cos x) for 0 <= x < 1.6e6, branch-free (vectorisable), about 1 ulp."""
    n = math.floor(x * _TWO_OVER_PI + 0.5)
    y = ((x - n * _P1) - n * _P2) - n * _P3
    z = y * y
    s = y + y * z * (_S1 + z * (_S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))))
    c = 1.0 - 0.5 * z + z * z * (_C1 + z * (_C2 + z * (_C3 + z * (_C4 + z * (_C5 + z * _C6)))))
    q = n - 4.0 * math.floor(n * 0.25)  # quadrant 0..3
    odd = (q == 1.0) | (q == 3.0)
    sn = c if odd else s
    cs = s if odd else c
    sn = -sn if q >= 2.0 else sn
    cs = -cs if (q == 1.0) | (q == 2.0) else cs
    return sn, cs


