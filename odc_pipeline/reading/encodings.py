"""Text that is not all UTF-8: read each line in the encoding it is really in.

A steward's file is UTF-8 (today's exports) or Windows-1252 (old Excel). Some are both: a
UTF-8 file with one line pasted from an old export. Decoding such a file whole as
Windows-1252 turns every UTF-8 dash and accent of the other lines into `â€“`, and nothing
would say so. Line by line, each UTF-8 line stays UTF-8 and only lines that are not UTF-8
are read as Windows-1252; the lines read that way are listed in the file's read notes.
"""

from __future__ import annotations

from odc_pipeline.quoting import first_of

#: Notes on how a file was read, under this key of the frame's `attrs`, for the steward.
READ_NOTES = "read_notes"
_SHOWN_LINES = 10


class MixedEncodingError(ValueError):
    """A line is neither UTF-8 nor Windows-1252."""


def _lines_text(numbers: list[int]) -> str:
    return first_of([str(n) for n in numbers], _SHOWN_LINES)


def decode_by_line(data: bytes) -> tuple[str, list[str]]:
    """The text of `data` (not valid UTF-8 as a whole), and notes for the steward.

    A file with no UTF-8 beyond plain ASCII is simply Windows-1252: no note. A file whose
    other lines hold UTF-8 characters is mixed: the note names the Windows-1252 lines.
    """
    parts, legacy, utf8_beyond_ascii = [], [], False
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        try:
            text = line.decode("utf-8")
            utf8_beyond_ascii = utf8_beyond_ascii or not line.isascii()
        except UnicodeDecodeError:
            try:
                text = line.decode("cp1252")
            except UnicodeDecodeError as error:
                raise MixedEncodingError(
                    f"line {number} is neither UTF-8 nor Windows-1252 text (byte "
                    f"{line[error.start]:#04x}); set read.encoding to the file's encoding"
                ) from None
            legacy.append(number)
        parts.append(text)
    notes = []
    if utf8_beyond_ascii and legacy:
        notes.append(
            f"the file is UTF-8 except line(s) {_lines_text(legacy)}, which are Windows-1252 "
            "(pasted from an older export?); each line was read in its own encoding. Check "
            "those lines' accents and dashes, and save the file again as UTF-8"
        )
    return "".join(parts), notes
