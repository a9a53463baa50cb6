"""The package version (owned by the packaging; see setup.cfg)."""

__version__ = "0.1.0"
