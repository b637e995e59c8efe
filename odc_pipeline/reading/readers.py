"""Readers for the formats members export: CSV, XLSX, XLS, JSON and JSON Lines.

Every reader returns the same shape: one row per data row of the file, every cell as text
(or None when empty), the file's own headers, and `_source_row`, the row number a steward
sees when opening the file (the spreadsheet row, the CSV line, the JSON record's position).
Values stay text here on purpose: `1.234.567` must reach the Indonesian number parser as
written, not after pandas guessed it was a float.

A row that cannot be read (a CSV line with too many fields, a broken JSON line) is kept with
the reason in `_read_error`, so validation quarantines it and the rest of the file goes on.
A file that cannot be read at all raises `SourceReadError` with a message for the steward.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import zipfile
from collections import Counter
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as arrow_csv

from odc_pipeline.digests import file_sha256
from odc_pipeline.pulling.bundle import BUNDLE_KEY
from odc_pipeline.quoting import quoted
from odc_pipeline.reading.cells import cell_text
from odc_pipeline.reading.csv_records import CsvSyntaxError, split_records
from odc_pipeline.reading.encodings import READ_NOTES, MixedEncodingError, decode_by_line
from odc_pipeline.reading.headers import FILE_HASH, READ_ERROR, SOURCE_ROW, header_key
from odc_pipeline.reading.json_kinds import json_kind
from odc_pipeline.reading.tree import tree_records
from odc_pipeline.reading.unpivot import UnpivotError, unpivot
from odc_pipeline.registry.model import ReadOptions

_CSV_DELIMITERS = ",;\t|"
_HEADER_SCAN_ROWS = 30
#: An XLSX is a zip; one that would unpack to more than this is refused (zip bomb).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200


class SourceReadError(ValueError):
    """The file cannot be read at all; the message says why in a steward's words."""


def _text_frame(rows: list[list], headers: list[str | None]) -> pd.DataFrame:
    """Rows of text cells, their row number and read error; object dtype keeps None as None."""
    frame = pd.DataFrame(rows, columns=[*headers, SOURCE_ROW, READ_ERROR], dtype=object)
    frame[SOURCE_ROW] = frame[SOURCE_ROW].astype("int64")
    return frame


