"""Publishing to PostgreSQL: a new schema built and renamed in place of the live one, or the
live one patched in place, in one transaction.

The version is built in `odc_build` (rows loaded with COPY, indexed once full), then the live
schema is renamed away and the build renamed in its place. A run that replaced a small share
of the rows loads only them into `odc_build` and patches the live schema with them instead
(`patching_postgres`). Each audience gets a schema of filtered views with its own role
(`postgres_access`).

The switch needs every live table to itself for an instant, so it waits for readers still
inside a transaction on the old tables, and new readers queue behind it. Both waits are
bounded: the switch gives up its place after `SWITCH_LOCK_TIMEOUT_S`, lets the queue through,
and tries again, `SWITCH_ATTEMPTS` times in all; an analyst idle in a transaction can neither
hold the night's publish for ever nor, through it, every other reader. Each wait names the
session it waited for, as a warning of the run.

Once the switch has committed the new version is live, whatever happens to the connection
next: a later step that fails (dropping the old tables) is a warning, not a failed publish,
so the checks and exports that read the live version still run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import pandas as pd
import psycopg
from sqlalchemy import Engine, bindparam, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from odc_pipeline.warehouse.audiences import audiences_for
from odc_pipeline.warehouse.batches import SourceBatch
from odc_pipeline.warehouse.catalog import Catalog
from odc_pipeline.warehouse.engine import CORE_SCHEMA
from odc_pipeline.warehouse.loading import copy_frame, create_tables
from odc_pipeline.warehouse.patching_postgres import patch_live, worth_patching
from odc_pipeline.warehouse.postgres_access import (
    AUDIENCE_MARKER,
    check_role_prefix,
    create_audience_schemas,
    drop_audience_schemas,
)
from odc_pipeline.warehouse.publish import (
    PublishSummary,
    Stage,
    complete_version,
    load_run,
    previous_columns,
)
from odc_pipeline.warehouse.schema import warehouse_tables

#: The schema being built and the one just replaced (the live one is CORE_SCHEMA).
BUILD_SCHEMA = "odc_build"
RETIRED_SCHEMA = "odc_retired"
#: Key of the advisory lock that keeps two publishers of one database from overlapping.
_PUBLISH_LOCK_KEY = 7_201_926_011

#: Longest wait for one table a reader holds; also the longest a new reader queues behind the
#: switch, since the switch steps back when its wait times out.
SWITCH_LOCK_TIMEOUT_S = 5.0
#: Pause between attempts, for the reader to finish; readers run freely meanwhile.
SWITCH_RETRY_PAUSE_S = 15.0
#: Attempts before the publish gives up (about 2.5 minutes in all), the previous version live:
#: long enough for an analyst's long query, short enough that an abandoned session fails the
#: night with its name instead of stalling it.
SWITCH_ATTEMPTS = 8
#: How long to wait for the server to settle a switch whose commit lost its connection.
_OUTCOME_WAIT_S = 30.0
#: SQLSTATE of a lock wait cut short by lock_timeout.
_LOCK_NOT_AVAILABLE = "55P03"
#: SQLSTATE of a lock wait PostgreSQL ended because a reader waited on the switch in turn.
_DEADLOCK_DETECTED = "40P01"
#: What makes the switch step back and try again: a reader holds a table it needs.
_READER_IN_THE_WAY = frozenset({_LOCK_NOT_AVAILABLE, _DEADLOCK_DETECTED})

_LOG = logging.getLogger(__name__)


class SwitchBlockedError(RuntimeError):
    """A reader held the live tables through every attempt; the previous version stays live."""


class SwitchLostError(RuntimeError):
    """The connection was lost while the switch committed, and it did not (or may not) have."""


def publish_postgres(
    engine: Engine,
    regions: pd.DataFrame | None,
    batches: Iterable[SourceBatch],
    run_id: str,
    catalog: Catalog | None,
    role_prefix: str,
    stage: Stage,
) -> PublishSummary:
    check_role_prefix(role_prefix)
    audiences = audiences_for([o.organization_id for o in catalog.organizations]) if catalog else []
    transaction_id, committing = None, False
    try:
        with engine.begin() as connection:
            quote = connection.dialect.identifier_preparer.quote
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PUBLISH_LOCK_KEY}
            )
            connection.execute(text(f"DROP SCHEMA IF EXISTS {quote(RETIRED_SCHEMA)} CASCADE"))
            connection.execute(text(f"DROP SCHEMA IF EXISTS {quote(BUILD_SCHEMA)} CASCADE"))
            inspector = inspect(connection)
            has_core = CORE_SCHEMA in inspector.get_schema_names()
            previous_tables = (
                previous_columns(inspector, CORE_SCHEMA, f"schema {CORE_SCHEMA}")
                if has_core
                else {}
            )
            stage("building")
            connection.execute(text(f"CREATE SCHEMA {quote(BUILD_SCHEMA)}"))
            connection.execute(text(f"SET LOCAL search_path TO {quote(BUILD_SCHEMA)}"))
            create_tables(connection)
            loaded = load_run(regions, batches, run_id, partial(copy_frame, connection), stage)
            patched = bool(previous_tables) and worth_patching(
                connection, loaded, CORE_SCHEMA, BUILD_SCHEMA
            )
            if patched:
                table_rows = patch_live(
                    connection,
                    loaded,
                    run_id,
                    catalog,
                    regions is not None,
                    stage,
                    live=CORE_SCHEMA,
                    build=BUILD_SCHEMA,
                )
            else:
                table_rows = complete_version(
                    connection,
                    loaded,
                    CORE_SCHEMA if previous_tables else None,
                    previous_tables,
                    run_id,
                    catalog,
                    regions_loaded=regions is not None,
                    stage=stage,
                )
                _analyze(connection)  # a patch's, once it has committed (`_analyze_live`)
            stage("swapping")
            switch = (
                partial(_hold_readers, connection, previous_tables)
                if patched
                else partial(_rename_into_place, connection, previous_tables, has_core)
            )
            _switch_waiting_for_readers(connection, switch, stage)
            connection.execute(text(f"SET LOCAL search_path TO {quote(CORE_SCHEMA)}"))
            if audiences:
                stage("granting audiences")
                create_audience_schemas(connection, audiences, CORE_SCHEMA, role_prefix)
            # Known before the commit, so that a commit whose answer is lost can be settled.
            transaction_id = connection.execute(
                text("SELECT pg_current_xact_id()::text")
            ).scalar_one()
            committing = True
    except DBAPIError as error:
        if not committing:
            raise
        _settle_lost_commit(engine, transaction_id, run_id, error)
    # The new version is live: nothing from here on may report the publish as failed.
    stage("switched")
    if patched:
        _analyze_live(engine)
    _drop_retired(engine)
    stage("published")
    return PublishSummary(
        run_id=run_id,
        table_rows=table_rows,
        per_source=loaded.per_source,
        audiences={a.name: a.schema for a in audiences},
    )


def _hold_readers(connection: Connection, previous_tables: dict[str, set[str]]) -> None:
    """Wait for readers still inside a transaction on the live tables, and hold new ones back
    until the switch commits: a reader's transaction then sees one version only. The
    audiences' views are dropped, to be made again over the new version."""
    quote = connection.dialect.identifier_preparer.quote
    if previous_tables:
        locked = ", ".join(f"{quote(CORE_SCHEMA)}.{quote(name)}" for name in previous_tables)
        connection.execute(text(f"LOCK TABLE {locked} IN ACCESS EXCLUSIVE MODE"))
    drop_audience_schemas(connection)


