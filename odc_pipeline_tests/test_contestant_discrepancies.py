"""Two members write the same presidential pairs and parties differently; the warehouse
compares them as the same contestants, and lists what it could not decide for review."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from odc_pipeline.registry import load_registry
from odc_pipeline_tests.conftest import make_settings, results_entry, run_all, write_registry


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("contestants")
    (folder / "by_number.csv").write_text(
        "kode_wilayah,paslon,suara\n"
        "32.01,01,1000\n32.01,02,2000\n"
        "32.02,01,1500\n32.02,02,2500\n"
        "32.03,01,1700\n32.03,02,2700\n",
        encoding="utf-8",
    )
    # The same regions: "Paslon 01", "1" and a name for the first pair; one count differs.
    (folder / "by_name.csv").write_text(
        "kode_wilayah,paslon,suara\n"
        "32.01,Paslon 01,1000\n32.01,Prabowo - Sandiaga,2000\n"
        "32.02,1,1500\n32.02,No. Urut 2,2400\n"
        "32.03,Jokowi - Ma'ruf,1700\n32.03,Paslon Prabowo,2700\n",
        encoding="utf-8",
    )
    constants = {"election": "pemilu", "year": 2019, "contest": "presiden"}
    document = {
        "organizations": {"jsn": {"name": "Jaga Suara Nusantara"}, "ldw": {"name": "LDW"}},
        "sources": [
            results_entry("by_number.csv", id="jsn_hasil", constants=constants),
            results_entry("by_name.csv", id="ldw_hasil", organization="ldw", constants=constants),
        ],
    }
    settings = make_settings(folder, write_registry(folder, document, copy_demo_files=False))
    result = run_all(settings, load_registry(settings.registry_path))
    assert result.success
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _rows(connection, sql: str) -> list[tuple]:
    return [tuple(row) for row in connection.execute(sa.text(sql))]


def test_spellings_of_one_pair_get_one_id(warehouse):
    assert _rows(
        warehouse,
        "select source_id, candidate, candidate_id, contestant_method from fact_election_results "
        "where region_code = '32.03' order by 1, 2",
    ) == [
        ("jsn_hasil", "01", "paslon_2019_01", "number"),
        ("jsn_hasil", "02", "paslon_2019_02", "number"),
        ("ldw_hasil", "Jokowi - Ma'ruf", "paslon_2019_01", "name"),
        ("ldw_hasil", "Paslon Prabowo", None, None),
    ]


def test_sources_are_compared_on_the_pair_not_on_its_spelling(warehouse):
    # Only the one count that differs is a discrepancy: every other pair of rows agrees
    # although no two of them are spelled alike.
    assert _rows(
        warehouse,
        "select region_code, contestant, candidate, candidate_b, votes_a, votes_b "
        "from source_discrepancies",
    ) == [("32.02", "paslon_2019_02", "02", "No. Urut 2", 2500, 2400)]


def test_what_no_rule_decides_is_listed_for_review_with_suggestions(warehouse):
    assert _rows(
        warehouse,
        "select source_id, column_name, subject, year, value, rows, example_rows "
        "from contestant_review",
    ) == [("ldw_hasil", "candidate", "pair", 2019, "Paslon Prabowo", 1, "7")]
    (suggestions,) = _rows(warehouse, "select suggestions from contestant_review")[0]
    assert suggestions.startswith("paslon_2019_02 (2 Prabowo-Sandi")
    # Published as written all the same: nothing is lost.
    assert _rows(warehouse, "select count(*) from fact_election_results") == [(12,)]
