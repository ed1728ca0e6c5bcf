"""Benchmarks: `python -m bench --help`. Results go to docs/BENCHMARKS.md."""
