"""A source that writes an earlier year's codes: a region split since is marked as the larger
region of that year, not taken silently for today's smaller one; and a decision may place a
region inside its parent of that time."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from odc_pipeline.checking import check_file
from odc_pipeline.regions import load_reference, load_region_list
from odc_pipeline.regions.review import ReviewImportError, import_decisions, write_review_csv
from odc_pipeline.regions.vintage import (
    HISTORIC_TYPE,
    VINTAGE_METHOD,
    historic_regions,
    load_splits,
    mark_vintage,
)
from odc_pipeline.registry import SourceEntry, load_registry
from odc_pipeline_tests.conftest import (
    DATA_DIR,
    DemoRun,
    make_settings,
    run_all,
    write_registry,
)

REFERENCE_DIR = DATA_DIR / "reference"

PROVINCES = "kode,paslon,suara\n91,01,100\n92,01,50\n64,01,70\n32,01,10\n"


def _entry(location: Path, vintage: int | None) -> SourceEntry:
    return SourceEntry.model_validate(
        {
            "id": "pilpres_provinsi",
            "organization": "jsn",
            "kind": "election_results",
            "format": "csv",
            "location": str(location),
            "columns": {"kode": "region", "paslon": "candidate", "suara": "votes"},
            "constants": {"election": "pemilu", "year": 2014, "contest": "presiden"},
            "regions": [{"column": "region", "level": "provinsi", "system": "kemendagri"}],
            "licence": "CC-BY-4.0",
            "sharing": "public",
            **({"code_vintage": vintage} if vintage else {}),
        }
    )


def test_split_provinces_are_marked_by_the_vintage_of_the_codes(tmp_path):
    path = tmp_path / "pilpres_2014_provinsi.csv"
    path.write_text(PROVINCES, encoding="utf-8")
    of_2014 = check_file(path, _entry(path, 2014), REFERENCE_DIR)
    assert [line.split(":")[1].split(" in ")[0].strip() for line in of_2014.larger_then] == [
        "91",
        "92",
    ]  # Kalimantan Utara was made in 2012: in 2014's codes 64 is today's 64
    assert (
        "93 Papua Selatan (2022), 94 Papua Tengah (2022), 95 Papua Pegunungan (2022)"
        in (of_2014.larger_then[0])
    )
    of_2011 = check_file(path, _entry(path, 2011), REFERENCE_DIR)
    assert len(of_2011.larger_then) == 3 and "65 Kalimantan Utara (2012)" in of_2011.larger_then[0]
    assert check_file(path, _entry(path, None), REFERENCE_DIR).larger_then == []


def test_marking_leaves_other_rows_as_they_were():
    harmonized = pd.DataFrame(
        {
            "region_code": ["91", "32", None, "32.07"],
            "region_method": pd.Categorical(["code", "code", None, "name"]),
            "region_rule": ["a", "b", None, "c"],
        }
    )
    marked = mark_vintage(harmonized, 2010, load_splits(REFERENCE_DIR))
    methods = [None if pd.isna(m) else m for m in marked["region_method"]]
    assert methods == [VINTAGE_METHOD, "code", None, VINTAGE_METHOD]
    codes = [None if pd.isna(c) else c for c in marked["region_code"]]
    assert codes == ["91+93+94+95", "32", None, "32.07+32.18"]
    assert "32.18 Kabupaten Pangandaran (2012)" in marked.loc[3, "region_rule"]
    assert marked.loc[1, "region_rule"] == "b" and pd.isna(marked.loc[2, "region_rule"])


def test_a_decision_may_place_a_region_inside_its_parent_of_that_time(tmp_path):
    """Mimika under Papua (91), as a 2014 file writes it, is today's 94.04 in Papua Tengah."""
    reference_dir = tmp_path / "reference"
    reference_dir.mkdir()
    for name in ("region_splits.csv", "province_splits.csv"):
        (reference_dir / name).write_bytes((REFERENCE_DIR / name).read_bytes())
    row = {
        "source_id": "s",
        "column_name": "kabupaten",
        "level": "kabupaten_kota",
        "system": "name",
        "value": "Mimika Raya",
        "parent_code": "91",
    }
    path = tmp_path / "review.csv"
    write_review_csv(pd.DataFrame([row]), path)
    _decide(path, "94.04")
    assert import_decisions(path, reference_dir, load_reference()).added == 1
    write_review_csv(pd.DataFrame([{**row, "value": "Merauke Raya"}]), path)
    _decide(path, "32.04")  # not inside Papua then or now
    with pytest.raises(ReviewImportError, match="32.04 is not inside the matched parent 91"):
        import_decisions(path, reference_dir, load_reference())


