"""Metadata a steward reads in the Dagster UI: counts, a preview and the table's columns."""

from __future__ import annotations

import dagster as dg
import pandas as pd

PREVIEW_ROWS = 10


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return ""
    return str(value).replace("|", "\\|").replace("\n", " ")[:80]


def markdown_preview(frame: pd.DataFrame, rows: int = PREVIEW_ROWS) -> dg.MetadataValue:
    """The first rows as a Markdown table (no extra dependency for `to_markdown`)."""
    head = frame.head(rows)
    lines = [
        "| " + " | ".join(_cell(c) for c in head.columns) + " |",
        "|" + "---|" * len(head.columns),
        *("| " + " | ".join(_cell(v) for v in row) + " |" for row in head.itertuples(index=False)),
    ]
    if len(frame) > rows:
        lines.append(f"\n_{rows} of {len(frame):,} rows shown_")
    return dg.MetadataValue.md("\n".join(lines))


def table_schema(frame: pd.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(name=str(c), type=str(frame[c].dtype)) for c in frame.columns]
    )


def frame_metadata(frame: pd.DataFrame) -> dict[str, object]:
    """Row count, preview and schema of a frame, in the keys Dagster's UI knows."""
    return {
        "dagster/row_count": len(frame),
        "preview": markdown_preview(frame),
        "dagster/column_schema": table_schema(frame),
    }
