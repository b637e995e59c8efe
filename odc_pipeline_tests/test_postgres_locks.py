"""The PostgreSQL switch against readers and lost connections.

A reader idle in a transaction can neither stall the publish for ever nor, through it, the
readers queued behind the switch: the switch waits a bounded time, names the session it waited
for, and fails plainly with the previous version live. A connection lost once the switch has
committed is a warning, not a failed publish: the new version is live, and the checks and
exports that read it still run.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import psycopg
import pytest
import sqlalchemy as sa

from odc_pipeline.defs.build import ALL_ASSETS_JOB, build_definitions
from odc_pipeline.defs.every_year import execute_every_year
from odc_pipeline.regions.reference import load_reference
from odc_pipeline.registry import load_registry
from odc_pipeline.warehouse import publish_postgres
from odc_pipeline.warehouse.engine import CORE_SCHEMA, make_engine
from odc_pipeline.warehouse.publish import PublishSummary, Stage, publish
from odc_pipeline.warehouse.publish_postgres import (
    BUILD_SCHEMA,
    RETIRED_SCHEMA,
    SwitchBlockedError,
    SwitchLostError,
)
from odc_pipeline.warehouse.summary import run_summary
from odc_pipeline_tests.conftest import execute_capturing, make_settings
from odc_pipeline_tests.publish_worker import CATALOG, batch

#: Slow: the live PostgreSQL server.
pytestmark = pytest.mark.slow

ROWS = 3_000
PUBLISHER = "odc_publisher"
ANALYST = "analyst_notebook"
#: The switch's bounds in these tests; a late reader may wait LOCK_TIMEOUT_S at most.
LOCK_TIMEOUT_S = 1.0
#: The late reader's statement_timeout: the lock timeout and a margin for a loaded machine.
LATE_READER_TIMEOUT_S = LOCK_TIMEOUT_S + 2.0
#: If the switch waited without bound, the test ends the analyst's session after this long.
SAFETY_S = 30.0


def _libpq(url: str, application: str | None = None) -> str:
    """The SQLAlchemy URL as psycopg takes it."""
    url = sa.engine.make_url(url).set(drivername="postgresql")
    if application:
        url = url.update_query_dict({"application_name": application})
    return url.render_as_string(hide_password=False)


def _publisher_url(url: str) -> str:
    return (
        sa.engine.make_url(url)
        .update_query_dict({"application_name": PUBLISHER})
        .render_as_string(hide_password=False)
    )


def _publish(
    url: str,
    run_id: str,
    *,
    first: bool = False,
    stage: Stage | None = None,
    engine: sa.Engine | None = None,
) -> PublishSummary:
    own = engine is None
    engine = engine or make_engine(_publisher_url(url))
    try:
        return publish(
            engine,
            load_reference() if first else None,
            [batch(ROWS, seed=len(run_id))],
            run_id,
            CATALOG,
            role_prefix=_role_prefix(),
            stage=stage,
        )
    finally:
        if own:
            engine.dispose()


def _role_prefix() -> str:
    # The postgres_url fixture set it, so the roles a publish makes are dropped with the test.
    return os.environ["ODC_ROLE_PREFIX"]


def _live(url: str) -> dict:
    """What a reader sees, and which schemas exist."""
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        facts = connection.execute(
            f"select count(*), min(run_id), max(run_id) from {CORE_SCHEMA}.fact_election_results "  # noqa: S608 - fixed names
            f"join {CORE_SCHEMA}.dim_load using (source_id, load_id)"
        ).fetchone()
        schemas = {r[0] for r in connection.execute("select nspname from pg_namespace")}
        audit = [
            r[0]
            for r in connection.execute(
                f"select distinct run_id from {CORE_SCHEMA}.load_audit order by 1"  # noqa: S608 - fixed names
            )
        ]
    return {"facts": facts, "audit_runs": audit, "schemas": schemas}


def _terminate(url: str, pid: int) -> None:
    """End a session from outside, and wait until it is gone."""
    with psycopg.connect(_libpq(url), autocommit=True) as admin:
        admin.execute("select pg_terminate_backend(%s, 10000)", [pid])


@contextmanager
def _analyst(url: str) -> Iterator[tuple[psycopg.Connection, int]]:
    """A session that read a published fact table and sits idle in its transaction, as a
    notebook left open does. Ended from outside after SAFETY_S, so that a switch that waits
    without bound (the bug) fails the test instead of hanging it."""
    connection = psycopg.connect(_libpq(url, ANALYST))
    pid = connection.info.backend_pid
    connection.execute(f"select count(*) from {CORE_SCHEMA}.fact_election_results")  # noqa: S608 - fixed names
    safety = threading.Timer(SAFETY_S, _terminate, [url, pid])
    safety.start()
    try:
        yield connection, pid
    finally:
        safety.cancel()
        connection.close()


class _LateReader:
    """A reader that arrives while the switch waits for its lock, so queues behind it; it
    reads with a statement_timeout a little above the switch's lock timeout."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.count: int | None = None
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run)

    def stage(self, name: str) -> None:
        if name == "swapping":
            self._thread.start()

    def join(self) -> None:
        self._thread.join(timeout=SAFETY_S + 30)

    def _run(self) -> None:
        if not _until_the_publisher_waits(self.url):
            self.error = "the publisher never waited for a lock"
            return
        with psycopg.connect(_libpq(self.url, "late_reader"), autocommit=True) as reader:
            reader.execute(f"set statement_timeout = '{round(LATE_READER_TIMEOUT_S * 1000)}ms'")
            try:
                self.count = reader.execute(
                    f"select count(*) from {CORE_SCHEMA}.fact_election_results"  # noqa: S608 - fixed names
                ).fetchone()[0]
            except psycopg.errors.QueryCanceled:
                self.error = f"the late reader waited more than {LATE_READER_TIMEOUT_S} s"


