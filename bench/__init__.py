"""Benchmarks: `./dev bench` (or `python -m bench`) prints each figure next to its target."""
