"""lehmberg: position-averaged Lehmberg dipole-dipole rates of atomic clouds.

Rates are in units of the single-atom decay rate Γ; lengths enter through the
dimensionless k_L L and k_L R (SPEC §1).
"""

from ._version import __version__
