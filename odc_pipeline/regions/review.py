"""The review queue: region values the harmonizer would not decide, for a steward to decide.

Values are listed once per source, column, parent and spelling, with how many rows carry
them and example row numbers, the reason and the closest candidates. Accepted fuzzy matches
are listed too, to be confirmed. A steward fills `decision_code` in the exported CSV; the
import checks every decision against the official list and appends it to
`data/reference/region_aliases.csv`, so the next run matches those rows.

    python -m odc_pipeline.regions.review export FILE.csv   # from the warehouse
    python -m odc_pipeline.regions.review import FILE.csv   # into data/reference/
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from odc_pipeline.reading.headers import FILE_HASH, SOURCE_ROW
from odc_pipeline.regions.reference import LEVEL_NAMES
from odc_pipeline.regions.resolve import Spec
from odc_pipeline.regions.tables import ALIAS_COLUMNS, ALIASES_FILE

REVIEW_COLUMNS = [
    "source_id",
    "column_name",
    "level",
    "system",
    "value",
    "parent_code",
    "rows",
    "example_rows",
    "status",
    "reason",
    "suggestions",
    "matched_code",
    "score",
]
EXPORT_COLUMNS = [*REVIEW_COLUMNS, "decision_code", "scope"]
EXAMPLES = 5


def review_items(harmonized: pd.DataFrame, source_id: str, specs: list[Spec]) -> pd.DataFrame:
    """Distinct values to decide (no region) or confirm (fuzzy match), with counts and examples."""
    by_column = {s.column: s for s in specs}
    deepest = max(specs, key=lambda s: s.level)
    # The few rows to list first, then their labels: not labels for every row of a large
    # source, to keep a few hundred of them.
    unmatched = harmonized["region_code"].isna()
    frame = harmonized.loc[unmatched | (harmonized["region_method"] == "fuzzy")]
    if frame.empty:
        return pd.DataFrame(columns=REVIEW_COLUMNS)
    frame = frame.assign(
        _column=frame["region_problem_column"].astype(object).fillna(deepest.column),
        _status=frame["region_code"].isna().map({True: "decide", False: "confirm"}),
    )
    several_files = FILE_HASH in harmonized and harmonized[FILE_HASH].nunique() > 1
    frame = _with_row_labels(frame, several_files)
    keys = ["_column", "region_value", "region_parent_code", "_status", "region_code"]
    grouped = frame.groupby(keys, dropna=False, sort=True, observed=True)
    items = grouped.agg(
        rows=(SOURCE_ROW, "size"),
        first_rows=("_row_label", lambda labels: ", ".join(labels.iloc[:EXAMPLES])),
        reason=("region_problem", "first"),
        suggestions=("region_suggestions", "first"),
        score=("region_score", "first"),
    ).reset_index()
    return pd.DataFrame(
        {
            "source_id": source_id,
            "column_name": items["_column"],
            "level": items["_column"].map(lambda c: LEVEL_NAMES[by_column[c].level]),
            "system": items["_column"].map(lambda c: by_column[c].system),
            "value": items["region_value"],
            "parent_code": items["region_parent_code"],
            "rows": items["rows"].astype(int),
            "example_rows": items["first_rows"],
            "status": items["_status"],
            "reason": items["reason"],
            "suggestions": items["suggestions"],
            "matched_code": items["region_code"],
            "score": items["score"].astype("Float64"),
        }
    ).astype(
        {"parent_code": object, "matched_code": object, "reason": object, "suggestions": object}
    )


def _with_row_labels(frame: pd.DataFrame, several_files: bool) -> pd.DataFrame:
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


def write_review_csv(items: pd.DataFrame, path: Path) -> int:
    """The queue as a CSV a steward can open in a spreadsheet; two columns left to fill."""
    out = items.reindex(columns=REVIEW_COLUMNS).assign(decision_code="", scope="source")
    out.to_csv(path, index=False, encoding="utf-8")
    return len(out)


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


def _check_decision(line: int, row: dict, levels: dict[str, int]) -> str | None:
    code = row["decision_code"]
    level = row["level"]
    wanted = {name: depth for depth, name in LEVEL_NAMES.items()}.get(level)
    if row.get("system") != "name":
        return f"line {line}: {row['value']!r} is a code; an alias cannot fix a code: correct it in the source file"
    if wanted is None:
        return f"line {line}: level {level!r} is not one of {list(LEVEL_NAMES.values())}"
    if code not in levels:
        return f"line {line}: decision_code {code!r} is not in the official Kemendagri list"
    if levels[code] != wanted:
        return f"line {line}: decision_code {code} is a level-{levels[code]} code, but {row['value']!r} is a {level}"
    parent = row.get("parent_code") or ""
    if parent and not code.startswith(parent + "."):
        return f"line {line}: decision_code {code} is not inside the matched parent {parent}"
    if row.get("scope", "source") not in ("source", "all"):
        return f"line {line}: scope {row.get('scope')!r} must be 'source' or 'all'"
    return None


def import_decisions(path: Path, reference_dir: Path, reference: pd.DataFrame) -> ImportReport:
    """Append the filled-in decisions of a review CSV to the alias file, all or nothing."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    levels = dict(zip(reference["region_code"], reference["level"].astype(int), strict=True))
    decided = [
        (n, r) for n, r in enumerate(rows, start=2) if (r.get("decision_code") or "").strip()
    ]
    for _, row in decided:
        row["decision_code"] = row["decision_code"].strip()
    problems = [p for n, r in decided if (p := _check_decision(n, r, levels))]
    if problems:
        raise ReviewImportError(path, problems)
    aliases_path = reference_dir / ALIASES_FILE
    existing = (
        pd.read_csv(aliases_path, dtype=str, keep_default_na=False)
        if aliases_path.exists()
        else None
    )
    known = (
        set()
        if existing is None
        else set(
            zip(
                existing["alias"],
                existing["level"],
                existing["region_code"],
                existing["source_id"],
                strict=True,
            )
        )
    )
    new_rows = []
    for _, row in decided:
        scope = "" if row.get("scope") == "all" else row["source_id"]
        key = (row["value"], row["level"], row["decision_code"], scope)
        if key in known:
            continue
        known.add(key)
        new_rows.append(
            [
                row["value"],
                row["level"],
                row["decision_code"],
                scope,
                f"review decision {date.today().isoformat()}",
            ]
        )
    if new_rows:
        write_header = not aliases_path.exists()
        with open(aliases_path, "a", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            if write_header:
                writer.writerow(ALIAS_COLUMNS)
            writer.writerows(new_rows)
    return ImportReport(
        added=len(new_rows),
        already_known=len(decided) - len(new_rows),
        undecided=len(rows) - len(decided),
    )


def main(argv: list[str]) -> int:
    from odc_pipeline.regions.reference import load_reference
    from odc_pipeline.settings import load_settings
    from odc_pipeline.warehouse.engine import make_engine

    if len(argv) != 3 or argv[1] not in ("export", "import"):
        print(__doc__)
        return 2
    settings = load_settings()
    path = Path(argv[2])
    if argv[1] == "export":
        engine = make_engine(settings.warehouse)
        items = pd.read_sql_table("region_review", engine)
        count = write_review_csv(items, path)
        print(
            f"wrote {count} values to review into {path}; fill decision_code (and scope: source or all)"
        )
        return 0
    try:
        report = import_decisions(path, settings.reference_dir, load_reference())
    except ReviewImportError as error:
        print(error)
        return 1
    print(
        f"added {report.added} aliases to {settings.reference_dir / ALIASES_FILE} "
        f"({report.already_known} already known, {report.undecided} rows without a decision)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
