"""Clouds of atoms: the paper's Gaussian and cube, every cloud of SPEC §9, and the two-cloud geometry.

A cloud draws positions (lengths in units of 1/k_L) and, for the paper's two, states its
characteristic function φ(K) = E[e^{iK·r}] (those of every SPEC §9 cloud are
``lehmberg.planewave``'s).  The paper's clouds are :class:`GaussianCloud` and :class:`CubeCloud`
(their streams are what :class:`TwoClouds` and the paper's estimators draw); the clouds of
SPEC §9 are :class:`CovarianceGaussianCloud` (any covariance and centre), :class:`BoxCloud`
(uniform, sides L_i along its axes) and :class:`CylinderCloud` (uniform, diameter L₁ = L₂,
length L₃ along its third axis), made from plain numbers by :func:`make_cloud`.  A cloud's
axes are the rows of a rotation (axis 1, 2, 3 in lab coordinates), as ``lehmberg.Cloud``
gives them.  :func:`probe_weight` is the amplitude u = exp(−ρ⊥²/w²) of a probe of waist w.

Random numbers come from ``numpy.random.Generator`` objects seeded through ``SeedSequence``
(see :func:`make_rng`), so every stream is named by a seed and a key.  This package depends
on NumPy alone.
"""

import math
import numbers

import numpy as np

__all__ = ["GaussianCloud", "CubeCloud", "CovarianceGaussianCloud", "BoxCloud", "CylinderCloud",
           "TwoClouds", "make_cloud", "make_rng", "probe_weight", "SHAPES", "STREAMS"]

#: The one table of seed-sequence streams: estimator → pair of clouds → stream key.  Batch b
#: (or replica r) of an estimator draws from ``make_rng(seed, STREAMS[estimator][pair], b)``
#: for the paper's set-up; geometries of clouds of their own (SPEC §9) draw from
#: ``make_rng(seed, STREAMS[estimator][pair], 1, b)`` (plane waves: ``…, 2, b``), so no two
#: estimators or pairs share random numbers for the same master seed.
STREAMS = {
    "pairs": {"intra": 0, "inter": 1},        # independent pairs (lehmberg.average)
    "clouds": {"intra": 10, "inter": 11},     # realised clouds' positions (lehmberg.clouds)
    "planewave": {"intra": 20, "inter": 21},  # emission directions (lehmberg.planewave)
}