def _decode(data: bytes, encoding: str | None, notes: list[str] | None = None) -> str:
    """The file's text; how it was decoded, where a steward should know, goes into `notes`."""
    if data.startswith(b"PK\x03\x04"):
        raise SourceReadError("this is a ZIP/XLSX file, not CSV text; set format: xlsx")
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise SourceReadError(
                f"the file is not {encoding} text (byte {data[exc.start]:#04x} at position {exc.start}); "
                "set read.encoding to the file's encoding, e.g. cp1252 for old Excel exports"
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise SourceReadError("the file is binary, not CSV text; check the registry's format")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text, found = decode_by_line(data.removeprefix(codecs.BOM_UTF8))
    except MixedEncodingError as error:
        raise SourceReadError(str(error)) from None
    if notes is not None:
        notes.extend(found)
    return text


def _find_header_row(rows: list[list[str | None]], wanted: set[str]) -> int:
    """Index of the row that holds most of the mapped headers: title rows above it are skipped."""
    best, best_hits = -1, 0
    for index, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        hits = len({header_key(v) for v in row if v is not None} & wanted)
        if hits > best_hits:
            best, best_hits = index, hits
    if best < 0:
        found = next((row for row in rows if any(row)), [])
        raise SourceReadError(
            f"no header row found in the first {_HEADER_SCAN_ROWS} rows: none of the column names "
            f"in the registry's mapping appears (first row: {', '.join(quoted(v) for v in [v for v in found if v][:8])}); "
            "check the mapping, the delimiter, or set read.header_row"
        )
    return best


def _merged_header(top: list[str | None], bottom: list[str | None]) -> list[str | None]:
    """Two header rows as one: a merged cell spans the columns to its right (`Suara` over
    `Sah`/`Tidak Sah` gives `Suara Sah`, `Suara Tidak Sah`)."""
    names, spanning = [], None
    for index in range(max(len(top), len(bottom))):
        upper = top[index] if index < len(top) else None
        lower = bottom[index] if index < len(bottom) else None
        if upper is not None:
            spanning = upper
        elif lower is None:
            spanning = None
        label = upper if upper is not None else (spanning if lower is not None else None)
        names.append(" ".join(p for p in (label, lower) if p) or None)
    return names


def _table(
    rows: list[list[str | None]],
    numbers: list[int],
    options: ReadOptions,
    wanted: set[str],
    strict_width: bool,
    errors: dict[int, str] | None = None,
):
    """Header detection and row assembly shared by CSV and spreadsheets.

    `errors` are reasons a reader found for some lines (by line number); such a line is kept
    as a row that validation sets aside with that reason.
    """
    errors = errors or {}
    if not any(any(cell is not None for cell in row) for row in rows):
        raise SourceReadError("the file is empty")
    index = options.header_row - 1 if options.header_row else _find_header_row(rows, wanted)
    header = rows[index]
    body_start = index + 1
    if options.header_rows == 2:
        header = _merged_header(header, rows[index + 1] if index + 1 < len(rows) else [])
        body_start += 1
    keep = [i for i, name in enumerate(header) if name]
    _check_width(len(keep), options)
    names = [header[i] for i in keep]
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise SourceReadError(f"the header has the same column name twice: {duplicates}")
    kept = set(keep)
    records = []
    for row, number in zip(rows[body_start:], numbers[body_start:], strict=True):
        values = [row[i] if i < len(row) else None for i in keep]
        extra = [v for i, v in enumerate(row) if i not in kept and v is not None]
        if not any(v is not None for v in values) and not extra:
            continue  # blank line: not a row
        error = errors.get(number)
        if error is None and strict_width and len(row) > len(header) and extra:
            error = (
                f"this line has {len(row)} fields but the header has {len(header)}: a value "
                "holds the delimiter without quotes, or a column is missing from the header"
            )
        elif error is None and strict_width and len(row) < len(keep):
            error = (
                f"this line has {len(row)} fields but the header has {len(header)}: the line is "
                "incomplete (was the file cut off?)"
            )
        records.append([*values, number, error])
    if not records:
        raise SourceReadError(
            "the file has a header but no data rows; nothing is published from it and the last "
            "good load stays"
        )
    return _text_frame(records, names)


def _read_csv_columns(text: str, delimiter: str, options: ReadOptions, wanted: set[str]):
    """The common case, read column by column with Arrow: the header on one line (title
    lines above it are fine, one line each), one line per row, every row as wide as the
    header. Anything else (blank lines, values spanning lines, ragged rows) returns None and
    goes to the line-by-line reader, whose row numbers and messages are exact in every case.
    """
    if options.header_rows != 1:
        return None
    head = [
        [cell_text(c) for c in row]
        for row in csv.reader(io.StringIO(text[:65536], newline=""), delimiter=delimiter)
    ][:_HEADER_SCAN_ROWS]
    if not head:
        return None
    try:
        index = _find_header_row(head, wanted)
    except SourceReadError:
        return None  # the line-by-line reader says why
    if options.header_row not in (None, index + 1) or head[:index] != [
        [cell_text(c) for c in line.split(delimiter)] for line in text.splitlines()[:index]
    ]:
        return None  # a title that is not one line per record: numbers would shift
    header = head[index]
    if None in header or len(set(header)) != len(header):
        return None
    _check_width(len(header), options)
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    try:
        table = arrow_csv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=arrow_csv.ReadOptions(
                skip_rows=index + 1, column_names=[f"c{i}" for i in range(len(header))]
            ),
            parse_options=arrow_csv.ParseOptions(delimiter=delimiter, newlines_in_values=False),
            convert_options=arrow_csv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(len(header))},
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if table.num_rows != lines - index - 1 or table.num_rows == 0:
        return None  # blank lines or values spanning lines: numbers would shift
    cells = []
    for column in table.columns:
        trimmed = pc.utf8_trim_whitespace(column)
        cells.append(pc.if_else(pc.equal(trimmed, ""), None, trimmed))
    numbers = np.arange(index + 2, table.num_rows + index + 2, dtype="int64")
    # A line of delimiters only (`;;`) is not a row, as in the line-by-line reader. Found
    # in Arrow, before the cells become Python strings.
    blank = functools.reduce(pc.and_, (pc.is_null(values) for values in cells))
    if pc.any(blank).as_py():
        kept = pc.invert(blank)
        cells = [values.filter(kept) for values in cells]
        numbers = numbers[kept.to_numpy(zero_copy_only=False)]
    frame = pd.DataFrame(
        {name: _shared_strings(values) for name, values in zip(header, cells, strict=True)},
        dtype=object,
    )
    frame[SOURCE_ROW] = numbers
    frame[READ_ERROR] = None
    return frame


