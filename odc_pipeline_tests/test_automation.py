"""Unattended nights: the schedule's time, the sensors that redo only what changed, the
drop folder, alerts by webhook and e-mail to local servers, and freshness checks."""

from __future__ import annotations

import json
import re
import shutil
import time

import dagster as dg
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from odc_pipeline.defs.automation import PROCESS_JOB, PULL_JOB, nightly_cron
from odc_pipeline.defs.build import ALL_ASSETS_JOB, build_definitions
from odc_pipeline.defs.every_year import partition_for_selection
from odc_pipeline.registry import load_registry
from odc_pipeline_tests.conftest import (
    demo_registry_document,
    free_port,
    make_settings,
    write_registry,
)

JSN, FPPJB, LDW = "jsn_pilpres2024_kabkota", "fppjb_rekap_pilpres2024", "ldw_suara_pilpres2024"
LDW_DPT = "ldw_dpt_kabkota"


def test_the_nightly_schedule_runs_in_jakarta_time(monkeypatch, tmp_path):
    assert nightly_cron() == "0 2 * * *"
    assert nightly_cron("21:30") == "30 21 * * *"
    with pytest.raises(ValueError, match="ODC_NIGHTLY_AT must be HH:MM"):
        nightly_cron("25:00")
    monkeypatch.setenv("ODC_NIGHTLY_AT", "03:15")
    schedule = build_definitions(make_settings(tmp_path)).get_schedule_def("nightly_pull")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("15 3 * * *", "Asia/Jakarta")
    assert schedule.job_name == PULL_JOB


class Night:
    """A registry with its own copy of the demo files, one instance, one warehouse."""

    def __init__(self, tmp_path, document=None):
        self.path = write_registry(tmp_path / "registry", document or demo_registry_document())
        self.settings = make_settings(tmp_path, self.path)
        self.registry = load_registry(self.path, check_files=False)
        self.defs = build_definitions(self.settings, self.registry)
        self.instance = dg.DagsterInstance.ephemeral()
        self.engine = sa.create_engine(
            self.settings.default_warehouse_url, poolclass=sa.pool.NullPool
        )

    def run(self, job: str, asset_selection=None) -> dg.ExecuteInProcessResult:
        """Run a job as the schedule or a sensor would: for the current year when it holds a
        source that keeps one file per year."""
        job_def = self.defs.resolve_job_def(job)
        return job_def.execute_in_process(
            instance=self.instance,
            asset_selection=asset_selection,
            raise_on_error=False,
            partition_key=partition_for_selection(self.registry, asset_selection)
            if job_def.partitions_def
            else None,
        )

    def sensor(self, name: str, cursor: str | None = None):
        sensor = self.defs.get_sensor_def(name)
        context = dg.build_sensor_context(
            instance=self.instance, definitions=self.defs, cursor=cursor
        )
        return sensor(context), context

    def runs_of(self, source_id: str) -> dict[str, int]:
        with self.engine.connect() as connection:
            return dict(
                connection.execute(
                    sa.text(
                        "select source_id, count(distinct run_id) from fact_election_results join dim_load using (source_id, load_id) "
                        "group by source_id"
                    )
                ).all()
            ).get(source_id)

    def materializations(self, key: str) -> int:
        return len(self.instance.fetch_materializations(dg.AssetKey(key), limit=100).records)


@pytest.mark.slow
def test_only_sources_whose_bytes_changed_are_redone(tmp_path):
    night = Night(tmp_path)
    assert night.run(ALL_ASSETS_JOB).success
    result, _ = night.sensor("process_changed_sources")
    assert isinstance(result, dg.SkipReason)

    # A night where nothing changed: the pull runs, the sensor asks for nothing.
    started = time.perf_counter()
    assert night.run(PULL_JOB).success
    result, _ = night.sensor("process_changed_sources")
    unchanged_seconds = time.perf_counter() - started
    assert isinstance(result, dg.SkipReason), result
    assert unchanged_seconds > 0

    # JSN shares a corrected file: only JSN is redone.
    csv_file = night.path.parent / "demo" / "jsn_pilpres2024_kabkota.csv"
    csv_file.write_text(
        csv_file.read_text(encoding="utf-8").replace(",01,", ",01,", 1) + "", encoding="utf-8"
    )
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    csv_file.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # one row fewer
    with night.engine.connect() as connection:
        before = dict(
            connection.execute(
                sa.text(
                    "select source_id, min(run_id) from fact_election_results join dim_load using (source_id, load_id) group by 1"
                )
            ).all()
        )
    assert night.run(PULL_JOB).success
    request, _ = night.sensor("process_changed_sources")
    assert isinstance(request, dg.RunRequest)
    selected = {k.to_user_string() for k in request.asset_selection}
    assert {f"raw_{JSN}", f"harmonized_{JSN}", "fact_election_results"} <= selected
    assert not any(FPPJB in key or LDW in key for key in selected)
    assert night.run(PROCESS_JOB, request.asset_selection).success
    with night.engine.connect() as connection:
        after = dict(
            connection.execute(
                sa.text(
                    "select source_id, min(run_id) from fact_election_results join dim_load using (source_id, load_id) group by 1"
                )
            ).all()
        )
        audit = connection.execute(
            sa.text(
                "select rows_in from load_audit where source_id = :s order by loaded_at desc limit 1"
            ),
            {"s": JSN},
        ).scalar_one()
    assert after[JSN] != before[JSN] and audit == 80  # re-read: one row fewer
    assert after[FPPJB] == before[FPPJB] and after[LDW] == before[LDW]  # carried forward
    assert night.materializations(f"raw_{FPPJB}") == 1  # never recomputed
    assert night.materializations(f"raw_{JSN}") == 2
    # The same pull is not processed twice.
    again, _ = night.sensor("process_changed_sources")
    assert isinstance(again, dg.SkipReason)


