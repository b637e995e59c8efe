"""The pandas peer: the night as an analyst would script it in pandas and pandera.

    python -m benchmarks.peer_pandas REGISTRY OUT.sqlite

Every source of the workload's registry is read with pandas, its columns renamed as the
registry says, its rows checked with a pandera schema (bad rows dropped), its regions looked
up in the official list and the two crosswalks (`peer_reference`), its repeated rows dropped,
and the rest appended with `to_sql` to one SQLite table per kind. Prints one JSON line: rows
read and published, per source.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import yaml

from benchmarks.peer_reference import (
    KEYS,
    LEVELS,
    NUMBERS,
    bps,
    command_line,
    dotted,
    historic,
    name_key,
)
from benchmarks.peer_reference import official as official_regions
from benchmarks.workload import MONTHS


def read(path: Path, entry: dict) -> pd.DataFrame:
    """The file as text columns (numbers are parsed after, as the source wrote them)."""
    options = entry.get("read", {})
    if entry["format"] == "csv":
        return pd.read_csv(path, sep=options.get("delimiter", ","), dtype=str)
    if entry["format"] == "jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    if entry["format"] == "json":
        document = json.loads(path.read_bytes())
        for step in options.get("records_path", "").split(".") if options else []:
            document = document[step]
        return pd.DataFrame.from_records(document)
    return pd.read_excel(path, dtype=str)


def numbers(values: pd.Series, indonesian: bool) -> pd.Series:
    """Counts as numbers; `1.125` is 1125 where the source writes Indonesian thousands."""
    text = values.astype(str)
    if indonesian:
        text = text.str.replace(".", "", regex=False)
    return pd.to_numeric(text, errors="coerce")


def schema(columns: list[str]) -> pa.DataFrameSchema:
    """Counts whole and 0 or more; the region and any date present."""
    checks = {
        c: pa.Column(
            float, [pa.Check.ge(0), pa.Check(lambda s: s % 1 == 0)], nullable=False, coerce=True
        )
        for c in columns
        if c in NUMBERS
    }
    checks["region"] = pa.Column(nullable=False)
    if "date" in columns:  # a date that could not be read
        checks["date"] = pa.Column(nullable=False)
    return pa.DataFrameSchema(checks)


def valid_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows pandera finds nothing wrong with."""
    try:
        schema(list(frame.columns)).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        bad = errors.failure_cases["index"].dropna().unique()
        return frame.drop(index=bad)
    return frame


def region_codes(frame: pd.DataFrame, entry: dict, regions: dict) -> pd.Series:
    """Each row's Kemendagri code, or missing where none is found."""
    official = regions["official"]
    specs = entry["regions"]
    if len(specs) == 2:  # kabupaten/kota by name, then kecamatan by name within it
        kab = _by_name(frame[specs[0]["column"]], official[official["level"] == 2], None)
        kecamatan = official[official["level"] == 3]
        keys = pd.DataFrame({"parent_code": kab, "key": name_key(frame[specs[1]["column"]])})
        found = keys.merge(kecamatan[["parent_code", "key", "region_code"]], how="left")
        return pd.Series(found["region_code"].to_numpy(), index=frame.index)
    spec = specs[0]
    values = frame[spec["column"]]
    level = LEVELS[spec["level"]]
    if spec["system"] == "name":
        return _by_name(values, official[official["level"] == level], spec.get("untyped"))
    digits = values.astype(str).str.replace(r"\D", "", regex=True)
    if spec["system"] == "bps":
        crosswalk = regions["bps"].set_index("bps_code")["kemendagri_code"]
        return digits.map(crosswalk)
    codes = digits.map(dotted)
    known = set(official.loc[official["level"] == level, "region_code"])
    renamed = codes.map(regions["historic"].set_index("old_code")["new_code"])
    return codes.where(codes.isin(known), renamed)


def _by_name(names: pd.Series, level: pd.DataFrame, untyped: str | None) -> pd.Series:
    key = name_key(names)
    unique = level.drop_duplicates("key", keep=False).set_index("key")["region_code"]
    found = key.map(unique)
    if untyped == "kabupaten":  # a bare name is the kabupaten's, not the city's
        kabupaten = level[level["type"] == "kabupaten"].set_index("key")["region_code"]
        found = key.map(kabupaten).fillna(found)
    return found


def dates(values: pd.Series) -> pd.Series:
    """`26 September 2023` as a date (Indonesian month names)."""
    months = {name.lower(): f"{i:02d}" for i, name in enumerate(MONTHS, start=1)}
    parts = values.astype(str).str.split(" ", expand=True)
    text = parts[2] + "-" + parts[1].str.lower().map(months) + "-" + parts[0].str.zfill(2)
    return pd.to_datetime(text, errors="coerce").dt.date


def one_source(entry: dict, folder: Path, regions: dict) -> tuple[pd.DataFrame, dict]:
    frame = read(folder / entry["location"], entry)
    rows_in = len(frame)
    frame = frame.rename(columns=entry["columns"])[list(entry["columns"].values())]
    for column, value in entry.get("constants", {}).items():
        frame[column] = value
    region_columns = [s["column"] for s in entry["regions"]]
    frame["region_code"] = region_codes(frame, entry, regions)
    indonesian = entry.get("read", {}).get("locale") == "id"
    for column in frame.columns.intersection(NUMBERS):
        frame[column] = numbers(frame[column], indonesian and column != "year")
    if "date" in frame:
        frame["date"] = dates(frame["date"])
    frame["region"] = frame["region_code"]
    frame = valid_rows(frame).drop(columns=[*region_columns, "region"], errors="ignore")
    key = [c for c in KEYS[entry["kind"]] if c in frame]
    frame = frame[~frame.duplicated(key, keep=False)]
    frame.insert(0, "source_id", entry["id"])
    return frame, {"rows_in": rows_in}


def run(registry: Path, out: Path) -> dict:
    entries = yaml.safe_load(registry.read_text(encoding="utf-8"))["sources"]
    regions = {"official": official_regions(), "historic": historic(), "bps": bps()}
    out.unlink(missing_ok=True)
    per_source = {}
    with sqlite3.connect(out) as connection:
        for entry in entries:
            frame, counts = one_source(entry, registry.parent, regions)
            frame.to_sql(entry["kind"], connection, if_exists="append", index=False)
            per_source[entry["id"]] = {**counts, "published": len(frame)}
    return per_source


if __name__ == "__main__":
    raise SystemExit(command_line(run))
