"""The same code publishes the same warehouse to the live PostgreSQL server."""

from __future__ import annotations

import os
import re

import pyarrow as pa
import pytest
import sqlalchemy as sa

from odc_pipeline.defs.build import build_definitions
from odc_pipeline.regions.reference import load_reference
from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline.warehouse.publish import publish
from odc_pipeline_tests.conftest import PUBLISHED_REGIONS, make_settings, run_all
from odc_pipeline_tests.publish_worker import CATALOG, batch

#: Slow: the live PostgreSQL server.
pytestmark = pytest.mark.slow


#: Every discrepancy of a warehouse, in one order on either engine.
_DISAGREE = (
    "select region_code, region_level, contest, contestant, source_a, source_b, votes_a, "
    "votes_b from source_discrepancies order by region_code, contest, contestant, source_a, "
    "source_b"
)


def test_full_run_on_postgresql(postgres_url, tmp_path, monkeypatch, demo_run):
    monkeypatch.setenv("ODC_WAREHOUSE_URL", postgres_url)
    settings = make_settings(tmp_path)
    assert (
        build_definitions(settings).resources["warehouse"].url.env_var_name == "ODC_WAREHOUSE_URL"
    )
    result = run_all(settings)
    assert result.success
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            counts = {
                table: connection.execute(sa.text(f"select count(*) from {table}")).scalar_one()  # noqa: S608 - fixed names
                for table in ("dim_region", "fact_election_results", "quarantine", "load_audit")
            }
            audit = connection.execute(
                sa.text(
                    "select source_id, rows_in, rows_published, rows_quarantined from load_audit order by source_id"
                )
            ).all()
            votes = connection.execute(
                sa.text("select sum(votes) from fact_election_results")
            ).scalar_one()
            disagree = connection.execute(sa.text(_DISAGREE)).all()
    finally:
        engine.dispose()
    assert counts == {
        "dim_region": PUBLISHED_REGIONS,
        "fact_election_results": 125,
        "quarantine": 13,
        "load_audit": 4,
    }
    assert [tuple(r) for r in audit] == [
        ("fppjb_rekap_pilpres2024", 27, 22, 5),
        ("jsn_pilpres2024_kabkota", 81, 77, 4),
        ("ldw_dpt_kabkota", 54, 54, 0),
        ("ldw_suara_pilpres2024", 30, 26, 4),
    ]
    # The same numbers as the SQLite warehouse of the same demo files, and the same
    # discrepancies, looked for in the places region_totals says two sources report.
    assert votes == demo_run.scalar("select sum(votes) from fact_election_results")
    with demo_run.engine.connect() as connection:
        expected = connection.execute(sa.text(_DISAGREE)).all()
    assert len(expected) > 0
    assert [tuple(r) for r in disagree] == [tuple(r) for r in expected]


def test_postgres_publish_loads_facts_with_copy_not_inserts(postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ODC_WAREHOUSE_URL", postgres_url)
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", remember)
    try:
        assert run_all(make_settings(tmp_path)).success
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", remember)
    inserts = [
        s
        for s in statements
        # The bulk tables: every fact table and the region list (not small dimensions such
        # as dim_region_split).
        if re.match(r"\s*INSERT INTO (fact_\w+|dim_region) ", s, flags=re.IGNORECASE)
    ]
    assert inserts == []
    engine = make_engine(postgres_url)
    with engine.connect() as connection:
        assert (
            connection.execute(sa.text("select count(*) from dim_region")).scalar_one()
            == PUBLISHED_REGIONS
        )
        assert (
            connection.execute(sa.text("select count(*) from source_discrepancies")).scalar_one()
            > 0
        )
    engine.dispose()


def test_a_build_counts_the_results_before_adding_them_up(postgres_url):
    """The results of a build from empty are filled in the publish's own transaction, out of
    autovacuum's sight; unanalysed, PostgreSQL sorted 20 million of them on disk to add up
    the totals. The build analyses them first."""
    engine = make_engine(postgres_url)
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        publish(
            engine,
            load_reference(),
            [batch(3_000, seed=1)],
            "run-1",
            CATALOG,
            role_prefix=os.environ["ODC_ROLE_PREFIX"],
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)

    def first(pattern: str) -> int:
        return next(i for i, s in enumerate(statements) if re.match(pattern, s))

    analysed = first(r'ANALYZE "?fact_election_results"?$')
    assert analysed < first(r"INSERT INTO region_totals ")
    with engine.connect() as connection:
        totals = connection.execute(
            sa.text("select count(*), sum(votes) from region_totals where level = 1")
        ).one()
        votes = connection.execute(
            sa.text("select sum(votes) from fact_election_results where region_level >= 1")
        ).scalar_one()
    engine.dispose()
    assert totals[0] > 0 and totals[1] == votes


def test_rows_read_from_postgresql_are_the_rows_stored(postgres_url):
    """The quality checks, the open data and the releases read PostgreSQL's rows as a CSV COPY
    parsed as it arrives: over many of the parser's blocks, text with commas, quotes, line
    breaks and other scripts, an empty text apart from no text, come back as stored."""
    from odc_pipeline.warehouse.frames import read_batches, read_rows

    metadata = sa.MetaData()
    table = sa.Table(
        "cells",
        metadata,
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("label", sa.String),
        sa.Column("share", sa.Float),
        sa.Column("checked", sa.Boolean),
    )
    labels = ["Kab. Bekasi, Jawa Barat", 'a "quoted" name', "two\nlines", "", None, "ꦗꦮ"]
    stored = [
        {
            "n": n,
            "label": labels[n % len(labels)],
            "share": None if n % 7 == 0 else n / 8,
            "checked": n % 3 == 0,
        }
        for n in range(100_000)
    ]
    engine = make_engine(postgres_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS odc_warehouse")
        metadata.create_all(connection)
        connection.execute(table.insert(), stored)
    read = read_rows(engine, sa.select(table).order_by(table.c.n))
    assert read.num_rows == 100_000
    assert read.to_pylist() == stored
    # As a release reads them: batch by batch, never all at once.
    batches = list(read_batches(engine, sa.select(table).order_by(table.c.n)))
    assert len(batches) > 1 and max(b.num_rows for b in batches) < 100_000
    assert pa.Table.from_batches(batches).to_pylist() == stored
    nothing = read_rows(engine, sa.select(table).where(table.c.n < 0))
    assert nothing.num_rows == 0 and nothing.schema.names == ["n", "label", "share", "checked"]
    engine.dispose()
