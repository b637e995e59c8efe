"""Pull one registry entry: from a path, the newest file of a drop folder, a URL or CKAN."""

from __future__ import annotations

import base64
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from odc_pipeline.pulling.bundle import BundleError, bundle_folder, matching_files
from odc_pipeline.pulling.ckan import CkanError, resource_url
from odc_pipeline.pulling.http import Download, DownloadError, download, redact_url
from odc_pipeline.pulling.snapshots import Snapshot, SnapshotError, SnapshotStore, Warn
from odc_pipeline.registry.model import PullOptions, SourceEntry
from odc_pipeline.registry.safety import allowed_hosts, allowed_roots, path_problem
from odc_pipeline.settings import named_by_registry


class PullError(RuntimeError):
    """The source's file could not be fetched this run; its last good load stays published."""


@dataclass(frozen=True)
class PullResult:
    snapshot: Snapshot
    #: The stored bytes, to be read.
    path: Path
    #: The server said 304 Not Modified: nothing was downloaded.
    not_modified: bool = False
    #: What the steward should know although the pull worked (a damaged stored file
    #: replaced, unreadable manifest lines skipped), each once.
    warnings: tuple[str, ...] = ()


def _credentials(options: PullOptions, environ: Mapping[str, str] | None) -> dict[str, str]:
    """The Authorization header from the environment variable the registry names."""
    if not options.credentials_env:
        return {}
    value = named_by_registry(options.credentials_env, environ)
    if not value:
        raise PullError(
            f"the environment variable {options.credentials_env} (pull.credentials_env) is not "
            "set; it must hold this source's credential"
        )
    if options.auth == "basic":
        return {"Authorization": "Basic " + base64.b64encode(value.encode()).decode()}
    scheme = "Bearer" if options.auth == "bearer" else "Token"
    return {"Authorization": f"{scheme} {value}"}


def newest_in_folder(folder: Path, pattern: str) -> Path | None:
    """The drop folder's newest matching file (by modification time, then name)."""
    files = matching_files(folder, pattern)
    return max(files, key=lambda p: (p.stat().st_mtime_ns, p.name)) if files else None


def pull_source(
    entry: SourceEntry,
    base_dir: Path,
    store: SnapshotStore,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PullResult:
    """Fetch the entry's current file into the snapshot store (once per distinct content).

    A store that cannot take the file (a full disk, a file that kept changing while it was
    copied) fails this pull alone, as a `PullError`, like a source that cannot be reached.
    """
    warnings: list[str] = []
    try:
        result = _pull(entry, base_dir, store, environ, sleep, warnings.append)
    except SnapshotError as error:
        raise PullError(str(error)) from None
    return replace(result, warnings=tuple(dict.fromkeys(warnings)))


def _pull(
    entry: SourceEntry,
    base_dir: Path,
    store: SnapshotStore,
    environ: Mapping[str, str] | None,
    sleep: Callable[[float], None],
    warn: Warn,
) -> PullResult:
    if entry.is_url:
        return _pull_url(entry, store, environ, sleep, warn)
    problem = path_problem(entry.location, base_dir, allowed_roots(base_dir, environ))
    if problem:
        raise PullError(problem)
    path = entry.location_path(base_dir)
    if entry.pull.bundle:
        return _pull_bundle(entry, path, store, warn)
    if path.is_dir():
        pattern = entry.folder_pattern
        newest = newest_in_folder(path, pattern)
        if newest is None:
            raise PullError(f"the drop folder {path} has no file matching {pattern}")
        path = newest
    elif not path.is_file():
        raise PullError(f"cannot read {path.name}: file not found: {path}")
    size = path.stat().st_size
    if size > entry.pull.max_bytes:
        raise PullError(
            f"{path.name} is {size:,} bytes, over this source's limit of "
            f"{entry.pull.max_bytes:,} (pull.max_bytes in the registry)"
        )
    snapshot = store.add_file(
        entry.id, path, origin=str(path), suffix=entry.format, warn=warn, sleep=sleep
    )
    return PullResult(snapshot, store.path_of(snapshot))


def _pull_bundle(entry: SourceEntry, folder: Path, store: SnapshotStore, warn: Warn) -> PullResult:
    """Every matching file of the folder, as one snapshot (see pulling.bundle)."""
    pattern = entry.folder_pattern
    with tempfile.TemporaryDirectory(dir=_scratch(store)) as scratch:
        target = Path(scratch) / "bundle.json"
        try:
            count = bundle_folder(folder, pattern, target, entry.pull.max_bytes)
        except BundleError as error:
            raise PullError(str(error)) from None
        snapshot = store.add_file(
            entry.id,
            target,
            origin=f"{folder}/{pattern} ({count} files)",
            suffix=entry.format,
            name=f"{count} files of {folder.name}/",
            warn=warn,
        )
    return PullResult(snapshot, store.path_of(snapshot))


def _pull_url(
    entry: SourceEntry,
    store: SnapshotStore,
    environ: Mapping[str, str] | None,
    sleep: Callable[[float], None],
    warn: Warn,
) -> PullResult:
    options = entry.pull
    headers = _credentials(options, environ)
    settings = {
        "allowed_hosts": allowed_hosts(environ),
        "timeout": options.timeout_seconds,
        "retries": options.retries,
        "max_bytes": options.max_bytes,
        "headers": headers,
        "secret_headers": set(headers),
        "sleep": sleep,
    }
    previous = store.latest(entry.id, warn)
    if previous is not None and not store.intact(previous):
        previous = None  # its stored copy is damaged: download the file again, unconditionally
    with tempfile.TemporaryDirectory(dir=_scratch(store)) as scratch:
        url, name = entry.location, Path(entry.location.split("?")[0]).name or entry.id
        try:
            if options.ckan_resource:
                answer = download(url, Path(scratch) / "package_show.json", **settings)
                url, name = resource_url(answer.path, options.ckan_resource, redact_url(url))
            known = (
                {k.lower(): v for k, v in previous.headers.items()}
                if previous is not None and previous.origin == redact_url(url)
                else {}
            )
            result: Download = download(
                url,
                Path(scratch) / "body",
                etag=known.get("etag"),
                last_modified=known.get("last-modified"),
                **settings,
            )
        except (DownloadError, CkanError) as error:
            raise PullError(str(error)) from None
        if result.not_modified and previous is not None:
            snapshot = store.record_unchanged(entry.id, previous, result.headers, warn)
            return PullResult(snapshot, store.path_of(snapshot), not_modified=True)
        snapshot = store.add_file(
            entry.id,
            result.path,
            origin=redact_url(url),
            suffix=entry.format,
            headers=result.headers,
            name=name,
            warn=warn,
        )
    return PullResult(snapshot, store.path_of(snapshot))


def _scratch(store: SnapshotStore) -> Path:
    """Downloads land beside the store (same disk), never in the store itself."""
    folder = store.root.parent / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
