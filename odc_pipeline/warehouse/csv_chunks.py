"""Each public source's rows of a table as CSV, kept from one open-data export to the next.

The open data's table files are rewritten whole at every export, but a night after one
province's file changed changes that province's rows alone. Each source's rows are written
as a chunk of CSV (no header), named by what they are made from, and a table's file is its
header followed by its sources' chunks: an unchanged source's chunk is copied as bytes, not
read from the warehouse and formatted again. Chunks no export used are removed after it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

#: Part of every chunk's name: change it when the way rows are written as CSV changes, so no
#: chunk written the old way is used again.
CSV_FORMAT = 1
_SUFFIX = ".csv"
_WRITING = ".writing"


def chunk_key(table: str, columns: list[str], made_from: object) -> str:
    """The name of a source's chunk of `table` with `columns`, made from rows that
    `made_from` identifies (a release's objects of them and the run that published them)."""
    described = json.dumps([CSV_FORMAT, table, columns, made_from], sort_keys=True)
    return hashlib.sha256(described.encode()).hexdigest()


class CsvChunks:
    """The chunks of one open-data folder, in a hidden folder beside it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.used: set[str] = set()
        folder.mkdir(parents=True, exist_ok=True)
        for unfinished in folder.glob(f"*{_WRITING}"):  # left by an export that was killed
            unfinished.unlink(missing_ok=True)

    def append(self, key: str, write: Callable[[Path], None], out: BinaryIO) -> None:
        """Copy the chunk `key` into `out`, written first by `write` (given a path) if no
        earlier export wrote it."""
        path = self.folder / f"{key}{_SUFFIX}"
        if not path.exists():
            writing = path.with_name(f"{path.name}{_WRITING}")
            write(writing)
            writing.replace(path)
        self.used.add(key)
        with path.open("rb") as chunk:
            shutil.copyfileobj(chunk, out, 1 << 20)

    def prune(self) -> None:
        """Remove the chunks this export did not use."""
        for path in self.folder.glob(f"*{_SUFFIX}"):
            if path.stem not in self.used:
                path.unlink(missing_ok=True)