#: The first cells of a column that say whether its values repeat enough to be shared.
_SAMPLED_CELLS = 4096


def _shared_strings(values: pa.ChunkedArray) -> np.ndarray:
    """A column's cells as Python strings (None where empty), one string object per distinct
    value shared by every cell that holds it. A polling station's file repeats its village
    code, party numbers and candidates' names on every row: a string of its own per cell
    held Jawa Barat's candidates' file in some 340 bytes a row, and reading it took twice
    the memory. Strings cannot change, so sharing them changes nothing downstream. A column
    whose first cells are mostly distinct (names, identity numbers) is not looked up, which
    would cost time and memory for nothing."""
    sample = values.slice(0, _SAMPLED_CELLS)
    if pc.count_distinct(sample, mode="all").as_py() > len(sample) // 2:
        return values.to_numpy(zero_copy_only=False)
    encoded = pc.dictionary_encode(values, null_encoding="encode").combine_chunks()
    distinct = encoded.dictionary.to_numpy(zero_copy_only=False)
    return distinct[encoded.indices.to_numpy(zero_copy_only=False)]


def _read_csv(path: Path, options: ReadOptions, wanted: set[str], notes: list[str]) -> pd.DataFrame:
    text = _decode(path.read_bytes(), options.encoding, notes)
    if not text.strip():
        raise SourceReadError("the file is empty")
    delimiter = options.delimiter
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:8192], delimiters=_CSV_DELIMITERS).delimiter
        except csv.Error:
            delimiter = ","
    fast = _read_csv_columns(text, delimiter, options, wanted)
    if fast is not None:
        return fast
    try:
        records = split_records(text, delimiter)
    except CsvSyntaxError as error:
        raise SourceReadError(str(error)) from None
    return _table(
        records.rows, records.numbers, options, wanted, strict_width=True, errors=records.errors
    )


def _xml_attack(error: BaseException | None) -> bool:
    """Whether defusedxml (which openpyxl uses when installed) refused the XML."""
    while error is not None:
        if type(error).__module__.startswith("defusedxml"):
            return True
        error = error.__cause__ or error.__context__
    return False


def _check_zip(path: Path) -> None:
    if not zipfile.is_zipfile(path):
        head = path.read_bytes()[:2048]
        if head and b"\x00" not in head:
            raise SourceReadError(
                "not an XLSX workbook: the file is plain text (it looks like CSV); set format: csv"
            )
        raise SourceReadError(
            "not an XLSX workbook: the file is damaged or cut off (not a valid zip)"
        )
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        packed = max(1, sum(info.compress_size for info in archive.infolist()))
    if unpacked > MAX_UNZIPPED_BYTES or unpacked / packed > MAX_COMPRESSION_RATIO:
        raise SourceReadError(
            f"the workbook would unpack to {unpacked / 1e6:,.0f} MB from {packed / 1e6:,.1f} MB "
            f"(limits: {MAX_UNZIPPED_BYTES / 1e6:,.0f} MB, ratio {MAX_COMPRESSION_RATIO}); refused as a "
            "possible zip bomb"
        )


