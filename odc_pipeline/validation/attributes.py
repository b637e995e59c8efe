"""What a source says beyond its kind's columns, kept with each row as `attributes` (JSON).

Two things go there: columns the registry maps that the kind does not declare (a gender
column in a results file, a polling station's address note), and the value a steward's
recode replaced (`values:`), as written in the file, under `<column>_as_written`. Columns
declared personal are dropped before, never kept; NIKs and phone numbers in what is kept
are masked at publishing like in any text cell.
"""

from __future__ import annotations

import json

import pandas as pd

from odc_pipeline.registry.model import SourceEntry

ATTRIBUTES = "attributes"
AS_WRITTEN = "_as_written"


def _key(value: object) -> str:
    return " ".join(str(value).split()).casefold()


def recoded(values: pd.Series, recodes: dict[str, str]) -> pd.Series:
    """`values` with each recoded value replaced (compared ignoring case and spacing)."""
    by_key = {_key(theirs): ours for theirs, ours in recodes.items()}
    distinct = {v: by_key.get(_key(v), v) for v in values.dropna().unique()}
    return values.map(distinct)


def with_attributes(frame: pd.DataFrame, entry: SourceEntry) -> pd.DataFrame:
    """`frame` (canonical columns) with recodes applied, extra columns folded into one
    `attributes` column, and personal extra columns dropped."""
    kept: dict[str, pd.Series] = {}
    for column, recodes in _recodes(frame, entry).items():
        original = frame[column]
        frame[column] = recoded(original, recodes)
        changed = original.notna() & (original != frame[column])
        if changed.any():
            kept[f"{column}{AS_WRITTEN}"] = original.where(changed)
    for column in entry.attribute_columns:
        if column in frame.columns:
            kept[column] = frame[column]
    drop = [c for c in (*entry.attribute_columns, *entry.personal) if c in frame.columns]
    drop = [c for c in drop if c not in _declared(entry)]
    frame = frame.drop(columns=drop)
    frame[ATTRIBUTES] = _as_json(pd.DataFrame(kept, index=frame.index)) if kept else None
    return frame


def _recodes(frame: pd.DataFrame, entry: SourceEntry) -> dict[str, dict[str, str]]:
    """The steward's recodes, and for a closed vocabulary the values that are one of it but
    for case and spacing ('Politik Uang' is politik_uang)."""
    from odc_pipeline.kinds import KINDS

    recodes: dict[str, dict[str, str]] = {}
    for declared in KINDS[entry.kind].columns:
        if not declared.allowed or declared.name not in frame.columns:
            continue
        spelled = {_key(v).replace(" ", "_"): v for v in declared.allowed}
        found = {
            v: spelled[_key(v).replace(" ", "_")]
            for v in frame[declared.name].dropna().unique()
            if v not in declared.allowed and _key(v).replace(" ", "_") in spelled
        }
        if found:
            recodes[declared.name] = found
    for column, theirs in entry.values.items():
        if column in frame.columns:
            recodes[column] = {**recodes.get(column, {}), **theirs}
    return recodes


def _declared(entry: SourceEntry) -> set[str]:
    from odc_pipeline.kinds import KINDS

    return set(KINDS[entry.kind].canonical_columns) | {r.column for r in entry.regions}


def _as_json(kept: pd.DataFrame) -> pd.Series:
    """One JSON object per row of its non-empty cells (None when all are empty)."""
    rows = []
    for record in kept.to_dict("records"):
        present = {
            k: v for k, v in record.items() if v is not None and not pd.isna(v) and str(v).strip()
        }
        rows.append(json.dumps(present, ensure_ascii=False, sort_keys=True) if present else None)
    return pd.Series(rows, index=kept.index, dtype=object)
