"""Incident reports that name no place are kept under region 00, not set aside; other kinds
must name a place on every row."""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError

from odc_pipeline.proposal import propose
from odc_pipeline.regions import cached_region_tables, harmonize_regions, load_region_list
from odc_pipeline.registry import SourceEntry, entry_problems
from odc_pipeline.validation.validate import validate_source
from odc_pipeline_tests.conftest import DATA_DIR

REGIONS = [
    {"column": "provinsi", "level": "provinsi", "system": "name", "blank_means_parent": True},
    {
        "column": "kabupaten_kota",
        "level": "kabupaten_kota",
        "system": "name",
        "blank_means_parent": True,
    },
]


def _entry(kind: str = "incident_reports", **changes) -> dict:
    return {
        "id": "laporan",
        "organization": "pantau",
        "kind": kind,
        "format": "csv",
        "location": "laporan.csv",
        "columns": {
            "tgl": "date",
            "kategori": "category",
            "uraian": "description",
            "prov": "provinsi",
            "kab": "kabupaten_kota",
        },
        "constants": {"election": "pemilu", "year": 2019},
        "regions": REGIONS,
        "licence": "CC-BY-4.0",
        "sharing": "public",
        **changes,
    }


def test_a_report_without_a_place_is_published_under_region_00():
    entry = SourceEntry.model_validate(_entry())
    raw = pd.DataFrame(
        {
            "tgl": ["2019-04-17"] * 4,
            "prov": ["Jawa Barat", "Jawa Barat", None, None],
            "kab": ["Kota Bandung", None, None, "Kab. Garut"],
            "kategori": ["lainnya"] * 4,
            "uraian": ["a", "b", "c", "d"],
            "_source_row": [2, 3, 4, 5],
            "_read_error": [None] * 4,
            "_file_hash": ["h"] * 4,
        }
    )
    outcome = validate_source(raw, entry)
    assert outcome.quarantine.empty
    tables = cached_region_tables(load_region_list(), DATA_DIR / "reference")
    harmonized = harmonize_regions(outcome.valid, entry.region_specs(), tables, "laporan")
    assert list(harmonized["region_code"]) == ["32.73", "32", "00", "32.05"]
    assert harmonized.loc[2, "region_method"] == "no_place"
    assert "no place given" in harmonized.loc[2, "region_rule"]
    assert load_region_list().set_index("region_code").loc["00", "type"] == "nasional"


def test_other_kinds_must_name_a_place_on_every_row():
    results = _entry(
        "election_results",
        columns={
            "paslon": "candidate",
            "suara": "votes",
            "prov": "provinsi",
            "kab": "kabupaten_kota",
        },
        constants={"election": "pemilu", "year": 2019, "contest": "presiden"},
    )
    with pytest.raises(ValidationError):
        SourceEntry.model_validate(results)
    (problem,) = entry_problems(results)
    assert "every row of election_results must name one" in problem


def test_check_proposes_no_place_where_every_region_column_is_empty():
    frame = pd.DataFrame(
        {
            "Tanggal": ["2019-04-17", "2019-04-18", "2019-04-19"],
            "Provinsi": ["Jawa Barat", "", ""],
            "Kabupaten": ["Kab. Bandung", "", ""],
            "Kategori": ["lainnya"] * 3,
            "Uraian": ["a", "b", "c"],
        }
    )
    proposal = propose(frame, "incident_reports", "laporan_2019.csv")
    assert [r.get("blank_means_parent", False) for r in proposal.regions] == [True, True]
    assert "2 rows name no place: published under region 00" in proposal.reasons["Provinsi"]
