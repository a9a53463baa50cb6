"""Clouds of atoms: the paper's Gaussian, a uniform cube, and the two-cloud geometry.

A cloud draws positions and states its characteristic function
φ(K) = E[e^{iK·r}] where one is known in closed form.  Random numbers come from
``numpy.random.Generator`` objects seeded through ``SeedSequence`` (see
:func:`make_rng`), so every stream is named by a seed and a key.
"""

import math

import numpy as np

__all__ = ["GaussianCloud", "CubeCloud", "TwoClouds", "make_cloud", "make_rng", "SHAPES", "STREAMS"]

#: The one table of seed-sequence streams: estimator → pair of clouds → stream key.  Batch b
#: (or replica r) of an estimator draws from ``make_rng(seed, STREAMS[estimator][pair], b)``,
#: so no two estimators or pairs share random numbers for the same master seed.
STREAMS = {
    "pairs": {"intra": 0, "inter": 1},        # independent pairs (lehmberg.average)
    "clouds": {"intra": 10, "inter": 11},     # realised clouds' positions (lehmberg.pairsum)
    "planewave": {"intra": 20, "inter": 21},  # emission directions (lehmberg.planewave)
}


def make_rng(seed, *key):
    """A ``numpy.random.Generator`` for the stream ``key`` of the master ``seed``.

    ``make_rng(seed, 0, 5)`` is the generator of batch 5 of stream 0; streams
    with different keys are statistically independent (``SeedSequence``
    spawn keys), and the same (seed, key) always gives the same numbers.
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=tuple(key))))


def _vector(value, name):
    from lehmberg._checks import number

    v = np.asarray(value, dtype=np.float64) if not isinstance(value, str) else None
    if v is None or v.shape != (3,):
        raise ValueError(f"{name} must be a finite 3-vector, got {value!r}")
    return np.array([number(x, name) for x in v])


def _length(value, name):
    from lehmberg._checks import number

    return number(value, name, 0.0, lo_open=True)


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


SHAPES = {"gaussian": GaussianCloud, "cube": CubeCloud}


def make_cloud(shape, L, center=(0.0, 0.0, 0.0)):
    """A cloud of the named shape (``"gaussian"`` or ``"cube"``)."""
    try:
        cls = SHAPES[shape]
    except KeyError:
        raise ValueError(f"unknown shape {shape!r}; choose from {sorted(SHAPES)}") from None
    return cls(L, center)


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
        from lehmberg._checks import number, unit_vector

        self.shape = shape
        self.R = number(R, "R", 0.0)
        self.R_dir = unit_vector(R_dir, "R_dir")
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
