"""On PostgreSQL, a night that replaced a small share of the warehouse patches the live schema
in place instead of building a new one: what it publishes, to the warehouse and to each
audience, is row for row what a build from empty publishes; a reader inside a transaction
keeps seeing the version before until it ends; a schema an older release built, or whose
derived rows other code computed, is built again."""

from __future__ import annotations

import os
import threading

import pytest
import sqlalchemy as sa

from odc_pipeline.regions.reference import load_reference
from odc_pipeline.warehouse import derivation, totals
from odc_pipeline.warehouse.engine import CORE_SCHEMA
from odc_pipeline.warehouse.publish import publish
from odc_pipeline.warehouse.schema import load_audit, warehouse_tables
from odc_pipeline_tests.publish_worker import batch, catalog
from odc_pipeline_tests.scratch import temporary_database

SOURCES = [f"results_{n}" for n in range(6)]
ROWS = 2_000
#: Columns that say only when, or in which run, a row was loaded.
WHEN = {"run_id", "loaded_at", "last_successful_load", "last_successful_run_id"}
#: What a patched night goes through, and a night built from empty does not.
PATCHING = "replacing the changed sources' rows"


def _night(url: str, run_id: str, batches: list, sources: list[str], stage=None) -> list[str]:
    """Publish `batches` into the database at `url`; the stages the publisher went through."""
    stages: list[str] = []

    def seen(name: str) -> None:
        stages.append(name)
        if stage is not None:
            stage(name)

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    prefix = os.environ["ODC_ROLE_PREFIX"]
    publish(engine, load_reference(), batches, run_id, catalog(sources), prefix, seen)
    engine.dispose()
    return stages


def _first(source_id: str):
    return batch(ROWS, seed=SOURCES.index(source_id), source_id=source_id)


