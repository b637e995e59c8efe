"""Rows from JSON documents shaped as a region with its child regions.

KawalPemilu writes one document per region: its `children` as lists (`[id, NAME, ...]`) and,
beside them, objects of counts keyed by the child's id (`kpu`, `data`, `rekap`). One row per
child is what the warehouse needs: the child's fields, a few of the document's own fields
(the province a kabupaten is in) and the child's counts. Which documents give rows, and under
which names, comes from the registry (`read.tree`), so another member's tree-shaped export
needs configuration, not code.

A document that cannot be used (not valid JSON, no list of children) becomes one row with the
reason, so validation sets it aside and the other documents go through.
"""

from __future__ import annotations

from typing import Any

from odc_pipeline.pulling.bundle import BUNDLE_KEY
from odc_pipeline.reading.json_kinds import json_kind
from odc_pipeline.registry.model import TreeOptions, TreePart

Record = tuple[int, dict | None, str | None]


def _walk(node: Any, dotted: str | None) -> Any:
    """The value at a dotted path, or None when any step is missing."""
    for step in dotted.split(".") if dotted else []:
        if not isinstance(node, dict) or step not in node:
            return None
        node = node[step]
    return node


def _matches(document: dict, part: TreePart) -> bool:
    return all(str(document.get(key)) == str(value) for key, value in part.where.items())


def _child_record(child: Any, options: TreeOptions) -> dict | None:
    if isinstance(child, dict):
        return dict(child)
    if isinstance(child, list) and options.child_fields:
        return dict(zip(options.child_fields, child, strict=False))
    return None


def _counts_of(counts: Any, key: Any, inside: str | None) -> dict:
    """The child's counts: from an object keyed by id (keys are text in JSON), or a list."""
    found = None
    if isinstance(counts, dict):
        found = counts.get(str(key))
    elif isinstance(counts, list) and isinstance(key, int) and 0 <= key < len(counts):
        found = counts[key]
    found = _walk(found, inside)
    return found if isinstance(found, dict) else {}


def _document_rows(
    label: str, document: Any, options: TreeOptions
) -> list[tuple[dict | None, str | None]]:
    """(record, read error) per child this document contributes."""
    if not isinstance(document, dict):
        return [(None, f"{label} is {json_kind(document)}, not a JSON object")]
    rows: list[tuple[dict | None, str | None]] = []
    for part in options.parts:
        if not _matches(document, part):
            continue
        children = _walk(document, options.children)
        if not isinstance(children, list):
            rows.append((None, f"{label} has no list of children at {options.children!r}"))
            continue
        counts = _walk(document, options.counts)
        wanted = {str(c) for c in part.only_children} if part.only_children is not None else None
        for position, child in enumerate(children, start=1):
            record = _child_record(child, options)
            if record is None:
                rows.append((None, f"{label}, child {position}: {child!r} is not a child record"))
                continue
            key = record.get(options.child_key)
            if wanted is not None and str(key) not in wanted:
                continue
            record = {part.rename.get(name, name): value for name, value in record.items()}
            for field, column in part.document_fields.items():
                record[column] = document.get(field)
            for name, value in _counts_of(counts, key, options.counts_inside).items():
                record.setdefault(name, value)
            rows.append((record, None))
    return rows


def tree_records(parsed: Any, options: TreeOptions) -> list[Record]:
    """Numbered records from one document or a bundle of them (see pulling.bundle)."""
    if isinstance(parsed, dict) and BUNDLE_KEY in parsed:
        documents = [
            (entry.get("file", "?"), entry.get("document"), entry.get("error"))
            for entry in parsed.get("documents", [])
        ]
    else:
        documents = [("the document", parsed, None)]
    records: list[Record] = []
    for label, document, error in documents:
        rows = [(None, f"{label}: {error}")] if error else _document_rows(label, document, options)
        for record, problem in rows:
            records.append((len(records) + 1, record, problem))
    return records