def test_a_source_whose_pull_fails_is_redone_to_record_it_and_alert(tmp_path):
    night = Night(tmp_path)
    assert night.run(ALL_ASSETS_JOB).success
    (night.path.parent / "demo" / "ldw_suara_pilpres2024.json").unlink()
    assert night.run(PULL_JOB).success  # one source down does not fail the night
    request, _ = night.sensor("process_changed_sources")
    assert {k.to_user_string() for k in request.asset_selection} >= {f"raw_{LDW}"}
    assert night.run(PROCESS_JOB, request.asset_selection).success
    with night.engine.connect() as connection:
        status = connection.execute(
            sa.text("select status, status_message from dim_source where source_id = :s"),
            {"s": LDW},
        ).one()
        kept = connection.execute(
            sa.text("select count(*) from fact_election_results where source_id = :s"),
            {"s": LDW},
        ).scalar_one()
    assert status[0] == "stale" and "file not found" in status[1]
    assert kept == 26  # the last good load stays


def test_a_new_file_in_a_drop_folder_starts_a_run_for_that_source(tmp_path):
    document = demo_registry_document()
    for entry in document["sources"]:
        if entry["id"] == JSN:
            entry["location"] = "drops/jsn"
    night = Night(tmp_path, document)
    drops = night.path.parent / "drops" / "jsn"
    drops.mkdir(parents=True)
    result, context = night.sensor("drop_folder_files")
    assert isinstance(result, dg.SkipReason)
    shutil.copy(night.path.parent / "demo" / "jsn_pilpres2024_kabkota.csv", drops / "rekap-1.csv")
    result, context = night.sensor("drop_folder_files", context.cursor)
    assert isinstance(result, list) and len(result) == 1
    keys = {k.to_user_string() for k in result[0].asset_selection}
    assert {f"pull_{JSN}", f"raw_{JSN}", "fact_election_results"} <= keys
    assert not any(LDW in k for k in keys)
    again, _ = night.sensor("drop_folder_files", context.cursor)
    assert isinstance(again, dg.SkipReason)  # the same file is not run twice
    run = night.run(ALL_ASSETS_JOB, result[0].asset_selection)
    assert run.success
    assert night.runs_of(JSN) == 1


@pytest.fixture
def alert_servers(monkeypatch, local_http_server):
    webhook = local_http_server
    webhook.expect_request("/hook", method="POST").respond_with_data("ok")
    received: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    port = free_port()  # aiosmtpd checks its own port, so it needs a real one
    smtp = Controller(Handler(), hostname="127.0.0.1", port=port)
    smtp.start()
    monkeypatch.setenv("ODC_ALERT_WEBHOOK_URL", webhook.url_for("/hook"))
    monkeypatch.setenv("ODC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ODC_SMTP_PORT", str(port))
    monkeypatch.setenv("ODC_ALERT_EMAIL_FROM", "odc@localhost")
    monkeypatch.setenv("ODC_ALERT_EMAIL_TO", "steward@localhost")
    yield webhook, received
    smtp.stop()


def test_a_failed_run_is_reported_by_webhook_and_email(tmp_path, monkeypatch, alert_servers):
    webhook, mails = alert_servers
    monkeypatch.setenv("ODC_WAREHOUSE_URL", "postgresql+psycopg://odc@127.0.0.1:9/nowhere")
    night = Night(tmp_path)
    result = night.run(ALL_ASSETS_JOB)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure",
        dagster_instance=night.instance,
        dagster_run=result.dagster_run,
        dagster_event=failure,
    ).for_run_failure()
    night.defs.get_sensor_def("alert_on_run_failure")(context)
    posted = json.loads(webhook.log[0][0].get_data())
    assert posted["subject"].startswith(
        f"odc-pipeline: run {result.run_id[:8]} of materialize_all failed"
    )
    assert "step publish_warehouse" in posted["body"] and "127.0.0.1" in posted["body"]
    assert len(mails) == 1
    mail = mails[0].content.decode()
    assert "steward@localhost" in mails[0].rcpt_tos and posted["subject"] in mail.replace(
        "\r\n ", " "
    )


