"""Running every night unattended: the schedule, the sensors, the alerts and freshness checks.

- `nightly_pull` (schedule, Asia/Jakarta, ODC_NIGHTLY_AT, default 02:00) pulls every source.
- `process_changed_sources` (sensor) redoes only the sources whose pulled bytes, registry
  entry or reference tables changed since they were last read, or whose pull failed (so the
  failure is recorded and the steward told), then publishes. Nothing changed: no run at all.
- `drop_folder_files` (sensor) materializes a drop-folder source when a new file lands.
- `alert_on_run_failure` and `alert_on_held_back_sources` (sensors) tell the steward.
- Freshness checks flag a source not pulled within its `expected_refresh_hours`.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from sqlalchemy import select

from odc_pipeline.alerts import AlertError, channels_from_environment, send_alert
from odc_pipeline.defs.election_reference import ELECTION_REFERENCE_ASSET
from odc_pipeline.defs.freshness import build_freshness
from odc_pipeline.defs.partitions import current_year
from odc_pipeline.defs.pulling import processing_fingerprint, reference_fingerprint
from odc_pipeline.defs.releases import RELEASE_ASSET
from odc_pipeline.defs.resources import WarehouseResource
from odc_pipeline.defs.sources import (
    REFERENCE_ASSET,
    harmonized_key,
    pull_key,
    quarantine_key,
    raw_key,
    validated_key,
)
from odc_pipeline.defs.warehouse import OPEN_DATA_ASSET, PUBLISH_STEP
from odc_pipeline.pulling.pull import newest_in_folder
from odc_pipeline.registry import Registry
from odc_pipeline.registry.model import SourceEntry
from odc_pipeline.settings import SettingsError, read
from odc_pipeline.warehouse.schema import load_audit

PULL_JOB = "nightly_pull"
PROCESS_JOB = "process_sources"
#: The sources with one file per year, without publishing: a backfill of past years runs it.
YEARS_JOB = "backfill_years"
TIMEZONE = "Asia/Jakarta"
#: Runs carrying this tag publish the warehouse; the instance lets one run at a time have it.
PUBLISH_TAG = {"odc/publishes": "warehouse"}


def nightly_cron(at: str | None = None) -> str:
    """`HH:MM` (ODC_NIGHTLY_AT, Asia/Jakarta) as a cron expression."""
    value = (at or read("ODC_NIGHTLY_AT")).strip()
    try:
        hours, minutes = (int(part) for part in value.split(":"))
    except ValueError:
        raise SettingsError(f"ODC_NIGHTLY_AT must be HH:MM (24-hour), not {value!r}") from None
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise SettingsError(f"ODC_NIGHTLY_AT must be HH:MM (24-hour), not {value!r}")
    return f"{minutes} {hours} * * *"


def source_chain(source_id: str, with_pull: bool = False) -> list[dg.AssetKey]:
    """A source's assets in order: (pull,) raw, validated, quarantine, harmonized."""
    return [
        *([pull_key(source_id)] if with_pull else []),
        raw_key(source_id),
        validated_key(source_id),
        quarantine_key(source_id),
        harmonized_key(source_id),
    ]


def year_chains(registry: Registry, source_ids=None) -> list[dg.AssetKey]:
    """The assets of the sources with years (of those named, if any are): the partitioned ones."""
    return [
        key
        for entry in registry.sources
        if entry.partitioned and (not source_ids or entry.id in source_ids)
        for key in source_chain(entry.id, with_pull=True)
    ]


def backfill_keys(registry: Registry, source_ids=None) -> list[dg.AssetKey]:
    """What a past year's run materializes: those chains, and the region reference their
    harmonizing reads."""
    keys = year_chains(registry, source_ids)
    return [*keys, dg.AssetKey(REFERENCE_ASSET)] if keys else []


def partition_for_sources(registry: Registry, source_ids) -> str | None:
    """A run's year: the current one when one of its sources keeps one file per year."""
    if any(registry.source(s).partitioned for s in source_ids):
        return current_year(registry)
    return None


def _latest_metadata(
    instance: dg.DagsterInstance, key: dg.AssetKey, partition: str | None = None
) -> dict:
    """The metadata of the asset's latest materialization (of that partition, if given)."""
    if partition is None:
        event = instance.get_latest_materialization_event(key)
    else:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1
        ).records
        event = records[0].event_log_entry if records else None
    if event is None or event.asset_materialization is None:
        return {}
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


@dataclass(frozen=True)
class Redo:
    """Why a source must be redone, and the pull that says so (its run key)."""

    why: str
    pull_id: str