def _until_the_publisher_waits(url: str) -> bool:
    """Whether the publisher came to wait for a lock, watched for about 20 s."""
    with psycopg.connect(_libpq(url), autocommit=True) as watcher:
        for _ in range(2000):
            waiting = watcher.execute(
                "select count(*) from pg_locks l join pg_stat_activity a using (pid) "
                "where not l.granted and a.application_name = %s",
                [PUBLISHER],
            ).fetchone()[0]
            if waiting:
                return True
            threading.Event().wait(0.01)
    return False


def _bound_the_switch(monkeypatch: pytest.MonkeyPatch, attempts: int) -> None:
    monkeypatch.setattr(publish_postgres, "SWITCH_LOCK_TIMEOUT_S", LOCK_TIMEOUT_S)
    monkeypatch.setattr(publish_postgres, "SWITCH_RETRY_PAUSE_S", 0.5)
    monkeypatch.setattr(publish_postgres, "SWITCH_ATTEMPTS", attempts)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == publish_postgres.__name__ and r.levelno == logging.WARNING
    ]


def test_a_reader_idle_in_a_transaction_fails_the_publish_by_name_and_never_stalls_readers(
    postgres_url, monkeypatch, caplog
):
    _publish(postgres_url, "run_a", first=True)
    before = _live(postgres_url)
    _bound_the_switch(monkeypatch, attempts=3)
    late = _LateReader(postgres_url)
    stages: list[str] = []

    def stage(name: str) -> None:
        stages.append(name)
        late.stage(name)

    with caplog.at_level(logging.WARNING), _analyst(postgres_url) as (analyst, pid):
        with pytest.raises(SwitchBlockedError) as raised:
            _publish(postgres_url, "run_b", stage=stage)
        late.join()
        # The analyst's transaction was never cut: it still reads the version it started on.
        assert analyst.execute(
            f"select count(*) from {CORE_SCHEMA}.fact_election_results"  # noqa: S608 - fixed names
        ).fetchone() == (ROWS,)
        analyst.rollback()

    message = str(raised.value)
    for words in (
        "table fact_election_results open in a transaction since",
        f"pid {pid}",
        f"application {ANALYST}",
        "through 3 attempts",
        "The previous version stays live",
        f"pg_terminate_backend({pid})",
    ):
        assert words in message
    # Each wait was reported with its blocker; the third timeout ended the publish.
    waits = _warnings(caplog)
    assert len(waits) == 2 and stages.count("waiting for readers") == 2
    assert all(w.startswith("the switch waited for readers: a session has held") for w in waits)
    assert all(f"pid {pid}, application {ANALYST}" in w for w in waits)
    assert waits[0].endswith("retrying in 0.5 s (2 of 3)")
    assert "switched" not in stages
    # A reader arriving while the switch waited was held back no longer than its lock timeout.
    assert late.error is None and late.count == ROWS
    assert _live(postgres_url) == before
    assert BUILD_SCHEMA not in before["schemas"] | _live(postgres_url)["schemas"]

    # Nothing is left holding the next publish.
    _publish(postgres_url, "run_c")
    assert _live(postgres_url)["facts"] == (ROWS, "run_c", "run_c")


