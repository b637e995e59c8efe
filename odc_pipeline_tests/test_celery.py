"""The same definitions on Dagster's Celery executor: two real workers, RabbitMQ, PostgreSQL.

Each worker is a separate `celery` process; the run is launched by `dagster job execute` with
the PostgreSQL instance (deploy/dagster-postgres.yaml), so every step's events come back
through the database, and the test reads them there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from odc_pipeline.defs.build import ALL_ASSETS_JOB
from odc_pipeline.defs.execution import job_command
from odc_pipeline.defs.partitions import current_year
from odc_pipeline.registry import load_registry
from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline_tests.celery_workers import (
    BIN,
    celery_environment,
    start_worker,
    stop_workers,
)
from odc_pipeline_tests.conftest import (
    DEMO_REGISTRY,
    POSTGRES_ADMIN_URL,
    demo_registry_document,
    write_registry,
)

BROKER = os.environ.get("ODC_TEST_CELERY_BROKER", "pyamqp://guest:guest@127.0.0.1:5672//")


def _broker_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=2):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not _broker_up(), reason="RabbitMQ is not listening on 127.0.0.1:5672 (.ci/run starts it)"
    ),
]


@dataclass
class Cluster:
    env: dict[str, str]
    workers: dict[str, subprocess.Popen]
    home: Path
    #: Times the member's server was asked for the JSN file; with `slow`, the first answer
    #: takes 20 s (a worker can be killed while it waits).
    requests: list[float]
    slow: dict[str, bool]

    def run(self, job: str = "materialize_all", wait: bool = True) -> subprocess.Popen:
        """The night's run of the demo registry: its current year (LDW's DPT has years)."""
        process = subprocess.Popen(
            job_command(job, current_year(load_registry(DEMO_REGISTRY))),
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if wait:
            output, _ = process.communicate(timeout=600)
            assert process.returncode == 0, output[-3000:]
        return process

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.home))

    def kill(self, name: str) -> None:
        os.killpg(self.workers[name].pid, signal.SIGKILL)


def _worker_steps(instance: dg.DagsterInstance, run_id: str) -> list[tuple[str, str]]:
    """(worker host name, step key) for every step a Celery worker took, from the event log."""
    taken = []
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        metadata = record.dagster_event.engine_event_data.metadata
        if "Celery worker" in metadata:
            taken.append((metadata["Celery worker"].text, metadata["step_keys"].text))
    return taken


def _member_server(requests: list[float], slow: dict[str, bool]) -> HTTPServer:
    """JSN's file on a web server of its own (threaded: a second request is answered while
    the first still waits)."""
    body = (PROJECT_ROOT / "data" / "demo" / "jsn_pilpres2024_kabkota.csv").read_bytes()

    def answer(request: Request) -> Response:
        requests.append(time.time())
        if slow["first"] and len(requests) == 1:
            time.sleep(20)
        return Response(body, content_type="text/csv")

    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.expect_request("/jsn.csv").respond_with_handler(answer)
    server.start()
    return server


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch) -> Iterator[Cluster]:
    """Two Celery workers on the machine's RabbitMQ, a PostgreSQL instance and warehouse, and
    the demo registry with JSN's file served over HTTP."""
    requests: list[float] = []
    slow = {"first": False}
    server = _member_server(requests, slow)
    document = demo_registry_document()
    for entry in document["sources"]:
        if entry["id"] == "jsn_pilpres2024_kabkota":
            entry["location"] = server.url_for("/jsn.csv")
    registry = write_registry(tmp_path / "registry", document)
    try:
        with celery_environment(tmp_path, registry, POSTGRES_ADMIN_URL, BROKER) as env:
            env["ODC_ALLOWED_HOSTS"] = "127.0.0.1"
            monkeypatch.setenv("ODC_DAGSTER_PG_URL", env["ODC_DAGSTER_PG_URL"])
            workers: dict[str, subprocess.Popen] = {}
            try:
                for name in ("w1", "w2"):
                    workers[name] = start_worker(name, env, tmp_path)
                yield Cluster(env, workers, Path(env["DAGSTER_HOME"]), requests, slow)
            finally:
                stop_workers(workers)
    finally:
        server.clear()
        server.stop()


