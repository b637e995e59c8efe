"""The quarantine record: one line per problem found in a rejected row.

A rejected row is never dropped: its problems are listed with the row number a steward sees
in the original file, the column, the value, the rule and a plain-language reason, and the
whole original row is kept as JSON so the numbers can be recovered once the file is fixed.
The reason is a message (the UI, the held-back alert and the terminal quote it), so a value
it quotes is cut short there; the value and the row stay whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from odc_pipeline.privacy import scrub_text
from odc_pipeline.quoting import with_value_quoted
from odc_pipeline.reading.headers import FILE_HASH, PROVENANCE_COLUMNS, SOURCE_ROW

QUARANTINE_COLUMNS = [
    "source_id",
    "source_row",
    "column_name",
    "value",
    "rule",
    "reason",
    "row_data",
    "file_hash",
]


@dataclass(frozen=True)
class Problem:
    """One failed rule on one row (by the frame's index)."""

    index: Any
    column: str | None
    value: Any
    rule: str
    reason: str


def _jsonable(value: Any) -> Any:
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


PERSONAL_MASK = "[personal data removed]"


def row_as_json(
    row: Mapping[str, Any], personal: tuple[str, ...] = (), free_text: tuple[str, ...] = ()
) -> str:
    """The row's own cells (provenance left out, personal data masked or scrubbed) as JSON."""
    cells = {}
    for key, value in row.items():
        if key in PROVENANCE_COLUMNS:
            continue
        value = _jsonable(value)
        if key in personal and value is not None:
            value = PERSONAL_MASK
        elif key in free_text:
            value = scrub_text(value)
        cells[key] = value
    return json.dumps(cells, ensure_ascii=False, default=str)


def _shown_value(
    problem: Problem, row: Mapping[str, Any], personal: tuple[str, ...], free_text: tuple[str, ...]
) -> str | None:
    """The cell as the file wrote it (`14-02-2030`, `—`) where the rule judged it parsed
    (`2030-02-14 00:00:00`) or read it as empty; a text the rule gives stays (a cell far too
    long is cut there)."""
    written = row.get(problem.column) if problem.column is not None else None
    parsed = not isinstance(problem.value, str)
    value = written if parsed and isinstance(written, str) and written.strip() else problem.value
    if value is None:
        return None
    if problem.column in personal:
        return PERSONAL_MASK
    shown = str(_jsonable(value))
    return scrub_text(shown) if problem.column in free_text else shown


def rows_by_index(original: pd.DataFrame, indexes: list) -> dict[Any, Mapping[str, Any]]:
    """Rows of `original`, each as column -> cell, picked out of the frame in one lookup: a
    lookup per rejected row costs more than the rest of the quarantine put together."""
    if original.index.is_unique:
        return original.loc[indexes].to_dict(orient="index")
    return {index: original.loc[index] for index in indexes}


def quarantine_frame(
    source_id: str,
    original: pd.DataFrame,
    problems: list[Problem],
    personal: tuple[str, ...] = (),
    free_text: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Turn problems into quarantine records, sorted by row then column."""
    if not problems:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in QUARANTINE_COLUMNS}).astype(
            {"source_row": "Int64"}
        )
    rows = rows_by_index(original, list(dict.fromkeys(p.index for p in problems)))
    row_data: dict[Any, str] = {}  # a row with several problems is written out once
    records = []
    for problem in problems:
        row = rows[problem.index]
        if problem.index not in row_data:
            row_data[problem.index] = row_as_json(row, personal, free_text)
        records.append(
            {
                "source_id": source_id,
                "source_row": int(row[SOURCE_ROW]),
                "column_name": problem.column,
                "value": _shown_value(problem, row, personal, free_text),
                "rule": problem.rule,
                # Reasons are written in many places with `{value!r}`; one cut here keeps
                # every one of them short, whatever cell it quotes.
                "reason": with_value_quoted(problem.reason, problem.value),
                "row_data": row_data[problem.index],
                "file_hash": row[FILE_HASH],
            }
        )
    frame = pd.DataFrame.from_records(records, columns=QUARANTINE_COLUMNS)
    frame["source_row"] = frame["source_row"].astype("Int64")
    return frame.sort_values(["source_row", "column_name"], na_position="last").reset_index(
        drop=True
    )


def empty_quarantine() -> pd.DataFrame:
    return quarantine_frame("", pd.DataFrame(), [])


def concat_quarantine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    non_empty = [f for f in frames if len(f)]
    if not non_empty:
        return empty_quarantine()
    combined = pd.concat(non_empty, ignore_index=True)
    return combined.sort_values(
        ["source_row", "column_name"], na_position="last", ignore_index=True
    )


__all__ = [
    "QUARANTINE_COLUMNS",
    "SOURCE_ROW",
    "Problem",
    "concat_quarantine",
    "empty_quarantine",
    "quarantine_frame",
    "row_as_json",
    "rows_by_index",
]
