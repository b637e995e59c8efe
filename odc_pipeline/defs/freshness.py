"""Each source's freshness check on its pull asset, and the sensor that runs the check again
when a source's time is up (no daemon work otherwise: the pull run itself evaluates it)."""

import json
import time

import dagster as dg

from odc_pipeline.defs.sources import pull_key
from odc_pipeline.freshness import freshness
from odc_pipeline.registry.model import Registry, SourceEntry

CHECK_NAME = "pulled_recently"
FRESHNESS_JOB = "check_source_freshness"


def freshness_check(entry: SourceEntry) -> dg.AssetChecksDefinition:
    key = pull_key(entry.id)
    hours = entry.expected_refresh_hours

    @dg.asset_check(
        asset=key,
        name=CHECK_NAME,
        description=f"Pulled within the last {hours:g} hours (expected_refresh_hours).",
    )
    def pulled_recently(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        event = context.instance.get_latest_materialization_event(key)
        age = None if event is None else max(time.time() - event.timestamp, 0.0)
        verdict = freshness(age, hours)
        return dg.AssetCheckResult(
            passed=verdict.passed,
            description=verdict.text,
            metadata={"hours_since_pull": round(age / 3600, 2) if age is not None else -1},
        )

    return pulled_recently


def build_freshness(
    registry: Registry,
) -> tuple[list, object, dg.SensorDefinition]:
    """The checks, the job that evaluates them all now, and the sensor that evaluates a
    source's check once its time is up since its last pull."""
    checks = [freshness_check(entry) for entry in registry.sources]
    job = dg.define_asset_job(
        FRESHNESS_JOB,
        selection=dg.AssetSelection.checks(*checks),
        description="Evaluate every source's freshness check now.",
    )
    limits = {entry.id: entry.expected_refresh_hours * 3600 for entry in registry.sources}

    @dg.sensor(
        name="source_freshness",
        job=job,
        minimum_interval_seconds=600,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Evaluates a source's freshness check when its expected_refresh_hours have "
        "passed since its last pull (once per overdue pull).",
    )
    def source_freshness(context: dg.SensorEvaluationContext):
        told = json.loads(context.cursor) if context.cursor else {}
        overdue = []
        for source_id, limit in limits.items():
            event = context.instance.get_latest_materialization_event(pull_key(source_id))
            if event is None or time.time() - event.timestamp <= limit:
                continue
            if told.get(source_id) != event.timestamp:
                overdue.append(source_id)
                told[source_id] = event.timestamp
        if not overdue:
            return dg.SkipReason("no source is overdue since its last pull")
        context.update_cursor(json.dumps(told))
        return dg.RunRequest(
            asset_check_keys=[dg.AssetCheckKey(pull_key(s), CHECK_NAME) for s in overdue],
        )

    return checks, job, source_freshness
