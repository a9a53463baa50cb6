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
#: Default sample budget (pair samples or directions) of a request without ``rel_err``.
DEFAULT_SAMPLES = 10**6
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


def finite_array(v, name, shape=(3,), kind="a 3-vector", finite="a finite 3-vector"):
    """``v`` as a float64 array of ``shape``: TypeError "``name`` must be ``kind`` of numbers"
    for text or non-numbers, ValueError "``name`` must be ``finite``" for a wrong shape or a
    non-finite entry.  The one conversion behind every vector and matrix check."""
    if isinstance(v, str):
        raise TypeError(f"{name} must be {kind} of numbers, got {v!r}")
    try:
        a = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be {kind} of numbers, got {v!r}") from None
    if a.shape != shape or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be {finite}, got {v!r}")
    return a


def unit_vector(v, name, allow_none=False):
    """``v`` as a normalised float64 3-vector; ValueError naming ``name`` otherwise.

    Scaled by its largest component first, so huge or subnormal components
    neither overflow nor underflow the norm: (1e300, 0, 1e300) and
    (1e-320, 0, 1e-320) both give (1/√2, 0, 1/√2).  ``allow_none`` passes None
    through (the package's one spelling of "no dipole factor").
    """
    if v is None and allow_none:
        return None
    a = finite_array(v, name)
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


def dipole(v, name="p_hat", allow_none=True):
    """A unit dipole p̂: a 3-vector of numbers, complex numbers or strings Python parses as
    complex (``"1j"``), normalised (scaled first, as :func:`unit_vector`).

    Returns a tuple of floats when p̂ is a real vector up to a global phase (the phase is
    divided out, so ``("1j", 0, 0)`` is x̂: a global phase changes no rate), else a tuple of
    complex numbers (σ± = ∓(x̂ ± iŷ)/√2 stays complex).  ``None`` passes (no dipole factor).

    Examples
    --------
    >>> from lehmberg._checks import dipole
    >>> dipole(["1j", 0, 0])
    (1.0, 0.0, 0.0)
    >>> [round(abs(c), 6) for c in dipole([1, "1j", 0])]
    [0.707107, 0.707107, 0.0]
    """
    if v is None and allow_none:
        return None
    if isinstance(v, str) or not hasattr(v, "__len__") or len(v) != 3:
        unit_vector(v, name)  # raises its message for a non-vector
        raise TypeError(f"{name} must be a 3-vector of (complex) numbers, got {v!r}")
    parts = []
    for x in v:
        if isinstance(x, (bool, np.bool_)):
            raise TypeError(f"{name} must be a 3-vector of (complex) numbers, got {v!r}")
        try:
            parts.append(complex(x.replace(" ", "")) if isinstance(x, str) else complex(x))
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a 3-vector of (complex) numbers, got {v!r}") from None
    a = np.array(parts, dtype=np.complex128)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be a finite 3-vector, got {v!r}")
    if not np.any(a.imag):  # a real vector: exactly unit_vector's (the paper's numbers)
        return tuple(float(x) for x in unit_vector(a.real, name))
    big = float(np.max(np.abs(a.view(np.float64))))
    if big == 0.0:
        raise ValueError(f"{name} must not be the zero vector")
    a = a / big
    a = a / float(np.sqrt(np.sum(a.real**2 + a.imag**2)))
    k = int(np.argmax(np.abs(a)))
    phase = a[k] / abs(a[k])
    b = a / phase  # the largest component made real and positive
    if np.all(np.abs(b.imag) <= 1e-15):
        return tuple(float(x) for x in b.real)
    return tuple(complex(x) for x in a)


def rotation(rows, name="axes", tol=1e-9):
    """Rows of an orthonormal 3×3 matrix (a cloud's axes 1, 2, 3 in lab coordinates),
    re-orthonormalised to rounding; ValueError naming ``name`` if they are not orthonormal
    to ``tol``."""
    a = finite_array(rows, name, (3, 3), "three 3-vectors", "three finite 3-vectors (rows)")
    if np.max(np.abs(a @ a.T - np.eye(3))) > tol:
        raise ValueError(f"{name}: rows are not orthonormal")
    u, _, vt = np.linalg.svd(a)
    return tuple(tuple(float(x) for x in row) for row in u @ vt)


def sizes(value, name, lo, hi):
    """Three sizes in [lo, hi] (one number: all equal), as a tuple of floats."""
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != 3:
            raise ValueError(f"{name} must be one number or three, got {value!r}")
        return tuple(number(x, name, lo, hi) for x in value)
    x = number(value, name, lo, hi)
    return (x, x, x)


