"""Give every row the current Kemendagri code of the region it is about.

A row may name its region in several columns (province, then kabupaten/kota, ...). They are
resolved top-down: a lower level is only looked for inside the parent already found, because
kecamatan and village names repeat across Indonesia. The work is done once per distinct
combination of region values and merged back, so cost grows with distinct spellings, not
with rows.
"""

from __future__ import annotations

from operator import itemgetter

import numpy as np
import pandas as pd

from odc_pipeline.distinct import distinct_combinations, spread_text
from odc_pipeline.regions.codes import official_forms
from odc_pipeline.regions.index import OFFICIAL_RULE, RegionIndex, build_index
from odc_pipeline.regions.reference import NO_PLACE
from odc_pipeline.regions.resolve import Match, Spec, resolve_code, resolve_name
from odc_pipeline.regions.tables import RegionTables

#: What the harmonizer adds to every row; `_resolve_row` returns values in this order.
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


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or not str(value).strip()


#: The region columns of a row that names no place: region 00, said so in its rule.
NO_PLACE_ROW = (
    NO_PLACE,
    1,
    "no_place",
    100.0,
    "no place given: the row is about the whole country or an unknown place (region 00)",
    "",
    None,
    None,
    None,
    None,
)


def _problem(
    text: object, spec: Spec, parent: str | None, reason: str, suggestions: str = ""
) -> tuple:
    row = {
        "region_value": str(text),
        "region_problem_column": spec.column,
        "region_problem": reason,
        "region_suggestions": suggestions or None,
        "region_parent_code": parent,
    }
    return tuple(row.get(c) for c in REGION_OUTPUT_COLUMNS)


def _resolve_row(values: tuple, specs: list[Spec], index: RegionIndex, source_id: str) -> tuple:
    """Resolve one combination of region values, top level first; stop at the first miss.

    Two columns at the same level (a code and a name) must name the same region: a file whose
    code says Kota Bogor and whose name says Kota Cimahi is wrong somewhere, and a person
    decides which.
    """
    parent: str | None = None  # the region found so far
    above: str | None = None  # the region one level above the last one found
    score = 100.0
    outcome: Match | None = None
    last_spec: Spec | None = None
    written: object = None  # the value of the deepest column that decided
    for text, spec in zip(values, specs, strict=True):
        if _is_blank(text) and spec.blank_means_parent:
            if outcome is not None:
                break  # the row is about the region already found (e.g. votes cast abroad)
            continue  # nothing above it either: a lower column decides, or no place does
        same_level = last_spec is not None and last_spec.level == spec.level
        scope = above if same_level else parent
        if spec.system == "name":
            result = resolve_name(str(text), spec, scope, index, source_id)
        else:
            result = resolve_code(str(text), spec, scope, index)
        if not isinstance(result, Match):
            return _problem(text, spec, scope, result.reason, result.suggestions)
        if same_level and outcome is not None and result.code != outcome.code:
            return _problem(
                text,
                spec,
                scope,
                f"{spec.column} {text!r} is {index.names[result.code]} ({result.code}), but "
                f"{last_spec.column} says {index.names[outcome.code]} ({outcome.code}); "
                "the two columns disagree",
            )
        if not same_level:
            above = parent
        parent, outcome, score, last_spec = result.code, result, min(score, result.score), spec
        written = text
    if outcome is None:  # every column empty, each allowed to be: the row names no place
        return NO_PLACE_ROW
    level, parent_code = index.by_code[outcome.code]
    # In the order of REGION_OUTPUT_COLUMNS, built directly: this runs once per distinct
    # region value, hundreds of thousands of times a night.
    return (
        outcome.code,
        level,
        outcome.method,
        score,
        outcome.rule,
        str(written),
        None,
        None,
        None,
        parent_code,
    )


def _resolve_all(
    combos: list[tuple], specs: list[Spec], index: RegionIndex, source_id: str
) -> list[tuple]:
    """`_resolve_row` for every combination, with a shortcut for the commonest source: one
    Kemendagri code column, almost every value an official code at the column's level.

    Such a value needs one dictionary lookup, and gets exactly what `_resolve_row` would
    give it; anything else (repairs, historic codes, wrong levels) takes the full path.
    Hundreds of thousands of village codes a night go this way.
    """
    if len(specs) != 1 or specs[0].system != "kemendagri":
        return [_resolve_row(combo, specs, index, source_id) for combo in combos]
    level = specs[0].level
    by_code = index.by_code
    resolved = []
    for combo, code in zip(combos, official_forms([text for (text,) in combos]), strict=True):
        known = by_code.get(code)  # None for None
        if known is not None and known[0] == level:
            resolved.append(
                (code, level, "code", 100.0, OFFICIAL_RULE, combo[0], None, None, None, known[1])
            )
        else:
            resolved.append(_resolve_row(combo, specs, index, source_id))
    return resolved


def harmonize_regions(
    frame: pd.DataFrame, specs: list[Spec], tables: RegionTables, source_id: str = ""
) -> pd.DataFrame:
    """Add the region columns (code, level, method, score, rule, value) or the problem.

    Rows whose region could not be decided keep a null code and name the column, the reason
    and any suggestions; the publisher quarantines them and lists them for review.
    """
    ordered = sorted(specs, key=lambda s: s.level)  # stable: same-level columns keep their order
    # Names are keyed only down to the deepest level a source writes as names: a source of
    # village codes needs no key for 83,762 village names.
    name_level = max((s.level for s in ordered if s.system == "name"), default=0)
    index = tables.indexes.get(name_level)
    if index is None:
        index = tables.indexes[name_level] = build_index(tables, max_level=name_level)
    inverse, combos = distinct_combinations(frame, [s.column for s in ordered])
    resolved = _resolve_all(combos, ordered, index, source_id)
    out = frame.drop(columns=[c for c in REGION_OUTPUT_COLUMNS if c in frame.columns])
    # The rows of results become columns one field at a time (an itemgetter pass in C).
    # `zip(*resolved)` would make an iterator object per result, and the garbage collector
    # would scan the heap again and again while hundreds of thousands of them are made.
    for position, column in enumerate(REGION_OUTPUT_COLUMNS):
        out[column] = _spread(list(map(itemgetter(position), resolved)), inverse, column)
    return out


def _spread(per_combo: list, inverse: np.ndarray, column: str) -> pd.Series | pd.Categorical:
    """Per-combination results onto every row, without building millions of Python objects.

    Text columns become categoricals (codes into the distinct values), which is also how
    Parquet stores them; numbers become nullable arrays.
    """
    if column == "region_level":
        values = np.array([np.nan if v is None else v for v in per_combo], dtype=float)
        return pd.array(values[inverse] if len(inverse) else values[:0], dtype="Float64").astype(
            "Int8"
        )
    if column == "region_score":
        values = np.array([np.nan if v is None else v for v in per_combo], dtype=float)
        return pd.array(values[inverse] if len(inverse) else values[:0], dtype="Float64")
    return spread_text(per_combo, inverse)
