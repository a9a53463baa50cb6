"""Subcommands of the ``lehmberg`` command line, one module each.

A module here defines ``register(subparsers)``, which adds its parser and sets
``func`` (called with the parsed arguments; returns the exit status).  :data:`COMMANDS`
names them with their one-line help, so that the command line imports only the
module of the subcommand it runs (``lehmberg --help`` and ``--version`` import none).
"""

#: Subcommand → (module in this package, one-line help shown by ``lehmberg --help``).
COMMANDS = {
    "entangle": ("entangle", "entanglement ξ, E_N, P₂ of two ensembles (two-level, three-level or "
                             "Gaussian model)"),
    "entangle-map": ("entangle_map", "map of ξ_∞, ξ_best, E_N over k_L L and k_L R/(k_L L)² "
                                     "(netCDF + figure)"),
    "figures": ("figures", "Figs. 3, 4, 7, 8 of the paper (PNG, PDF and HDF5 data)"),
    "rates": ("rates", "position-averaged rates Γ_ij, G_ij, Γ̄, Ḡ inside a cloud and between two"),
    "reference": ("reference", "quadrature reference Γ_ij, G_ij, Γ̄, Ḡ of Gaussian clouds (no "
                               "sampling)"),
    "shapes": ("shapes", "Γ_ij, d and ξ of two cigars against their aspect ratio, along and "
                         "across the probe (netCDF + figure)"),
    "scan": ("scan", "grid scan of rates through lehmberg.rates (in-process or on Dask), "
                     "resumable netCDF-4"),
    "validate": ("validate", "check Appendix B: k_L L scan, inter-cloud scan, Monte Carlo; HDF5 + "
                             "figure"),
}