def _read_xlsx(path: Path, options: ReadOptions, wanted: set[str]) -> pd.DataFrame:
    from openpyxl import load_workbook

    _check_zip(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        if _xml_attack(exc):
            raise SourceReadError(
                "refused: the workbook's XML declares entities or a DTD (a possible "
                "entity-expansion bomb); export it again from the spreadsheet program"
            ) from None
        raise SourceReadError(
            f"not a readable XLSX workbook ({exc.__class__.__name__}: {exc})"
        ) from exc
    try:
        sheet = _pick_sheet(
            workbook.sheetnames, options, lambda i: workbook.worksheets[i], lambda n: workbook[n]
        )
        rows = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    return _table(rows, list(range(1, len(rows) + 1)), options, wanted, strict_width=False)


def _pick_sheet(names: list[str], options: ReadOptions, by_index, by_name):
    if isinstance(options.sheet, int):
        if options.sheet >= len(names):
            raise SourceReadError(
                f"the workbook has no sheet number {options.sheet}; its sheets are {names}"
            )
        return by_index(options.sheet)
    if options.sheet not in names:
        raise SourceReadError(
            f"the workbook has no sheet {options.sheet!r}; its sheets are {names}"
        )
    return by_name(options.sheet)


def _read_xls(path: Path, options: ReadOptions, wanted: set[str]) -> pd.DataFrame:
    import xlrd

    try:
        book = xlrd.open_workbook(path, on_demand=True)
    except Exception as exc:  # xlrd raises its own error types for damaged files
        raise SourceReadError(
            f"not a readable XLS workbook ({exc.__class__.__name__}: {exc})"
        ) from exc
    sheet = _pick_sheet(book.sheet_names(), options, book.sheet_by_index, book.sheet_by_name)

    def value(cell) -> str | None:
        if cell.ctype == xlrd.XL_CELL_DATE:
            return cell_text(xlrd.xldate_as_datetime(cell.value, book.datemode))
        return cell_text(cell.value if cell.ctype != xlrd.XL_CELL_EMPTY else None)

    rows = [[value(c) for c in sheet.row(r)] for r in range(sheet.nrows)]
    return _table(rows, list(range(1, len(rows) + 1)), options, wanted, strict_width=False)


def _column_text(values: list) -> list:
    """`cell_text` over one column; columns of only text and whole numbers (nearly all, a
    count column with a few words typed into it too) take a shortcut without a call per
    cell. The types are exact: a bool, a float or anything else takes the full path."""
    kinds = set(map(type, values)) - {type(None)}
    if kinds == {str}:
        return [None if v is None else (v.strip() or None) for v in values]
    if kinds == {int}:
        return [None if v is None else str(v) for v in values]
    if kinds == {str, int}:
        return [
            None if v is None else (v.strip() or None) if v.__class__ is str else str(v)
            for v in values
        ]
    return [cell_text(v) for v in values]


def _records_frame(records: list[tuple[int, dict | None, str | None]]) -> pd.DataFrame:
    columns: dict[str, None] = {}
    for _, record, _ in records:
        columns.update(dict.fromkeys(record or {}))
    if not records:
        raise SourceReadError("the file holds no records")
    empty: dict = {}
    data = {
        column: _column_text([(r or empty).get(column) for _, r, _ in records])
        for column in columns
    }
    frame = pd.DataFrame(data, columns=list(columns), index=range(len(records)), dtype=object)
    frame[SOURCE_ROW] = np.array([n for n, _, _ in records], dtype="int64")
    frame[READ_ERROR] = pd.Series([e for _, _, e in records], dtype=object)
    return frame


def _loads(text: str | bytes) -> Any:
    """`json.loads`, with orjson (faster) tried first. Whatever orjson refuses
    (NaN, integers past 64 bits, nesting past its limit, UTF-16, broken text) goes to `json`,
    so every file reads, and fails with the same message, exactly as with `json` alone."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _read_json(path: Path, options: ReadOptions) -> pd.DataFrame:
    try:
        document = _loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        raise SourceReadError(
            f"not valid JSON (was the file cut off?): it stops making sense at line "
            f"{exc.lineno}, column {exc.colno}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise SourceReadError(
            f"not valid JSON: byte {exc.start:,} is not UTF-8 text, the only encoding JSON has"
        ) from exc
    except RecursionError:
        raise SourceReadError(
            f"the JSON nests deeper than this source's limit of {options.max_json_depth} "
            "(read.max_json_depth)"
        ) from None
    depth = _json_depth(document)
    if depth > options.max_json_depth:
        raise SourceReadError(
            f"the JSON nests {depth} levels deep, over this source's limit of "
            f"{options.max_json_depth} (read.max_json_depth)"
        )
    if options.tree is not None:
        return _records_frame(tree_records(document, options.tree))
    if isinstance(document, dict) and BUNDLE_KEY in document:
        return _records_frame(_bundle_records(document, options))
    return _records_frame(
        [(n, record, problem) for n, (record, problem) in enumerate(_records(document, options), 1)]
    )


def _records(document: object, options: ReadOptions) -> list[tuple[dict | None, str | None]]:
    """The records of one JSON document, each with the reason it cannot be used (or None)."""
    records = document
    for step in options.records_path.split(".") if options.records_path else []:
        if not isinstance(records, dict) or step not in records:
            raise SourceReadError(f"read.records_path {options.records_path!r}: no key {step!r}")
        records = records[step]
    if options.records_keyed_by is not None:
        return [(record, problem) for _n, record, problem in _keyed_records(records, options)]
    if not isinstance(records, list):
        raise SourceReadError("expected a list of records (objects); set read.records_path")
    return [
        (record, None)
        if isinstance(record, dict)
        else (None, f"record {number} is {json_kind(record)}, not an object with named fields")
        for number, record in enumerate(records, start=1)
    ]


def _bundle_records(bundle: dict, options: ReadOptions) -> list:
    """Every document of a bundle (a folder pulled as one, see pulling.bundle), numbered on
    from one to the next; a document that cannot be read is one problem row, and every
    problem names its file (a record's number counts within it); the other documents still
    go through."""
    out: list = []
    for entry in bundle.get("documents", []):
        label = entry.get("file", "?")
        try:
            if entry.get("error"):
                raise SourceReadError(entry["error"])
            rows = _records(entry.get("document"), options)
        except SourceReadError as problem:
            rows = [(None, str(problem))]
        out += [
            (len(out) + n, record, problem and f"{label}: {problem}")
            for n, (record, problem) in enumerate(rows, 1)
        ]
    return out


def _keyed_records(records: object, options: ReadOptions) -> list:
    """Records written as an object keyed by id (`{"3201012001": [3], ...}`): the key becomes
    a column, and a list value is named by position (read.record_fields)."""
    if not isinstance(records, dict):
        raise SourceReadError(
            "read.records_keyed_by expects an object keyed by id at read.records_path, "
            f"not {json_kind(records)}"
        )
    key_column, fields = options.records_keyed_by, options.record_fields
    out = []
    for number, (key, value) in enumerate(records.items(), start=1):
        if isinstance(value, dict):
            out.append((number, {key_column: key, **value}, None))
        elif isinstance(value, list) and fields:
            out.append((number, {key_column: key, **dict(zip(fields, value, strict=False))}, None))
        elif fields and not isinstance(value, list):
            out.append((number, {key_column: key, fields[0]: value}, None))
        else:
            out.append(
                (number, None, f"record {key!r} is {json_kind(value)}; set read.record_fields")
            )
    return out


def _read_jsonl(path: Path, notes: list[str]) -> pd.DataFrame:
    text = _decode(path.read_bytes(), None, notes)
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = _loads(line)
        except json.JSONDecodeError as exc:
            out.append(
                (
                    number,
                    None,
                    f"line {number} is not valid JSON: it stops making sense at column {exc.colno}",
                )
            )
            continue
        except RecursionError:
            out.append((number, None, f"line {number} nests too deep to read"))
            continue
        if not isinstance(record, dict):
            out.append(
                (
                    number,
                    None,
                    f"line {number} is {json_kind(record)}, not an object with named fields",
                )
            )
        else:
            out.append((number, record, None))
    return _records_frame(out)


def _check_width(columns: int, options: ReadOptions) -> None:
    """Refuse a header wider than the source's limit, before any work that grows with it."""
    if columns > options.max_columns:
        raise SourceReadError(
            f"the file has {columns:,} columns, over this source's limit of "
            f"{options.max_columns:,} (read.max_columns)"
        )


def _check_size(frame: pd.DataFrame, options: ReadOptions) -> None:
    """Refuse a file bigger than its source's limits (a broken export, or a hostile one)."""
    _check_width(len([c for c in frame.columns if c not in (SOURCE_ROW, READ_ERROR)]), options)
    if len(frame) > options.max_rows:
        raise SourceReadError(
            f"the file has {len(frame):,} data rows, over this source's limit of "
            f"{options.max_rows:,} (read.max_rows)"
        )


def _json_depth(document: object) -> int:
    """How deep a JSON document nests (a scalar 0, `[]` 1, `[{}]` 2), counted without recursion.

    Level by level rather than node by node: a file is mostly one list of flat records, so
    one pass over each record's values is all the work, not a visit per node."""
    deepest, level = 0, [document] if isinstance(document, dict | list) else []
    while level:
        deepest += 1
        children = list(
            chain.from_iterable(node.values() if isinstance(node, dict) else node for node in level)
        )
        # Which types the level holds is worked out in C; a level of flat records' values
        # (numbers and text) ends the count without a test per value.
        if any(issubclass(kind, dict | list) for kind in set(map(type, children))):
            level = [child for child in children if isinstance(child, dict | list)]
        else:
            level = []
    return deepest


def _check_alike_headers(headers: list, wanted: set[str]) -> None:
    """The mapping matches headers whatever their case, spaces and punctuation: two mapped
    headers that differ only so would leave it to chance which column is read."""
    by_key: dict[str, list[str]] = {}
    for name in headers:
        by_key.setdefault(header_key(name), []).append(str(name))
    alike = [found for key, found in by_key.items() if key in wanted and len(found) > 1]
    if alike:
        raise SourceReadError(
            f"the header has columns {alike[0]} that differ only in case, spaces or "
            "punctuation, and the registry's mapping names one of them: rename one in the file"
        )


def read_source(
    path: Path, file_format: str, options: ReadOptions, mapped_headers: list[str]
) -> pd.DataFrame:
    """Read one file into text cells plus `_source_row`, `_read_error` and `_file_hash`.

    What a steward should know about how the file was read (lines in another encoding) is
    in `frame.attrs[READ_NOTES]`.
    """
    if not path.is_file():
        raise SourceReadError(f"file not found: {path}")
    if path.stat().st_size == 0:
        raise SourceReadError("the file is empty (0 bytes)")
    wanted = {header_key(h) for h in mapped_headers}
    readers = {
        "csv": lambda: _read_csv(path, options, wanted, notes),
        "xlsx": lambda: _read_xlsx(path, options, wanted),
        "xls": lambda: _read_xls(path, options, wanted),
        "json": lambda: _read_json(path, options),
        "jsonl": lambda: _read_jsonl(path, notes),
    }
    if file_format not in readers:
        raise SourceReadError(f"no reader for format {file_format!r}")
    notes: list[str] = []
    frame = readers[file_format]()
    _check_alike_headers(list(frame.columns), wanted)
    if options.unpivot is not None:
        try:
            frame = unpivot(frame, options.unpivot)
        except UnpivotError as error:
            raise SourceReadError(str(error)) from None
    _check_size(frame, options)
    # One value on every row: held as a category, it costs a byte a row, not the 64
    # characters of the hash (a sixth of a polling-station file's frame in every step).
    frame[FILE_HASH] = pd.Categorical.from_codes(
        np.zeros(len(frame), dtype=np.int8), categories=[file_sha256(path)]
    )
    frame = frame.reset_index(drop=True)
    frame.attrs[READ_NOTES] = notes
    return frame
