"""Analyst views and the source catalog, checked against an independent computation."""

from __future__ import annotations

import pandas as pd

from odc_pipeline.reading.readers import file_sha256
from odc_pipeline.warehouse.views import VIEWS


def _frame(demo_run, sql: str) -> pd.DataFrame:
    with demo_run.engine.connect() as connection:
        return pd.read_sql(sql, connection)


def test_dimensions_describe_organisations_and_sources(demo_run):
    organizations = _frame(
        demo_run, "select organization_id, name from dim_organization order by 1"
    )
    assert organizations.values.tolist() == [
        ["fppjb", "Forum Pemantau Pemilu Jawa Barat"],
        ["jsn", "Jaga Suara Nusantara"],
        ["ldw", "Lembaga Data Warga"],
    ]
    sources = _frame(demo_run, "select * from dim_source order by source_id").set_index("source_id")
    assert sources["status"].tolist() == ["current"] * 4
    assert sources.loc["fppjb_rekap_pilpres2024", ["licence", "sharing", "kind"]].tolist() == [
        "CC-BY-SA-4.0",
        "members",
        "election_results",
    ]
    assert sources["last_successful_load"].notna().all()
    for entry in demo_run.registry.sources:
        # A source with one file per year: the latest year's file.
        latest = entry.located_entries()[-1]
        assert sources.loc[entry.id, "file_hash"] == file_sha256(
            latest.location_path(demo_run.registry.base_dir)
        )


def test_source_discrepancies_match_a_pandas_self_join(demo_run):
    facts = _frame(demo_run, "select * from fact_election_results")
    key = ["election", "year", "contest", "region_code", "candidate"]
    pairs = facts.merge(facts, on=key, suffixes=("_a", "_b"))
    pairs = pairs[
        (pairs["source_id_a"] < pairs["source_id_b"]) & (pairs["votes_a"] != pairs["votes_b"])
    ]
    expected = sorted(
        zip(
            pairs["region_code"],
            pairs["candidate"],
            pairs["source_id_a"],
            pairs["source_id_b"],
            pairs["votes_a"] - pairs["votes_b"],
            strict=True,
        )
    )
    view = _frame(
        demo_run,
        "select region_code, candidate, source_a, source_b, difference, abs_difference, region_name from source_discrepancies",
    )
    found = sorted(
        zip(
            view["region_code"],
            view["candidate"],
            view["source_a"],
            view["source_b"],
            view["difference"],
            strict=True,
        )
    )
    assert found == expected
    assert len(found) > 0  # the demo organisations' recounts differ in places
    assert (view["abs_difference"] == view["difference"].abs()).all()
    # Kabupaten Bandung, pair 02: JSN and LDW agree, so they are not listed.
    agree = view[(view["region_code"] == "32.04") & (view["candidate"] == "02")]
    assert not (
        (agree["source_a"] == "jsn_pilpres2024_kabkota")
        & (agree["source_b"] == "ldw_suara_pilpres2024")
    ).any()
    provenance = _frame(
        demo_run, "select source_row_a, file_hash_a, run_id_a from source_discrepancies"
    )
    assert provenance.notna().all().all()


def test_the_warehouse_finds_every_discrepancy_the_plain_join_finds(demo_run):
    """The warehouse's view looks only where region_totals says two sources report; the view
    as written for every engine (what a release computes) joins every row with every other
    source's. Both hold the same rows."""
    columns = "region_code, contest, contestant, station_number, source_a, source_b, difference"
    plain = VIEWS["source_discrepancies"].split(" AS\n", 1)[1]
    narrowed = _frame(demo_run, f"select {columns} from source_discrepancies")  # noqa: S608 - fixed text
    joined = _frame(demo_run, f"select {columns} from ({plain}) AS plain")  # noqa: S608 - the view's own text
    assert len(narrowed) > 0
    key = columns.split(", ")
    pd.testing.assert_frame_equal(
        narrowed.sort_values(key).reset_index(drop=True),
        joined.sort_values(key).reset_index(drop=True),
    )


def test_source_discrepancies_find_the_other_source_by_the_whole_key(demo_run):
    """For each row of one province, the other source's row is found through the results
    index on everything the view compares, not by region alone (minutes on a national
    warehouse instead of seconds)."""
    plan = _frame(
        demo_run,
        "explain query plan select count(*) from source_discrepancies "
        "where region_code >= '32' and region_code < '33'",
    )["detail"].tolist()
    index = "USING INDEX ix_fact_election_results_key"
    whole_key = [
        "(region_code=? AND election=? AND year=? AND contest=? AND <expr>=? AND <expr>=? "
        f"AND source_id{compared}?)"
        for compared in "<>"  # whichever side the planner reads first
    ]
    # One side read by the province's range, the other looked up by the whole key; each
    # side's file and run by the key of dim_load.
    assert {d.split()[1] for d in plan if d.startswith("SEARCH") and index in d} == {"a", "b"}
    assert any(d.endswith(f"{index} {key}") for d in plan for key in whole_key), plan
    assert sum("dim_load" in d and "(load_id=?)" in d for d in plan) == 2, plan
    assert any(d.endswith(f"{index} (region_code>? AND region_code<?)") for d in plan), plan


def test_region_summary_rolls_up_to_the_province(demo_run):
    facts = _frame(demo_run, "select source_id, candidate, votes from fact_election_results")
    summary = _frame(
        demo_run,
        "select source_id, candidate, votes, regions_reported from region_summary where region_code = '32' order by 1, 2",
    )
    expected = (
        facts.groupby(["source_id", "candidate"])
        .agg(votes=("votes", "sum"), regions_reported=("votes", "size"))
        .reset_index()
    )
    assert summary.values.tolist() == expected.values.tolist()
    kab = _frame(
        demo_run,
        "select level, votes from region_summary where region_code = '32.04' and source_id = 'jsn_pilpres2024_kabkota' and candidate = '03'",
    )
    assert kab.values.tolist() == [[2, 266418]]
