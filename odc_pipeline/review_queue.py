"""The review queue every harmonizer shares: values it would not decide, for a steward.

Regions, parties and presidential pairs are reviewed the same way. Each distinct value of a
source is listed once, with how many rows carry it, example row numbers, the reason and the
closest suggestions. The steward exports the queue as a CSV, fills the decision column in a
spreadsheet, and imports it: every decision is checked first and all are refused if one is
wrong; the accepted ones are appended to an alias file under `data/reference/`, so the next
run matches those rows. What differs per subject (what a decision may name, which file it is
appended to) is passed in by `odc_pipeline.regions.review` and `odc_pipeline.elections.review`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from odc_pipeline.reading.headers import FILE_HASH, SOURCE_ROW

#: How many row numbers each listed value shows.
EXAMPLES = 5


def with_row_labels(frame: pd.DataFrame, several_files: bool) -> pd.DataFrame:
    """Each row's number as a steward looks it up, in the order examples are listed.

    A source with one file per year numbers each file's rows from 1, so there a bare number
    would not say which file to open: the label names the year, "3 (2019)"."""
    if several_files and "year" in frame:
        ordered = frame.sort_values(["year", SOURCE_ROW], kind="stable")
        years = ordered["year"].astype("string").fillna("year unknown")
        labels = ordered[SOURCE_ROW].astype(str) + " (" + years + ")"
    else:
        ordered = frame.sort_values(SOURCE_ROW, kind="stable")
        labels = ordered[SOURCE_ROW].astype(str)
    return ordered.assign(_row_label=labels.astype(object))


def grouped_values(
    frame: pd.DataFrame, harmonized: pd.DataFrame, keys: list[str], first: dict[str, str]
) -> pd.DataFrame:
    """One line per distinct `keys` of the rows to review in `frame`, with `rows`, the first
    row labels as `first_rows`, and the first value of each `first` column (output -> input)."""
    several_files = FILE_HASH in harmonized and harmonized[FILE_HASH].nunique() > 1
    labelled = with_row_labels(frame, several_files)
    grouped = labelled.groupby(keys, dropna=False, sort=True, observed=True)
    return grouped.agg(
        rows=(SOURCE_ROW, "size"),
        first_rows=("_row_label", lambda labels: ", ".join(labels.iloc[:EXAMPLES])),
        **{name: (column, "first") for name, column in first.items()},
    ).reset_index()


def write_queue_csv(
    items: pd.DataFrame, columns: Sequence[str], blanks: dict[str, str], path: Path
) -> int:
    """The queue as a CSV a steward can open in a spreadsheet, with the columns to fill."""
    out = items.reindex(columns=list(columns)).assign(**blanks)
    out.to_csv(path, index=False, encoding="utf-8")
    return len(out)


def _scope_problem(line: int, row: dict) -> str | None:
    if row.get("scope", "source") not in ("source", "all"):
        return f"line {line}: scope {row.get('scope')!r} must be 'source' or 'all'"
    return None


def alias_scope(row: dict) -> str:
    """The alias file's source_id for a decision: empty for every source (scope `all`)."""
    return "" if row.get("scope") == "all" else row["source_id"]


def decision_note() -> str:
    """The note an imported decision carries, with the day it was imported."""
    return f"review decision {date.today().isoformat()}"


class ReviewImportError(ValueError):
    """Decisions that cannot be used; nothing was written."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"{path}: {len(problems)} decision(s) refused, nothing was written:\n{lines}"
        )


@dataclass(frozen=True)
class ImportReport:
    added: int
    already_known: int
    undecided: int


def import_queue(
    path: Path,
    decision_column: str,
    check: Callable[[int, dict], str | None],
    alias_row: Callable[[dict], list[str]],
    alias_file: Path,
    alias_header: Sequence[str],
    key_width: int,
) -> ImportReport:
    """Check every filled-in decision of a review CSV, then append them to `alias_file`, all or
    nothing. `check(line, row)` says why a decision is refused; `alias_row(row)` is the line
    appended, whose first `key_width` fields say whether it is known already."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    decided = [
        (n, r) for n, r in enumerate(rows, start=2) if (r.get(decision_column) or "").strip()
    ]
    for _, row in decided:
        row[decision_column] = row[decision_column].strip()
    problems = [p for n, r in decided if (p := _scope_problem(n, r) or check(n, r))]
    if problems:
        raise ReviewImportError(path, problems)
    known: set[tuple] = set()
    if alias_file.exists():
        existing = pd.read_csv(alias_file, dtype=str, keep_default_na=False, comment="#")
        known = {tuple(r[:key_width]) for r in existing[list(alias_header)].itertuples(index=False)}
    new_rows = []
    for _, row in decided:
        line = alias_row(row)
        if tuple(line[:key_width]) in known:
            continue
        known.add(tuple(line[:key_width]))
        new_rows.append(line)
    if new_rows:
        write_header = not alias_file.exists()
        with open(alias_file, "a", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            if write_header:
                writer.writerow(alias_header)
            writer.writerows(new_rows)
    return ImportReport(
        added=len(new_rows),
        already_known=len(decided) - len(new_rows),
        undecided=len(rows) - len(decided),
    )
