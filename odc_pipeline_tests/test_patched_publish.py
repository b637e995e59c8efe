"""A night that replaced a small share of the warehouse patches a copy of the live file
instead of building every row again: what it publishes is row for row what a build from
empty publishes, a source the registry dropped leaves no byte behind, an analyst's table stays
in the complete file only, and a file an older release built is built from empty."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa

from odc_pipeline.regions.reference import load_reference
from odc_pipeline.warehouse import derivation, totals
from odc_pipeline.warehouse.publish import publish
from odc_pipeline.warehouse.publish_sqlite import SHARED_FOLDER
from odc_pipeline.warehouse.schema import load_audit, warehouse_tables
from odc_pipeline_tests.publish_worker import batch, catalog

SOURCES = [f"results_{n}" for n in range(6)]
ROWS = 3_000
#: Written into every row of the source the registry drops on the second night.
MARKER = "ROW-OF-A-DROPPED-SOURCE"
#: Columns that say only when, or in which run, a row was loaded.
WHEN = {"run_id", "loaded_at", "last_successful_load", "last_successful_run_id"}


def _night(path: Path, run_id: str, batches: list, sources: list[str]) -> list[str]:
    """Publish `batches` into the warehouse at `path`; the stages the publisher went through."""
    stages: list[str] = []
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    publish(engine, load_reference(), batches, run_id, catalog(sources), stage=stages.append)
    engine.dispose()
    return stages


def _first_night_batch(source_id: str):
    made = batch(ROWS, seed=SOURCES.index(source_id), source_id=source_id)
    if source_id == SOURCES[-1]:
        made.facts["region_value"] = MARKER
    return made


def _contents(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows (but the audit's), without the columns in `WHEN`."""
    found = {}
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        present = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        for table in warehouse_tables():
            if table is load_audit or table.name not in present:
                continue
            columns = ", ".join(c.name for c in table.columns if c.name not in WHEN)
            rows = connection.execute(f"SELECT {columns} FROM {table.name}").fetchall()  # noqa: S608
            found[table.name] = sorted(map(repr, rows))
        found["region_summary"] = sorted(
            map(repr, connection.execute("SELECT * FROM region_summary").fetchall())
        )
    return found


def test_a_patched_night_publishes_what_a_build_from_empty_does(tmp_path):
    live = tmp_path / "patched" / "odc.sqlite"
    live.parent.mkdir()
    stages = _night(live, "run_one", [_first_night_batch(s) for s in SOURCES], SOURCES)
    assert "indexing" in stages and "copying the live file" not in stages
    public = live.parent / SHARED_FOLDER / "public.sqlite"
    assert MARKER.encode() in live.read_bytes() and MARKER.encode() in public.read_bytes()
    with closing(sqlite3.connect(live)) as connection:  # an analyst's own table
        connection.execute("CREATE TABLE my_notes (region_code TEXT, note TEXT)")
        connection.execute("INSERT INTO my_notes VALUES ('31', 'recount asked')")
        connection.commit()

    # The second night: one source's file changed, and the registry dropped the last source.
    kept = SOURCES[:-1]
    changed = batch(ROWS, seed=99, source_id=SOURCES[2])
    stages = _night(live, "run_two", [changed], kept)
    assert "copying the live file" in stages and "indexing" not in stages

    fresh = tmp_path / "fresh" / "odc.sqlite"
    fresh.parent.mkdir()
    rebuilt = [changed if s == SOURCES[2] else _first_night_batch(s) for s in kept]
    _night(fresh, "run_fresh", rebuilt, kept)
    assert _contents(live) == _contents(fresh)
    audience = _contents(public)
    assert audience == _contents(fresh.parent / SHARED_FOLDER / "public.sqlite")
    assert len(audience["fact_election_results"]) == len(kept) * ROWS

    # Not a byte of the dropped source's rows is left in any file.
    for path in (live, public, live.parent / SHARED_FOLDER / "members.sqlite"):
        assert MARKER.encode() not in path.read_bytes(), path
        with closing(sqlite3.connect(path)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The analyst's table stays in the complete file, and in no audience's.
    with closing(sqlite3.connect(live)) as connection:
        assert connection.execute("SELECT note FROM my_notes").fetchall() == [("recount asked",)]
    with closing(sqlite3.connect(public)) as connection:
        assert (
            connection.execute("SELECT name FROM sqlite_master WHERE name = 'my_notes'").fetchall()
            == []
        )


def test_a_file_an_older_release_built_is_built_from_empty(tmp_path):
    live = tmp_path / "odc.sqlite"
    _night(live, "run_one", [_first_night_batch(s) for s in SOURCES], SOURCES)
    with closing(sqlite3.connect(live)) as connection:  # as an older release declared it
        connection.execute("DROP INDEX ix_fact_election_results_source")
        connection.execute(
            "CREATE INDEX ix_fact_election_results_source ON fact_election_results (source_id, load_id)"
        )
        connection.commit()
    stages = _night(live, "run_two", [batch(ROWS, seed=99, source_id=SOURCES[2])], SOURCES)
    assert "indexing" in stages and "copying the live file" not in stages
    with closing(sqlite3.connect(live)) as connection:
        (sql,) = connection.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_fact_election_results_source'"
        ).fetchone()
    assert "run_id" not in sql


def test_a_night_that_replaced_most_sources_is_built_from_empty(tmp_path):
    live = tmp_path / "odc.sqlite"
    _night(live, "run_one", [_first_night_batch(s) for s in SOURCES], SOURCES)
    again = [batch(ROWS, seed=50 + n, source_id=s) for n, s in enumerate(SOURCES[:2])]
    stages = _night(live, "run_two", again, SOURCES)
    assert "indexing" in stages and "copying the live file" not in stages


def test_a_file_derived_by_other_code_is_built_from_empty(tmp_path, monkeypatch):
    """After an upgrade that changed how totals add up but no table, a small night derives
    every source's totals by the new code, as a build from empty does; the next small night
    patches again."""
    live = tmp_path / "live" / "odc.sqlite"
    live.parent.mkdir()
    first = {s: _first_night_batch(s) for s in SOURCES}
    _night(live, "run_one", list(first.values()), SOURCES)
    # The upgrade: totals per province only, and the deriving code's text differs.
    monkeypatch.setattr(totals, "ROLLUPS", {1: 2})
    monkeypatch.setattr(
        derivation, "DERIVING_MODULES", (*derivation.DERIVING_MODULES, "odc_pipeline.quoting")
    )
    changed = batch(ROWS, seed=99, source_id=SOURCES[2])
    stages = _night(live, "run_two", [changed], SOURCES)
    assert "indexing" in stages and "copying the live file" not in stages

    fresh = tmp_path / "fresh" / "odc.sqlite"
    fresh.parent.mkdir()
    _night(
        fresh, "run_fresh", [changed if s == SOURCES[2] else b for s, b in first.items()], SOURCES
    )
    assert _contents(live) == _contents(fresh)
    with closing(sqlite3.connect(live)) as connection:
        levels = connection.execute("SELECT DISTINCT level FROM region_totals").fetchall()
        versions = connection.execute(
            "SELECT DISTINCT pipeline_version FROM load_audit WHERE run_id = 'run_two'"
        ).fetchall()
    assert levels == [(1,)]
    assert versions == [(derivation.pipeline_version(),)]

    stages = _night(live, "run_three", [batch(ROWS, seed=98, source_id=SOURCES[3])], SOURCES)
    assert "copying the live file" in stages and "indexing" not in stages