def _decide(path: Path, code: str) -> None:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["decision_code"], rows[0]["scope"] = code, "source"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_a_file_of_an_earlier_year_naming_a_split_region_is_told_about_code_vintage(tmp_path):
    path = tmp_path / "pilpres_2014_provinsi.csv"
    path.write_text(PROVINCES, encoding="utf-8")
    report = check_file(path, _entry(path, None), REFERENCE_DIR)
    (note,) = report.notes
    assert note.startswith("rows of 2014 name 91, 92, split since")
    assert note.endswith("set code_vintage: 2014 in its entry")
    assert check_file(path, _entry(path, 2014), REFERENCE_DIR).notes == []


def test_every_region_as_it_was_before_a_split_has_its_own_row():
    historic = historic_regions(load_region_list(), load_splits(REFERENCE_DIR)).set_index(
        "region_code"
    )
    papua = historic.loc["91+93+94+95"]
    assert (papua["level"], papua["type"], papua["province_code"]) == (1, HISTORIC_TYPE, "91")
    assert papua["name"] == (
        "Papua (wilayah sebelum 2022: 91 Papua, 93 Papua Selatan, 94 Papua Tengah, "
        "95 Papua Pegunungan)"
    )
    assert historic.loc["64+65", "name"].startswith("Kalimantan Timur (wilayah sebelum 2012")
    assert historic.loc["32.07+32.18", "parent_code"] == "32"
    # Two regencies made from 92.02 in the same year: one region of before, three codes.
    assert "92.02+92.11+92.12" in historic.index
    assert not historic.index.duplicated().any()


def test_a_row_in_codes_of_its_time_is_published_under_the_region_of_that_time(tmp_path):
    """A 2014 file's 91 is Papua with 93, 94 and 95: published as 91+93+94+95, which a join to
    today's 91 does not find; rolled up and checked like any other row."""
    path = tmp_path / "registry" / "pilpres_2014_provinsi.csv"
    path.parent.mkdir()
    path.write_text(PROVINCES, encoding="utf-8")
    entry = _entry(path, 2014).model_dump(mode="json", exclude_defaults=True)
    document = {
        "organizations": {"jsn": {"name": "Jaga Suara Nusantara"}},
        "sources": [entry],
    }
    registry_path = write_registry(path.parent, document, copy_demo_files=False)
    settings = make_settings(tmp_path, registry_path)
    result = run_all(settings, load_registry(registry_path))
    assert result.success
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)
    run = DemoRun(result, engine, settings, load_registry(registry_path))
    published = dict(
        run.rows("SELECT region_code, votes FROM fact_election_results ORDER BY votes")
    )
    assert published == {"32": 10, "92+96": 50, "64": 70, "91+93+94+95": 100}
    assert run.rows("SELECT name, type FROM dim_region WHERE region_code = '91+93+94+95'") == [
        (
            "Papua (wilayah sebelum 2022: 91 Papua, 93 Papua Selatan, 94 Papua Tengah, "
            "95 Papua Pegunungan)",
            HISTORIC_TYPE,
        )
    ]
    assert (
        run.scalar(
            "SELECT COUNT(*) FROM fact_election_results f JOIN dim_region r "
            "ON r.region_code = f.region_code WHERE r.region_code = '91'"
        )
        == 0
    )
    assert (
        run.scalar("SELECT region_method FROM fact_election_results WHERE votes = 100")
        == VINTAGE_METHOD
    )
    assert run.scalar("SELECT votes FROM region_summary WHERE region_code = '91+93+94+95'") == 100
    # The province totals keep the region of that time apart from today's 91.
    assert run.rows(
        "SELECT region_code, votes FROM region_totals WHERE level = 1 AND region_code LIKE '9%' "
        "ORDER BY region_code"
    ) == [("91+93+94+95", 100), ("92+96", 50)]
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]
