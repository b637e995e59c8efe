"""Runs in this process (make run, odc run, the benchmarks) keep no step's frames alive."""

from __future__ import annotations

import gc

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from odc_pipeline.defs import build
from odc_pipeline.defs.every_year import execute_every_year
from odc_pipeline.defs.execution import execute_here
from odc_pipeline.registry import load_registry
from odc_pipeline_tests.conftest import make_settings
from odc_pipeline_tests.scratch import scratch_environment


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


def test_a_run_in_this_process_holds_no_frames_and_publishes_the_same(
    tmp_path, demo_run, monkeypatch
):
    """`make run`'s way (`execute_here`: the job rebuilt from the environment and run with
    Dagster's public `execute_job`) keeps no step's output in memory."""
    settings = make_settings(tmp_path)
    for name, value in scratch_environment(tmp_path, settings.registry_path).items():
        if name.startswith("ODC_"):
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("ODC_WAREHOUSE_URL", raising=False)
    built = []
    original = build.build_definitions
    monkeypatch.setattr(build, "build_definitions", lambda **kw: built.append(1) or original(**kw))
    instance = dg.DagsterInstance.ephemeral()
    past, result = execute_every_year(
        load_registry(settings.registry_path),
        lambda **run: execute_here(instance=instance, **run),
    )
    assert result.success
    # Each run builds the definitions once, however often Dagster reconstructs its job.
    assert past and len(built) == len(past) + 1
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
