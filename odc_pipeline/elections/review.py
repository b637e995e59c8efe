"""The review queue for parties and presidential pairs, on the queue regions use.

A value the contestant harmonizer would not decide ("Partai Demokrasi Indonesia", "Paslon
Jokowi") is listed once per source, column and election with its rows, examples, the reason
and the closest parties or pairs. A steward fills `decision_id` (a `party_id` of
`parties.csv` or a `pair_id` of `pairs.csv`) in the exported CSV; the import checks it names a
contestant of that election and appends it to `data/reference/contestant_aliases.csv`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from odc_pipeline.elections.reference import ALIAS_COLUMNS, ALIASES_FILE, ElectionTables
from odc_pipeline.review_queue import (
    ImportReport,
    alias_scope,
    decision_note,
    grouped_values,
    import_queue,
    write_queue_csv,
)

REVIEW_COLUMNS = [
    "source_id",
    "column_name",
    "subject",
    "year",
    "value",
    "rows",
    "example_rows",
    "reason",
    "suggestions",
]


def contestant_review_items(harmonized: pd.DataFrame, source_id: str) -> pd.DataFrame:
    """Distinct party and pair values no rule decided, with counts, examples and suggestions."""
    if "contestant_problem" not in harmonized:
        return pd.DataFrame(columns=REVIEW_COLUMNS)
    frame = harmonized.loc[harmonized["contestant_problem"].notna()]
    if frame.empty:
        return pd.DataFrame(columns=REVIEW_COLUMNS)
    value = pd.Series(None, index=frame.index, dtype=object)
    for column in frame["contestant_problem_column"].unique():
        rows = frame["contestant_problem_column"] == column
        value[rows] = frame.loc[rows, column].astype(object)
    frame = frame.assign(_value=value)
    keys = ["contestant_problem_column", "contestant_problem_subject", "year", "_value"]
    items = grouped_values(
        frame,
        harmonized,
        keys,
        {"reason": "contestant_problem", "suggestions": "contestant_suggestions"},
    )
    return pd.DataFrame(
        {
            "source_id": source_id,
            "column_name": items["contestant_problem_column"],
            "subject": items["contestant_problem_subject"],
            "year": items["year"].astype("Int64"),
            "value": items["_value"].astype(str),
            "rows": items["rows"].astype(int),
            "example_rows": items["first_rows"],
            "reason": items["reason"],
            "suggestions": items["suggestions"].astype(object),
        }
    )


def write_contestant_review_csv(items: pd.DataFrame, path: Path) -> int:
    """The queue as a CSV a steward can open in a spreadsheet; two columns left to fill."""
    return write_queue_csv(items, REVIEW_COLUMNS, {"decision_id": "", "scope": "source"}, path)


def _check(line: int, row: dict, tables: ElectionTables) -> str | None:
    decision, subject = row["decision_id"], row.get("subject")
    try:
        year = int(row.get("year") or "")
    except ValueError:
        return f"line {line}: year {row.get('year')!r} is not an election year"
    if subject == "party":
        standing = tables.ballots.loc[tables.ballots["year"] == year, "party_id"]
        if decision not in set(standing):
            shown = ", ".join(sorted(standing))
            return (
                f"line {line}: decision_id {decision!r} is not a party of the {year} election; "
                f"use one of: {shown}"
            )
    elif subject == "pair":
        pairs = tables.pairs.loc[tables.pairs["year"] == year, "pair_id"]
        if decision not in set(pairs):
            return (
                f"line {line}: decision_id {decision!r} is not a presidential pair of {year}; "
                f"use one of: {', '.join(sorted(pairs))}"
            )
    else:
        return f"line {line}: subject {subject!r} must be party or pair"
    return None


def import_contestant_decisions(
    path: Path, reference_dir: Path, tables: ElectionTables
) -> ImportReport:
    """Append the filled-in decisions of a review CSV to the alias file, all or nothing."""

    def alias_row(row: dict) -> list[str]:
        scope, note = alias_scope(row), decision_note()
        return [row["value"], row["subject"], row["year"], row["decision_id"], scope, note]

    return import_queue(
        path,
        "decision_id",
        lambda line, row: _check(line, row, tables),
        alias_row,
        reference_dir / ALIASES_FILE,
        ALIAS_COLUMNS,
        key_width=5,
    )
