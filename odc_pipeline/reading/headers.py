"""Match a file's headers to the registry's column mapping, tolerant of case and punctuation.

Stewards re-export files from Excel, Kobo or Google Sheets and headers drift (`Kode Wilayah`,
`KODE_WILAYAH`, `kode wilayah `): those are the same column and must not fail a night's load.
"""

from __future__ import annotations

import re

import pandas as pd

from odc_pipeline.quoting import first_of, quoted

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

#: Columns the readers add; they are carried through every stage untouched.
SOURCE_ROW = "_source_row"
FILE_HASH = "_file_hash"
#: Why a row could not be read (None for rows read fine); validation quarantines such rows.
READ_ERROR = "_read_error"
PROVENANCE_COLUMNS = (SOURCE_ROW, FILE_HASH, READ_ERROR)
#: `attrs` key: every header of the file, once the columns nothing keeps are dropped.
FILE_HEADERS = "file_headers"


def header_key(header: object) -> str:
    """Comparison key of a header: lowercase letters and digits separated by single spaces."""
    return _NOT_ALNUM.sub(" ", str(header).casefold()).strip()


_LISTED_COLUMNS = 30


def _listed(headers: list[str]) -> str:
    """The file's headers for a message: each quoted short, the first few dozen only."""
    return first_of(
        [quoted(h) for h in headers[:_LISTED_COLUMNS]] + headers[_LISTED_COLUMNS:], _LISTED_COLUMNS
    )


class MissingColumnsError(ValueError):
    """Headers named in the registry are absent from the file."""

    def __init__(self, missing: list[str], found: list[str]) -> None:
        self.missing = missing
        self.found = found
        super().__init__(
            f"the file has no column {', '.join(repr(m) for m in missing)} named in the registry's "
            f"column mapping; the file's columns are: {_listed(found)}"
        )


def shareable_headers(
    frame: pd.DataFrame, mapping: dict[str, str], personal: tuple[str, ...] | list[str]
) -> list[str]:
    """The file's headers that may be shown to anyone who reads the run's log.

    A file carries more than the registry maps: KPU's candidate list has spouses' names,
    birth dates and home addresses beside the columns a steward maps. Only mapped headers
    whose column is not personal are shown (with `_source_row`, so a row can be found).
    """
    wanted = {header_key(h) for h, canonical in mapping.items() if canonical not in personal}
    shown = [c for c in frame.columns if c not in PROVENANCE_COLUMNS and header_key(c) in wanted]
    return ([SOURCE_ROW] if SOURCE_ROW in frame.columns else []) + shown


def drop_unstored_columns(
    frame: pd.DataFrame, mapping: dict[str, str], dropped: tuple[str, ...] | list[str]
) -> pd.DataFrame:
    """`frame` without the file's columns nothing may keep: headers the registry does not
    map, and those it maps to a column in `dropped` (withheld, or personal beyond the kind's).
    A file read is handed to the next step through a file on disk: KPU's candidate list
    would otherwise leave spouses' names and home addresses there. Done in place (a
    province's file of millions of rows is not copied) and returned. The file's headers
    stay in `attrs` (`FILE_HEADERS`), for a message about a mapped header it lacks."""
    kept = {header_key(h) for h, canonical in mapping.items() if canonical not in dropped}
    headers = [c for c in frame.columns if c not in PROVENANCE_COLUMNS]
    for column in headers:
        if header_key(column) not in kept:
            del frame[column]
    frame.attrs[FILE_HEADERS] = [str(h) for h in headers]
    return frame


def apply_column_mapping(frame: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    """Rename mapped headers to canonical names and drop the columns nobody asked for. A
    mapped header the file has but whose column was dropped as it was read (see
    `drop_unstored_columns`) is neither renamed nor missing."""
    by_key = {
        header_key(column): column for column in frame.columns if column not in PROVENANCE_COLUMNS
    }
    found = frame.attrs.get(FILE_HEADERS) or [
        c for c in frame.columns if c not in PROVENANCE_COLUMNS
    ]
    in_file = {header_key(h) for h in found}
    rename: dict[str, str] = {}
    missing: list[str] = []
    for their_header, canonical in mapping.items():
        actual = by_key.get(header_key(their_header))
        if actual is not None:
            rename[actual] = canonical
        elif header_key(their_header) not in in_file:
            missing.append(their_header)
    if missing:
        raise MissingColumnsError(missing, found)
    kept = [*rename, *[c for c in PROVENANCE_COLUMNS if c in frame.columns]]
    return frame[kept].rename(columns=rename)
