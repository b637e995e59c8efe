"""Atomic publishing: a publisher killed with SIGKILL at any stage leaves the previous version
readable and intact, on SQLite and on PostgreSQL, and readers never see two versions mixed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

from odc_pipeline.warehouse.engine import CORE_SCHEMA, make_engine
from odc_pipeline.warehouse.patching_postgres import PREVIOUS_SCHEMA, SHAPE_SCHEMA
from odc_pipeline.warehouse.publish_postgres import BUILD_SCHEMA
from odc_pipeline.warehouse.publish_sqlite import SHARED_FOLDER
from odc_pipeline.warehouse.versions import BUILDING_MARK

#: Slow: killed publishers run in subprocesses, on SQLite and PostgreSQL.
pytestmark = pytest.mark.slow

FIRST_ROWS = 30_000
#: Big enough that loading takes a noticeable while, small enough for the suite.
SECOND_ROWS = 120_000


def _publish(url: str, run_id: str, rows: int, pause_at: str | None = None, *options: str):
    command = [sys.executable, "-m", "odc_pipeline_tests.publish_worker", url, run_id, str(rows)]
    if pause_at:
        command.append(pause_at)
    command += options
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _publish_and_wait(url: str, run_id: str, rows: int, *options: str) -> None:
    process = _publish(url, run_id, rows, None, *options)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert out.strip().endswith("done")


def _kill_at(url: str, run_id: str, rows: int, stage: str, *options: str) -> list[str]:
    """Start a publisher, wait until it reaches `stage`, SIGKILL it; the stages it printed."""
    process = _publish(url, run_id, rows, stage, *options)
    seen = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = process.stdout.readline().strip()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if line.startswith(stage):
            break
    assert seen and seen[-1].startswith(stage), (seen, process.stderr.read())
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return seen


def _activity(url: str) -> list:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "select datname, pid, state, wait_event, left(query, 60) from pg_stat_activity "
                "where application_name = 'odc_kill'"
            )
        ).all()
    engine.dispose()
    return rows


def _state(url: str) -> dict:
    """What a reader sees: rows and run ids of the facts, and the audit's runs."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            facts = connection.execute(
                sa.text(
                    "select count(*), min(run_id), max(run_id), sum(votes) "
                    "from fact_election_results join dim_load using (source_id, load_id)"
                )
            ).one()
            runs = connection.execute(
                sa.text("select run_id from load_audit order by loaded_at")
            ).scalars()
            return {
                "facts": tuple(facts),
                "audit_runs": list(runs),
                "regions": connection.execute(
                    sa.text("select count(*) from dim_region")
                ).scalar_one(),
                "views": connection.execute(
                    sa.text("select count(*) from region_summary where level = 1")
                ).scalar_one(),
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "stage", ["loading results_a", "indexing", "building audience public", "swapping"]
)
def test_sqlite_publisher_killed_mid_way_leaves_the_previous_version(tmp_path, stage):
    database = tmp_path / "warehouse.sqlite"
    url = f"sqlite:///{database}"
    _publish_and_wait(url, "run_one", FIRST_ROWS)
    before = _state(url)
    public_file = tmp_path / SHARED_FOLDER / "public.sqlite"
    public_before = public_file.read_bytes()
    assert before["facts"][:3] == (FIRST_ROWS, "run_one", "run_one")

    seen = _kill_at(url, "run_two", SECOND_ROWS, stage)
    assert "published" not in seen
    leftovers = [p.name for p in tmp_path.rglob(f"{BUILDING_MARK}*")]
    assert leftovers, "the killed run left its half-built file beside the live one"

    assert _state(url) == before
    with sqlite3.connect(database) as check:
        assert check.execute("pragma integrity_check").fetchone() == ("ok",)
    check.close()
    assert public_file.read_bytes() == public_before

    # The next run cleans up and publishes.
    _publish_and_wait(url, "run_three", FIRST_ROWS)
    after = _state(url)
    assert after["facts"][:3] == (FIRST_ROWS, "run_three", "run_three")
    assert after["audit_runs"] == ["run_one", "run_three"]
    assert [p.name for p in tmp_path.rglob(f"{BUILDING_MARK}*")] == []


def test_sqlite_publisher_killed_while_patching_leaves_the_previous_version(tmp_path):
    """A night that replaces one source of five patches a copy of the live file: killed while
    it replaces that source's rows, the live files stay as they were and the next night
    publishes."""
    stage = "replacing the changed sources"
    database = tmp_path / "warehouse.sqlite"
    url = f"sqlite:///{database}"
    _publish_and_wait(url, "run_one", FIRST_ROWS, "--others", "4", "--load-others")
    before = _state(url)
    public_before = (tmp_path / SHARED_FOLDER / "public.sqlite").read_bytes()
    assert before["facts"][0] == 5 * FIRST_ROWS

    seen = _kill_at(url, "run_two", FIRST_ROWS, stage, "--others", "4")
    assert "indexing" not in seen and "published" not in seen
    assert [p.name for p in tmp_path.rglob(f"{BUILDING_MARK}*")]
    assert _state(url) == before
    assert (tmp_path / SHARED_FOLDER / "public.sqlite").read_bytes() == public_before

    _publish_and_wait(url, "run_three", FIRST_ROWS, "--others", "4")
    after = _state(url)
    assert after["facts"][:3] == (5 * FIRST_ROWS, "run_one", "run_three")
    assert after["audit_runs"] == ["run_one"] * 5 + ["run_three"]
    assert [p.name for p in tmp_path.rglob(f"{BUILDING_MARK}*")] == []