def test_the_switch_goes_through_once_the_reader_commits_during_the_retries(
    postgres_url, monkeypatch, caplog
):
    _publish(postgres_url, "run_a", first=True)
    _bound_the_switch(monkeypatch, attempts=5)
    stages: list[str] = []

    with caplog.at_level(logging.WARNING), _analyst(postgres_url) as (analyst, pid):
        committed = threading.Thread(target=analyst.commit)

        def stage(name: str) -> None:
            stages.append(name)
            if name == "waiting for readers" and not committed.ident:
                committed.start()  # the analyst finishes while the switch pauses

        summary = _publish(postgres_url, "run_b", stage=stage)
        if committed.ident:
            committed.join(timeout=10)

    assert summary.run_id == "run_b"
    waits = _warnings(caplog)
    assert 1 <= len(waits) < 5
    assert f"pid {pid}, application {ANALYST}" in waits[0]
    assert stages[-2:] == ["switched", "published"]
    live = _live(postgres_url)
    assert live["facts"] == (ROWS, "run_b", "run_b")
    assert RETIRED_SCHEMA not in live["schemas"]


def test_an_analyst_who_joins_a_table_the_switch_took_keeps_their_answer(
    postgres_url, monkeypatch, caplog
):
    """The analyst holds the facts (read in an open transaction); the switch takes the tables
    before them (`dim_region` first) and waits for the facts; the analyst then joins the
    regions, and so waits on the switch. PostgreSQL ends one of the two waits as a deadlock:
    the switch's, which began first. The switch steps back, and goes through once the analyst
    has their answer and commits."""
    _publish(postgres_url, "run_a", first=True)
    regions = _live_regions(postgres_url)
    _bound_the_switch(monkeypatch, attempts=5)
    # Longer than PostgreSQL's deadlock_timeout (1 s): the deadlock ends the wait, not this.
    monkeypatch.setattr(publish_postgres, "SWITCH_LOCK_TIMEOUT_S", 10.0)
    answered: dict[str, object] = {}

    with caplog.at_level(logging.WARNING), _analyst(postgres_url) as (analyst, _pid):

        def join_the_regions() -> None:
            if not _until_the_publisher_waits(postgres_url):
                answered["error"] = "the publisher never waited for a lock"
                return
            try:
                answered["regions"] = analyst.execute(
                    f"select count(*) from {CORE_SCHEMA}.dim_region"  # noqa: S608 - fixed names
                ).fetchone()[0]
                analyst.commit()
            except psycopg.Error as error:
                answered["error"] = f"{type(error).__name__}: {error}"

        joining = threading.Thread(target=join_the_regions)

        def stage(name: str) -> None:
            if name == "swapping":
                joining.start()

        summary = _publish(postgres_url, "run_b", stage=stage)
        joining.join(timeout=SAFETY_S)

    assert answered == {"regions": regions}
    assert summary.run_id == "run_b"
    assert 1 <= len(_warnings(caplog)) < 5
    assert _live(postgres_url)["facts"] == (ROWS, "run_b", "run_b")


