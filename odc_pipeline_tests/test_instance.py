"""The Dagster instance files under deploy/: one machine (SQLite) and PostgreSQL storage,
each with one publishing run at a time; the PostgreSQL one used for real."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml

from odc_pipeline.defs.automation import PUBLISH_TAG
from odc_pipeline.defs.build import ALL_ASSETS_JOB, build_definitions
from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline_tests.conftest import execute_demo_job, isolated_environment, make_settings

#: Slow: `dagster job execute` in a subprocess, Dagster's storage on PostgreSQL.
pytestmark = pytest.mark.slow

DEPLOY = PROJECT_ROOT / "deploy"


def _instance(home: Path, config: str, monkeypatch) -> dg.DagsterInstance:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEPLOY / config, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return dg.DagsterInstance.get()


def test_one_machine_instance_lets_one_publishing_run_at_a_time(tmp_path, monkeypatch):
    instance = _instance(tmp_path / "home", "dagster.yaml", monkeypatch)
    try:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert [(limit["key"], limit["limit"]) for limit in limits] == [("odc/publishes", 1)]
    finally:
        instance.dispose()
    defs = build_definitions(make_settings(tmp_path))
    for job in ("materialize_all", "process_sources"):
        assert PUBLISH_TAG.items() <= defs.resolve_job_def(job).tags.items()
    assert "odc/publishes" not in defs.resolve_job_def("nightly_pull").tags


def test_both_instances_monitor_runs_so_a_dead_publish_frees_the_queue(tmp_path, monkeypatch):
    """The daemon's run monitoring fails a run whose process died unreported (see
    test_run_monitoring.py), with settings the default run launcher accepts."""
    sections = [
        yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))["run_monitoring"]
        for name in ("dagster.yaml", "dagster-postgres.yaml")
    ]
    assert sections[0] == sections[1]
    instance = _instance(tmp_path / "home", "dagster.yaml", monkeypatch)
    try:
        assert instance.run_monitoring_enabled
        assert "MONITORING" in instance.get_required_daemon_types()
        assert instance.run_monitoring_max_resume_run_attempts == 0  # cannot resume a run
        assert 0 < instance.run_monitoring_max_runtime_seconds <= 6 * 3600
    finally:
        instance.dispose()


def test_postgres_instance_stores_runs_and_events_in_postgres(tmp_path, postgres_url, monkeypatch):
    dagster_url = sa.engine.make_url(postgres_url).set(drivername="postgresql+psycopg2")
    env = isolated_environment(tmp_path)
    home = Path(env["DAGSTER_HOME"])
    shutil.copy(DEPLOY / "dagster-postgres.yaml", home / "dagster.yaml")
    env["ODC_DAGSTER_PG_URL"] = dagster_url.render_as_string(hide_password=False)
    execute_demo_job("nightly_pull", env)
    assert not list(home.rglob("*.db")), "no SQLite storage when PostgreSQL is configured"
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            runs = connection.execute(sa.text("select pipeline_name, status from runs")).all()
            pulls = connection.execute(
                sa.text(
                    "select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    assert runs == [("nightly_pull", "SUCCESS")]
    assert pulls == 4  # one pull per demo source (LDW's DPT: the current year's file)


def test_the_night_runs_on_the_default_executor_with_steps_forked_from_the_server(tmp_path):
    """The whole nightly job as a server runs it: a run process, its steps in processes
    forked from one that preloaded the code location (see defs/executors.py)."""
    env = isolated_environment(tmp_path)
    completed = execute_demo_job(ALL_ASSETS_JOB, env)
    assert "Executing steps using multiprocess executor" in completed.stderr
    # Steps are read from the run's event log, not the terminal: a step's last lines may not
    # reach the terminal (Dagster's compute-log mirror, dagster-io/dagster#23336).
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        (run,) = instance.get_runs()
        steps = {s.step_key: s.status.value for s in instance.get_run_step_stats(run.run_id)}
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert {"publish_warehouse", "open_data_package", "harmonized_ldw_dpt_kabkota"} <= set(steps)
    assert set(steps.values()) == {"SUCCESS"}
    warehouse = Path(env["ODC_WAREHOUSE_DIR"])
    engine = sa.create_engine(f"sqlite:///{warehouse / 'odc.sqlite'}")
    try:
        with engine.connect() as connection:
            audit = dict(
                connection.execute(
                    sa.text("select source_id, rows_published + rows_quarantined from load_audit")
                ).all()
            )
    finally:
        engine.dispose()
    # `make run` publishes 192 rows of both years; this run is 2024's alone, so LDW's voters
    # list has its 2024 file only (27 of its 54 rows).
    assert audit == {
        "fppjb_rekap_pilpres2024": 27,
        "jsn_pilpres2024_kabkota": 81,
        "ldw_dpt_kabkota": 27,
        "ldw_suara_pilpres2024": 30,
    }
    assert (warehouse / "shared" / "public.sqlite").exists()