def _warehouse(url: str) -> dict:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            counts = {
                table: connection.execute(sa.text(f"select count(*) from {table}")).scalar_one()  # noqa: S608 - fixed names
                for table in (
                    "dim_region",
                    "dim_source",
                    "fact_election_results",
                    "quarantine",
                    "region_review",
                )
            }
            totals = dict(
                connection.execute(
                    sa.text("select source_id, sum(votes) from fact_election_results group by 1")
                ).all()
            )
    finally:
        engine.dispose()
    return {"counts": counts, "totals": totals}


def test_two_workers_share_the_run_and_publish_what_one_process_publishes(cluster, demo_run):
    cluster.run()
    instance = cluster.instance()
    try:
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        taken = _worker_steps(instance, run.run_id)
    finally:
        instance.dispose()
    hosts = {host.split("@")[0] for host, _ in taken}
    assert hosts == {"w1", "w2"}
    assert {step for _, step in taken} >= {
        "publish_warehouse",
        "harmonized_jsn_pilpres2024_kabkota",
    }
    assert _warehouse(cluster.env["ODC_WAREHOUSE_URL"]) == _warehouse(
        demo_run.settings.default_warehouse_url
    )


def test_a_worker_killed_mid_step_ends_in_a_retried_success_or_a_clean_failure(cluster, demo_run):
    # The worker that pulls JSN's file is killed while the server takes its time; the step's
    # task was not acknowledged, so the broker hands it to the other worker.
    cluster.slow["first"] = True
    process = cluster.run(wait=False)
    instance = cluster.instance()
    try:
        victim = None
        deadline = time.time() + 120
        while victim is None and time.time() < deadline:
            for run in instance.get_runs(limit=1):
                for host, step in _worker_steps(instance, run.run_id):
                    if step == "pull_jsn_pilpres2024_kabkota":
                        victim = host.split("@")[0]
            time.sleep(0.2)
        assert victim is not None, "the slow pull never started"
        # Killed only once its request is at the server: a worker killed before it asks (a
        # busy machine is slow to get there) would leave one request for the retry to make.
        while not cluster.requests and time.time() < deadline:
            time.sleep(0.1)
        assert cluster.requests, "the slow pull never reached the server"
        cluster.kill(victim)
        output, _ = process.communicate(timeout=600)
        (run,) = instance.get_runs()
        taken = _worker_steps(instance, run.run_id)
    finally:
        instance.dispose()
    published = _warehouse(cluster.env["ODC_WAREHOUSE_URL"])
    expected = _warehouse(demo_run.settings.default_warehouse_url)
    pullers = [host.split("@")[0] for host, step in taken if step == "pull_jsn_pilpres2024_kabkota"]
    if run.status == dg.DagsterRunStatus.SUCCESS:
        # Retried: the other worker pulled the file again, and the night is whole.
        assert pullers[0] == victim and pullers[-1] != victim
        assert len(cluster.requests) >= 2
        assert published == expected
    else:
        # A clean failure: the killed source is held back, and what was published is whole.
        assert run.status == dg.DagsterRunStatus.FAILURE, output[-3000:]
        assert "jsn_pilpres2024_kabkota" not in published["totals"]
        others = {k: v for k, v in expected["totals"].items() if k != "jsn_pilpres2024_kabkota"}
        assert published["totals"] in ({}, others)


