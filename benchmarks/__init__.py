"""Benchmarks: `python -m benchmarks <name>` (or `make bench`), results in bench/."""