def _rename_into_place(
    connection: Connection, previous_tables: dict[str, set[str]], has_core: bool
) -> None:
    """The switch: the live schema renamed aside, the one built renamed in its place."""
    quote = connection.dialect.identifier_preparer.quote
    _hold_readers(connection, previous_tables)
    if has_core:
        connection.execute(
            text(f"ALTER SCHEMA {quote(CORE_SCHEMA)} RENAME TO {quote(RETIRED_SCHEMA)}")
        )
    connection.execute(text(f"ALTER SCHEMA {quote(BUILD_SCHEMA)} RENAME TO {quote(CORE_SCHEMA)}"))


def _switch_waiting_for_readers(
    connection: Connection, switch: Callable[[], None], stage: Stage
) -> None:
    """Run `switch` with a lock timeout, retried after a pause while readers hold the tables.

    Each attempt is a savepoint: a timed-out one is rolled back to it, releasing the locks it
    took (and the readers queued behind them), while the version built stays intact. So is
    one PostgreSQL ends as a deadlock: a reader that holds one table (`fact_election_results`)
    and then asks for another the switch already took (`JOIN dim_region`) waits on the switch
    while the switch waits on it, and the switch, waiting longer, is the one cancelled.
    """
    _set_lock_timeout(connection)  # until the commit: audience schemas too
    for attempt in range(1, SWITCH_ATTEMPTS + 1):
        savepoint = connection.begin_nested()
        try:
            switch()
        except (DBAPIError, psycopg.Error) as error:
            if _sqlstate(error) not in _READER_IN_THE_WAY:
                raise
            savepoint.rollback()
            blocker = _blocker(connection)
            if attempt == SWITCH_ATTEMPTS:
                raise SwitchBlockedError(_gave_up(blocker)) from None
            stage("waiting for readers")
            _LOG.warning(
                "the switch waited for readers: %s; retrying in %s s (%d of %d)",
                _holder(blocker),
                f"{SWITCH_RETRY_PAUSE_S:g}",
                attempt + 1,
                SWITCH_ATTEMPTS,
            )
            time.sleep(SWITCH_RETRY_PAUSE_S)
        else:
            savepoint.commit()
            return


