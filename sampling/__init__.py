"""Cloud geometry and random atomic positions (SPEC §1).

Lengths are in units of 1/k_L, so a Gaussian cloud of size k_L L is
``GaussianCloud(L=kL)``.
"""

from .clouds import STREAMS, CubeCloud, GaussianCloud, TwoClouds, make_cloud, make_rng

__all__ = ["GaussianCloud", "CubeCloud", "TwoClouds", "make_cloud", "make_rng", "STREAMS"]
