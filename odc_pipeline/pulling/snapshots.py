"""Raw snapshots: every pulled file stored once under its SHA-256, with a manifest line per pull.

Nothing here is ever overwritten or deleted by a run: a file's bytes live at
`<store>/<sha[:2]>/<sha>` and each pull appends one JSON line to `<store>/manifest.jsonl`
(source, time, where from, response headers, size, hash). So any published number can be
traced to the exact bytes it came from, and last night's file is still there after tonight's.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

#: Response headers worth keeping: they say what the server thought it sent.
KEPT_HEADERS = ("etag", "last-modified", "content-type", "content-length", "content-disposition")


@dataclass(frozen=True)
class Snapshot:
    """One pull of one source, as recorded in the manifest."""

    source_id: str
    sha256: str
    size: int
    origin: str
    pulled_at: str
    #: True when the bytes differ from the source's previous snapshot.
    changed: bool
    headers: dict[str, str] = field(default_factory=dict)
    #: The file's name where it came from (for messages).
    name: str = ""
    #: Where the bytes are, relative to the store.
    stored_as: str = ""


class SnapshotStore:
    """A content-addressed folder of pulled files and the manifest of every pull."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest = root / "manifest.jsonl"

    def path_of(self, snapshot: Snapshot) -> Path:
        return self.root / snapshot.stored_as

    def latest(self, source_id: str) -> Snapshot | None:
        """The source's most recent pull, or None if it was never pulled."""
        found = None
        if self.manifest.exists():
            with self.manifest.open(encoding="utf-8") as handle:
                for line in handle:
                    record = json.loads(line)
                    if record["source_id"] == source_id:
                        found = record
        return Snapshot(**found) if found else None

    def add_file(
        self,
        source_id: str,
        path: Path,
        origin: str,
        suffix: str,
        headers: dict[str, str] | None = None,
        name: str | None = None,
    ) -> Snapshot:
        """Store a file (hashing it in chunks) unless its bytes are there already; record the pull.

        `suffix` (the format, e.g. `xlsx`) ends the stored name: some readers go by it.
        """
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        sha = digest.hexdigest()
        stored_as = f"{sha[:2]}/{sha}.{suffix}"
        target = self.root / stored_as
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # Copy beside, then rename: a reader never sees half a snapshot.
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
                with path.open("rb") as handle:
                    for chunk in iter(lambda: handle.read(1 << 20), b""):
                        out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(out.name, target)
            target.chmod(0o444)
        return self._record(
            source_id, sha, target.stat().st_size, origin, headers, name or path.name, stored_as
        )

    def record_unchanged(
        self, source_id: str, previous: Snapshot, headers: dict[str, str]
    ) -> Snapshot:
        """A pull the server answered `304 Not Modified`: same bytes as `previous`."""
        return self._record(
            source_id,
            previous.sha256,
            previous.size,
            previous.origin,
            {**previous.headers, **headers},
            previous.name,
            previous.stored_as,
        )

    def _record(
        self,
        source_id: str,
        sha: str,
        size: int,
        origin: str,
        headers: dict[str, str] | None,
        name: str,
        stored_as: str,
    ) -> Snapshot:
        previous = self.latest(source_id)
        snapshot = Snapshot(
            source_id=source_id,
            sha256=sha,
            size=size,
            origin=origin,
            pulled_at=datetime.now(UTC).isoformat(timespec="seconds"),
            changed=previous is None or previous.sha256 != sha,
            headers={k: v for k, v in (headers or {}).items() if k.lower() in KEPT_HEADERS},
            name=name,
            stored_as=stored_as,
        )
        self.root.mkdir(parents=True, exist_ok=True)
        with self.manifest.open("a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # two pulls at once append whole lines
            handle.write(json.dumps(asdict(snapshot), ensure_ascii=False) + "\n")
            fcntl.flock(handle, fcntl.LOCK_UN)
        return snapshot
