"""Split CSV text into records, each with the line it starts on, without losing lines to a
quote that is never closed.

A field that starts with `"` runs, by the CSV rules, to the next `"`: a stray quote on one
line (`32.50,"01,50`) makes every later line part of that one value, and a file of 100 rows
reads as 50 with nothing said. Here a record that spans lines is checked: when a line inside
its value looks like a record of its own (as many delimiters as the rows around it have), the
quote is taken for a stray one. That line is set aside with a reason naming it, and reading
starts again on the next line, so every other line is still read as a row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from itertools import islice

from odc_pipeline.reading.cells import cell_text


@dataclass
class CsvRecords:
    """The records of a file, the line each starts on, and why some lines were set aside."""

    rows: list[list[str | None]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    #: Line number -> why the line could not be read as it is written.
    errors: dict[int, str] = field(default_factory=dict)


class CsvSyntaxError(ValueError):
    """The text cannot be read as CSV near `line`, for a reason other than a stray quote."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        super().__init__(f"not a readable CSV file near line {line}: {reason}")


def _looks_like_records(row: list[str], delimiter: str, width: int) -> bool:
    """Whether a value spanning lines holds lines that are whole records by their delimiters."""
    if width < 2:
        return False
    for value in row:
        for inner in value.splitlines()[1:]:
            if inner.count(delimiter) >= width - 1:
                return True
    return False


def _stray_quote(line: int, last: int) -> str:
    if last == line:
        return (
            f'a quote (") opened on line {line} is not closed before the end of the file; '
            "this line is set aside. Remove the stray quote, or close it"
        )
    return (
        f'a quote (") opened on line {line} is not closed before line {last}, so every line '
        "in between would have been read as one value; this line is set aside and the lines "
        "after it are read on their own. Remove the stray quote, or close it"
    )


def split_records(text: str, delimiter: str) -> CsvRecords:
    """Every record of `text`, by the CSV rules, except where a stray quote would swallow lines."""
    lines = list(io.StringIO(text, newline=""))
    found = CsvRecords()
    # What a record looks like in this file: the widest one-line record so far, and before
    # any, the first line as its delimiters split it (a stray quote may be in the header).
    width = lines[0].count(delimiter) + 1 if lines else 0
    position = 0  # lines before this one are read
    while position < len(lines):
        reader = csv.reader(islice(lines, position, None), delimiter=delimiter)
        consumed, stray = 0, None
        try:
            for row in reader:
                first, last = position + consumed + 1, position + reader.line_num
                if last > first and _looks_like_records(row, delimiter, width):
                    stray = (first, last)
                    break
                if last == first and any("\n" in cell or "\r" in cell for cell in row):
                    # A value of one line holding its line's end: its quote was still open
                    # when the file ended.
                    stray = (first, last)
                    break
                found.rows.append([cell_text(cell) for cell in row])
                found.numbers.append(first)
                if last == first:
                    width = max(width, len(row))
                consumed = reader.line_num
        except csv.Error as error:
            first, last = position + consumed + 1, position + reader.line_num
            if last <= first:
                raise CsvSyntaxError(first, str(error)) from None
            stray = (first, last)  # e.g. a value over the field size limit: swallowed lines
        if stray is None:
            break
        first, last = stray
        written = lines[first - 1].rstrip("\r\n")
        found.rows.append([cell_text(cell) for cell in written.split(delimiter)])
        found.numbers.append(first)
        found.errors[first] = _stray_quote(first, last)
        position = first
    return found