def test_a_backfill_of_past_years_fans_out_and_the_night_publishes_every_year(
    tmp_path, monkeypatch
):
    """A real Dagster backfill (the daemon launches one run per year from the queue), its
    steps spread over both workers; then the night's run for the current year publishes."""
    from odc_pipeline.defs.automation import YEARS_JOB
    from odc_pipeline_tests.test_partitions import JSN_RESULTS, LDW_DPT, partitioned_registry

    registry = partitioned_registry(tmp_path / "registry")
    with celery_environment(tmp_path, registry, POSTGRES_ADMIN_URL, BROKER) as env:
        monkeypatch.setenv("ODC_DAGSTER_PG_URL", env["ODC_DAGSTER_PG_URL"])
        workers: dict[str, subprocess.Popen] = {}
        daemon_log = (tmp_path / "daemon.log").open("w")
        daemon = instance = None
        try:
            for name in ("w1", "w2"):
                workers[name] = start_worker(name, env, tmp_path)
            daemon = subprocess.Popen(
                [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=daemon_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            instance = dg.DagsterInstance.from_config(env["DAGSTER_HOME"])
            submitted = subprocess.run(
                [str(BIN / "dagster"), "job", "backfill", "-w", "workspace.yaml"]
                + ["-j", YEARS_JOB, "--partitions", "2019,2024", "--noprompt"],
                cwd=PROJECT_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert submitted.returncode == 0, submitted.stdout + submitted.stderr
            runs = _finished_runs(instance, count=2, timeout=420, log=tmp_path / "daemon.log")
            assert {r.tags["dagster/partition"] for r in runs} == {"2019", "2024"}
            assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), [
                (r.tags["dagster/partition"], r.status) for r in runs
            ]
            taken = [step for r in runs for step in _worker_steps(instance, r.run_id)]
            assert {host.split("@")[0] for host, _ in taken} == {"w1", "w2"}
            assert sum(step == f"harmonized_{LDW_DPT}" for _, step in taken) == 2

            # The night: the current year only, then every year published.
            night = subprocess.run(
                job_command(ALL_ASSETS_JOB, "2024"),
                cwd=PROJECT_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert night.returncode == 0, (night.stdout + night.stderr)[-3000:]
            pulls_2019 = instance.fetch_materializations(
                dg.AssetRecordsFilter(
                    asset_key=dg.AssetKey(f"pull_{LDW_DPT}"), asset_partitions=["2019"]
                ),
                limit=10,
            ).records
            assert len(pulls_2019) == 1  # the backfill's; the night did not pull 2019 again
        finally:
            if instance is not None:
                instance.dispose()
            if daemon is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(daemon.pid, signal.SIGTERM)
                daemon.wait(timeout=60)
            daemon_log.close()
            stop_workers(workers)
        engine = make_engine(env["ODC_WAREHOUSE_URL"])
        try:
            with engine.connect() as connection:
                years = connection.execute(
                    sa.text(
                        "select source_id, year, count(*) from fact_voter_counts "
                        "group by 1, 2 order by 1, 2"
                    )
                ).all()
                results = connection.execute(
                    sa.text(
                        "select year, count(*) from fact_election_results where source_id = :s "
                        "group by 1 order by 1"
                    ),
                    {"s": JSN_RESULTS},
                ).all()
        finally:
            engine.dispose()
    assert [tuple(r) for r in years] == [
        ("jsn_dpt_kabkota", 2024, 5),
        (LDW_DPT, 2019, 27),
        (LDW_DPT, 2024, 27),
    ]
    assert [tuple(r) for r in results] == [(2019, 27 * 2), (2024, 27 * 3)]


def _finished_runs(
    instance: dg.DagsterInstance, count: int, timeout: float, log: Path
) -> list[dg.DagsterRun]:
    """The backfill's runs, once `count` of them have finished."""
    finished = {
        dg.DagsterRunStatus.SUCCESS,
        dg.DagsterRunStatus.FAILURE,
        dg.DagsterRunStatus.CANCELED,
    }
    deadline = time.time() + timeout
    while time.time() < deadline:
        runs = [r for r in instance.get_runs() if "dagster/backfill" in r.tags]
        if len(runs) >= count and all(r.status in finished for r in runs):
            return runs
        time.sleep(1)
    raise AssertionError(
        f"the backfill's runs did not finish in {timeout:.0f} s: "
        f"{[(r.tags.get('dagster/partition'), r.status) for r in runs]}\n" + log.read_text()[-3000:]
    )