def test_held_back_sources_are_reported(tmp_path, alert_servers):
    webhook, mails = alert_servers
    night = Night(tmp_path)
    (night.path.parent / "demo" / "ldw_suara_pilpres2024.json").unlink()
    result = night.run(ALL_ASSETS_JOB)
    assert result.success
    success = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_SUCCESS)
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_held_back_sources",
        dagster_instance=night.instance,
        dagster_run=result.dagster_run,
        dagster_event=success,
    )
    sensor = night.defs.get_sensor_def("alert_on_held_back_sources")
    with dg.build_resources({"warehouse": night.defs.resources["warehouse"]}) as resources:
        sensor(context, warehouse=resources.warehouse)
    posted = json.loads(webhook.log[0][0].get_data())
    assert posted["subject"] == f"odc-pipeline: 1 source(s) held back in run {result.run_id[:8]}"
    assert (
        f"- {LDW}: Source '{LDW}' (ldw): cannot read ldw_suara_pilpres2024.json" in posted["body"]
    )
    assert len(mails) == 1


def test_a_source_not_pulled_within_its_interval_fails_its_freshness_check(tmp_path):
    document = demo_registry_document()
    for entry in document["sources"]:
        entry["expected_refresh_hours"] = 1
    night = Night(tmp_path, document)
    pulled = night.run(PULL_JOB)
    assert pulled.success
    fresh = night.run("check_source_freshness")
    # The same pulls against an interval of one second, once a second has passed. (A
    # one-second interval from the start would fail the first check on a busy machine.)
    for entry in document["sources"]:
        entry["expected_refresh_hours"] = 1 / 3600
    night.registry = load_registry(write_registry(tmp_path / "registry", document))
    night.defs = build_definitions(night.settings, night.registry)
    time.sleep(1.5)
    stale = night.run("check_source_freshness")

    def outcomes(result):
        return {
            e.asset_check_evaluation_data.asset_key.to_user_string(): e.asset_check_evaluation_data.passed
            for e in result.all_events
            if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        }

    def described(result):
        return [
            e.asset_check_evaluation_data.description
            for e in result.all_events
            if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ]

    # The pull's own run evaluates the check, in words with the time since the pull (Dagster's
    # own check said "The last update was  ago" there).
    assert outcomes(pulled) == {f"pull_{s}": True for s in (JSN, FPPJB, LDW, LDW_DPT)}
    assert all(
        re.fullmatch(r"pulled (just now|\d+ seconds? ago); expected at least every 1 hours .*", d)
        for d in described(pulled)
    ), described(pulled)
    assert outcomes(fresh) == {f"pull_{s}": True for s in (JSN, FPPJB, LDW, LDW_DPT)}
    assert all(re.match(r"last pulled \d+ seconds? ago; expected", d) for d in described(stale))
    # The sensor asks for the overdue checks once per overdue pull, not at every tick.
    request, context = night.sensor("source_freshness")
    assert sorted(k.asset_key.to_user_string() for k in request.asset_check_keys) == sorted(
        f"pull_{s}" for s in (JSN, FPPJB, LDW, LDW_DPT)
    )
    again, _ = night.sensor("source_freshness", context.cursor)
    assert isinstance(again, dg.SkipReason)
    assert outcomes(stale) == {f"pull_{s}": False for s in (JSN, FPPJB, LDW, LDW_DPT)}


@pytest.mark.slow
def test_materializing_only_the_warehouse_carries_every_source_forward(tmp_path):
    night = Night(tmp_path)
    assert night.run(ALL_ASSETS_JOB).success
    with night.engine.connect() as connection:
        before = connection.execute(
            sa.text(
                "select source_id, count(*), min(run_id) from fact_election_results join dim_load using (source_id, load_id) "
                "group by 1 order by 1"
            )
        ).all()
    warehouse_only = [
        key
        for key in night.defs.resolve_job_def(PROCESS_JOB).asset_layer.executable_asset_keys
        if not any(
            key.path[-1].startswith(p) for p in ("raw_", "validated_", "quarantine_", "harmonized_")
        )
    ]
    result = night.run(PROCESS_JOB, warehouse_only)
    assert result.success
    with night.engine.connect() as connection:
        after = connection.execute(
            sa.text(
                "select source_id, count(*), min(run_id) from fact_election_results join dim_load using (source_id, load_id) "
                "group by 1 order by 1"
            )
        ).all()
    assert after == before
