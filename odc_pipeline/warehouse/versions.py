"""Files that readers only ever see whole, and that switch together: each version is built
in a folder of its own beside the live one, and the live path is a symbolic link switched to
the finished version in one rename (`os.replace` of a link is atomic on POSIX).

Two uses, one mechanism:

- The open-data package: `open_data -> open_data.versions/<version>`.
- The embedded warehouse, several files that must change together (the complete
  `odc.sqlite` and one file per audience under `shared/`). Their names are links through
  one pointer, and only the pointer is switched:

      odc.sqlite          -> .odc.sqlite.current/odc.sqlite
      shared              -> .odc.sqlite.current/shared
      .odc.sqlite.current -> .odc.sqlite.current.versions/<version>

The order is what makes it safe: everything is written into a hidden building folder and
flushed to disk; the folder is renamed to its version name; a new link is made beside the
live one and renamed over it. A run killed or out of disk at any point leaves the live link
on the previous version, complete; what it left behind is removed by the next run, and older
versions after the switch. A reader with a file open keeps reading its version (an open
file outlives its name); one that reads many files over minutes (an upload of the package)
resolves the link once, and the version before the live one is kept for it where asked.

A live path that is still a real file or folder (as a release before versions left it) is
replaced by the link at the first switch: a file in one rename, a folder moved aside first,
so for that one moment the path is missing, never half written.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

VERSIONS_SUFFIX = ".versions"
BUILDING_MARK = ".building-"
_LINK_MARK = ".switching-"
_ASIDE_MARK = ".replaced-"


def versions_folder(live: Path) -> Path:
    """Where the versions of `live` are kept: beside it, so on the same disk."""
    return live.with_name(f"{live.name}{VERSIONS_SUFFIX}")


@contextmanager
def new_version(
    live: Path,
    entries: tuple[str, ...] = (),
    keep_previous: bool = False,
    after_switch: Callable[[Path], None] | None = None,
) -> Iterator[Path]:
    """An empty folder to write the next version of `live` into; when the block ends without
    an error, the version is flushed to disk and becomes the live one, and each of `entries`
    (names in the version) is made a link `live.parent/<entry> -> <live>/<entry>`. On an
    error the folder is removed at once (a full disk gets its space back) and nothing live
    changes. Versions but the live one (and, if `keep_previous`, the one before) are removed.
    `after_switch` is given the version just made live while the writer's lock is still
    held, so that what it notes of that version is not mixed with another writer's.
    """
    if live.exists() and not live.is_dir():
        raise FileExistsError(
            f"{live} is a file, where a folder (or a link to one) was expected; move it away "
            "and run again"
        )
    versions = versions_folder(live)
    versions.mkdir(parents=True, exist_ok=True)
    with held_lock(live):
        remove_leftovers(live)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
        building = versions / f"{BUILDING_MARK}{name}"
        building.mkdir()
        try:
            yield building
            _flush_tree(building)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        finished = versions / name
        os.rename(building, finished)
        _flush_entry(versions)
        previous = live.resolve() if live.is_symlink() else None
        _link(live, os.path.relpath(finished, live.parent))
        for entry in entries:
            _link(live.parent / entry, f"{live.name}/{entry}")
        _flush_entry(live.parent)
        if after_switch is not None:
            after_switch(finished)
        keep = {finished, previous} if keep_previous else {finished}
        _remove_old_versions(versions, keep)


def remove_leftovers(live: Path) -> list[Path]:
    """Building folders, unused links and moved-aside folders of runs that were killed
    (called under the lock)."""
    removed = []
    versions = versions_folder(live)
    if versions.is_dir():
        removed += [p for p in versions.iterdir() if p.name.startswith(BUILDING_MARK)]
    if live.parent.is_dir():
        removed += [
            p
            for p in live.parent.iterdir()
            if p.name.startswith(".") and (_LINK_MARK in p.name or _ASIDE_MARK in p.name)
        ]
    for path in removed:
        _remove(path)
    return removed


def _link(path: Path, points_to: str) -> None:
    """Make `path` a link to `points_to` in one rename (a real folder is moved aside first)."""
    if path.is_symlink() and os.readlink(path) == points_to:
        return
    link = path.with_name(f".{path.name}{_LINK_MARK}{uuid.uuid4().hex[:8]}")
    os.symlink(points_to, link)
    if path.is_dir() and not path.is_symlink():
        aside = path.with_name(f".{path.name}{_ASIDE_MARK}{uuid.uuid4().hex[:8]}")
        os.rename(path, aside)
        os.replace(link, path)
        _remove(aside)
    else:
        os.replace(link, path)


def _remove_old_versions(versions: Path, keep: set[Path | None]) -> None:
    kept = {p.resolve() for p in keep if p is not None}
    for path in versions.iterdir():
        if not path.name.startswith(".") and path.resolve() not in kept:
            _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _flush_tree(folder: Path) -> None:
    """Every file under `folder` on disk, then every folder's own entries."""
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        elif path.is_dir():
            _flush_entry(path)
    _flush_entry(folder)


def _flush_entry(folder: Path) -> None:
    """The names in `folder` on disk (a rename is durable only once its folder is flushed)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def held_lock(live: Path) -> Iterator[None]:
    """One writer at a time of `live` (a lock file beside it); a second one waits for the
    first, so it never removes a version the first one is still building."""
    hidden = live.name if live.name.startswith(".") else f".{live.name}"
    with open(live.with_name(f"{hidden}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
