"""The release folder: content-addressed Parquet objects, and one folder per release.

    releases/
      objects/ab/ab12….parquet          each part once, named by the SHA-256 of its bytes
      2026.12.02-1/manifest.json        the run, sources, reference versions, every file
      2026.12.02-1/public/fact_election_results/year=2024/jsn_pilpres2024_kabkota.parquet
      2026.12.02-1/members/…            hard links to the objects: nothing copied

A release is built in a hidden folder and renamed into place whole, so a reader (or a kill)
never meets half a release. Pruning keeps the newest releases and deletes the objects that no
kept manifest names.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from odc_pipeline.digests import file_sha256
from odc_pipeline.releases.ids import in_order, is_release_id

MANIFEST = "manifest.json"
OBJECTS = "objects"
_BUILDING = ".building-"


class ReleaseNotFound(LookupError):
    """A release id the folder does not hold."""


class ReleaseStore:
    """The releases under one folder (the warehouse's `releases/`)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # --- objects -----------------------------------------------------------------------------

    def object_path(self, digest: str) -> Path:
        return self.root / OBJECTS / digest[:2] / f"{digest}.parquet"

    def put(self, rows: pa.Table) -> str:
        """Store `rows` as Parquet once; returns the SHA-256 that names them. The same rows
        written again (an unchanged source in the next release) find their object there."""
        objects = self.root / OBJECTS
        objects.mkdir(parents=True, exist_ok=True)
        scratch = objects / f".{uuid.uuid4().hex}.parquet"
        try:
            # Same rows, same writer, same bytes: Parquet stores no time of writing.
            pq.write_table(rows, scratch, compression="zstd")
            return self.put_file(scratch)
        finally:
            scratch.unlink(missing_ok=True)

    def put_file(self, written: Path) -> str:
        """Store a Parquet file written elsewhere (moved in, on the same disk); returns the
        SHA-256 that names it, as `put` does for rows in memory."""
        digest = file_sha256(written)
        final = self.object_path(digest)
        if final.exists():
            written.unlink()
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(written, final)
        return digest

    def read(self, digest: str) -> pa.Table:
        return pq.read_table(self.object_path(digest))

    # --- releases ----------------------------------------------------------------------------

    def release_ids(self) -> list[str]:
        """Every complete release, oldest first."""
        if not self.root.exists():
            return []
        return in_order(
            p.name for p in self.root.iterdir() if p.is_dir() and (p / MANIFEST).exists()
        )

    def latest(self) -> str | None:
        ids = self.release_ids()
        return ids[-1] if ids else None

    def folder(self, release_id: str) -> Path:
        return self.root / release_id

    def manifest(self, release_id: str) -> dict:
        path = self.root / release_id / MANIFEST
        if not is_release_id(release_id) or not path.exists():
            known = ", ".join(reversed(self.release_ids()[-5:])) or "none yet"
            raise ReleaseNotFound(
                f"there is no release {release_id!r} in {self.root} (the latest, newest first: {known}); "
                "odc releases list shows them all"
            )
        return json.loads(path.read_text(encoding="utf-8"))

    def release_of_run(self, run_id: str) -> str | None:
        """The release a run made, if it made one and it is still kept."""
        for release_id in reversed(self.release_ids()):
            if self.manifest(release_id)["run_id"] == run_id:
                return release_id
        return None

    @contextmanager
    def building(self, release_id: str) -> Iterator[Path]:
        """A folder to build `release_id` in, renamed into place when the block ends well,
        removed when it does not."""
        self.root.mkdir(parents=True, exist_ok=True)
        for leftover in self.root.glob(f"{_BUILDING}*"):
            shutil.rmtree(leftover, ignore_errors=True)
        scratch = self.root / f"{_BUILDING}{release_id}"
        scratch.mkdir()
        try:
            yield scratch
            os.replace(scratch, self.root / release_id)
        finally:
            if scratch.exists():
                shutil.rmtree(scratch, ignore_errors=True)

    def link(self, digest: str, path: Path) -> None:
        """`path` as a hard link to the object (a copy where the disk allows no links)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(self.object_path(digest), path)
        except OSError:
            shutil.copyfile(self.object_path(digest), path)

    def prune(self, keep: int) -> list[str]:
        """Remove all but the newest `keep` releases, then every object no kept manifest
        names. Returns the removed ids. Call it only after a release was written whole."""
        ids = self.release_ids()
        removed = ids[: max(len(ids) - max(keep, 1), 0)]
        for release_id in removed:
            shutil.rmtree(self.root / release_id)
        named = {
            part["object"]
            for release_id in self.release_ids()
            for part in self.manifest(release_id)["parts"]
        }
        for path in (self.root / OBJECTS).glob("*/*.parquet"):
            if path.stem not in named:
                path.unlink()
        return removed
