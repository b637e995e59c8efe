"""Metadata a steward reads in the Dagster UI: counts, a preview and the table's columns."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from odc_pipeline.privacy import scrub_column, scrub_identifiers
from odc_pipeline.validation.quarantine import PERSONAL_MASK

PREVIEW_ROWS = 10


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return ""
    return str(value).replace("|", "\\|").replace("\n", " ")[:80]


def markdown_preview(
    frame: pd.DataFrame, rows: int = PREVIEW_ROWS, total: int | None = None
) -> dg.MetadataValue:
    """The first rows as a Markdown table (no extra dependency for `to_markdown`), NIKs and
    phone numbers masked in every text cell: the table lands in Dagster's event log, which
    every UI user reads, and quotes what a file holds (a region, a candidate as written).
    `total`: the rows of the whole frame, when `frame` is already its first rows."""
    head = frame.head(rows).copy()
    for column in head.columns:
        head[column] = scrub_identifiers(head[column])
    total = len(frame) if total is None else total
    lines = [
        "| " + " | ".join(_cell(c) for c in head.columns) + " |",
        "|" + "---|" * len(head.columns),
        *("| " + " | ".join(_cell(v) for v in row) + " |" for row in head.itertuples(index=False)),
    ]
    if total > rows:
        lines.append(f"\n_{rows} of {total:,} rows shown_")
    return dg.MetadataValue.md("\n".join(lines))


def table_schema(frame: pd.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(name=str(c), type=str(frame[c].dtype)) for c in frame.columns]
    )


def frame_metadata(
    frame: pd.DataFrame,
    personal: tuple[str, ...] = (),
    free_text: tuple[str, ...] = (),
    shown: list[str] | None = None,
) -> dict[str, object]:
    """Row count, preview and schema of a frame, in the keys Dagster's UI knows.

    The preview lands in Dagster's event log, which every UI user can read: only the `shown`
    columns (all, if not given) appear in it, personal columns masked, free text scrubbed
    and NIKs and phone numbers masked in every other text (`markdown_preview`), as in the
    warehouse.
    """
    head = frame.head(PREVIEW_ROWS)
    head = (head if shown is None else head[shown]).copy()
    for column in personal:
        if column in head.columns:
            head[column] = head[column].map(
                lambda v: None if v is None or v != v else PERSONAL_MASK
            )
    for column in free_text:
        if column in head.columns:
            head[column] = scrub_column(head[column])
    preview = markdown_preview(head)
    if len(frame) > PREVIEW_ROWS:
        preview = dg.MetadataValue.md(
            preview.value + f"\n\n_{PREVIEW_ROWS} of {len(frame):,} rows shown_"
        )
    return {
        "dagster/row_count": len(frame),
        "preview": preview,
        "dagster/column_schema": table_schema(frame),
    }