def _live_regions(url: str) -> int:
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        return connection.execute(
            f"select count(*) from {CORE_SCHEMA}.dim_region"  # noqa: S608 - fixed names
        ).fetchone()[0]


class _EndSwitchConnection:
    """Terminates the publisher's connection once the switch has committed, as the first
    statement after it (dropping the previous version's tables) starts: that statement finds
    the connection gone. (The engine replaces a connection ended while pooled, so ending it
    any earlier would leave nothing to fail.)"""

    def __init__(self, url: str) -> None:
        self.url = url
        self.switched = False
        self.terminated: list[int] = []

    def before_execute(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not isinstance(cursor.connection, psycopg.Connection):
            return  # also Dagster's own SQLite storage, in a run
        if "RENAME TO" in statement and statement.rstrip().endswith(CORE_SCHEMA):
            self.switched = True
        elif self.switched and "DROP SCHEMA" in statement and RETIRED_SCHEMA in statement:
            self.switched = False
            pid = cursor.connection.info.backend_pid
            _terminate(self.url, pid)
            self.terminated.append(pid)


@contextmanager
def _ending_switch_connections(url: str, target) -> Iterator[_EndSwitchConnection]:
    """`target`: an engine, or the Engine class (every engine of a Dagster run)."""
    hook = _EndSwitchConnection(url)
    sa.event.listen(target, "before_cursor_execute", hook.before_execute)
    try:
        yield hook
    finally:
        sa.event.remove(target, "before_cursor_execute", hook.before_execute)


def test_a_connection_ended_after_the_switch_committed_is_a_warning_not_a_failure(
    postgres_url, caplog
):
    _publish(postgres_url, "run_a", first=True)
    engine = make_engine(_publisher_url(postgres_url))
    stages: list[str] = []
    try:
        with (
            caplog.at_level(logging.WARNING),
            _ending_switch_connections(postgres_url, engine) as hook,
        ):
            summary = _publish(postgres_url, "run_b", stage=stages.append, engine=engine)
    finally:
        engine.dispose()
    assert len(hook.terminated) == 1
    assert summary.run_id == "run_b" and summary.table_rows["fact_election_results"] == ROWS
    assert stages[-2:] == ["switched", "published"]
    assert _warnings(caplog) == [
        f"the new version is live, but the previous version's tables (schema {RETIRED_SCHEMA}) "
        "were not dropped: the connection to the database was lost. They will be at the next "
        "publish."
    ]
    live = _live(postgres_url)
    assert live["facts"] == (ROWS, "run_b", "run_b")
    assert live["audit_runs"] == ["run_a", "run_b"]
    assert RETIRED_SCHEMA in live["schemas"]

    # The next publish drops what was left.
    _publish(postgres_url, "run_c")
    assert RETIRED_SCHEMA not in _live(postgres_url)["schemas"]


def _losing_the_commit(monkeypatch, engine: sa.Engine, url: str, committed: bool) -> list[int]:
    """The switch's commit (the publish's first) loses its connection: after the server
    committed (`committed`), or before the COMMIT reached it."""
    real = engine.dialect.do_commit
    lost: list[int] = []

    def commit(fairy) -> None:
        if lost:
            return real(fairy)
        lost.append(fairy.driver_connection.info.backend_pid)
        if committed:
            real(fairy)
            _terminate(url, lost[0])
            fairy.driver_connection.execute("select 1")  # the client learns it is gone
        else:
            _terminate(url, lost[0])
            real(fairy)

    monkeypatch.setattr(engine.dialect, "do_commit", commit)
    return lost


def test_a_commit_that_lost_its_connection_but_went_through_is_reported_live(
    postgres_url, monkeypatch, caplog
):
    _publish(postgres_url, "run_a", first=True)
    engine = make_engine(_publisher_url(postgres_url))
    try:
        lost = _losing_the_commit(monkeypatch, engine, postgres_url, committed=True)
        with caplog.at_level(logging.WARNING):
            summary = _publish(postgres_url, "run_b", engine=engine)
    finally:
        engine.dispose()
    assert lost and summary.run_id == "run_b"
    assert _warnings(caplog) == [
        "the connection to the database was lost as the switch committed; the database "
        "confirms that the new version is live."
    ]
    live = _live(postgres_url)
    assert live["facts"] == (ROWS, "run_b", "run_b")
    assert RETIRED_SCHEMA not in live["schemas"]  # the publish went on to drop it


def test_a_commit_that_lost_its_connection_and_did_not_happen_fails_plainly(
    postgres_url, monkeypatch
):
    _publish(postgres_url, "run_a", first=True)
    before = _live(postgres_url)
    engine = make_engine(_publisher_url(postgres_url))
    try:
        lost = _losing_the_commit(monkeypatch, engine, postgres_url, committed=False)
        with pytest.raises(SwitchLostError) as raised:
            _publish(postgres_url, "run_b", engine=engine)
    finally:
        engine.dispose()
    assert lost
    assert str(raised.value) == (
        "the connection to the database was lost while the switch committed, and the "
        "database confirms that it did not: the previous version stays live and nothing of "
        "this run was published. Run the publish again."
    )
    assert _live(postgres_url) == before


def test_in_a_run_the_checks_and_export_follow_a_switch_whose_connection_ended(
    postgres_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("ODC_WAREHOUSE_URL", postgres_url)
    settings = make_settings(tmp_path)
    registry = load_registry(settings.registry_path)
    job = build_definitions(settings, registry).resolve_job_def(ALL_ASSETS_JOB)
    instance = dg.DagsterInstance.ephemeral()
    with _ending_switch_connections(postgres_url, sa.Engine) as hook:
        _, night = execute_every_year(
            registry, lambda **run: execute_capturing(job, instance=instance, **run)
        )
    assert hook.terminated
    assert night.success
    checks = [(e.check_name, e.passed) for e in night.get_asset_check_evaluations()]
    assert ("load_audit_balances", True) in checks
    assert ("great_expectations_suite", True) in checks
    assert all(passed for _, passed in checks), checks
    materialized = {e.asset_key.to_user_string() for e in night.get_asset_materialization_events()}
    assert "open_data_package" in materialized
    messages = [entry.user_message for entry in instance.all_logs(night.run_id)]
    assert any(
        m.startswith("the new version is live, but the previous version's tables") for m in messages
    )


def test_readers_of_the_engine_reconnect_after_its_connections_were_ended(postgres_url):
    """What follows a publish (the run's summary and report) reads with the engine the
    publish used; a connection the server ended meanwhile is replaced, not reused dead."""
    engine = make_engine(_publisher_url(postgres_url))
    try:
        _publish(postgres_url, "run_a", first=True, engine=engine)
        with psycopg.connect(_libpq(postgres_url), autocommit=True) as admin:
            pids = [
                row[0]
                for row in admin.execute(
                    "select pid from pg_stat_activity where application_name = %s", [PUBLISHER]
                )
            ]
        assert pids, "the publish left no pooled connection to end"
        for pid in pids:
            _terminate(postgres_url, pid)
        lines = run_summary(engine, "run_a")
    finally:
        engine.dispose()
    assert [(line.source_id, line.rows_published) for line in lines] == [("results_a", ROWS)]
