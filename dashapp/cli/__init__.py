"""The `pulse` command line: serving, loading, demo data and administration."""

from .main import main

__all__ = ["main"]