def _contents(url: str) -> dict[str, list[str]]:
    """Every table's rows (but the audit's) without the columns in `WHEN`, the public
    audience's results, and a view's rows."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    found = {}
    with engine.connect() as connection:
        for table in warehouse_tables():
            if table is load_audit:
                continue
            columns = ", ".join(c.name for c in table.columns if c.name not in WHEN)
            rows = connection.execute(
                sa.text(f"SELECT {columns} FROM {CORE_SCHEMA}.{table.name}")  # noqa: S608
            ).all()
            found[table.name] = sorted(map(repr, rows))
        found["public results"] = sorted(
            map(
                repr,
                connection.execute(
                    sa.text("SELECT source_id, region_code, candidate, votes "
                            "FROM public_data.fact_election_results")
                ).all(),
            )
        )  # fmt: skip
        found["region_summary"] = sorted(
            map(repr, connection.execute(sa.text(f"SELECT * FROM {CORE_SCHEMA}.region_summary")))  # noqa: S608
        )
    engine.dispose()
    return found


def test_a_patched_night_publishes_what_a_build_from_empty_does(postgres_url):
    stages = _night(postgres_url, "run_one", [_first(s) for s in SOURCES], SOURCES)
    assert "indexing" in stages and PATCHING not in stages

    # The second night: one source's file changed, and the registry dropped the last source.
    kept = SOURCES[:-1]
    changed = batch(ROWS, seed=99, source_id=SOURCES[2])
    stages = _night(postgres_url, "run_two", [changed], kept)
    assert PATCHING in stages and "indexing" not in stages

    with temporary_database(prefix="odc_test") as fresh:
        rebuilt = [changed if s == SOURCES[2] else _first(s) for s in kept]
        _night(fresh, "run_fresh", rebuilt, kept)
        expected = _contents(fresh)
    patched = _contents(postgres_url)
    assert patched == expected
    assert len(patched["public results"]) == len(kept) * ROWS
    assert {r.split(",")[0] for r in patched["public results"]} == {f"('{s}'" for s in kept}


def test_a_reader_inside_a_transaction_sees_one_version(postgres_url):
    """A reader that counted the rows once, inside its transaction, counts the same until
    its transaction ends; the patch commits only after it has."""
    _night(postgres_url, "run_one", [_first(s) for s in SOURCES], SOURCES)
    reader = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    count = sa.text(f"SELECT COUNT(*), SUM(votes) FROM {CORE_SCHEMA}.fact_election_results")  # noqa: S608
    seen: list[tuple] = []
    first_read, patching = threading.Event(), threading.Event()

    def read_across_the_patch() -> None:
        with reader.connect() as connection, connection.begin():
            seen.append(tuple(connection.execute(count).one()))
            first_read.set()
            patching.wait(timeout=60)
            seen.append(tuple(connection.execute(count).one()))

    thread = threading.Thread(target=read_across_the_patch)
    thread.start()
    assert first_read.wait(timeout=60)
    changed = batch(ROWS, seed=77, source_id=SOURCES[1])
    stages = _night(
        postgres_url,
        "run_two",
        [changed],
        SOURCES,
        stage=lambda name: patching.set() if name == "swapping" else None,
    )
    thread.join(timeout=60)
    assert PATCHING in stages
    assert seen[0] == seen[1]
    with reader.connect() as connection:
        after = tuple(connection.execute(count).one())
    reader.dispose()
    assert after[0] == seen[0][0] and after[1] != seen[0][1]


#: What an older release may have left in the live schema: the statements that make it, and
#: a question counting what is left of it after the next night.
OLDER = {
    "an index declared otherwise": (
        [
            "DROP INDEX {s}.ix_fact_election_results_source",
            "CREATE INDEX ix_fact_election_results_source "
            "ON {s}.fact_election_results (source_id, load_id)",
        ],
        "SELECT count(*) FROM pg_indexes "
        "WHERE indexname = 'ix_fact_election_results_source' AND indexdef LIKE '%load_id%'",
    ),
    "an index the code no longer makes": (
        ["CREATE INDEX ix_old ON {s}.fact_election_results (votes)"],
        "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_old'",
    ),
    "a view the code no longer makes": (
        ["CREATE VIEW {s}.old_view AS SELECT 1 AS one"],
        "SELECT count(*) FROM pg_views WHERE viewname = 'old_view'",
    ),
    "a constraint the code does not make": (
        ["ALTER TABLE {s}.load_audit ADD CONSTRAINT old_check CHECK (rows_in >= 0)"],
        "SELECT count(*) FROM pg_constraint WHERE conname = 'old_check'",
    ),
}


@pytest.mark.parametrize("older", OLDER)
def test_a_schema_an_older_release_built_is_built_again(postgres_url, older):
    """Anything in the live schema the code does not make today, as it makes it, means a
    build from empty: a patch would keep it for as long as nights stay small."""
    _night(postgres_url, "run_one", [_first(s) for s in SOURCES], SOURCES)
    statements, left = OLDER[older]
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(sa.text(statement.format(s=CORE_SCHEMA)))
    stages = _night(postgres_url, "run_two", [batch(ROWS, seed=99, source_id=SOURCES[2])], SOURCES)
    assert "indexing" in stages and PATCHING not in stages
    with engine.connect() as connection:
        assert connection.execute(sa.text(left)).scalar_one() == 0
    engine.dispose()


def test_a_schema_derived_by_other_code_is_built_again(postgres_url, monkeypatch):
    """After an upgrade that changed how totals add up but no table, a small night derives
    every source's totals by the new code, as a build from empty does."""
    _night(postgres_url, "run_one", [_first(s) for s in SOURCES], SOURCES)
    # The upgrade: totals per province only, and the deriving code's text differs.
    monkeypatch.setattr(totals, "ROLLUPS", {1: 2})
    monkeypatch.setattr(
        derivation, "DERIVING_MODULES", (*derivation.DERIVING_MODULES, "odc_pipeline.quoting")
    )
    changed = batch(ROWS, seed=99, source_id=SOURCES[2])
    stages = _night(postgres_url, "run_two", [changed], SOURCES)
    assert "indexing" in stages and PATCHING not in stages
    with temporary_database(prefix="odc_test") as fresh:
        _night(
            fresh,
            "run_fresh",
            [changed if s == SOURCES[2] else _first(s) for s in SOURCES],
            SOURCES,
        )
        expected = _contents(fresh)
    assert _contents(postgres_url) == expected
    assert {row.split(",")[3].strip() for row in expected["region_totals"]} == {"1"}

    stages = _night(
        postgres_url, "run_three", [batch(ROWS, seed=98, source_id=SOURCES[3])], SOURCES
    )
    assert PATCHING in stages
