"""The open data package: public rows of the warehouse as CSV plus a Frictionless
`datapackage.json` (schema, licences, sources), ready to upload to a CKAN portal.

Only rows of sources shared as `public` are written, personal columns are left out, and text
cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` followed by text) are
prefixed with a `'`, so an opened CSV shows them as text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as arrow_csv
from sqlalchemy import Boolean, Date, DateTime, Engine, Float, Integer, Numeric, select

from odc_pipeline.warehouse.frames import read_frame
from odc_pipeline.warehouse.schema import FACT_TABLES, dim_organization, dim_region, dim_source

_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)*%?$")
PACKAGE_NAME = "odc-pipeline-open-data"


def safe_cell(value: object) -> object:
    """A text cell a spreadsheet would evaluate gets a leading apostrophe; numbers are kept."""
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


def _safe_column(values: pd.Series) -> pd.Series:
    """`safe_cell` over a column, once per distinct value: codes and names repeat by the
    million, and a regular expression per cell was most of the export's time."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    fixed = np.array([safe_cell(u) for u in uniques] + [None], dtype=object)
    return pd.Series(fixed[codes], index=values.index, dtype=object)


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


def _csv_ready(frame: pd.DataFrame, table) -> pd.DataFrame:
    """CSV as Frictionless reads it by default: ISO dates and UTC datetimes, safe text cells."""
    out = frame.copy()
    for column in out.columns:
        kind = _field_type(table.c[column])
        if kind == "datetime":
            out[column] = pd.to_datetime(out[column], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif kind == "date":
            out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%d")
        elif kind == "string":
            out[column] = _safe_column(out[column])
        elif kind == "integer" and pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].astype("Int64")  # 5, not 5.0, where a value is missing
    return out


def _write(chunks: Iterable[pd.DataFrame], table, columns: list[str], path: Path) -> None:
    """The chunks, one after another, as one CSV with `columns`. Arrow's writer is C++ (several
    times pandas' to_csv); a schema fixed from the table keeps every chunk's types alike, and
    writing chunk by chunk keeps one source's rows in memory, not the whole table's."""
    schema = pa.schema(
        [(c, _ARROW_TYPES.get(_field_type(table.c[c]), pa.string())) for c in columns]
    )
    options = arrow_csv.WriteOptions(quoting_style="needed")
    with arrow_csv.CSVWriter(str(path), schema, write_options=options) as writer:
        for chunk in chunks:
            ready = _csv_ready(chunk[columns], table)
            writer.write_table(pa.Table.from_pandas(ready, schema=schema, preserve_index=False))


def _has_rows(engine: Engine, table, source_id: str) -> bool:
    with engine.connect() as connection:
        found = connection.execute(
            select(table.c.source_id).where(table.c.source_id == source_id).limit(1)
        ).first()
    return found is not None


def export_open_data(engine: Engine, folder: Path) -> Path:
    """Write the public tables and their datapackage.json into `folder`; returns the descriptor."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = read_frame(engine, select(dim_source).where(dim_source.c.sharing == "public"))
    public = sorted(set(sources["source_id"]))
    organizations = read_frame(
        engine,
        select(dim_organization).where(
            dim_organization.c.organization_id.in_(sorted(set(sources["organization_id"])))
        ),
    )
    whole = {
        "dim_region": (dim_region, read_frame(engine, select(dim_region))),
        "dim_organization": (dim_organization, organizations),
        "dim_source": (dim_source, sources.drop(columns=["location", "status_message"])),
    }
    # name -> (table, columns, chunks): facts are read and written one public source at a time.
    tables = {name: (t, list(f.columns), [f]) for name, (t, f) in whole.items()}
    for table in FACT_TABLES.values():
        holding = [s for s in public if _has_rows(engine, table, s)]
        if holding:
            columns = [
                c.name
                for c in table.columns
                if not (c.name.endswith("_hash") and c.name != "file_hash")
            ]
            chunks = (
                read_frame(engine, select(table).where(table.c.source_id == s)) for s in holding
            )
            tables[table.name] = (table, columns, chunks)
    resources = []
    for name, (table, columns, chunks) in tables.items():
        _write(chunks, table, columns, folder / f"{name}.csv")
        described = {c.name: c for c in table.columns}
        resources.append(
            {
                "name": name,
                "path": f"{name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": (table.comment or name),
                "schema": {
                    "fields": [
                        {
                            "name": c,
                            "type": _field_type(described[c]),
                            "description": described[c].comment or "",
                        }
                        for c in columns
                    ]
                },
            }
        )
    licences = sorted(set(sources["licence"]))
    descriptor = {
        "name": PACKAGE_NAME,
        "title": "Combined election data of the member organisations (public part)",
        "licenses": [{"name": licence} for licence in licences],
        "sources": [
            {"title": f"{row.organization_id}: {row.source_id}", "path": row.source_id}
            for row in sources.itertuples(index=False)
        ],
        "resources": resources,
    }
    path = folder / "datapackage.json"
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