def make_rng(seed, *key):
    """A ``numpy.random.Generator`` for the stream ``key`` of the master ``seed``.

    ``make_rng(seed, 0, 5)`` is the generator of batch 5 of stream 0; streams
    with different keys are statistically independent (``SeedSequence``
    spawn keys), and the same (seed, key) always gives the same numbers.
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=tuple(key))))


# ----------------------------------------------------------------------------- input checks
# (the package's own, so that sampling depends on NumPy alone; messages start with the name)

def _number(value, name, positive=False):
    if isinstance(value, (bool, np.bool_, str)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and value <= 0.0:
        raise ValueError(f"{name} must be > 0, got {value:g}")
    return value


def _array(value, name, shape, what):
    if isinstance(value, str):
        raise TypeError(f"{name} must be {what} of numbers, got {value!r}")
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be {what} of numbers, got {value!r}") from None
    if a.shape != shape or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be {what} of finite numbers, got {value!r}")
    return a


def _vector(value, name):
    v = np.asarray(value, dtype=np.float64) if not isinstance(value, str) else None
    if v is None or v.shape != (3,):
        raise ValueError(f"{name} must be a finite 3-vector, got {value!r}")
    return np.array([_number(x, name) for x in v])


def _length(value, name):
    return _number(value, name, positive=True)


def _unit(value, name):
    """A normalised 3-vector, scaled by its largest component first (as lehmberg's checks)."""
    a = _array(value, name, (3,), "a 3-vector")
    big = float(np.max(np.abs(a)))
    if big == 0.0:
        raise ValueError(f"{name} must not be the zero vector")
    a = a / big
    return a / float(np.linalg.norm(a))


def _sizes(value, name):
    if np.ndim(value) == 0:
        x = _length(value, name)
        return np.array([x, x, x])
    if len(value) != 3:
        raise ValueError(f"{name} must be one number or three, got {value!r}")
    return np.array([_length(x, name) for x in value])


def _axes(value, name="axes"):
    """Rows of a rotation (orthonormal to 1e-9), or the identity for None."""
    if value is None:
        return np.eye(3)
    a = _array(value, name, (3, 3), "three 3-vectors")
    if np.max(np.abs(a @ a.T - np.eye(3))) > 1e-9:
        raise ValueError(f"{name}: rows are not orthonormal")
    return a


class GaussianCloud:
    """The paper's cloud: density exp(−|r−c|²/L²)/(π^{3/2} L³).

    The per-axis standard deviation is L/√2 (SPEC §1), so the difference of two
    independent positions has density exp(−r²/2L²)/((2π)^{3/2} L³), Eq. (B6).
    """

    shape = "gaussian"

    def __init__(self, L, center=(0.0, 0.0, 0.0)):
        self.L = _length(L, "L")
        self.center = _vector(center, "center")

    @property
    def sigma(self):
        """Per-axis standard deviation L/√2."""
        return self.L / math.sqrt(2.0)

    def sample(self, n, rng):
        """``n`` positions, shape (n, 3)."""
        return self.center + self.sigma * rng.standard_normal((n, 3))

    def characteristic_function(self, K):
        """E[e^{iK·r}] = exp(iK·c − L²|K|²/4) for wave vectors K of shape (..., 3)."""
        K = np.asarray(K, dtype=np.float64)
        return np.exp(1j * (K @ self.center) - 0.25 * self.L**2 * np.sum(K * K, axis=-1))

    def __repr__(self):
        return f"GaussianCloud(L={self.L!r}, center={self.center.tolist()!r})"


class CubeCloud:
    """Atoms uniform in a cube of side L centred at c, edges along the axes."""

    shape = "cube"

    def __init__(self, L, center=(0.0, 0.0, 0.0)):
        self.L = _length(L, "L")
        self.center = _vector(center, "center")

    @property
    def sigma(self):
        """Per-axis standard deviation L/√12."""
        return self.L / math.sqrt(12.0)

    def sample(self, n, rng):
        """``n`` positions, shape (n, 3)."""
        return self.center + self.L * (rng.random((n, 3)) - 0.5)

    def characteristic_function(self, K):
        """E[e^{iK·r}] = e^{iK·c} ∏_a sinc(K_a L/2), sinc x = sin x / x."""
        K = np.asarray(K, dtype=np.float64)
        return np.exp(1j * (K @ self.center)) * np.prod(np.sinc(K * self.L / (2 * np.pi)), axis=-1)

    def __repr__(self):
        return f"CubeCloud(L={self.L!r}, center={self.center.tolist()!r})"


class _Cloud:
    """A SPEC §9 cloud: centre, axes (rows), sizes; positions are centre + offsets."""

    shape = ""

    def sample(self, n, rng):
        """``n`` positions, shape (n, 3)."""
        return self.center + self.offsets(n, rng)

    def __repr__(self):
        return (f"{type(self).__name__}(L={self.L.tolist()!r}, center={self.center.tolist()!r}, "
                f"axes={self.axes.tolist()!r})")


class CovarianceGaussianCloud(_Cloud):
    """A Gaussian of any covariance Σ and centre c (SPEC §9: Σ = Q diag(L_i²/2) Qᵀ).

    Parameters
    ----------
    cov : 3×3 array
        Symmetric, positive definite (lengths² in units of 1/k_L²).
    center : 3-vector

    Examples
    --------
    >>> import numpy as np
    >>> from sampling import CovarianceGaussianCloud, make_rng
    >>> c = CovarianceGaussianCloud(np.diag([0.5, 2.0, 8.0]), (0.0, 0.0, 3.0))
    >>> c.sample(4, make_rng(1)).shape
    (4, 3)
    """

    shape = "gaussian"

    def __init__(self, cov, center=(0.0, 0.0, 0.0)):
        cov = _array(cov, "cov", (3, 3), "a 3x3 matrix")
        if np.max(np.abs(cov - cov.T)) > 1e-12 * np.max(np.abs(cov)):
            raise ValueError("cov must be symmetric")
        self.cov = 0.5 * (cov + cov.T)
        try:
            self._chol = np.linalg.cholesky(self.cov)
        except np.linalg.LinAlgError:
            raise ValueError("cov must be positive definite") from None
        self.center = _vector(center, "center")
        lam, V = np.linalg.eigh(self.cov)
        self.L = np.sqrt(2.0 * lam)     # sizes along the principal axes (rows of ``axes``)
        self.axes = V.T

    @classmethod
    def from_sizes(cls, L, center=(0.0, 0.0, 0.0), axes=None):
        """The Gaussian of sizes L_i along the rows of ``axes``: Σ = Qᵀ diag(L_i²/2) Q, Q = axes."""
        L = _sizes(L, "L")
        A = _axes(axes)
        return cls((A.T * (L * L / 2.0)) @ A, center)

    def offsets(self, n, rng):
        """``n`` positions minus the centre, shape (n, 3)."""
        return rng.standard_normal((n, 3)) @ self._chol.T

    def __repr__(self):
        return f"CovarianceGaussianCloud(cov={self.cov.tolist()!r}, center={self.center.tolist()!r})"


class BoxCloud(_Cloud):
    """Atoms uniform in a box of sides L_i along the rows of ``axes``, centred at c (SPEC §9).

    Examples
    --------
    >>> from sampling import BoxCloud, make_rng
    >>> x = BoxCloud((2.0, 4.0, 6.0)).sample(1000, make_rng(1))
    >>> bool((abs(x) <= [1.0, 2.0, 3.0]).all())
    True
    """

    shape = "box"

    def __init__(self, L, center=(0.0, 0.0, 0.0), axes=None):
        self.L = _sizes(L, "L")
        self.center = _vector(center, "center")
        self.axes = _axes(axes)

    @property
    def volume(self):
        return float(np.prod(self.L))

    def offsets(self, n, rng):
        """``n`` positions minus the centre, shape (n, 3)."""
        return ((rng.random((n, 3)) - 0.5) * self.L) @ self.axes


class CylinderCloud(_Cloud):
    """Atoms uniform in a cylinder of diameter L₁ = L₂ and length L₃ along the third row of
    ``axes``, centred at c (SPEC §9).

    Examples
    --------
    >>> import numpy as np
    >>> from sampling import CylinderCloud, make_rng
    >>> x = CylinderCloud((2.0, 2.0, 6.0)).sample(1000, make_rng(1))
    >>> bool((np.hypot(x[:, 0], x[:, 1]) <= 1.0).all() and (abs(x[:, 2]) <= 3.0).all())
    True
    """

    shape = "cylinder"

    def __init__(self, L, center=(0.0, 0.0, 0.0), axes=None):
        self.L = _sizes(L, "L")
        if self.L[0] != self.L[1]:
            raise ValueError(f"L: a cylinder has one diameter (L1 = L2), got {self.L[:2].tolist()}")
        self.center = _vector(center, "center")
        self.axes = _axes(axes)

    @property
    def volume(self):
        return float(math.pi * self.L[0] ** 2 * self.L[2] / 4.0)

    def offsets(self, n, rng):
        """``n`` positions minus the centre, shape (n, 3): radius (D/2)√U, uniform angle."""
        u = rng.random((n, 3))
        rho = 0.5 * self.L[0] * np.sqrt(u[:, 0])
        phi = 2.0 * math.pi * u[:, 1]
        local = np.stack([rho * np.cos(phi), rho * np.sin(phi), self.L[2] * (u[:, 2] - 0.5)], axis=1)
        return local @ self.axes


SHAPES = {"gaussian": GaussianCloud, "cube": CubeCloud, "box": BoxCloud, "cylinder": CylinderCloud}


def make_cloud(shape, L, center=(0.0, 0.0, 0.0), axes=None):
    """A cloud of the named shape from plain numbers.

    Parameters
    ----------
    shape : {"gaussian", "cube", "box", "cylinder"}
    L : float or 3 floats
        Size(s) along the cloud's axes: Gaussian per-axis standard deviation L_i/√2, box
        sides, cylinder (diameter, diameter, length).
    center : 3-vector
    axes : 3×3, optional
        Rows: the cloud's axes in lab coordinates (default the lab axes).

    One size and no axes give the paper's clouds (:class:`GaussianCloud`, :class:`CubeCloud`:
    the streams of the paper's estimators); otherwise :class:`CovarianceGaussianCloud`,
    :class:`BoxCloud` or :class:`CylinderCloud`.

    Examples
    --------
    >>> from sampling import make_cloud
    >>> make_cloud("gaussian", 2.0).shape, make_cloud("box", (1, 2, 3)).shape
    ('gaussian', 'box')
    """
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; choose from {sorted(SHAPES)}")
    paper = np.ndim(L) == 0 and axes is None
    if shape == "gaussian":
        return GaussianCloud(L, center) if paper else CovarianceGaussianCloud.from_sizes(L, center, axes)
    if shape == "cube":
        return CubeCloud(L, center) if paper else BoxCloud(L, center, axes)
    return SHAPES[shape](L, center, axes)


def probe_weight(positions, center, k_hat, waist):
    """The probe amplitude u = exp(−ρ⊥²/w²) of each position (SPEC §9).

    ρ⊥ is the distance from the probe axis through ``center`` along the unit vector ``k_hat``.

    Parameters
    ----------
    positions : array, shape (n, 3)
    center, k_hat : 3-vectors (k_hat is normalised here)
    waist : float
        w in units of 1/k_L, > 0.

    Returns
    -------
    numpy.ndarray, shape (n,)

    Examples
    --------
    >>> from sampling import probe_weight
    >>> probe_weight([[1.0, 0.0, 5.0], [0.0, 0.0, -2.0]], (0, 0, 0), (0, 0, 1), 1.0).round(6).tolist()
    [0.367879, 1.0]
    """
    k = _unit(k_hat, "k_hat")
    w = _length(waist, "waist")
    d = np.asarray(positions, dtype=np.float64) - _vector(center, "center")
    perp = d - np.outer(d @ k, k)
    return np.exp(-np.einsum("ij,ij->i", perp, perp) / (w * w))


class TwoClouds:
    """Cloud I centred at 0 and cloud II centred at R·R̂ (SPEC §1), same shape and size.

    Parameters
    ----------
    shape : {"gaussian", "cube"}
    L : float
        Cloud size (k_L L when lengths are in units of 1/k_L).
    R : float
        Centre-to-centre distance (k_L R), >= 0.
    R_dir : 3-vector
        Direction of R (normalised here); default ẑ, the probe direction.
    """

    def __init__(self, shape="gaussian", L=1.0, R=0.0, R_dir=(0.0, 0.0, 1.0)):
        if shape not in ("gaussian", "cube"):
            raise ValueError(f"shape must be 'gaussian' or 'cube' (the paper's clouds), got {shape!r}")
        self.shape = shape
        self.R = _number(R, "R")
        if self.R < 0.0:
            raise ValueError(f"R must be >= 0, got {self.R:g}")
        self.R_dir = _unit(R_dir, "R_dir")
        self.I = make_cloud(shape, L, (0.0, 0.0, 0.0))
        self.II = make_cloud(shape, L, R * self.R_dir)

    @property
    def L(self):
        return self.I.L

    def pair(self, which):
        """The clouds (a, b) of atom i and atom j: ``"intra"`` (I, I) or ``"inter"`` (I, II)."""
        if which == "intra":
            return self.I, self.I
        if which == "inter":
            return self.I, self.II
        raise ValueError(f"which must be 'intra' or 'inter', got {which!r}")

    def sample_pairs(self, n, rng, which="intra"):
        """``n`` independent separations r = r_i − r_j, shape (n, 3), i in a, j in b."""
        a, b = self.pair(which)
        return a.sample(n, rng) - b.sample(n, rng)

    def difference_law(self, which="intra"):
        """The law of r = r_i − r_j as (shape, mean, scale).

        Gaussian: normal with the given mean and per-axis variance ``scale``
        (L² for the paper's clouds).  Cube: product of triangular densities
        centred on ``mean`` with half-width ``scale`` = L.
        """
        a, b = self.pair(which)
        mean = a.center - b.center
        if self.shape == "gaussian":
            return "gaussian", mean, a.sigma**2 + b.sigma**2
        return "cube", mean, a.L

    def realise(self, N, rng):
        """One snapshot of the experiment: positions of N atoms in each cloud, two (N, 3) arrays."""
        N = int(N)
        if N < 2:
            raise ValueError(f"N must be >= 2, got {N!r}")
        return self.I.sample(N, rng), self.II.sample(N, rng)

    def __repr__(self):
        return f"TwoClouds(shape={self.shape!r}, L={self.L!r}, R={self.R!r}, R_dir={self.R_dir.tolist()!r})"