@pytest.mark.parametrize("stage", ["loading results_a", "indexing", "swapping"])
def test_postgres_publisher_killed_mid_way_leaves_the_previous_version(postgres_url, stage):
    url = sa.engine.make_url(postgres_url).update_query_dict({"application_name": "odc_kill"})
    url = url.render_as_string(hide_password=False)
    _publish_and_wait(url, "run_one", FIRST_ROWS)
    before = _state(url)
    assert before["facts"][:3] == (FIRST_ROWS, "run_one", "run_one")

    _kill_at(url, "run_two", SECOND_ROWS, stage)
    schemas = _schemas_once_rolled_back(postgres_url)
    assert CORE_SCHEMA in schemas and BUILD_SCHEMA not in schemas
    assert {"public_data", "members_data", "private_org_a"} <= schemas
    assert _state(url) == before

    _publish_and_wait(url, "run_three", FIRST_ROWS)
    assert _state(url)["audit_runs"] == ["run_one", "run_three"]


def test_postgres_publisher_killed_while_patching_leaves_the_previous_version(postgres_url):
    """A night that replaces one source of five patches the live schema in place: killed
    after the patch, as it switches, the live tables are as they were, down to the planner's
    row estimates (written in place by ANALYZE, so refreshed only after the commit), and the
    next night publishes."""
    url = sa.engine.make_url(postgres_url).update_query_dict({"application_name": "odc_kill"})
    url = url.render_as_string(hide_password=False)
    _publish_and_wait(url, "run_one", FIRST_ROWS, "--others", "4", "--load-others")
    before = _state(url)
    assert before["facts"][0] == 5 * FIRST_ROWS
    estimated = _estimated_rows(postgres_url)
    assert estimated == 5 * FIRST_ROWS

    seen = _kill_at(url, "run_two", FIRST_ROWS // 2, "swapping", "--others", "4")
    assert "replacing the changed sources' rows" in seen and "indexing" not in seen
    schemas = _schemas_once_rolled_back(postgres_url)
    assert {CORE_SCHEMA, "public_data"} <= schemas
    assert not {BUILD_SCHEMA, PREVIOUS_SCHEMA, SHAPE_SCHEMA} & schemas
    assert _state(url) == before
    assert _estimated_rows(postgres_url) == estimated

    _publish_and_wait(url, "run_three", FIRST_ROWS, "--others", "4")
    after = _state(url)
    assert after["facts"][:3] == (5 * FIRST_ROWS, "run_one", "run_three")
    assert after["audit_runs"] == ["run_one"] * 5 + ["run_three"]


def _estimated_rows(postgres_url: str) -> int:
    """The planner's row estimate of the live results table (pg_class.reltuples)."""
    admin = sa.create_engine(postgres_url)
    with admin.connect() as connection:
        estimate = connection.execute(
            sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:name)"),
            {"name": f"{CORE_SCHEMA}.fact_election_results"},
        ).scalar_one()
    admin.dispose()
    return int(estimate)


def _schemas_once_rolled_back(postgres_url: str) -> set[str]:
    """The database's schemas once the server has rolled the killed client's transaction
    back (it does once it sees the socket close)."""
    admin = sa.create_engine(postgres_url)
    try:
        deadline = time.monotonic() + 30
        with admin.connect() as connection:
            while time.monotonic() < deadline:
                busy = connection.execute(
                    sa.text(
                        "select count(*) from pg_stat_activity where application_name = 'odc_kill'"
                    )
                ).scalar_one()
                connection.rollback()  # activity is a snapshot per transaction
                if not busy:
                    break
                time.sleep(0.2)
            schemas = set(connection.execute(sa.text("select nspname from pg_namespace")).scalars())
    finally:
        admin.dispose()
    assert busy == 0, _activity(postgres_url)
    return schemas


