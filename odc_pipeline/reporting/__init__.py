"""Run reports: one HTML page per run with the numbers a steward looks at, as pictures."""

from odc_pipeline.reporting.run_report import write_run_report

__all__ = ["write_run_report"]
