"""Run reports: one HTML page per run with the numbers a steward looks at, as pictures."""

from odc_pipeline.reporting.run_report import report_path, write_run_report

__all__ = ["report_path", "write_run_report"]
