"""Raw snapshots: every pulled file stored once under its SHA-256, with a manifest line per pull.

Nothing sound here is ever overwritten or deleted by a run: a file's bytes live at
`<store>/<sha[:2]>/<sha>` and each pull appends one JSON line to `<store>/manifest.jsonl`
(source, time, where from, response headers, size, hash). So any published number can be
traced to the exact bytes it came from, and last night's file is still there after tonight's.

Neither the file being pulled nor the store's own past can be taken on trust. A sync client
may rewrite a drop folder's file while it is read, so a stored file is named by the hash of
the very bytes written to it, and a file that changes under the copy is read again. A stored
file may have been damaged on disk, so it is checked against its name before it is reused
(and replaced by the fresh copy if it does not match). A full disk may have cut the
manifest's last line short, so an unreadable line is skipped and reported, never fatal, and
every record is appended whole or not at all.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

from odc_pipeline.digests import CHUNK, file_sha256
from odc_pipeline.quoting import first_of

#: Response headers worth keeping: they say what the server thought it sent.
KEPT_HEADERS = ("etag", "last-modified", "content-type", "content-length", "content-disposition")
#: Seconds to wait before each new read of a file that changed while it was copied: a sync
#: client usually finishes a file within a few seconds. One more read than waits.
COPY_WAITS = (1.0, 2.0)
#: Errors that mean the disk (or the user's quota on it) is full.
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
#: Skipped manifest line numbers named in one message; the rest are counted.
SHOWN_LINES = 20

#: Something to hand a steward-readable warning to (the pull step logs it).
Warn = Callable[[str], None]


class SnapshotError(RuntimeError):
    """The file could not be stored or its pull recorded; nothing of this pull was recorded."""


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


_TYPES: dict[str, type] = {
    "source_id": str,
    "sha256": str,
    "size": int,
    "origin": str,
    "pulled_at": str,
    "changed": bool,
    "headers": dict,
    "name": str,
    "stored_as": str,
}
_REQUIRED = frozenset(
    f.name for f in fields(Snapshot) if f.default is MISSING and f.default_factory is MISSING
)


@dataclass(frozen=True)
class ManifestScan:
    """What the manifest says of one source, and which of its lines could not be read."""

    latest: Snapshot | None
    #: Line numbers (from 1) that are not a whole pull record, whatever their source.
    skipped_lines: tuple[int, ...] = ()


def _parse(line: bytes) -> Snapshot | None:
    """A manifest line as a pull, or None when it is not one (cut short, garbled, a field
    missing or of the wrong type). Fields a later version may add are ignored."""
    try:
        record = json.loads(line)
    except ValueError:  # not JSON, or not UTF-8
        return None
    if not isinstance(record, dict) or not record.keys() >= _REQUIRED:
        return None
    known = {k: v for k, v in record.items() if k in _TYPES}
    if not all(isinstance(v, _TYPES[k]) for k, v in known.items()):
        return None
    return Snapshot(**known)


def _identity(path: Path) -> tuple[int, ...] | None:
    """What changes when a file is rewritten in place or replaced: its inode, size, and
    times (the change time too, which a sync client that restores the mtime cannot hide)."""
    try:
        stat = path.stat()
    except FileNotFoundError:  # renamed away mid-swap by the program writing it
        return None
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def _line_list(numbers: tuple[int, ...]) -> str:
    """`line 7`, `lines 3, 7`, or the first few `and 12 more`."""
    shown = first_of([str(n) for n in numbers], SHOWN_LINES)
    return f"{'line' if len(numbers) == 1 else 'lines'} {shown}"


class SnapshotStore:
    """A content-addressed folder of pulled files and the manifest of every pull."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest = root / "manifest.jsonl"

    def path_of(self, snapshot: Snapshot) -> Path:
        return self.root / snapshot.stored_as

    def scan(self, source_id: str) -> ManifestScan:
        """The source's most recent pull, and the manifest lines that could not be read."""
        found: Snapshot | None = None
        skipped: list[int] = []
        if self.manifest.exists():
            with self.manifest.open("rb") as handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    snapshot = _parse(line)
                    if snapshot is None:
                        skipped.append(number)
                    elif snapshot.source_id == source_id:
                        found = snapshot
        return ManifestScan(found, tuple(skipped))

    def latest(self, source_id: str, warn: Warn | None = None) -> Snapshot | None:
        """The source's most recent pull, or None if it was never pulled.

        An unreadable manifest line costs only the pull it recorded: it is skipped, and
        `warn` is told which lines (so the pull step can ask the steward to repair them).
        """
        scan = self.scan(source_id)
        if scan.skipped_lines and warn is not None:
            warn(self.skipped_message(scan.skipped_lines))
        return scan.latest

    def skipped_message(self, numbers: tuple[int, ...]) -> str:
        return (
            f"the snapshot manifest {self.manifest} has {_line_list(numbers)} that cannot be "
            "read as a pull (cut short or garbled, as a full disk or a crash leaves them); "
            "they are skipped, so the pulls they recorded are no longer traced (their files "
            "are still in the store). Delete or repair those lines."
        )

    def intact(self, snapshot: Snapshot) -> bool:
        """Whether the snapshot's stored file is there and its bytes still hash to its name."""
        path = self.path_of(snapshot)
        return path.is_file() and file_sha256(path) == snapshot.sha256

    def add_file(
        self,
        source_id: str,
        path: Path,
        origin: str,
        suffix: str,
        headers: dict[str, str] | None = None,
        name: str | None = None,
        warn: Warn | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Snapshot:
        """Store a file unless its bytes are there already, soundly; record the pull.

        `suffix` (the format, e.g. `xlsx`) ends the stored name: some readers go by it.
        The bytes are hashed as they are copied, so the stored file always holds what its
        name says, even if the source file was rewritten meanwhile.
        """
        name = name or path.name
        temp, sha, size = self._copy_steady(path, name, sleep)
        stored_as = f"{sha[:2]}/{sha}.{suffix}"
        try:
            self._settle(temp, self.root / stored_as, sha, size, warn)
        finally:
            temp.unlink(missing_ok=True)  # gone already when it was renamed into place
        return self._record(source_id, sha, size, origin, headers, name, stored_as, warn)

    def record_unchanged(
        self, source_id: str, previous: Snapshot, headers: dict[str, str], warn: Warn | None = None
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
            warn,
        )

    def _copy_steady(
        self, path: Path, name: str, sleep: Callable[[float], None]
    ) -> tuple[Path, str, int]:
        """A copy of the file taken while it did not change, with its hash and size.

        A file rewritten during the copy gives a copy of neither version; it is read again
        after a wait, and given up on (with a message for the steward) if it keeps changing.
        """
        for wait in (*COPY_WAITS, None):
            copied = self._copy_if_steady(path)
            if copied is not None:
                return copied
            if wait is not None:
                sleep(wait)
        raise SnapshotError(
            f"{name}: the file changed while it was being read ({path}, tried "
            f"{len(COPY_WAITS) + 1} times); it is being written by another program (a sync "
            "client?). Try again when it is finished."
        )

    def _copy_if_steady(self, path: Path) -> tuple[Path, str, int] | None:
        """One copy with its hash and size, or None if the file changed or was renamed
        away (by a program swapping in a new version) while it was copied."""
        before = _identity(path)
        if before is None:
            return None
        try:
            temp, sha, size = self._copy_once(path)
        except FileNotFoundError:  # gone between the look and the open
            return None
        if _identity(path) == before and size == before[2]:
            return temp, sha, size
        temp.unlink()
        return None

    def _copy_once(self, path: Path) -> tuple[Path, str, int]:
        """Copy into a temporary file in the store (same disk, so it can be renamed into
        place), hashing exactly the bytes written."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        descriptor, temp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        temp = Path(temp_name)
        try:
            with os.fdopen(descriptor, "wb") as out, path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(CHUNK), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException as error:
            temp.unlink(missing_ok=True)
            if isinstance(error, OSError) and error.errno in DISK_FULL:
                raise self._disk_full() from None
            raise
        return temp, digest.hexdigest(), size

    def _settle(self, temp: Path, target: Path, sha: str, size: int, warn: Warn | None) -> None:
        """Rename the copy to its hash, unless a sound file is there already.

        A stored file whose bytes no longer hash to its name (damaged on disk, or written
        by an older version that named a rewritten file after the wrong bytes) is replaced
        by the fresh copy, and `warn` is told: runs that read it may have used wrong bytes.
        """
        if target.is_file():
            if target.stat().st_size == size and file_sha256(target) == sha:
                return
            if warn is not None:
                warn(
                    f"the stored file {target} did not hold the bytes its name says (damaged "
                    "on disk, or stored while it was being rewritten); it was replaced with "
                    "the file just pulled. Earlier loads that read it may hold wrong rows: "
                    "rerun them."
                )
        target.parent.mkdir(parents=True, exist_ok=True)
        temp.chmod(0o444)
        os.replace(temp, target)  # a reader never sees half a snapshot

    def _record(
        self,
        source_id: str,
        sha: str,
        size: int,
        origin: str,
        headers: dict[str, str] | None,
        name: str,
        stored_as: str,
        warn: Warn | None = None,
    ) -> Snapshot:
        previous = self.latest(source_id, warn)
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
        line = json.dumps(asdict(snapshot), ensure_ascii=False) + "\n"
        self._append(line.encode("utf-8"))
        return snapshot

    def _append(self, line: bytes) -> None:
        """Add one record to the manifest whole, or leave the manifest as it was.

        One write of the whole line on an O_APPEND descriptor, under an exclusive lock, so
        two pulls at once never interleave. A last line cut short (by an earlier full disk)
        gets a newline first, so the new record is not glued to it. If the disk fills up
        mid-line, the part written is cut off again and this pull alone fails.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.manifest, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when the descriptor is closed
            end = os.fstat(descriptor).st_size
            if end and os.pread(descriptor, 1, end - 1) != b"\n":
                line = b"\n" + line
            try:
                written = os.write(descriptor, line)
                while written < len(line):  # a short write: the disk is (nearly) full
                    more = os.write(descriptor, line[written:])
                    if not more:
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                    written += more
                os.fsync(descriptor)
            except OSError as error:
                with contextlib.suppress(OSError):
                    os.ftruncate(descriptor, end)
                if error.errno in DISK_FULL:
                    raise self._disk_full() from None
                raise
        finally:
            os.close(descriptor)

    def _disk_full(self) -> SnapshotError:
        return SnapshotError(
            f"the snapshot store's disk is full: free space at {self.root}, then pull again "
            "(this pull was not recorded; the last good load stays published)"
        )
