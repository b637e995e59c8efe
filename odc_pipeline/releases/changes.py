"""What changed between two releases, row by row, and the cause the pipeline knows.

Rows are compared per source, table and year, and only where the part's object differs: a
source whose rows are byte for byte the same costs nothing. A row is known by its source, its
region and its kind's natural key (election, year, contest, candidate, …); one whose key is
new was added, one whose key is gone was removed, one whose other values differ changed (one
line per column, old and new value).

The cause comes from the two manifests: the source's file (its SHA-256), its registry entry,
or, when neither changed, the reference tables (a `*_aliases.csv` is a steward's review
decision; any other table or the region list is a reference update) or the pipeline's own
version.
"""

from __future__ import annotations

import json

import pandas as pd

from odc_pipeline.kinds import KINDS
from odc_pipeline.releases.store import ReleaseStore
from odc_pipeline.warehouse.frames import arrow_schema
from odc_pipeline.warehouse.schema import release_changes

CHANGE_SCHEMA = arrow_schema(release_changes)
CHANGE_COLUMNS = CHANGE_SCHEMA.names
#: Where a row came from and how it was found, not what it says: never a change by itself.
_PROVENANCE = ("organization_id", "source_id", "source_row", "file_hash")


def key_columns(table: str) -> list[str]:
    """The columns that name one row of a fact table besides its source: region, then the
    kind's natural key and the optional key columns."""
    for kind in KINDS.values():
        if kind.fact_table == table:
            return ["region_code", *kind.natural_key, *kind.optional_key]
    return []


def _parts_by_key(manifest: dict | None) -> dict[tuple, dict]:
    if manifest is None:
        return {}
    return {
        (p["table"], p["source_id"], p["year"]): p
        for p in manifest["parts"]
        if p["source_id"] is not None and key_columns(p["table"])
    }


def causes(old: dict | None, new: dict, source_id: str) -> str:
    """Why a source's rows may differ between two releases, in words, most direct first."""
    if old is None:
        return "first release"
    before = {s["source_id"]: s for s in old["sources"]}.get(source_id)
    now = {s["source_id"]: s for s in new["sources"]}.get(source_id)
    if before is None:
        return "source added to the registry"
    if now is None:
        return "source removed from the registry"
    found = []
    if before.get("file_hash") != now.get("file_hash"):
        found.append(f"new file (sha256 {str(now.get('file_hash'))[:12]})")
    if before.get("entry_digest") != now.get("entry_digest"):
        found.append("registry entry changed")
    if found:
        return "; ".join(found)
    for name in sorted(set(old["reference"]) | set(new["reference"])):
        if old["reference"].get(name) != new["reference"].get(name):
            what = "review decision" if name.endswith("_aliases.csv") else "reference update"
            found.append(f"{what} ({name})")
    if old.get("pipeline_version") != new.get("pipeline_version"):
        found.append(
            f"pipeline version {old.get('pipeline_version')} -> {new.get('pipeline_version')}"
        )
    return "; ".join(found) or "unknown: no file, entry or reference table changed"


def _frame(store: ReleaseStore, part: dict | None) -> pd.DataFrame | None:
    if part is None:
        return None
    frame = store.read(part["object"]).to_pandas()
    if part["year"] is not None and "year" not in frame.columns:
        frame["year"] = part["year"]
    return frame


def _text(value) -> str | None:
    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _compare(old: pd.DataFrame | None, new: pd.DataFrame | None, keys: list[str]) -> list[dict]:
    """Added, removed and changed rows of one part (no release fields yet)."""
    frames = [f for f in (old, new) if f is not None]
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    keys = [k for k in keys if k in columns]
    values = [c for c in columns if c not in keys and c not in _PROVENANCE]
    empty = pd.DataFrame(columns=columns)
    old = (old if old is not None else empty).reindex(columns=columns)
    new = (new if new is not None else empty).reindex(columns=columns)
    # A key given twice (it should not be: duplicates are set aside) is told apart by order.
    for frame in (old, new):
        frame["_nth"] = frame.groupby(keys, dropna=False).cumcount() if keys else range(len(frame))
    on = [*keys, "_nth"]
    both = old.merge(new, on=on, how="outer", suffixes=("_old", "_new"), indicator=True)
    # Only rows that differ are looked at one by one: a new file of a million rows with one
    # changed count costs a merge, not a million comparisons in Python.
    differs = both["_merge"] != "both"
    for column in values:
        before, after = both[f"{column}_old"], both[f"{column}_new"]
        differs |= ~((before == after) | (before.isna() & after.isna())).astype(bool)
    lines: list[dict] = []
    for record in both.loc[differs].to_dict("records"):
        key = {k: _text(record[k]) for k in keys}
        base = {
            "region_code": key.get("region_code"),
            "key": json.dumps({k: v for k, v in key.items() if k != "region_code"}),
        }
        if record["_merge"] == "right_only":
            shown = {c: _text(record[f"{c}_new"]) for c in values}
            lines.append(base | {"change": "added", "new_value": json.dumps(shown)})
        elif record["_merge"] == "left_only":
            shown = {c: _text(record[f"{c}_old"]) for c in values}
            lines.append(base | {"change": "removed", "old_value": json.dumps(shown)})
        else:
            for column in values:
                before, after = _text(record[f"{column}_old"]), _text(record[f"{column}_new"])
                if before != after:
                    lines.append(
                        base
                        | {
                            "change": "changed",
                            "column_name": column,
                            "old_value": before,
                            "new_value": after,
                        }
                    )
    return lines


def changes_between(
    store: ReleaseStore, old: dict | None, new: dict, release_id: str
) -> pd.DataFrame:
    """Every row added, removed or changed in a fact table from `old` to `new` (None: no
    release before, so nothing is listed)."""
    if old is None:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    before, after = _parts_by_key(old), _parts_by_key(new)
    organizations = {s["source_id"]: s["organization_id"] for s in old["sources"]} | {
        s["source_id"]: s["organization_id"] for s in new["sources"]
    }
    lines = []
    for part_key in sorted(set(before) | set(after), key=str):
        a, b = before.get(part_key), after.get(part_key)
        if a is not None and b is not None and a["object"] == b["object"]:
            continue
        table, source_id, year = part_key
        found = _compare(_frame(store, a), _frame(store, b), key_columns(table))
        if not found:
            continue
        cause = causes(old, new, source_id)
        for line in found:
            line.update(
                release=release_id,
                previous_release=old["release"],
                table_name=table,
                source_id=source_id,
                organization_id=organizations.get(source_id),
                year=year,
                cause=cause,
            )
        lines += found
    return pd.DataFrame(lines, columns=CHANGE_COLUMNS)
