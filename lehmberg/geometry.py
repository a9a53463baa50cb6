"""The geometry of one request: cloud size, separation, directions, shape (SPEC §1).

Lengths are in units of 1/k_L; the probe is along ẑ.  A :class:`Geometry` is
validated once, when it is made, and every estimator and every command takes one.
"""

from __future__ import annotations

import dataclasses
import math

from . import _checks

__all__ = ["Geometry", "SHAPES", "CS_D2_WAVELENGTH"]

#: Cloud shapes: the paper's Gaussian (per-axis standard deviation L/√2) and a uniform cube of side L.
SHAPES = ("gaussian", "cube")
#: Vacuum wavelength of the Cs D2 line in metres (Steck, Cesium D Line Data), the default probe.
CS_D2_WAVELENGTH = 852.347e-9


@dataclasses.dataclass(frozen=True)
class Geometry:
    """Two clouds of the same shape and size: cloud I at 0, cloud II at k_L R along R̂.

    Parameters
    ----------
    kL : float
        k_L L, the cloud size in units of 1/k_L, in ``KL_RANGE`` = [1e-3, 1e7].
    kR : float or None
        k_L R, the centre distance of cloud II, in [0, 1e12]; ``None`` means one
        cloud (the rates inside cloud I).
    R_dir : 3-vector
        Direction of R (normalised here; default ẑ, the probe direction).
    p_hat : 3-vector or None
        Dipole direction (normalised here; default x̂).  ``None`` drops the dipole
        factor (1 − (p̂·r̂)²) as the paper does between clouds: kernels
        (3/2) sin x/x and −(3/2) cos x/x.
    shape : {"gaussian", "cube"}
        Cloud shape.

    Examples
    --------
    >>> from lehmberg import Geometry
    >>> g = Geometry(kL=10, kR=30)
    >>> g.pair, g.single().pair
    ('inter', 'intra')
    >>> Geometry(kL=10, R_dir=(1e300, 0, 1e300)).R_dir == Geometry(kL=10, R_dir=(1, 0, 1)).R_dir
    True
    """

    kL: float
    kR: float | None = None
    R_dir: tuple = (0.0, 0.0, 1.0)
    p_hat: tuple | None = (1.0, 0.0, 0.0)
    shape: str = "gaussian"

    def __post_init__(self):
        put = object.__setattr__.__get__(self)
        put("kL", _checks.number(self.kL, "kL", *_checks.KL_RANGE))
        put("kR", _checks.number(self.kR, "kR", 0.0, _checks.KR_MAX, allow_none=True))
        put("R_dir", tuple(float(x) for x in _checks.unit_vector(self.R_dir, "R_dir")))
        p = _checks.unit_vector(self.p_hat, "p_hat", allow_none=True)
        put("p_hat", None if p is None else tuple(float(x) for x in p))
        put("shape", _checks.choice(self.shape, "shape", SHAPES))

    @classmethod
    def from_lengths(cls, L, R=None, wavelength=CS_D2_WAVELENGTH, **kw) -> "Geometry":
        """The geometry of clouds of size ``L`` metres at distance ``R`` metres.

        k_L L = 2πL/λ and k_L R = 2πR/λ; the other keywords as for :class:`Geometry`.

        Examples
        --------
        >>> round(Geometry.from_lengths(L=1e-2, R=0.5).kL)
        73716
        """
        lam = _checks.number(wavelength, "wavelength", 0.0, lo_open=True)
        L = _checks.number(L, "L", 0.0, lo_open=True)
        R = _checks.number(R, "R", 0.0, allow_none=True)
        kL = 2.0 * math.pi * L / lam
        kR = None if R is None else 2.0 * math.pi * R / lam
        for name, value, lo, hi in (("L", kL, *_checks.KL_RANGE), ("R", kR, 0.0, _checks.KR_MAX)):
            if value is not None and not lo <= value <= hi:
                raise ValueError(f"{name} must give k_L {name} = 2π{name}/λ in [{lo:g}, {hi:g}], "
                                 f"got {value:g}")
        return cls(kL=kL, kR=kR, **kw)

    @property
    def pair(self) -> str:
        """``"intra"`` (both atoms in cloud I) when ``kR`` is None, else ``"inter"`` (I, II)."""
        return "intra" if self.kR is None else "inter"

    @property
    def fresnel(self) -> float | None:
        """The Fresnel parameter u = k_L R/(k_L L)² (None for one cloud)."""
        return None if self.kR is None else self.kR / self.kL**2

    def single(self) -> "Geometry":
        """The same clouds without cloud II: the rates inside cloud I."""
        return dataclasses.replace(self, kR=None)

    def clouds(self):
        """The :class:`sampling.TwoClouds` of this geometry (cloud II at the origin for one cloud)."""
        from sampling import TwoClouds

        return TwoClouds(self.shape, self.kL, 0.0 if self.kR is None else self.kR, self.R_dir)

    def as_dict(self) -> dict:
        """Plain values for JSON and file attributes (``p_hat`` None: no dipole factor)."""
        return {"shape": self.shape, "kL": self.kL, "kR": self.kR, "R_dir": list(self.R_dir),
                "p_hat": None if self.p_hat is None else list(self.p_hat)}