def sources_to_redo(
    instance: dg.DagsterInstance, registry: Registry, reference_dir: Path
) -> dict[str, Redo]:
    """The sources whose latest pull was not read yet and brings something to redo (for a
    source with one file per year: the current year's pull)."""
    redo = {}
    reference_digest = None
    year = current_year(registry)
    for entry in registry.sources:
        partition = year if entry.partitioned else None
        pulled = _latest_metadata(instance, pull_key(entry.id), partition)
        if not pulled:
            continue
        read = _latest_metadata(instance, raw_key(entry.id), partition)
        if read.get("pull_id") == pulled.get("pull_id"):
            continue  # this pull has been read already
        pull_id = str(pulled.get("pull_id"))
        if pulled.get("source_error"):
            redo[entry.id] = Redo("the pull failed", pull_id)
        elif read.get("snapshot_sha256") != pulled.get("sha256"):
            redo[entry.id] = Redo("new file", pull_id)
        else:
            reference_digest = reference_digest or reference_fingerprint(reference_dir)
            if read.get("processed_with") != processing_fingerprint(entry, reference_digest):
                redo[entry.id] = Redo("registry entry or reference tables changed", pull_id)
    return redo


def warehouse_keys(defs_assets: list[dg.AssetsDefinition]) -> list[dg.AssetKey]:
    """The reference tables, the publish step's tables and the export: every run needs them."""
    keys = [dg.AssetKey(REFERENCE_ASSET), dg.AssetKey(ELECTION_REFERENCE_ASSET)]
    for assets_def in defs_assets:
        if assets_def.node_def.name in (PUBLISH_STEP, RELEASE_ASSET, OPEN_DATA_ASSET):
            keys += list(assets_def.keys)
    return keys


