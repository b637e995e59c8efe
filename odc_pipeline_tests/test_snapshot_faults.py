"""The snapshot store under faults: a file rewritten while it is copied (a sync client in a
drop folder), a stored file whose bytes no longer match its name, a manifest cut short by a
full disk or garbled, and a disk that fills up while a pull is recorded.

The rewrites are made deterministic: the source file is changed from inside its own `read`,
right after the copy has taken the first chunk, instead of racing a thread against it.
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
from werkzeug import Request, Response

from odc_pipeline.defs.sources import build_source_assets, pull_key
from odc_pipeline.pulling import PullError, SnapshotStore, pull_source
from odc_pipeline.registry.model import SourceEntry
from odc_pipeline_tests.conftest import results_entry

CSV = b"kode_wilayah,paslon,suara\n32.04,01,100\n32.04,02,200\n"
#: What the sync client writes: longer, so the change shows in the size whatever the
#: file system's timestamp granularity.
NEWER = CSV + b"32.73,01,5\n32.73,02,7\n"


def _entry(location: str = "hasil.csv", source_id: str = "jsn_hasil") -> SourceEntry:
    return SourceEntry(**results_entry(location, id=source_id))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _records(store: SnapshotStore) -> list[dict]:
    return [json.loads(line) for line in store.manifest.read_text().splitlines()]


def _stored_files(store: SnapshotStore) -> list[Path]:
    return [p for p in store.root.rglob("*") if p.is_file() and p != store.manifest]


class _RewrittenAfterFirstChunk:
    """A read handle on the source that lets `rewrite` change the file once the first
    chunk has been read from it: the moment a sync client would strike."""

    def __init__(self, handle, rewrite: Callable[[], None]) -> None:
        self._handle = handle
        self._rewrite: Callable[[], None] | None = rewrite

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        if chunk and self._rewrite is not None:
            rewrite, self._rewrite = self._rewrite, None
            rewrite()
        return chunk

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._handle.close()


def _rewrite_on_open(monkeypatch, source: Path, rewrites: list[Callable[[], None]]) -> None:
    """Each of the next opens of `source` for reading gets the next rewrite."""
    original = Path.open

    def opening(self, mode="r", *args, **kwargs):
        handle = original(self, mode, *args, **kwargs)
        if self == source and mode == "rb" and rewrites:
            return _RewrittenAfterFirstChunk(handle, rewrites.pop(0))
        return handle

    monkeypatch.setattr(Path, "open", opening)


def _write_in_place(path: Path, data: bytes) -> Callable[[], None]:
    def rewrite() -> None:
        with builtins.open(path, "wb") as out:  # same inode, truncated and rewritten
            out.write(data)

    return rewrite


def _write_and_rename_over(path: Path, data: bytes) -> Callable[[], None]:
    def rewrite() -> None:
        fresh = path.with_name(".sync-" + path.name)
        with builtins.open(fresh, "wb") as out:
            out.write(data)
        os.replace(fresh, path)  # how many sync clients finish a download

    return rewrite


# --- A file rewritten while it is pulled ---------------------------------------------------


@pytest.mark.parametrize("rewrite", [_write_in_place, _write_and_rename_over])
def test_a_file_rewritten_while_copied_is_stored_under_the_hash_of_its_stored_bytes(
    tmp_path, monkeypatch, rewrite
):
    source = tmp_path / "hasil.csv"
    source.write_bytes(CSV)
    _rewrite_on_open(monkeypatch, source, [rewrite(source, NEWER)])
    store = SnapshotStore(tmp_path / "snapshots")
    waits: list[float] = []

    result = pull_source(_entry(), tmp_path, store, sleep=waits.append)

    stored = result.path.read_bytes()
    assert result.path.name == f"{_sha(stored)}.csv"  # the name is the hash of the bytes
    assert stored == NEWER  # the version that held still, read whole
    assert [r["sha256"] for r in _records(store)] == [_sha(stored)]
    assert result.snapshot.size == len(stored)
    assert waits == [1.0]  # read again once, after a wait
    assert _stored_files(store) == [result.path]  # no half copy, no temporary file left


def test_a_file_that_keeps_changing_fails_its_pull_alone_with_the_reason(tmp_path, monkeypatch):
    source = tmp_path / "hasil.csv"
    source.write_bytes(CSV)
    versions = [NEWER + b"32.73,03,%d\n" % n for n in range(3)]
    _rewrite_on_open(monkeypatch, source, [_write_in_place(source, v) for v in versions])
    store = SnapshotStore(tmp_path / "snapshots")
    waits: list[float] = []

    with pytest.raises(PullError) as raised:
        pull_source(_entry(), tmp_path, store, sleep=waits.append)

    assert str(raised.value) == (
        f"hasil.csv: the file changed while it was being read ({source}, tried 3 times); it "
        "is being written by another program (a sync client?). Try again when it is finished."
    )
    assert waits == [1.0, 2.0]
    assert not store.manifest.exists() and _stored_files(store) == []


# --- A stored file that does not match its name -------------------------------------------


def test_a_stored_file_with_wrong_bytes_is_replaced_not_reused(tmp_path):
    (tmp_path / "hasil.csv").write_bytes(CSV)
    store = SnapshotStore(tmp_path / "snapshots")
    poisoned = store.root / _sha(CSV)[:2] / f"{_sha(CSV)}.csv"
    poisoned.parent.mkdir(parents=True)
    poisoned.write_bytes(NEWER)  # another version's bytes under this version's name
    poisoned.chmod(0o444)

    result = pull_source(_entry(), tmp_path, store)

    assert result.path == poisoned and poisoned.read_bytes() == CSV
    assert result.snapshot.sha256 == _sha(CSV)
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith(
        f"the stored file {poisoned} did not hold the bytes its name says"
    )
    assert "it was replaced with the file just pulled" in result.warnings[0]


def test_a_sound_stored_file_is_reused_without_a_word(tmp_path):
    (tmp_path / "hasil.csv").write_bytes(CSV)
    store = SnapshotStore(tmp_path / "snapshots")
    first = pull_source(_entry(), tmp_path, store)
    inode = first.path.stat().st_ino

    again = pull_source(_entry(), tmp_path, store)

    assert again.path == first.path and again.path.stat().st_ino == inode
    assert again.warnings == () and not again.snapshot.changed


def test_a_damaged_stored_file_is_downloaded_again_not_confirmed_by_a_304(
    local_http_server, tmp_path, monkeypatch
):
    monkeypatch.setenv("ODC_ALLOWED_HOSTS", "127.0.0.1")
    conditions: list[str | None] = []

    def handler(request: Request) -> Response:
        conditions.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(CSV, headers={"ETag": '"v1"'})

    local_http_server.expect_request("/hasil.csv").respond_with_handler(handler)
    entry = _entry(local_http_server.url_for("/hasil.csv"))
    store = SnapshotStore(tmp_path / "snapshots")
    first = pull_source(entry, tmp_path, store, sleep=lambda _: None)
    first.path.chmod(0o644)
    first.path.write_bytes(b"garbled on disk")

    again = pull_source(entry, tmp_path, store, sleep=lambda _: None)

    assert conditions == [None, None]  # not asked "has it changed since" the damaged copy
    assert again.path.read_bytes() == CSV and not again.not_modified
    assert any("did not hold the bytes its name says" in w for w in again.warnings)


# --- A manifest cut short or garbled ---------------------------------------------------


def _damaged_manifest(tmp_path) -> tuple[SnapshotStore, dict]:
    """A manifest whose good record of jsn_hasil (line 1) is followed by garbage (2), a
    record missing its fields (3), another source's record (4), a later good record of
    jsn_hasil (5) and a line cut short (6). Returns the store and the record of line 5."""
    (tmp_path / "hasil.csv").write_bytes(CSV)
    store = SnapshotStore(tmp_path / "snapshots")
    pull_source(_entry(), tmp_path, store)
    good = _records(store)[0]
    other = {**good, "source_id": "ldw_suara", "sha256": _sha(b"other")}
    later = {**good, "sha256": _sha(b"later"), "pulled_at": "2099-01-01T00:00:00+00:00"}
    with store.manifest.open("ab") as handle:
        handle.write(b"\x00\x00\x00 not a record at all\n")
        handle.write(json.dumps({"source_id": "jsn_hasil", "sha256": "ab12"}).encode() + b"\n")
        handle.write(json.dumps(other).encode() + b"\n")
        handle.write(json.dumps(later).encode() + b"\n")
        handle.write(json.dumps({**good, "sha256": _sha(b"lost")}).encode()[:40])  # disk full
    return store, later


def test_unreadable_manifest_lines_are_skipped_and_named(tmp_path):
    store, last_good = _damaged_manifest(tmp_path)
    warned: list[str] = []

    latest = store.latest("jsn_hasil", warned.append)

    assert latest is not None and latest.sha256 == last_good["sha256"]
    assert latest.pulled_at == last_good["pulled_at"]
    assert store.scan("jsn_hasil").skipped_lines == (2, 3, 6)
    assert store.latest("ldw_suara").sha256 == _sha(b"other")
    assert warned == [
        f"the snapshot manifest {store.manifest} has lines 2, 3, 6 that cannot be read as a "
        "pull (cut short or garbled, as a full disk or a crash leaves them); they are "
        "skipped, so the pulls they recorded are no longer traced (their files are still in "
        "the store). Delete or repair those lines."
    ]


def test_a_pull_after_a_cut_short_line_works_and_its_record_parses(tmp_path):
    store, _ = _damaged_manifest(tmp_path)
    (tmp_path / "hasil.csv").write_bytes(NEWER)

    result = pull_source(_entry(), tmp_path, store)

    assert result.snapshot.changed and result.path.read_bytes() == NEWER
    assert len(result.warnings) == 1  # once, though the manifest was read twice
    assert f"{store.manifest} has lines 2, 3, 6 that cannot be read" in result.warnings[0]
    lines = store.manifest.read_bytes().split(b"\n")
    assert len(lines) == 8 and lines[-1] == b""  # the new record is a line of its own
    assert json.loads(lines[6])["sha256"] == _sha(NEWER)
    assert store.latest("jsn_hasil") == result.snapshot
    assert store.scan("jsn_hasil").skipped_lines == (2, 3, 6)


# --- A disk that fills up while a pull is recorded --------------------------------------


def test_a_full_disk_fails_the_pull_with_a_clear_message_and_leaves_the_manifest(
    tmp_path, monkeypatch
):
    (tmp_path / "hasil.csv").write_bytes(CSV)
    store = SnapshotStore(tmp_path / "snapshots")
    pull_source(_entry(), tmp_path, store)
    before = store.manifest.read_bytes()

    def full(descriptor: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(PullError) as raised:
        pull_source(_entry(), tmp_path, store)
    assert str(raised.value) == (
        f"the snapshot store's disk is full: free space at {store.root}, then pull again "
        "(this pull was not recorded; the last good load stays published)"
    )
    assert store.manifest.read_bytes() == before
    monkeypatch.undo()

    (tmp_path / "other.csv").write_bytes(NEWER)  # the next pull, of any source, works
    pull_source(_entry("other.csv", "ldw_suara"), tmp_path, store)
    assert [r["source_id"] for r in _records(store)] == ["jsn_hasil", "ldw_suara"]


def test_a_record_half_written_when_the_disk_fills_is_taken_back(tmp_path, monkeypatch):
    (tmp_path / "hasil.csv").write_bytes(CSV)
    store = SnapshotStore(tmp_path / "snapshots")
    pull_source(_entry(), tmp_path, store)
    before = store.manifest.read_bytes()
    real_write = os.write
    calls: list[int] = []

    def fills_up(descriptor: int, data: bytes) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(descriptor, data[: len(data) // 2])  # a short write
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", fills_up)
    with pytest.raises(PullError, match="the snapshot store's disk is full"):
        pull_source(_entry(), tmp_path, store)

    assert len(calls) == 2
    assert store.manifest.read_bytes() == before  # no half line left behind


# --- What the steward sees in Dagster ---------------------------------------------------


def _materialize_pull(tmp_path, store_dir: Path) -> tuple[dg.ExecuteInProcessResult, list]:
    entry = _entry()
    assets = build_source_assets(entry, tmp_path, "JSN", "jsn", tmp_path / "reference", store_dir)
    pulled = [a for a in assets if pull_key(entry.id) in a.keys]
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        pulled,
        instance=instance,
        resources={"io_manager": dg.FilesystemIOManager(base_dir=str(tmp_path / "io"))},
    )
    return result, instance.all_logs(result.run_id)


def test_the_pull_step_warns_of_skipped_manifest_lines_and_a_full_disk_fails_it_alone(
    tmp_path, monkeypatch
):
    store, _ = _damaged_manifest(tmp_path)

    result, logs = _materialize_pull(tmp_path, store.root)

    assert result.success
    metadata = result.asset_materializations_for_node("pull_jsn_hasil")[0].metadata
    assert "has lines 2, 3, 6 that cannot be read" in metadata["store_warnings"].value
    warnings = [e.user_message for e in logs if e.level == logging.WARNING]
    assert any(
        m.startswith("Source 'jsn_hasil' (jsn): the snapshot manifest") and "lines 2, 3, 6" in m
        for m in warnings
    )

    def full(descriptor: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    full, _ = _materialize_pull(tmp_path, store.root)
    assert full.success  # the pull records its failure; the run goes on
    error = full.asset_materializations_for_node("pull_jsn_hasil")[0].metadata["source_error"]
    assert error.value.startswith(
        f"Source 'jsn_hasil' (jsn): the snapshot store's disk is full: free space at {store.root}"
    )
