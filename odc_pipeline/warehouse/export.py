"""The open data package: public rows of the warehouse as CSV plus a Frictionless
`datapackage.json` (schema, licences, sources), ready to upload to a CKAN portal.

Only rows of sources shared as `public` are written, personal columns are left out, and text
cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` followed by text) are
prefixed with a `'`, so an opened CSV shows them as text.

Each export is a whole new version of the folder, switched in at once (`versions`):
readers never see a half-written file, and nothing an earlier version held stays behind.
A source whose rows are what they were at the export before is copied as bytes from the live
version's file (`csv_chunks`), not read and formatted again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as arrow_csv
from sqlalchemy import Boolean, Date, DateTime, Engine, Float, Integer, Numeric, Table, select

from odc_pipeline.digests import Sha256Writer
from odc_pipeline.warehouse.cells import FORMULA, safe_cell
from odc_pipeline.warehouse.csv_chunks import CsvChunks, chunk_key
from odc_pipeline.warehouse.frames import read_batches, read_frame
from odc_pipeline.warehouse.schema import (
    dim_load,
    dim_organization,
    dim_region,
    dim_source,
    fact_tables,
    load_audit,
)
from odc_pipeline.warehouse.versions import new_version

PACKAGE_NAME = "odc-pipeline-open-data"
DESCRIPTOR = "datapackage.json"


def _safe_text(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """`safe_cell` over a text column, once per distinct value: codes and names repeat by the
    million. A column with no value a spreadsheet would run is returned as it is."""
    encoded = pc.dictionary_encode(values.combine_chunks())
    distinct = encoded.dictionary
    if not pc.any(pc.match_substring_regex(distinct, FORMULA.pattern)).as_py():
        return values
    fixed = pa.array([safe_cell(v) for v in distinct.to_pylist()], pa.string())
    return pa.chunked_array([pc.take(fixed, encoded.indices)])


def _field_type(column) -> str:
    kind = column.type
    if isinstance(kind, Boolean):
        return "boolean"
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Integer):
        return "integer"
    if isinstance(kind, (Float, Numeric)):
        return "number"
    return "string"


_ARROW_TYPES = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}
_ISO_FORMATS = {"datetime": "%Y-%m-%dT%H:%M:%SZ", "date": "%Y-%m-%d"}


def _iso_text(values: pa.ChunkedArray, kind: str) -> pa.Array:
    """Dates and datetimes as Frictionless reads them by default: ISO dates, UTC datetimes."""
    parsed = pd.to_datetime(values.to_pandas(), utc=kind == "datetime")
    return pa.array(parsed.dt.strftime(_ISO_FORMATS[kind]), pa.string())


def _csv_ready(rows: pa.Table, table, schema: pa.Schema) -> pa.Table:
    """The rows in the package's column types, with dates in ISO form and safe text cells."""
    columns = []
    for field in schema:
        values = rows.column(field.name)
        kind = _field_type(table.c[field.name])
        if kind in _ISO_FORMATS:
            values = _iso_text(values, kind)
        elif kind == "string":
            values = _safe_text(values.cast(pa.string()))
        columns.append(values.cast(field.type))  # 5, not 5.0, where an integer is missing
    return pa.Table.from_arrays(columns, schema=schema)


#: One source's (or a whole table's) rows: what they are made from (None: written at every
#: export, never copied; see `csv_chunks`), and how to read them, a batch at a time, when
#: they must be written.
Rows = tuple[object, Callable[[], Iterable[pa.Table | pa.RecordBatch]]]


def _frame_rows(frame: pd.DataFrame) -> list[pa.Table]:
    """A reference table's rows (a small frame) as the one batch `_write` reads."""
    return [pa.Table.from_pandas(frame, preserve_index=False)]


def _write(parts: Iterable[Rows], table, columns: list[str], path: Path, chunks: CsvChunks) -> str:
    """The parts, one after another, as one CSV with `columns`: the header, then each part's
    rows, copied from the live version's file where its chunk there was made from the same
    rows.
    Arrow's writer is C++ (several times pandas' to_csv); a schema fixed from the table keeps
    every part's types alike, and writing a batch at a time keeps one batch of a source's
    rows in memory (as PostgreSQL streams them), not the source's or the table's. Returns
    the file's SHA-256, taken as it is written."""
    schema = pa.schema(
        [(c, _ARROW_TYPES.get(_field_type(table.c[c]), pa.string())) for c in columns]
    )
    rows_only = arrow_csv.WriteOptions(quoting_style="needed", include_header=False)

    def written(read: Callable[[], Iterable[pa.Table | pa.RecordBatch]], sink) -> None:
        for rows in read():
            if isinstance(rows, pa.RecordBatch):
                rows = pa.Table.from_batches([rows])
            arrow_csv.write_csv(_csv_ready(rows, table, schema), sink, write_options=rows_only)

    with path.open("wb") as file:
        out = Sha256Writer(file)
        header = arrow_csv.WriteOptions(quoting_style="needed")
        arrow_csv.write_csv(schema.empty_table(), out, write_options=header)
        for made_from, read in parts:
            if made_from is None:
                written(read, out)
            else:
                key = chunk_key(table.name, columns, made_from)
                chunks.append(key, path.name, partial(written, read), out, file.tell)
    return out.hexdigest()