def _run_key(parts: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


def build_automation(
    registry: Registry,
    reference_dir: Path,
    warehouse_assets: list[dg.AssetsDefinition],
    pull_assets: list[dg.AssetsDefinition],
) -> tuple[list, list, list, list]:
    """Jobs, schedules, sensors and freshness checks for one registry."""
    # Each source's freshness check runs in the run that pulls it (its words say "pulled just
    # now"), in `check_source_freshness`, and from its sensor once the source is overdue.
    freshness, freshness_job, freshness_sensor = build_freshness(registry)
    pulls = dg.AssetSelection.assets(*[pull_key(e.id) for e in registry.sources])
    pull_job = dg.define_asset_job(
        PULL_JOB, selection=pulls, description="Pull every source into the snapshot store."
    )
    process_job = dg.define_asset_job(
        PROCESS_JOB,
        selection=dg.AssetSelection.all() - pulls,
        tags=PUBLISH_TAG,
        description="Read, validate, harmonize and publish (sensors run it for the sources "
        "that changed).",
    )
    year = current_year(registry)

    @dg.schedule(
        name="nightly_pull",
        job=pull_job,
        cron_schedule=nightly_cron(),
        execution_timezone=TIMEZONE,
        description="Every night (ODC_NIGHTLY_AT, Asia/Jakarta): pull every source (the "
        "current year's file of a source with one file per year; past years by backfill).",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def nightly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return dg.RunRequest(partition_key=year)

    always = warehouse_keys(warehouse_assets)

    @dg.sensor(
        name="process_changed_sources",
        job=process_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Redo and publish only the sources whose pull brought something new.",
    )
    def process_changed_sources(context: dg.SensorEvaluationContext):
        redo = sources_to_redo(context.instance, registry, reference_dir)
        if not redo:
            return dg.SkipReason("no source changed since it was last read")
        keys = [key for source_id in sorted(redo) for key in source_chain(source_id)]
        context.log.info(
            "; ".join(f"{source_id}: {item.why}" for source_id, item in sorted(redo.items()))
        )
        return dg.RunRequest(
            run_key=_run_key({source_id: item.pull_id for source_id, item in redo.items()}),
            asset_selection=keys + always,
            tags={**PUBLISH_TAG, "odc/sources": ",".join(sorted(redo))[:200]},
            partition_key=partition_for_sources(registry, redo),
        )

    drop_entries = [e for e in registry.sources if not e.is_url]

    @dg.sensor(
        name="drop_folder_files",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        asset_selection=dg.AssetSelection.all(),
        description="A new file in a source's drop folder (or a changed local file) is "
        "pulled, read, validated, harmonized and published.",
    )
    def drop_folder_files(context: dg.SensorEvaluationContext):
        seen = json.loads(context.cursor) if context.cursor else {}
        requests = []
        for entry in drop_entries:
            if entry.partitioned and int(year) not in entry.years:
                continue  # no file for the current year: nothing to watch
            watched = entry.for_year(int(year)) if entry.partitioned else entry
            state = _file_state(watched, registry.base_dir) or ""
            if seen.get(entry.id) == state:
                continue
            if entry.id in seen and state:  # the first look only learns what is there
                requests.append(
                    dg.RunRequest(
                        run_key=f"{entry.id}:{state}",
                        asset_selection=[*source_chain(entry.id, with_pull=True), *always],
                        tags={**PUBLISH_TAG, "odc/sources": entry.id},
                        partition_key=partition_for_sources(registry, [entry.id]),
                    )
                )
            seen[entry.id] = state
        context.update_cursor(json.dumps(seen, sort_keys=True))
        return requests or dg.SkipReason("no new file")

    @dg.run_failure_sensor(
        name="alert_on_run_failure",
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="A failed run is reported by webhook and/or e-mail (ODC_ALERT_*).",
    )
    def alert_on_run_failure(context: dg.RunFailureSensorContext):
        subject, body = failure_message(context, registry)
        _deliver(context, subject, body)

    @dg.run_status_sensor(
        name="alert_on_held_back_sources",
        run_status=dg.DagsterRunStatus.SUCCESS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="A run that finished but held sources back (file missing, unreadable, "
        "mostly rejected) is reported by webhook and/or e-mail.",
    )
    def alert_on_held_back_sources(
        context: dg.RunStatusSensorContext, warehouse: WarehouseResource
    ):
        run_id = context.dagster_run.run_id
        engine = warehouse.engine()
        try:
            with engine.connect() as connection:
                held = connection.execute(
                    select(load_audit.c.source_id, load_audit.c.message).where(
                        load_audit.c.run_id == run_id, load_audit.c.status == "failed"
                    )
                ).all()
        except Exception:  # noqa: BLE001 - no warehouse yet (a pull-only run): nothing to say
            held = []
        finally:
            engine.dispose()
        if not held:
            return dg.SkipReason("every source of the run was published")
        lines = [f"- {source_id}: {message}" for source_id, message in held]
        subject = f"odc-pipeline: {len(held)} source(s) held back in run {run_id[:8]}"
        body = (
            "These sources were not published this run; their last good load stays "
            "published and dim_source marks them stale:\n" + "\n".join(lines)
        )
        _deliver(context, subject, body)

    years = backfill_keys(registry)
    years_job = dg.define_asset_job(
        YEARS_JOB,
        selection=dg.AssetSelection.assets(*years),
        description="The sources that keep one file per year: pull, read, validate and "
        "harmonize one year, without publishing. Launch a backfill of it over past years (one "
        "run per year, spread over the workers); the next publish includes every year.",
    )
    return (
        [pull_job, process_job, freshness_job, *([years_job] if years else [])],
        [nightly],
        [
            process_changed_sources,
            drop_folder_files,
            alert_on_run_failure,
            alert_on_held_back_sources,
            freshness_sensor,
        ],
        freshness,
    )


def _file_state(entry: SourceEntry, base_dir: Path) -> str | None:
    """Name, size and time of the file a drop-folder (or local) source would pull now."""
    path = entry.location_path(base_dir)
    if path.is_dir():
        path = newest_in_folder(path, entry.pull.pattern or f"*.{entry.format}")
    if path is None or not path.is_file():
        return None
    stat = path.stat()
    return f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}"


def failure_message(context: dg.RunFailureSensorContext, registry: Registry) -> tuple[str, str]:
    """Subject and body naming the run, the sources whose steps failed and the reasons."""
    run = context.dagster_run
    failures = context.get_step_failure_events()
    ids = sorted({e.id for e in registry.sources}, key=len, reverse=True)
    lines, sources = [], set()
    for event in failures:
        step = event.step_key or ""
        source = next((s for s in ids if step.endswith(s)), None)
        if source:
            sources.add(source)
        error = event.event_specific_data.error if event.event_specific_data else None
        while error is not None and error.cause is not None:  # Dagster wraps the real error
            error = error.cause
        reason = error.message.strip().splitlines()[0] if error else "no detail"
        lines.append(f"- step {step}" + (f" (source {source})" if source else "") + f": {reason}")
    if not lines:
        lines.append(f"- {context.failure_event.message}")
    subject = f"odc-pipeline: run {run.run_id[:8]} of {run.job_name} failed" + (
        f" ({', '.join(sorted(sources))})" if sources else ""
    )
    body = "\n".join(
        [f"Run {run.run_id} ({run.job_name}) failed.", *lines, "Open the run in the Dagster UI."]
    )
    return subject, body


def _deliver(context, subject: str, body: str) -> None:
    channels = channels_from_environment()
    if not channels.configured:
        context.log.warning(f"no alert channel configured (ODC_ALERT_*): {subject}")
        return
    try:
        delivered = send_alert(channels, subject, body)
        context.log.info(f"alert sent by {', '.join(delivered)}: {subject}")
    except AlertError as error:
        context.log.error(f"{error}: {subject}")
