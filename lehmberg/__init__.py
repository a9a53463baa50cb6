"""lehmberg: position-averaged Lehmberg dipole-dipole rates of atomic clouds.

Rates are in units of the single-atom decay rate Γ; lengths enter through the
dimensionless k_L L and k_L R (SPEC §1).  The front door::

    import lehmberg
    est = lehmberg.rates(lehmberg.Geometry(kL=30, kR=100), rel_err=0.01)

The names below are loaded when first used (PEP 562), so ``import lehmberg`` and a
command that needs only NumPy and SciPy do not pay for Numba, finufft, xarray or Dask.
"""

import importlib

from ._version import __version__

#: Public name → the submodule that defines it (imported on first access).
_LAZY = {
    "rates": "estimators", "choose_method": "estimators", "METHODS": "estimators",
    "plan_cost": "estimators", "execute": "estimators",
    "Geometry": "geometry", "Cloud": "geometry",
    "Rates": "result", "LehmbergWarning": "result", "TargetNotMetWarning": "result",
    "gamma": "kernels", "g": "kernels", "J": "kernels",
    "entangle": "entanglement", "Entanglement": "entanglement", "models_from_rates": "entanglement",
}

__all__ = ["__version__", "rates", "choose_method", "METHODS", "plan_cost", "execute",
           "Geometry", "Cloud", "Rates", "LehmbergWarning", "TargetNotMetWarning", "gamma", "g", "J",
           "entangle", "Entanglement", "models_from_rates"]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lehmberg' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