def _set_lock_timeout(connection: Connection) -> None:
    """SET LOCAL lock_timeout, with the value passed as a parameter rather than as text."""
    connection.execute(
        text("SELECT set_config('lock_timeout', :value, true)"),
        {"value": f"{round(SWITCH_LOCK_TIMEOUT_S * 1000)}ms"},
    )


def _sqlstate(error: BaseException) -> str | None:
    return getattr(getattr(error, "orig", error), "sqlstate", None)


@dataclass(frozen=True)
class _Blocker:
    """The session the switch waited for: who, since when, on which table. Never its query
    text, which may hold personal data."""

    pid: int
    application: str
    user: str | None
    since: datetime | None
    table: str
    running: bool
    others: int

    def __str__(self) -> str:
        if self.since is None:
            when = ""  # another user's session, seen without the right to read its times
        elif self.since.astimezone().date() == datetime.now().astimezone().date():
            when = f" since {self.since.astimezone():%H:%M}"
        else:
            when = f" since {self.since.astimezone():%Y-%m-%d %H:%M}"
        holding = (
            f"a query running{when} reads table {self.table}"
            if self.running
            else f"a session has held table {self.table} open in a transaction{when}"
        )
        who = ", ".join(
            [
                f"pid {self.pid}",
                f"application {self.application}" if self.application else "no application name",
                *([f"user {self.user}"] if self.user else []),
            ]
        )
        more = {0: "", 1: "; 1 other session too"}.get(
            self.others, f"; {self.others} other sessions too"
        )
        return f"{holding} ({who}){more}"


def _blocker(connection: Connection) -> _Blocker | None:
    """The oldest other session holding a lock on a table or view of the warehouse's schemas
    (found in pg_locks: the switch's own request is gone once it timed out)."""
    # pg_stat_activity is read once per transaction unless told otherwise.
    connection.execute(text("SELECT pg_stat_clear_snapshot()"))
    rows = connection.execute(
        text(
            """
            SELECT a.pid, a.application_name, a.usename, a.xact_start, a.state, c.relname
            FROM pg_locks l
            JOIN pg_class c ON c.oid = l.relation
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid()
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND c.relkind IN ('r', 'p', 'v', 'm')
              AND (n.nspname IN :schemas OR obj_description(n.oid, 'pg_namespace') = :marker)
            ORDER BY a.xact_start NULLS LAST, a.pid, c.relname
            """
        ).bindparams(bindparam("schemas", expanding=True)),
        {"schemas": [CORE_SCHEMA, RETIRED_SCHEMA], "marker": AUDIENCE_MARKER},
    ).all()
    if not rows:
        return None
    first = rows[0]
    return _Blocker(
        pid=first.pid,
        application=first.application_name or "",
        user=first.usename,
        since=first.xact_start,
        table=first.relname,
        running=first.state == "active",
        others=len({r.pid for r in rows}) - 1,
    )


def _holder(blocker: _Blocker | None) -> str:
    if blocker is None:
        return "a session held the warehouse's tables (it let go just after)"
    return str(blocker)


def _gave_up(blocker: _Blocker | None) -> str:
    waited = SWITCH_ATTEMPTS * SWITCH_LOCK_TIMEOUT_S + (SWITCH_ATTEMPTS - 1) * SWITCH_RETRY_PAUSE_S
    end = (
        f"SELECT pg_terminate_backend({blocker.pid}) as a database administrator"
        if blocker
        else "pg_terminate_backend as a database administrator"
    )
    return (
        f"the new version was not switched in: {_holder(blocker)}, through {SWITCH_ATTEMPTS} attempts "
        f"over {waited:g} s. The previous version stays live and nothing of this run was "
        "published. Ask whoever uses that session to commit or close it (an open transaction "
        f"in psql, a notebook or a database tool), or end it with {end}; then run the "
        "publish again."
    )


