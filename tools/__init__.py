"""Developer tooling that is not part of the shipped package (the wheel holds `odc_pipeline`
only): `python -m tools.audit` checks the pinned dependencies for known vulnerabilities."""
