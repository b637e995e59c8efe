"""Several JSON files that together are one source, stored as one snapshot.

KawalPemilu publishes one document per region (`c/<id>.json`); a source is a set of them.
Pulling them as one snapshot keeps the snapshot model whole: one content hash per source, so
a change in any file is a change of the source and nothing else needs to know about folders.
A file that is not valid JSON is kept in the bundle with the reason, so the reader can set
aside that file's rows and read the others.
"""

from __future__ import annotations

import json
from pathlib import Path

#: The key that marks a bundle; readers of tree-shaped JSON accept a bundle or one document.
BUNDLE_KEY = "odc_bundle"


class BundleError(ValueError):
    """The folder cannot be bundled; the message says why."""


def matching_files(folder: Path, pattern: str) -> list[Path]:
    """The folder's files matching `pattern`, in name order (hidden and lock files skipped)."""
    return sorted(
        (p for p in folder.glob(pattern) if p.is_file() and not p.name.startswith((".", "~$"))),
        key=lambda p: p.name,
    )


def bundle_folder(folder: Path, pattern: str, target: Path, max_bytes: int) -> int:
    """Gather the folder's files matching `pattern` into `target`; return how many there were.
    The pull and `odc check` both gather a bundle source this way."""
    if not folder.is_dir():
        raise BundleError(f"pull.bundle needs a folder, but {folder} is not one")
    files = matching_files(folder, pattern)
    if not files:
        raise BundleError(f"the folder {folder} has no file matching {pattern}")
    write_bundle(files, target, max_bytes)
    return len(files)


def write_bundle(files: list[Path], target: Path, max_bytes: int) -> int:
    """Write the documents of `files` into `target` as one JSON object; return their bytes."""
    total = sum(p.stat().st_size for p in files)
    if total > max_bytes:
        raise BundleError(
            f"the {len(files)} files come to {total:,} bytes, over this source's limit of "
            f"{max_bytes:,} (pull.max_bytes in the registry)"
        )
    documents = []
    for path in files:
        try:
            documents.append({"file": path.name, "document": json.loads(path.read_bytes())})
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            documents.append({"file": path.name, "error": f"not valid JSON: {exc}"})
    target.write_text(
        json.dumps({BUNDLE_KEY: 1, "documents": documents}, ensure_ascii=False), encoding="utf-8"
    )
    return total
