"""Runs in this process (make run, the benchmarks) keep no step's frames alive."""

from __future__ import annotations

import gc

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from odc_pipeline.defs.build import ALL_ASSETS_JOB, build_definitions
from odc_pipeline.defs.every_year import execute_every_year
from odc_pipeline.defs.execution import execute_without_capture
from odc_pipeline.registry import load_registry
from odc_pipeline_tests.conftest import make_settings


def _frames_reachable(root: object, depth: int = 3) -> int:
    """DataFrames reachable from `root` within `depth` references."""
    seen, layer, found = {id(root)}, [root], 0
    for _ in range(depth):
        following = []
        for obj in layer:
            for child in gc.get_referents(obj):
                if id(child) in seen:
                    continue
                seen.add(id(child))
                if isinstance(child, pd.DataFrame):
                    found += 1
                else:
                    following.append(child)
        layer = following
    return found


def test_a_run_without_capture_holds_no_frames_and_publishes_the_same(tmp_path, demo_run):
    settings = make_settings(tmp_path)
    defs = build_definitions(settings, load_registry(settings.registry_path))
    _, result = execute_every_year(
        defs.resolve_job_def(ALL_ASSETS_JOB),
        load_registry(settings.registry_path),
        instance=dg.DagsterInstance.ephemeral(),
        execute=execute_without_capture,
    )
    assert result.success
    # Dagster's execute_in_process (the demo run) keeps every output; this run keeps none.
    assert _frames_reachable(demo_run.result) > 10
    assert _frames_reachable(result) == 0
    engine = sa.create_engine(settings.default_warehouse_url)
    with engine.connect() as connection:
        ours = connection.execute(
            sa.text("select source_id, count(*), sum(votes) from fact_election_results group by 1")
        ).all()
    engine.dispose()
    assert sorted(map(tuple, ours)) == sorted(
        demo_run.rows(
            "select source_id, count(*), sum(votes) from fact_election_results group by 1"
        )
    )


def test_objects_made_before_a_run_are_frozen_during_it_and_handed_back_after():
    """The collector skips what existed before the run while it goes (see
    `objects_before_the_run_frozen`), and can collect it again once the run is over, also
    when a step fails."""
    seen: list[int] = []

    @dg.op
    def count_frozen() -> None:
        seen.append(gc.get_freeze_count())

    @dg.op
    def fail() -> None:
        raise RuntimeError("a step that fails")

    @dg.job
    def counting():
        count_frozen()

    @dg.job
    def failing():
        fail()

    before = gc.get_freeze_count()
    instance = dg.DagsterInstance.ephemeral()
    assert execute_without_capture(counting, instance=instance).success
    assert seen[0] > before + 1000  # modules, Dagster, this test's objects
    assert gc.get_freeze_count() == before
    assert not execute_without_capture(failing, instance=instance).success
    assert gc.get_freeze_count() == before
