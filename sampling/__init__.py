"""Cloud geometry and random atomic positions (SPEC §1, §9).

Lengths are in units of 1/k_L, so a Gaussian cloud of size k_L L is
``GaussianCloud(L=kL)``.  Depends on NumPy alone.
"""

from .clouds import (STREAMS, BoxCloud, CovarianceGaussianCloud, CubeCloud, CylinderCloud,
                     GaussianCloud, TwoClouds, make_cloud, make_rng, probe_weight)

__all__ = ["GaussianCloud", "CubeCloud", "CovarianceGaussianCloud", "BoxCloud", "CylinderCloud",
           "TwoClouds", "make_cloud", "make_rng", "probe_weight", "STREAMS"]
