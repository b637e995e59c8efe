"""What a pull hands to the rest of a source's chain, and what says a source must be redone.

The pull asset's output is one row (the snapshot's hash and stored path, or the error), so
that a later run which does not pull can still read the last pull through the IO manager.
"""

import contextlib
import hashlib
import uuid
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from odc_pipeline.pulling import Snapshot
from odc_pipeline.pulling.http import redact_url
from odc_pipeline.registry.model import SourceEntry

PULL_COLUMNS = ["source_id", "pull_id", "sha256", "stored_as", "name", "origin", "error"]


def pull_record(source_id: str, snapshot: Snapshot | None, error: str | None) -> pd.DataFrame:
    """One row: this pull's id, and either its snapshot or why there is none."""
    row = {
        "source_id": source_id,
        "pull_id": uuid.uuid4().hex,
        "sha256": snapshot.sha256 if snapshot else None,
        "stored_as": snapshot.stored_as if snapshot else None,
        "name": snapshot.name if snapshot else None,
        "origin": snapshot.origin if snapshot else None,
        "error": error,
    }
    return pd.DataFrame([row], columns=PULL_COLUMNS).astype(object)


def pull_origin(entry: SourceEntry) -> str:
    """Where the entry is pulled from, fit to show (no credentials, no query string)."""
    return redact_url(entry.location) if entry.is_url else entry.location


def reference_fingerprint(reference_dir: Path) -> str:
    """A digest of the reference tables (aliases, crosswalks) and the code's version: read
    once per sensor evaluation or raw step, and shared by every source."""
    digest = hashlib.sha256()
    for path in sorted(reference_dir.glob("*.csv")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    with contextlib.suppress(PackageNotFoundError):  # a plain checkout has no version
        digest.update(version("odc-pipeline").encode())
    return digest.hexdigest()


def processing_fingerprint(entry: SourceEntry, reference_digest: str) -> str:
    """What besides the file decides a source's rows: its registry entry, the reference
    tables and the code's version (`reference_fingerprint`). A change in any redoes it."""
    digest = hashlib.sha256(entry.model_dump_json().encode())
    digest.update(reference_digest.encode())
    return digest.hexdigest()[:16]
