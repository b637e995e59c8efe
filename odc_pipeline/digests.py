"""The SHA-256 of a file, read in chunks: how a source file, a snapshot and an exported file
are named and checked (one function, so they always agree on what a hash is)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import BinaryIO

#: Bytes read (and copied) at a time: large files are never held in memory whole.
CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


class Sha256Writer(io.RawIOBase):
    """A file being written that keeps the SHA-256 of what was written to it: a file of
    gigabytes is hashed as it is written, not read back for it."""

    def __init__(self, out: BinaryIO) -> None:
        super().__init__()
        self._out = out
        self._digest = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # bytes, or a buffer pyarrow hands over
        self._digest.update(data)
        return self._out.write(data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()
