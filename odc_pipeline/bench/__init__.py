"""Benchmarks: `python -m odc_pipeline.bench <name>` (or `make bench`), results in bench/."""
