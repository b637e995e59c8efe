"""The DuckDB peer: the night as an analyst would write it in DuckDB SQL.

    python -m benchmarks.peer_duckdb REGISTRY OUT.duckdb

Each source of the workload's registry is read by DuckDB (CSV and JSON Lines by its own
readers; a JSON document and XLSX through pandas, which DuckDB reads in place), and one query
per source renames its columns, parses its counts, looks its regions up in the official list
and the two crosswalks (`peer_reference`), keeps the rows with a region and whole counts of 0
or more, drops repeated rows, and appends the rest to one table per kind in a DuckDB file.
Prints one JSON line: rows read and published, per source.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from benchmarks.peer_reference import (
    KEYS,
    LEVELS,
    NAME_WORDS,
    NUMBERS,
    bps,
    command_line,
    historic,
    official,
)
from benchmarks.workload import MONTHS


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def name_key(column: str) -> str:
    """SQL for `peer_reference.name_key`."""
    key = f"trim(lower(CAST({column} AS VARCHAR)))"
    for pattern in NAME_WORDS:
        replacement = "' '" if pattern == r"\s+" else "''"
        key = f"trim(regexp_replace({key}, '{pattern}', {replacement}, 'g'))"
    return key


def dotted(column: str) -> str:
    """SQL: the digits of a code, joined by dots as Kemendagri writes them (2.2.2.4)."""
    digits = f"regexp_replace(CAST({column} AS VARCHAR), '[^0-9]', '', 'g')"
    return (
        f"concat_ws('.', nullif(substr({digits}, 1, 2), ''), nullif(substr({digits}, 3, 2), ''),"
        f" nullif(substr({digits}, 5, 2), ''), nullif(substr({digits}, 7, 4), ''))"
    )


def raw(connection: duckdb.DuckDBPyConnection, path: Path, entry: dict) -> None:
    """The file as the view `raw`, every column as text."""
    options = entry.get("read", {})
    if entry["format"] == "csv":
        relation = connection.read_csv(
            str(path), sep=options.get("delimiter", ","), all_varchar=True, header=True
        )
    elif entry["format"] == "jsonl":
        relation = connection.read_json(
            str(path),
            format="newline_delimited",
            columns={header: "VARCHAR" for header in entry["columns"]},
        )
    elif entry["format"] == "json":
        document = json.loads(path.read_bytes())
        for step in options.get("records_path", "").split(".") if options else []:
            document = document[step]
        connection.register("raw", pd.DataFrame.from_records(document).astype(str))
        return
    else:
        connection.register("raw", pd.read_excel(path, dtype=str))
        return
    connection.register("raw", relation)


def region_sql(entry: dict) -> tuple[str, str]:
    """The joins that find a row's Kemendagri code, and the expression that names it."""
    specs = entry["regions"]
    header = {column: name for name, column in entry["columns"].items()}
    if len(specs) == 2:
        kab, kec = (quoted(header[s["column"]]) for s in specs)
        joins = (
            f"LEFT JOIN names AS k ON k.level = 2 AND k.key = {name_key('r.' + kab)} "
            f"LEFT JOIN official AS c ON c.level = 3 AND c.parent_code = k.region_code "
            f"AND c.key = {name_key('r.' + kec)}"
        )
        return joins, "c.region_code"
    spec = specs[0]
    column = "r." + quoted(header[spec["column"]])
    level = LEVELS[spec["level"]]
    if spec["system"] == "name":
        joins = f"LEFT JOIN names AS n ON n.level = {level} AND n.key = {name_key(column)}"
        if spec.get("untyped") == "kabupaten":
            joins += (
                f" LEFT JOIN official AS u ON u.level = 2 AND u.type = 'kabupaten' "
                f"AND u.key = {name_key(column)}"
            )
            return joins, "coalesce(u.region_code, n.region_code)"
        return joins, "n.region_code"
    if spec["system"] == "bps":
        digits = f"regexp_replace(CAST({column} AS VARCHAR), '[^0-9]', '', 'g')"
        return f"LEFT JOIN bps AS b ON b.bps_code = {digits}", "b.kemendagri_code"
    joins = (
        f"LEFT JOIN official AS o ON o.level = {level} AND o.region_code = {dotted(column)} "
        f"LEFT JOIN historic AS h ON h.old_code = {dotted(column)}"
    )
    return joins, "coalesce(o.region_code, h.new_code)"


