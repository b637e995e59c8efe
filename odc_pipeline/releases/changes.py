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
import shutil
import uuid
from contextlib import closing
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from odc_pipeline.kinds import KINDS
from odc_pipeline.releases.parts import YEAR
from odc_pipeline.releases.store import OBJECTS, ReleaseStore
from odc_pipeline.settings import DEFAULT_RELEASE_MEMORY
from odc_pipeline.sql_names import quoted_identifier as _q
from odc_pipeline.warehouse.frames import arrow_schema
from odc_pipeline.warehouse.schema import release_changes

CHANGE_SCHEMA = arrow_schema(release_changes)
CHANGE_COLUMNS = CHANGE_SCHEMA.names
#: Where a row came from and how it was found, not what it says: never a change by itself.
_PROVENANCE = ("organization_id", "source_id", "source_row", "load_id", "file_hash")


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


def _text(value) -> str | None:
    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _side(name: str, held: list[str] | None, year: int | None, columns: list[str]) -> str:
    """One release's rows of a part as a query over the file in parameter `name` (`held`:
    its columns; None when this release has no such part, and the file is the other's,
    read for no rows): the columns in `columns` (NULL where the file has none), its `year`
    from the part where the file leaves it to the folder, and each row's place in the file
    (`_at`)."""
    present = set(held or ())
    chosen = [
        _q(c)
        if c in present
        else f"{int(year)} AS {_q(c)}"
        if c == YEAR and year is not None
        else f"NULL AS {_q(c)}"
        for c in columns
    ]
    where = "" if held is not None else " WHERE FALSE"
    return (
        f"SELECT {', '.join(chosen)}, file_row_number AS _at "  # noqa: S608 - code's names
        f"FROM read_parquet(${name}, file_row_number = true){where}"
    )


def _differing(
    connection: duckdb.DuckDBPyConnection,
    old: Path | None,
    new: Path | None,
    year: int | None,
    keys: list[str],
) -> tuple[list[str], list[str], list[tuple]]:
    """The rows of a part that differ between two releases, found by DuckDB from the two
    Parquet files: (keys, value columns, rows of keys, then "in old" and "in new", then
    every value column's old and new value). Only these rows reach Python, whatever the
    part's size; DuckDB joins the rest within its memory limit, spilling beyond it."""
    held = {
        side: pq.read_schema(f).names if f is not None else None
        for side, f in (("o", old), ("n", new))
    }
    names = [n for n in held.values() if n is not None]
    if year is not None:  # a part of one year: the folder says it, the file may not
        names.append([YEAR])
    columns = list(dict.fromkeys(c for listed in names for c in listed))
    keys = [k for k in keys if k in columns]
    values = [c for c in columns if c not in keys and c not in _PROVENANCE]
    other = old or new
    partition = f"PARTITION BY {', '.join(_q(k) for k in keys)} " if keys else ""
    numbered = f"row_number() OVER ({partition}ORDER BY _at) AS _nth"
    sides = {side: _side(side, held[side], year, columns) for side in held}
    same_row = " AND ".join(
        [*(f"o.{_q(k)} IS NOT DISTINCT FROM n.{_q(k)}" for k in keys), "o._nth = n._nth"]
    )
    differs = " OR ".join(
        [
            "o._nth IS NULL",
            "n._nth IS NULL",
            *(f"o.{_q(v)} IS DISTINCT FROM n.{_q(v)}" for v in values),
        ]
    )
    selected = ", ".join(
        [
            *(f"COALESCE(o.{_q(k)}, n.{_q(k)})" for k in keys),
            "o._nth IS NOT NULL",
            "n._nth IS NOT NULL",
            *(f"o.{_q(v)}, n.{_q(v)}" for v in values),
        ]
    )
    order = ", ".join([*(str(i + 1) for i in range(len(keys))), "COALESCE(o._nth, n._nth)"])
    query = (
        f"WITH o AS (SELECT *, {numbered} FROM ({sides['o']})), "  # noqa: S608 - code's text
        f"n AS (SELECT *, {numbered} FROM ({sides['n']})) "
        f"SELECT {selected} FROM o FULL OUTER JOIN n ON {same_row} WHERE {differs} "
        f"ORDER BY {order}"
    )
    files = {"o": str(old or other), "n": str(new or other)}
    return keys, values, connection.execute(query, files).fetchall()


def _compare(
    connection: duckdb.DuckDBPyConnection,
    old: Path | None,
    new: Path | None,
    keys: list[str],
    year: int | None = None,
) -> list[dict]:
    """Added, removed and changed rows of one part (no release fields yet), from the two
    releases' files of it (None where a release has none)."""
    keys, values, rows = _differing(connection, old, new, year, keys)
    lines: list[dict] = []
    for row in rows:
        key = {k: _text(v) for k, v in zip(keys, row, strict=False)}
        in_old, in_new = row[len(keys)], row[len(keys) + 1]
        pairs = row[len(keys) + 2 :]
        base = {
            "region_code": key.get("region_code"),
            "key": json.dumps({k: v for k, v in key.items() if k != "region_code"}),
        }
        if not in_old:
            shown = {c: _text(pairs[2 * i + 1]) for i, c in enumerate(values)}
            lines.append(base | {"change": "added", "new_value": json.dumps(shown)})
        elif not in_new:
            shown = {c: _text(pairs[2 * i]) for i, c in enumerate(values)}
            lines.append(base | {"change": "removed", "old_value": json.dumps(shown)})
        else:
            for i, column in enumerate(values):
                before, after = _text(pairs[2 * i]), _text(pairs[2 * i + 1])
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
    store: ReleaseStore,
    old: dict | None,
    new: dict,
    release_id: str,
    memory_limit: str = DEFAULT_RELEASE_MEMORY,
) -> pd.DataFrame:
    """Every row added, removed or changed in a fact table from `old` to `new` (None: no
    release before, so nothing is listed). DuckDB compares the parts within `memory_limit`
    (ODC_RELEASE_MEMORY)."""
    if old is None:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    spill = store.root / OBJECTS / f".changes-{uuid.uuid4().hex}"  # beside the parts
    with closing(duckdb.connect()) as connection:
        connection.execute("SET memory_limit = ?", [memory_limit])
        connection.execute("SET temp_directory = ?", [str(spill)])
        try:
            return _changes(connection, store, old, new, release_id)
        finally:
            shutil.rmtree(spill, ignore_errors=True)


def _changes(
    connection: duckdb.DuckDBPyConnection,
    store: ReleaseStore,
    old: dict,
    new: dict,
    release_id: str,
) -> pd.DataFrame:
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
        found = _compare(
            connection,
            store.object_path(a["object"]) if a is not None else None,
            store.object_path(b["object"]) if b is not None else None,
            key_columns(table),
            year,
        )
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
