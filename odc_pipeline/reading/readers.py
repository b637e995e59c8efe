"""Readers for the formats members export: CSV, XLSX and JSON.

Every reader returns the same shape: one row per data row of the file, every cell as text
(or None when empty), the file's own headers, and `_source_row`, the row number a steward
sees when opening the file (the spreadsheet row, the CSV line, the JSON record's position).
Values stay text here on purpose: `1.234.567` must reach the Indonesian number parser as
written, not after pandas guessed it was a float.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook

from odc_pipeline.reading.headers import FILE_HASH, SOURCE_ROW, header_key
from odc_pipeline.registry.model import ReadOptions

_CSV_DELIMITERS = ",;\t|"
_CSV_ENCODINGS = ("utf-8-sig", "cp1252")
_HEADER_SCAN_ROWS = 30


class SourceReadError(ValueError):
    """The file cannot be read at all; the message says why in a steward's words."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cell_text(value: Any) -> str | None:
    """A cell as text; integral floats lose the `.0` a spreadsheet or JSON encoder added."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None


def _text_frame(rows: list[list], headers: list[str | None]) -> pd.DataFrame:
    """Rows of text cells followed by their row number; object dtype keeps None as None."""
    frame = pd.DataFrame(rows, columns=[*headers, SOURCE_ROW], dtype=object)
    frame[SOURCE_ROW] = frame[SOURCE_ROW].astype("int64")
    return frame


def _decode(data: bytes, encoding: str | None) -> str:
    if encoding:
        return data.decode(encoding)
    for candidate in _CSV_ENCODINGS:
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise SourceReadError("the file is neither UTF-8 nor Windows-1252 text; set read.encoding")


def _read_csv(path: Path, options: ReadOptions) -> pd.DataFrame:
    text = _decode(path.read_bytes(), options.encoding)
    delimiter = options.delimiter
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:8192], delimiters=_CSV_DELIMITERS).delimiter
        except csv.Error:
            delimiter = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceReadError(f"not a readable CSV file (delimiter {delimiter!r}): {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.map(cell_text).astype(object)
    frame = frame.where(frame.notna(), None)
    # Line 1 is the header, so the first data row is line 2.
    frame[SOURCE_ROW] = range(2, len(frame) + 2)
    return frame.dropna(how="all", subset=[c for c in frame.columns if c != SOURCE_ROW])


def _find_header_row(rows: list[tuple[Any, ...]], wanted: set[str]) -> int:
    """Index of the row that holds most of the mapped headers: title rows above it are skipped."""
    best, best_hits = -1, 0
    for index, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        hits = len({header_key(v) for v in row if v is not None} & wanted)
        if hits > best_hits:
            best, best_hits = index, hits
    if best < 0:
        raise SourceReadError(
            f"no header row found in the first {_HEADER_SCAN_ROWS} rows: none of the mapped "
            "column names appears; set read.header_row or check the column mapping"
        )
    return best


def _read_xlsx(path: Path, options: ReadOptions, wanted: set[str]) -> pd.DataFrame:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise SourceReadError(
            f"not a readable XLSX workbook ({exc.__class__.__name__}: {exc})"
        ) from exc
    try:
        if isinstance(options.sheet, int):
            if options.sheet >= len(workbook.worksheets):
                raise SourceReadError(f"the workbook has no sheet number {options.sheet}")
            sheet = workbook.worksheets[options.sheet]
        elif options.sheet in workbook.sheetnames:
            sheet = workbook[options.sheet]
        else:
            raise SourceReadError(
                f"the workbook has no sheet {options.sheet!r}; its sheets are {workbook.sheetnames}"
            )
        rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    header_index = options.header_row - 1 if options.header_row else _find_header_row(rows, wanted)
    header = [cell_text(v) for v in rows[header_index]]
    keep = [i for i, name in enumerate(header) if name]
    records = []
    for offset, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        values = [cell_text(row[i]) if i < len(row) else None for i in keep]
        if any(v is not None for v in values):
            records.append([*values, offset])
    return _text_frame(records, [header[i] for i in keep])


def _read_json(path: Path, options: ReadOptions) -> pd.DataFrame:
    try:
        document = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceReadError(f"not valid JSON: {exc}") from exc
    records = document
    for step in (options.records_path or "").split(".") if options.records_path else []:
        if not isinstance(records, dict) or step not in records:
            raise SourceReadError(f"read.records_path {options.records_path!r}: no key {step!r}")
        records = records[step]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise SourceReadError("expected a list of records (objects); set read.records_path")
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    rows = [[cell_text(r.get(c)) for c in columns] + [n] for n, r in enumerate(records, start=1)]
    return _text_frame(rows, list(columns))


def read_source(
    path: Path, file_format: str, options: ReadOptions, mapped_headers: list[str]
) -> pd.DataFrame:
    """Read one file into text cells plus `_source_row` and `_file_hash`."""
    if not path.is_file():
        raise SourceReadError(f"file not found: {path}")
    if file_format == "csv":
        frame = _read_csv(path, options)
    elif file_format == "xlsx":
        frame = _read_xlsx(path, options, {header_key(h) for h in mapped_headers})
    elif file_format == "json":
        frame = _read_json(path, options)
    else:
        raise SourceReadError(f"no reader for format {file_format!r}")
    frame = frame.astype({c: "object" for c in frame.columns if c != SOURCE_ROW})
    frame[FILE_HASH] = file_sha256(path)
    return frame.reset_index(drop=True)
