"""Give every row the current Kemendagri code of the region it is about.

A row may name its region in several columns (province, then kabupaten/kota, ...). They are
resolved top-down: a lower level is only looked for inside the parent already found, because
kecamatan and village names repeat across Indonesia. The work is done once per distinct
combination of region values and merged back, so cost grows with distinct spellings, not
with rows.
"""

from __future__ import annotations

import pandas as pd

from odc_pipeline.regions.index import RegionIndex, build_index
from odc_pipeline.regions.resolve import Match, Spec, resolve_code, resolve_name
from odc_pipeline.regions.tables import RegionTables

REGION_OUTPUT_COLUMNS = [
    "region_code",
    "region_level",
    "region_method",
    "region_score",
    "region_rule",
    "region_value",
    "region_problem_column",
    "region_problem",
    "region_suggestions",
    "region_parent_code",
]


def _resolve_row(values: tuple, specs: list[Spec], index: RegionIndex, source_id: str) -> tuple:
    """Resolve one combination of region values, top level first; stop at the first miss."""
    parent: str | None = None
    score = 100.0
    outcome: Match | None = None
    for text, spec in zip(values, specs, strict=True):
        if spec.system == "name":
            result = resolve_name(str(text), spec, parent, index, source_id)
        else:
            result = resolve_code(str(text), spec, parent, index)
        if not isinstance(result, Match):
            row = {
                "region_value": str(text),
                "region_problem_column": spec.column,
                "region_problem": result.reason,
                "region_suggestions": result.suggestions or None,
                "region_parent_code": parent,
            }
            return tuple(row.get(c) for c in REGION_OUTPUT_COLUMNS)
        parent, outcome, score = result.code, result, min(score, result.score)
    assert outcome is not None
    row = {
        "region_code": outcome.code,
        "region_level": index.by_code[outcome.code][0],
        "region_method": outcome.method,
        "region_score": score,
        "region_rule": outcome.rule,
        "region_value": str(values[-1]),
        "region_parent_code": index.by_code[outcome.code][1],
    }
    return tuple(row.get(c) for c in REGION_OUTPUT_COLUMNS)


def harmonize_regions(
    frame: pd.DataFrame, specs: list[Spec], tables: RegionTables, source_id: str = ""
) -> pd.DataFrame:
    """Add the region columns (code, level, method, score, rule, value) or the problem.

    Rows whose region could not be decided keep a null code and name the column, the reason
    and any suggestions; the publisher quarantines them and lists them for review.
    """
    ordered = sorted(specs, key=lambda s: s.level)
    columns = [s.column for s in ordered]
    max_level = ordered[-1].level
    index = tables.indexes.get(max_level)
    if index is None:
        index = tables.indexes[max_level] = build_index(tables, max_level=max_level)
    distinct = frame[columns].drop_duplicates()
    resolved = [
        _resolve_row(tuple(row), ordered, index, source_id)
        for row in distinct.itertuples(index=False)
    ]
    lookup = pd.DataFrame(resolved, columns=REGION_OUTPUT_COLUMNS, index=distinct.index)
    lookup = pd.concat([distinct, lookup], axis=1)
    lookup["region_level"] = lookup["region_level"].astype("Int8")
    lookup["region_score"] = lookup["region_score"].astype("Float64")
    out = frame.drop(columns=[c for c in REGION_OUTPUT_COLUMNS if c in frame.columns])
    return out.merge(lookup, on=columns, how="left", validate="many_to_one")