def _made_from(engine: Engine, release: dict | None) -> dict[tuple[str, str], object]:
    """Per fact table and public source, what its rows are made from: the release's objects
    of them and the run that published them. Only when the release was made from the
    warehouse as it is now (its run published last); else nothing, and every row is read."""
    if release is None:
        return {}
    with engine.connect() as connection:
        last = connection.execute(
            select(load_audit.c.run_id).order_by(load_audit.c.loaded_at.desc()).limit(1)
        ).scalar()
    if last != release["run_id"]:
        return {}
    runs = {s["source_id"]: s["published_by_run"] for s in release["sources"]}
    objects: dict[tuple[str, str], list[str]] = {}
    for part in release["parts"]:
        if part["source_id"] is not None and "public" in part["audiences"]:
            objects.setdefault((part["table"], part["source_id"]), []).append(part["object"])
    return {
        key: [sorted(found), runs.get(key[1])] for key, found in objects.items() if runs.get(key[1])
    }


def _has_rows(engine: Engine, table, source_id: str) -> bool:
    with engine.connect() as connection:
        found = connection.execute(
            select(table.c.source_id).where(table.c.source_id == source_id).limit(1)
        ).first()
    return found is not None


def export_open_data(engine: Engine, folder: Path, release: dict | None = None) -> Path:
    """Write the public tables and their datapackage.json as a new version of `folder`, which
    readers only ever see whole: a version cut by a kill or a full disk never goes live, and
    each version holds only what the warehouse's `dim_source` shares as public today, so a
    table without public rows has no file and a file of an earlier version never lingers.
    With the `release` manifest the package carries its id as `version` and its time as
    `created`. Returns the descriptor's path through the live `folder`."""
    sources = read_frame(engine, select(dim_source).where(dim_source.c.sharing == "public"))
    public = sorted(set(sources["source_id"]))
    organizations = read_frame(
        engine,
        select(dim_organization).where(
            dim_organization.c.organization_id.in_(sorted(set(sources["organization_id"])))
        ),
    )
    # Each public row's own file and run: a source with one file per year has several.
    loads = read_frame(
        engine,
        select(dim_load).where(dim_load.c.source_id.in_(public)).order_by(dim_load.c.load_id),
    )
    whole = {
        "dim_region": (dim_region, read_frame(engine, select(dim_region))),
        "dim_organization": (dim_organization, organizations),
        "dim_source": (dim_source, sources.drop(columns=["location", "status_message"])),
        "dim_load": (dim_load, loads),
    }
    # name -> (table, columns, parts): facts are read and written one public source at a time.
    tables: dict[str, tuple[Table, list[str], list[Rows]]] = {
        name: (
            t,
            list(f.columns),
            [(None, partial(_frame_rows, f))],
        )
        for name, (t, f) in whole.items()
        if len(f)
    }
    made_from = _made_from(engine, release)
    for table in fact_tables().values():
        holding = [s for s in public if _has_rows(engine, table, s)]
        if holding:
            # Not even the salted hash of a personal value leaves the warehouse.
            columns = [c.name for c in table.columns if not c.info.get("personal")]
            wanted = select(*(table.c[c] for c in columns))
            # A batch of one source's rows in memory at a time, never the whole table's.
            tables[table.name] = (
                table,
                columns,
                [
                    (
                        made_from.get((table.name, s)),
                        partial(read_batches, engine, wanted.where(table.c.source_id == s)),
                    )
                    for s in holding
                ],
            )
    chunks = CsvChunks(folder)
    # The version before stays for a reader still uploading it file by file.
    with new_version(folder, keep_previous=True, after_switch=chunks.note) as building:
        chunks.read_live()
        resources = []
        for name, (table, columns, parts) in tables.items():
            path = building / f"{name}.csv"
            sha256 = _write(parts, table, columns, path, chunks)
            resources.append(_resource(name, table, columns, path, sha256, set(tables)))
        licences = sorted(set(sources["licence"]))
        descriptor = {
            "name": PACKAGE_NAME,
            "title": "Combined election data of the member organisations (public part)",
            **({"version": release["release"], "created": release["created"]} if release else {}),
            "licenses": [{"name": licence} for licence in licences],
            "sources": [
                {
                    "title": f"{row.organization_id}: {row.source_id}",
                    "path": row.source_id,
                    "licenses": [{"name": row.licence}],
                }
                for row in sources.itertuples(index=False)
            ],
            "resources": resources,
        }
        (building / DESCRIPTOR).write_text(
            json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return folder / DESCRIPTOR


#: Columns that name a row of a reference table in the package: the table and its column.
REFERENCES = {
    "region_code": ("dim_region", "region_code"),
    "source_id": ("dim_source", "source_id"),
    "organization_id": ("dim_organization", "organization_id"),
    "load_id": ("dim_load", "load_id"),
}


def _keys(table, columns: list[str], written: set[str]) -> dict:
    """The table's declared primary key, and the columns that point into a reference table
    the package also holds (a fact's region, source and organisation)."""
    keys: dict = {}
    primary = [c.name for c in table.primary_key.columns]
    if primary and set(primary) <= set(columns):
        keys["primaryKey"] = primary
    foreign = [
        {"fields": column, "reference": {"resource": target, "fields": field}}
        for column, (target, field) in REFERENCES.items()
        if column in columns and target in written and target != table.name
    ]
    if foreign:
        keys["foreignKeys"] = foreign
    return keys


def _resource(
    name: str, table, columns: list[str], path: Path, sha256: str, written: set[str]
) -> dict:
    """The descriptor of one written CSV. Its size and SHA-256 let any reader (and
    `frictionless validate`) tell a complete file from a cut or swapped one."""
    described = {c.name: c for c in table.columns}
    return {
        "name": name,
        "path": path.name,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": path.stat().st_size,
        "hash": f"sha256:{sha256}",
        "description": table.comment or name,
        "schema": {
            "fields": [
                {
                    "name": c,
                    "type": _field_type(described[c]),
                    "description": described[c].comment or "",
                }
                for c in columns
            ],
            **_keys(table, columns, written),
        },
    }
