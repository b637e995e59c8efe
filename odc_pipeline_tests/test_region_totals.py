"""region_totals: each source's votes per contestant added up per province and kabupaten/kota
at every publish, equal to adding up the results themselves."""

from __future__ import annotations

import pandas as pd

from odc_pipeline_tests.conftest import DemoRun


def _results(demo_run: DemoRun) -> pd.DataFrame:
    return pd.read_sql(
        "SELECT source_id, year, contest, candidate, region_code, region_level, votes "
        "FROM fact_election_results",
        demo_run.engine,
    )


def test_totals_equal_the_results_added_up_per_province_and_kabupaten(demo_run):
    results = _results(demo_run)
    totals = pd.read_sql("SELECT * FROM region_totals", demo_run.engine)
    assert len(totals) and set(totals["level"]) == {1, 2}
    key = ["source_id", "year", "contest", "candidate", "region_code"]
    for level, width in ((1, 2), (2, 5)):
        rows = results.loc[results["region_level"] >= level].copy()
        rows["region_code"] = rows["region_code"].where(
            rows["region_level"] == level, rows["region_code"].str[:width]
        )
        expected = rows.groupby(key)["votes"].sum().sort_index()
        found = totals.loc[totals["level"] == level].set_index(key)["votes"].sort_index()
        pd.testing.assert_series_equal(found, expected, check_names=False, check_dtype=False)
    # Every kabupaten/kota total adds up to its province's.
    kab = totals.loc[totals["level"] == 2].assign(province=lambda t: t["region_code"].str[:2])
    by_province = kab.groupby(["source_id", "candidate", "province"])["votes"].sum()
    province = totals.loc[totals["level"] == 1].set_index(
        ["source_id", "candidate", "region_code"]
    )["votes"]
    for (source, candidate, code), votes in by_province.items():
        assert province[(source, candidate, code)] >= votes


def test_each_audience_file_holds_the_totals_of_the_sources_it_may_see(demo_run):
    import sqlite3

    shared = demo_run.settings.warehouse_dir / "shared"
    with sqlite3.connect(shared / "public.sqlite") as public:
        seen = {r[0] for r in public.execute("SELECT DISTINCT source_id FROM region_totals")}
        facts = {
            r[0] for r in public.execute("SELECT DISTINCT source_id FROM fact_election_results")
        }
    assert seen == facts and seen


def test_the_analysts_questions_get_the_same_answers_from_the_totals(demo_run):
    """benchmarks/queries.py asks each question of region_totals and of the results."""
    from benchmarks.queries import measure

    result = measure(demo_run.engine, 2024, repeat=1)
    measured = result["questions"]
    assert measured["pair votes per province (presiden)"]["rows"] > 0
    assert measured["pair votes per kabupaten/kota (presiden)"]["rows"] > 0
    # Every question carries the 2 s target and whether it was met.
    assert len(result["targets"]) == len(measured) == 6
    assert all(isinstance(t["met"], bool) for t in result["targets"].values())