def choice(value, name, options):
    """``value`` if it is one of ``options``; ValueError listing them otherwise."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(str, options))}; got {value!r}")
    return value


# --------------------------------------------------------------------------------------------
# The entanglement models (SPEC §5, §6, §8): their ranges, and the checks every model factory,
# optimiser and command calls.  Rates in units of Γ, times in units of 1/Γ.

#: Largest optical depth d of one ensemble.
D_MAX = 1e8
#: Largest squeezing parameter Z = 1/(|μ| − |ν|) (the smallest is exclusive: Z > 1).
Z_MAX = 1e6
#: Largest additional dephasing Γ_d^add, units of Γ.
GAMMA_ADD_MAX = 1e8
#: Largest pump parameter x.
X_MAX = 1e6
#: Most atoms per ensemble for an optical depth d = N Γ̄_I,I.
N_MAX = 1e15


def real(value, name, lo=None, hi=None, *, lo_open=False):
    """:func:`number` that also takes a complex or a 0-d array with zero imaginary part;
    anything that is not a number is a ValueError naming ``name``."""
    if isinstance(value, (complex, np.complexfloating)) or (
            isinstance(value, np.ndarray) and np.iscomplexobj(value)):
        value = complex(value)
        if value.imag != 0.0:
            raise ValueError(f"{name} must be real, got {value!r}")
        value = value.real
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    try:
        return number(value, name, lo, hi, lo_open=lo_open)
    except TypeError as exc:
        raise ValueError(str(exc)) from None


def complex_number(value, name):
    """``value`` as a finite complex (ValueError naming ``name`` otherwise)."""
    if isinstance(value, (str, bytes)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        value = complex(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(value.real) and math.isfinite(value.imag)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def complex_error(value, name):
    """The standard errors of a real and an imaginary part as ``err_re + 1j*err_im``, both >= 0."""
    value = complex_number(value, name)
    if value.real < 0 or value.imag < 0:
        raise ValueError(f"{name} must have real and imaginary parts >= 0 "
                         f"(errors of Re and Im), got {value!r}")
    return value


def array(value, name, lo=None, hi=None, *, lo_open=False, cplx=False, ndim=None, min_size=1):
    """``value`` as a finite float (``cplx``: complex) array with entries in [lo, hi]
    (``lo_open``: lo excluded; bounds apply to real arrays), of ``ndim`` dimensions when
    given and at least ``min_size`` entries."""
    try:
        a = np.asarray(value, dtype=complex if cplx else float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {'complex' if cplx else 'real'} numbers") from None
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array of at least {min_size} numbers, "
                         f"got shape {a.shape}")
    if a.size < min_size:
        raise ValueError(f"{name} must hold at least {min_size} numbers, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")
    if lo is not None and (np.any(a < lo) or (lo_open and np.any(a == lo))):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo:g}")
    if hi is not None and np.any(a > hi):
        raise ValueError(f"{name} must be <= {hi:g}")
    return a


def optical_depth(d, name="d"):
    """An optical depth d in (0, :data:`D_MAX`] (a number, or an array of them)."""
    if np.ndim(d):
        return array(d, name, 0.0, D_MAX, lo_open=True)
    return real(d, name, 0.0, D_MAX, lo_open=True)


def squeezing(Z, name="Z"):
    """A squeezing parameter Z = 1/(|μ| − |ν|) in (1, :data:`Z_MAX`] (number or array)."""
    if np.ndim(Z):
        z = array(Z, name, hi=Z_MAX)
        low = z[z <= 1]
    else:
        z = real(Z, name, hi=Z_MAX)
        low = [z] if z <= 1 else []
    if len(low):
        raise ValueError(f"{name} must be > 1, got {float(low[0]):g}")
    return z


def dephasing(gamma_add, name="gamma_add"):
    """Γ_d^add in [0, :data:`GAMMA_ADD_MAX`] (units of Γ; number or array)."""
    if np.ndim(gamma_add):
        return array(gamma_add, name, 0.0, GAMMA_ADD_MAX)
    return real(gamma_add, name, 0.0, GAMMA_ADD_MAX)


def pump(x, name="x"):
    """A pump parameter x in [0, :data:`X_MAX`] (number or array)."""
    if np.ndim(x):
        return array(x, name, 0.0, X_MAX)
    return real(x, name, 0.0, X_MAX)


def polarisation(P, name="P0"):
    """A polarisation in (0, 1] (number or array)."""
    if np.ndim(P):
        a = array(P, name)
        if np.any((a <= 0) | (a > 1)):
            raise ValueError(f"{name} must be in (0, 1]")
        return a
    P = real(P, name)
    if not 0 < P <= 1:
        raise ValueError(f"{name} must be in (0, 1], got {P:g}")
    return P


def times(t, name="t"):
    """Times in units of 1/Γ: a non-empty 1-D array of finite numbers >= 0, in the order given."""
    try:
        a = np.atleast_1d(np.asarray(t, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a non-empty list of finite numbers >= 0") from None
    if a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError(f"{name} must be a non-empty list of finite numbers >= 0")
    return a
