"""A warehouse built by an earlier version: added columns are carried, unknown ones refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from odc_pipeline.regions.reference import load_reference
from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline.warehouse.publish import WarehouseSchemaError, publish
from odc_pipeline_tests.publish_worker import CATALOG, batch


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
                "select count(*), count(station_number), min(run_id) from fact_election_results"
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
