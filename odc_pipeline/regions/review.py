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

import sys
from pathlib import Path

import pandas as pd

from odc_pipeline.quoting import counted
from odc_pipeline.regions.reference import LEVEL_NAMES
from odc_pipeline.regions.resolve import Spec
from odc_pipeline.regions.tables import ALIAS_COLUMNS, ALIASES_FILE
from odc_pipeline.regions.vintage import load_splits
from odc_pipeline.review_queue import (
    ImportReport,
    ReviewImportError,
    alias_scope,
    decision_note,
    grouped_values,
    import_queue,
    write_queue_csv,
)

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
    keys = ["_column", "region_value", "region_parent_code", "_status", "region_code"]
    items = grouped_values(
        frame,
        harmonized,
        keys,
        {"reason": "region_problem", "suggestions": "region_suggestions", "score": "region_score"},
    )
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


def write_review_csv(items: pd.DataFrame, path: Path) -> int:
    """The queue as a CSV a steward can open in a spreadsheet; two columns left to fill."""
    return write_queue_csv(items, REVIEW_COLUMNS, {"decision_code": "", "scope": "source"}, path)


def _check_decision(
    line: int, row: dict, levels: dict[str, int], successors: dict[str, list[str]]
) -> str | None:
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
    # Inside the parent, or inside a region made from it since: the source may write the
    # province of its own time (Mimika under Papua in 2014; today's Papua Tengah).
    scopes = [parent, *successors.get(parent, [])]
    if parent and not any(code.startswith(scope + ".") for scope in scopes):
        return f"line {line}: decision_code {code} is not inside the matched parent {parent}"
    return None


def import_decisions(path: Path, reference_dir: Path, reference: pd.DataFrame) -> ImportReport:
    """Append the filled-in decisions of a review CSV to the alias file, all or nothing."""
    levels = dict(zip(reference["region_code"], reference["level"].astype(int), strict=True))
    successors: dict[str, list[str]] = {}
    for row in load_splits(reference_dir).itertuples():
        successors.setdefault(row.split_from, []).append(row.region_code)

    def alias_row(row: dict) -> list[str]:
        scope, note = alias_scope(row), decision_note()
        return [row["value"], row["level"], row["decision_code"], scope, note]

    return import_queue(
        path,
        "decision_code",
        lambda line, row: _check_decision(line, row, levels, successors),
        alias_row,
        reference_dir / ALIASES_FILE,
        ALIAS_COLUMNS,
        key_width=4,
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
        f"added {counted(report.added, 'alias', 'aliases')} to "
        f"{settings.reference_dir / ALIASES_FILE} "
        f"({report.already_known} already known, {report.undecided} rows without a decision)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
