"""Each public source's rows of a table as CSV, copied from one open-data export to the next.

The open data's table files are rewritten whole at every export, but a night after one
province's file changed changes that province's rows alone. A table's file is its header
followed by each source's rows, a chunk of CSV named by what the rows are made from. An
export notes where in the file each chunk lies (`RANGES_FILE`, beside the live folder); the
next export copies an unchanged source's chunk as bytes from the live version's file, not
read from the warehouse and formatted again.

The chunks are read from the live version itself, not kept a second time: the open data
takes twice its size on disk (the live version, and the one before for a reader still
uploading it), not three times.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from odc_pipeline.digests import CHUNK

#: Part of every chunk's name: change it when the way rows are written as CSV changes, so no
#: chunk written the old way is used again.
CSV_FORMAT = 1
#: Beside the live folder `open_data`: `.open_data.ranges.json`.
RANGES_FILE = ".{name}.ranges.json"
#: What exports before this module kept beside the live folder: every chunk a second time.
_FORMER_CACHE = ".{name}.chunks"


def chunk_key(table: str, columns: list[str], made_from: object) -> str:
    """The name of a source's chunk of `table` with `columns`, made from rows that
    `made_from` identifies (a release's objects of them and the run that published them)."""
    described = json.dumps([CSV_FORMAT, table, columns, made_from], sort_keys=True)
    return hashlib.sha256(described.encode()).hexdigest()


def _seen(path: Path) -> list[int] | None:
    """A file's size and time of last change, to know it is as the export left it."""
    try:
        found = path.stat()
    except OSError:
        return None
    return [found.st_size, found.st_mtime_ns]


class CsvChunks:
    """Where each chunk lies in the live version of an open-data folder, and where each lies
    in the version being written. Both are read and noted while the folder's writer lock is
    held (`read_live` inside `versions.new_version`'s block, `note` as its `after_switch`),
    so the live version read from stays until the new one is live (and after, as the one
    before), and no other export's note is mixed with this one's."""

    def __init__(self, live: Path) -> None:
        self.live = live
        self.index = live.with_name(RANGES_FILE.format(name=live.name))
        self.ranges: dict[str, dict] = {}
        self._source: Path | None = None
        self._found: dict[str, dict] = {}

    def read_live(self) -> None:
        """Read where each chunk lies in the live version (under the writer's lock)."""
        self._source = self.live.resolve() if self.live.is_symlink() else None
        try:
            noted = json.loads(self.index.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            noted = {}
        # A note of another version (an export killed between the switch and the note)
        # is not used, nor one of a file changed since (opened and saved by hand): those
        # sources are written again.
        if self._source is not None and noted.get("version") == self._source.name:
            unchanged = {
                name
                for name, seen in noted.get("files", {}).items()
                if _seen(self._source / name) == seen
            }
            self._found = {
                key: found
                for key, found in noted.get("ranges", {}).items()
                if found["file"] in unchanged
            }

    def append(
        self,
        key: str,
        file_name: str,
        write: Callable[[BinaryIO], None],
        out: BinaryIO,
        position: Callable[[], int],
    ) -> None:
        """Copy the chunk `key` of the live version's `file_name` into `out`, or write it
        there with `write` where the live version has none; note where it now lies
        (`position` is the offset in the file being written)."""
        start = position()
        found = self._found.get(key)
        if found is not None and found["file"] == file_name:
            self._copy(self._source / file_name, found["offset"], found["length"], out)
            written_in = found["written_in"]
        else:
            write(out)
            written_in = None  # this export's version: its name is known once it is live
        self.ranges[key] = {
            "file": file_name,
            "offset": start,
            "length": position() - start,
            "written_in": written_in,
        }

    @staticmethod
    def _copy(path: Path, offset: int, length: int, out: BinaryIO) -> None:
        with path.open("rb") as chunk:
            chunk.seek(offset)
            while length:
                block = chunk.read(min(CHUNK, length))
                if not block:
                    raise OSError(f"{path} ends before the rows the open data noted there")
                out.write(block)
                length -= len(block)

    def note(self, version: Path) -> None:
        """Note where each chunk lies in `version`, just made live (under the writer's lock),
        and remove the second copy of every chunk that exports before this module kept."""
        for piece in self.ranges.values():
            piece["written_in"] = piece["written_in"] or version.name
        writing = self.index.with_name(f"{self.index.name}.writing")
        files = {r["file"]: _seen(version / r["file"]) for r in self.ranges.values()}
        noted = {"version": version.name, "files": files, "ranges": self.ranges}
        writing.write_text(json.dumps(noted, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(writing, self.index)
        shutil.rmtree(
            self.live.with_name(_FORMER_CACHE.format(name=self.live.name)), ignore_errors=True
        )