#: One statement reading both the facts and the audit: it must see one version of both.
_SNAPSHOT = """
select (select count(*) from fact_election_results),
       (select count(distinct run_id) from fact_election_results join dim_load using (source_id, load_id)),
       (select min(run_id) from fact_election_results join dim_load using (source_id, load_id)),
       (select run_id from load_audit order by loaded_at desc limit 1)
"""


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_readers_during_publishes_see_one_whole_version(tmp_path, postgres_url, database):
    """A reader polling while versions switch sees facts and audit of one and the same run:
    never rows of two runs, never an empty or half-loaded table."""
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}" if database == "sqlite" else postgres_url
    _publish_and_wait(url, "run_a", FIRST_ROWS)
    expected = {"run_a": FIRST_ROWS}
    observations: list[tuple] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        engine = (
            sa.create_engine(url, poolclass=sa.pool.NullPool)
            if database == "sqlite"
            else make_engine(url)
        )
        try:
            while not stop.is_set():
                with engine.connect() as connection:
                    observations.append(tuple(connection.execute(sa.text(_SNAPSHOT)).one()))
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            engine.dispose()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for run_id, rows in (("run_b", SECOND_ROWS), ("run_c", FIRST_ROWS // 2)):
            _publish_and_wait(url, run_id, rows)
            expected[run_id] = rows
    finally:
        stop.set()
        reader.join(timeout=60)
    assert not errors, errors
    assert len(observations) > 10
    for count, distinct_runs, run_id, last_audit in observations:
        assert distinct_runs == 1 and run_id == last_audit
        assert count == expected[run_id]
    assert {o[2] for o in observations} >= {"run_a", "run_c"}


def test_postgres_switch_waits_for_a_reader_inside_a_transaction(postgres_url):
    """A repeatable-read transaction that has read the warehouse keeps its version to the
    end: the publisher's switch waits for it instead of pulling the tables from under it."""
    _publish_and_wait(postgres_url, "run_a", FIRST_ROWS)
    engine = make_engine(postgres_url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as reader:
            first = tuple(reader.execute(sa.text(_SNAPSHOT)).one())
            publisher = _publish(postgres_url, "run_b", FIRST_ROWS // 2)
            stages = []
            while not stages or stages[-1] != "swapping":
                stages.append(publisher.stdout.readline().strip())
                assert stages[-1] or publisher.poll() is None, publisher.stderr.read()
            time.sleep(1.0)
            assert publisher.poll() is None  # waiting for this reader
            assert tuple(reader.execute(sa.text(_SNAPSHOT)).one()) == first
            reader.commit()
        out, err = publisher.communicate(timeout=120)
        assert publisher.returncode == 0, err
        assert "done" in out
        with engine.connect() as connection:
            assert tuple(connection.execute(sa.text(_SNAPSHOT)).one()) == (
                FIRST_ROWS // 2,
                1,
                "run_b",
                "run_b",
            )
    finally:
        engine.dispose()
    assert first == (FIRST_ROWS, 1, "run_a", "run_a")


def test_the_complete_file_and_every_audience_switch_as_one(tmp_path):
    """The names readers open are links through one pointer: whichever a reader opens, it
    is of the same version as the others. A folder an older release published (real files)
    is turned into links by the first publish."""
    database = tmp_path / "warehouse.sqlite"
    url = f"sqlite:///{database}"
    # An older release's layout: a real file and a real folder of audience files.
    (tmp_path / SHARED_FOLDER).mkdir()
    (tmp_path / SHARED_FOLDER / "public.sqlite").write_bytes(b"old")
    database.write_bytes(b"")
    _publish_and_wait(url, "run_one", FIRST_ROWS)
    for run in ("run_two", "run_three"):
        pointer = tmp_path / ".warehouse.sqlite.current"
        version = pointer.resolve()
        assert database.is_symlink() and (tmp_path / SHARED_FOLDER).is_symlink()
        assert database.resolve() == version / "warehouse.sqlite"
        assert (tmp_path / SHARED_FOLDER / "public.sqlite").resolve().parent == (
            version / SHARED_FOLDER
        )
        # Only the live version is kept.
        assert [p.resolve() for p in version.parent.iterdir()] == [version]
        _publish_and_wait(url, run, FIRST_ROWS)
        assert pointer.resolve() != version
    with closing(sqlite3.connect(tmp_path / SHARED_FOLDER / "public.sqlite")) as public:
        assert public.execute(
            "select max(run_id) from fact_election_results join dim_load using (source_id, load_id)"
        ).fetchone() == ("run_three",)


def test_killed_publish_files_are_hidden_and_removed(tmp_path):
    """Leftovers of a killed run never look like a warehouse to someone listing the folder."""
    database = tmp_path / "warehouse.sqlite"
    url = f"sqlite:///{database}"
    _kill_at(url, "run_one", FIRST_ROWS, "indexing")
    assert not database.exists()  # there was no previous version, and none appears
    assert all(p.name.startswith(".") for p in tmp_path.iterdir() if p.is_file())
    _publish_and_wait(url, "run_two", FIRST_ROWS)
    assert sorted(p.name for p in Path(tmp_path).iterdir() if not p.name.startswith(".")) == [
        SHARED_FOLDER,
        "warehouse.sqlite",
    ]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_publishers_at_once_take_turns(tmp_path, postgres_url, database):
    """Two publishes started together both finish, one after the other, and the result is
    exactly the later one's version with both in the audit."""
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}" if database == "sqlite" else postgres_url
    first = _publish(url, "run_x", FIRST_ROWS)
    second = _publish(url, "run_y", FIRST_ROWS // 2)
    for process in (first, second):
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    state = _state(url)
    assert sorted(state["audit_runs"]) == ["run_x", "run_y"]
    last = state["audit_runs"][-1]
    assert state["facts"][1:3] == (last, last)
    assert state["facts"][0] == (FIRST_ROWS if last == "run_x" else FIRST_ROWS // 2)
