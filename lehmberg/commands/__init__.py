"""Subcommands of the ``lehmberg`` command line, one module each.

A module here defines ``register(subparsers)``, which adds its parser and sets
``func`` (called with the parsed arguments; returns the exit status).
"""
