"""lehmberg: position-averaged Lehmberg dipole-dipole rates of atomic clouds.

Rates are in units of the single-atom decay rate Γ; lengths enter through the
dimensionless k_L L and k_L R (SPEC §1).  The front door::

    import lehmberg
    est = lehmberg.rates(lehmberg.Geometry(kL=30, kR=100), rel_err=0.01)
"""

from ._version import __version__
from .estimators import METHODS, choose_method, rates
from .geometry import Geometry
from .kernels import J, g, gamma
from .result import LehmbergWarning, Rates, TargetNotMetWarning

__all__ = ["__version__", "rates", "choose_method", "METHODS", "Geometry", "Rates",
           "LehmbergWarning", "TargetNotMetWarning", "gamma", "g", "J"]
