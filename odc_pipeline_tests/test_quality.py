"""Great Expectations on the published warehouse: passes on a good publish, names what broke."""

from __future__ import annotations

import shutil

import sqlalchemy as sa

from odc_pipeline.quality.warehouse_suite import run_suite

DEMO_SOURCES = ["jsn_pilpres2024_kabkota", "fppjb_rekap_pilpres2024", "ldw_suara_pilpres2024"]


def test_suite_check_in_the_run_has_data_docs(demo_run):
    evaluation = next(
        e
        for e in demo_run.result.get_asset_check_evaluations()
        if e.check_name == "great_expectations_suite"
    )
    assert evaluation.passed
    docs = evaluation.metadata["data_docs"].value
    assert docs.endswith("local_site/index.html")
    assert docs.startswith(str(demo_run.settings.warehouse_dir))
    assert "expect_column_values_to_be_in_set" in evaluation.metadata["expectations"].value


def test_suite_names_each_broken_expectation(demo_run, tmp_path):
    copy = tmp_path / "odc.sqlite"
    shutil.copy(demo_run.settings.default_warehouse_path, copy)
    engine = sa.create_engine(f"sqlite:///{copy}")
    with engine.begin() as connection:
        # A row nobody published: an unknown region, a duplicated source row, negative votes.
        connection.execute(
            sa.text(
                "insert into fact_election_results (election, year, contest, candidate, votes, region_code, "
                "region_level, region_value, region_method, region_score, region_rule, organization_id, "
                "source_id, source_row, file_hash, run_id) select election, year, contest, candidate, -5, "
                "'32.99', region_level, region_value, region_method, region_score, region_rule, "
                "organization_id, source_id, source_row, file_hash, run_id from fact_election_results limit 1"
            )
        )
    outcome = run_suite(engine, "election_results", DEMO_SOURCES, tmp_path / "docs")
    failed = sorted((o.expectation, o.column) for o in outcome.outcomes if not o.success)
    assert not outcome.success
    assert failed == [
        ("expect_column_values_to_be_between", "votes"),
        ("expect_column_values_to_be_in_set", "region_code_in_dim_region"),
        ("expect_compound_columns_to_be_unique", "source_id,file_hash,source_row"),
        ("expect_table_row_count_to_equal", None),
    ]
    row_count = next(
        o for o in outcome.outcomes if o.expectation == "expect_table_row_count_to_equal"
    )
    assert row_count.observed == "126"
    assert outcome.data_docs is not None and outcome.data_docs.exists()
    engine.dispose()