def count_sql(column: str, indonesian: bool) -> str:
    text = f"CAST({column} AS VARCHAR)"
    if indonesian:
        text = f"replace({text}, '.', '')"
    return f"TRY_CAST({text} AS DOUBLE)"


def date_sql(column: str) -> str:
    months = " ".join(f"WHEN '{name.lower()}' THEN {i}" for i, name in enumerate(MONTHS, start=1))
    parts = f"string_split({column}, ' ')"
    return (
        f"try(make_date(TRY_CAST({parts}[3] AS INTEGER), "
        f"CASE lower({parts}[2]) {months} END, TRY_CAST({parts}[1] AS INTEGER)))"
    )


def source_sql(entry: dict) -> str:
    """One query: the source's rows, renamed, parsed, looked up, checked and deduplicated.

    Headers and constants come from the workload's own generated registry (`benchmarks
    generate`), quoted; a kind this peer does not know is refused."""
    if entry["kind"] not in KEYS:
        raise ValueError(f"the DuckDB peer does not know kind {entry['kind']!r}")
    indonesian = entry.get("read", {}).get("locale") == "id"
    region_columns = {s["column"] for s in entry["regions"]}
    selected = [f"'{entry['id']}' AS source_id"]
    for header, column in entry["columns"].items():
        if column in region_columns:
            continue
        value = "r." + quoted(header)
        if column in NUMBERS:
            value = count_sql(value, indonesian and column != "year")
        elif column == "date":
            value = date_sql(value)
        else:
            value = f"CAST({value} AS VARCHAR)"
        selected.append(f"{value} AS {quoted(column)}")
    for column, value in entry.get("constants", {}).items():
        literal = (
            str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"
        )
        selected.append(f"{literal} AS {quoted(column)}")
    joins, region = region_sql(entry)
    selected.append(f"{region} AS region_code")
    counts = [quoted(c) for c in entry["columns"].values() if c in NUMBERS]
    checks = " AND ".join(
        [
            "region_code IS NOT NULL",
            *(f"{c} >= 0 AND {c} = floor({c})" for c in counts),
            *(["date IS NOT NULL"] if "date" in entry["columns"].values() else []),
        ]
    )
    fields = {*entry["columns"].values(), *entry.get("constants", {}), "region_code"}
    key = ", ".join(quoted(c) for c in KEYS[entry["kind"]] if c in fields)
    return (
        f"WITH looked_up AS (SELECT {', '.join(selected)} FROM raw AS r {joins}) "  # noqa: S608
        f"SELECT * FROM looked_up WHERE {checks} "
        f"QUALIFY count(*) OVER (PARTITION BY {key}) = 1"
    )


def run(registry: Path, out: Path) -> dict:
    entries = yaml.safe_load(registry.read_text(encoding="utf-8"))["sources"]
    out.unlink(missing_ok=True)
    per_source = {}
    with duckdb.connect(str(out)) as connection:
        connection.register("official", official())
        connection.register("historic", historic())
        connection.register("bps", bps())
        connection.execute(
            "CREATE TEMP TABLE names AS SELECT * FROM official "
            "QUALIFY count(*) OVER (PARTITION BY level, key) = 1"
        )
        created: set[str] = set()
        for entry in entries:
            raw(connection, registry.parent / entry["location"], entry)
            rows_in = connection.execute("SELECT count(*) FROM raw").fetchall()[0][0]
            connection.execute(f"CREATE OR REPLACE TEMP TABLE rows AS {source_sql(entry)}")
            table = quoted(entry["kind"])  # one of KEYS: source_sql refuses any other
            if entry["kind"] in created:
                connection.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows")  # noqa: S608
            else:
                connection.execute(f"CREATE TABLE {table} AS SELECT * FROM rows")  # noqa: S608
                created.add(entry["kind"])
            published = connection.execute("SELECT count(*) FROM rows").fetchall()[0][0]
            per_source[entry["id"]] = {"rows_in": rows_in, "published": published}
    return per_source


if __name__ == "__main__":
    raise SystemExit(command_line(run))
