"""The SHA-256 of a file, read in chunks: how a source file, a snapshot and an exported file
are named and checked (one function, so they always agree on what a hash is)."""

from __future__ import annotations

import hashlib
from pathlib import Path

#: Bytes read (and copied) at a time: large files are never held in memory whole.
CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()