def _settle_lost_commit(
    engine: Engine, transaction_id: str | None, run_id: str, error: DBAPIError
) -> None:
    """The commit of the switch failed: find out on a fresh connection whether it happened.

    A connection lost while committing leaves the outcome unknown to us, not to the server:
    pg_xact_status tells whether the switch's transaction committed. Returns if it did (the
    publish goes on); raises otherwise, saying what is live.
    """
    status = _transaction_status(engine, transaction_id)
    cause = _plain_cause(error)
    if status == "committed":
        _LOG.warning(
            "%s as the switch committed; the database confirms that the new version is live.",
            cause,
        )
        return
    if status == "aborted":
        raise SwitchLostError(
            f"{cause} while the switch committed, and the database confirms that it did not: "
            "the previous version stays live and nothing of this run was published. Run the "
            "publish again."
        ) from error
    raise SwitchLostError(
        f"{cause} while the switch committed, and the database could not say whether it did: "
        "the warehouse holds either the previous version or this run's, whole. This run's is "
        f"live if load_audit in schema {CORE_SCHEMA} has rows of run {run_id}; in doubt, run "
        "the publish again."
    ) from error


def _transaction_status(engine: Engine, transaction_id: str | None) -> str | None:
    """'committed' or 'aborted', or None if the server cannot be asked or has not decided
    within `_OUTCOME_WAIT_S` (its backend may still be finishing the commit)."""
    if transaction_id is None:
        return None
    deadline = time.monotonic() + _OUTCOME_WAIT_S
    while True:
        try:
            with engine.connect() as check:
                status = check.execute(
                    text("SELECT pg_xact_status(CAST(:xid AS xid8))"), {"xid": transaction_id}
                ).scalar_one()
        except SQLAlchemyError:
            status = None
        if status in ("committed", "aborted"):
            return status
        if time.monotonic() > deadline:
            return None
        time.sleep(0.5)


def _analyze(connection: Connection, schema: str | None = None) -> None:
    """Refresh the planner's statistics of every table in `schema` (else the search path's)."""
    quote = connection.dialect.identifier_preparer.quote
    prefix = f"{quote(schema)}." if schema else ""
    for table in warehouse_tables():
        connection.execute(text(f"ANALYZE {prefix}{quote(table.name)}"))


def _analyze_live(engine: Engine) -> None:
    """Refresh the live tables' statistics after a patch has committed, not before: PostgreSQL
    writes a table's row estimate in place, so an ANALYZE inside a publish that then failed
    would leave the live tables with the estimates of rows they never held. Statistics a
    little behind slow a question, never change its answer."""
    _after_the_switch(
        engine,
        partial(_analyze, schema=CORE_SCHEMA),
        "its statistics were not refreshed: %s. PostgreSQL's autovacuum refreshes them in time.",
    )


def _after_the_switch(engine: Engine, work: Callable[[Connection], None], undone: str) -> None:
    """`work` on the live version, in a transaction of its own after the switch, with the
    switch's lock timeout (a session still reading must not hold the publish). The new
    version is live by now, so a failure is a warning: `undone` says what was left, with a
    %s for the cause in plain words."""
    try:
        with engine.begin() as connection:
            _set_lock_timeout(connection)
            work(connection)
    except SQLAlchemyError as error:
        _LOG.warning(f"the new version is live, but {undone}", _plain_cause(error))


def _drop_retired(engine: Engine) -> None:
    """Drop the previous version after the switch; tables left over (a failure here) are
    dropped at the start of the next publish."""
    _after_the_switch(
        engine,
        _drop_retired_schema,
        f"the previous version's tables (schema {RETIRED_SCHEMA}) were not dropped: %s. "
        "They will be at the next publish.",
    )


def _drop_retired_schema(connection: Connection) -> None:
    quote = connection.dialect.identifier_preparer.quote
    connection.execute(text(f"DROP SCHEMA IF EXISTS {quote(RETIRED_SCHEMA)} CASCADE"))


def _plain_cause(error: BaseException) -> str:
    """What went wrong with the database, in plain words (the driver's text is for logs)."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return "the connection to the database was lost"
    if _sqlstate(error) == _LOCK_NOT_AVAILABLE:
        return f"a session still had them open after {SWITCH_LOCK_TIMEOUT_S:g} s"
    state = _sqlstate(error)
    return (
        f"the database refused (SQLSTATE {state})" if state else "the database could not be reached"
    )
