"""A warehouse built by an earlier version: added columns are carried, unknown ones refused,
and rows that held their file hash and run id are given their load key."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from odc_pipeline.regions.reference import load_reference
from odc_pipeline.warehouse.engine import CORE_SCHEMA, make_engine
from odc_pipeline.warehouse.loads import load_key
from odc_pipeline.warehouse.publish import WarehouseSchemaError, publish
from odc_pipeline_tests.publish_worker import CATALOG, batch, catalog


def _published(tmp_path) -> sa.Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'odc.sqlite'}")
    publish(engine, load_reference(), [batch(40, seed=1)], "run-1", CATALOG)
    return engine


def test_rows_of_a_version_without_station_numbers_are_carried_forward(tmp_path):
    engine = _published(tmp_path)
    with engine.begin() as connection:  # as the version before station numbers built it
        connection.execute(sa.text("DROP VIEW source_discrepancies"))
        connection.execute(sa.text("DROP VIEW results_by_place"))
        connection.execute(sa.text("DROP INDEX ix_fact_election_results_key"))  # names stations
        connection.execute(sa.text("ALTER TABLE fact_election_results DROP COLUMN station_number"))
    # Nothing new for results_a: its 40 rows are carried forward from the old version.
    publish(engine, None, [], "run-2", CATALOG)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "select count(*), count(station_number), min(run_id) "
                "from fact_election_results join dim_load using (load_id)"
            )
        ).one()
    assert tuple(rows) == (40, 0, "run-1")
    engine.dispose()


def test_a_version_with_columns_the_code_does_not_know_is_refused(tmp_path):
    engine = _published(tmp_path)
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE fact_election_results ADD COLUMN turnout REAL"))
    with pytest.raises(WarehouseSchemaError, match=r"columns \['turnout'\] the code does not know"):
        publish(engine, None, [], "run-2", CATALOG)
    with engine.connect() as connection:  # the live version is untouched
        assert (
            connection.execute(sa.text("select count(*) from fact_election_results")).scalar() == 40
        )
    engine.dispose()


def _unkeyed(connection: sa.Connection, schema: str | None = None) -> None:
    """Lay the results table out as before dim_load: each row's file hash and run id."""
    prefix = f"{schema}." if schema else ""
    # On PostgreSQL the audiences' views over the tables go too; a publish makes them anew.
    cascade = " CASCADE" if schema else ""
    for view in ("source_discrepancies", "results_by_place"):
        connection.execute(sa.text(f"DROP VIEW {prefix}{view}"))
    table = f"{prefix}fact_election_results"
    connection.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN file_hash VARCHAR(64)"))
    connection.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN run_id VARCHAR(64)"))
    connection.execute(
        sa.text(
            f"UPDATE {table} SET file_hash = (SELECT l.file_hash FROM {prefix}dim_load l "  # noqa: S608
            f"WHERE l.load_id = {table}.load_id), run_id = (SELECT l.run_id FROM "
            f"{prefix}dim_load l WHERE l.load_id = {table}.load_id)"
        )
    )
    connection.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN load_id{cascade}"))
    connection.execute(sa.text(f"DROP TABLE {prefix}dim_load{cascade}"))


def _carried_with_their_keys(engine: sa.Engine) -> None:
    """Publish over a version laid out before dim_load, replacing one of its two sources:
    the other's rows are carried forward, keyed to their file and run."""
    prefix = os.environ.get("ODC_ROLE_PREFIX", "odc")
    publish(engine, None, [batch(25, seed=3, source_id="results_b")], "run-2", TWO, prefix)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT f.source_id, COUNT(*), l.file_hash, l.run_id, MIN(f.load_id), "
                "MAX(f.load_id) FROM fact_election_results f JOIN dim_load l USING (load_id) "
                "GROUP BY f.source_id, l.file_hash, l.run_id ORDER BY 1"
            )
        ).all()
        loads = connection.execute(sa.text("SELECT COUNT(*) FROM dim_load")).scalar_one()
    old_file = "0" * 64  # the test batches' rows all name this file
    assert [tuple(r[:4]) for r in rows] == [
        ("results_a", 40, old_file, "run-1"),
        ("results_b", 25, old_file, "run-2"),
    ]
    assert rows[0][4] == rows[0][5] == load_key("results_a", old_file)
    assert loads == 2
    # The next publish finds the code's own layout and carries the keys as they are.
    publish(engine, None, [], "run-3", TWO, prefix)
    with engine.connect() as connection:
        carried = connection.execute(
            sa.text("SELECT COUNT(*) FROM fact_election_results f JOIN dim_load l USING (load_id)")
        ).scalar_one()
    assert carried == 65


TWO = catalog(["results_a", "results_b"])


def test_rows_of_a_version_before_load_keys_are_keyed_as_they_are_carried(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'odc.sqlite'}")
    first = [batch(40, seed=1), batch(10, seed=2, source_id="results_b")]
    publish(engine, load_reference(), first, "run-1", TWO)
    with engine.begin() as connection:
        _unkeyed(connection)
    _carried_with_their_keys(engine)
    engine.dispose()


def test_rows_of_a_postgres_version_before_load_keys_are_keyed_as_they_are_carried(
    postgres_url,
):
    engine = make_engine(postgres_url)
    first = [batch(40, seed=1), batch(10, seed=2, source_id="results_b")]
    publish(engine, load_reference(), first, "run-1", TWO, os.environ["ODC_ROLE_PREFIX"])
    with engine.begin() as connection:
        _unkeyed(connection, CORE_SCHEMA)
    _carried_with_their_keys(engine)
    engine.dispose()
