"""Parties and presidential pairs as members write them: one id per contestant, per election."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from odc_pipeline.elections.contestants import ContestantIndex, normalize
from odc_pipeline.elections.harmonize import harmonize_contestants
from odc_pipeline.elections.reference import ElectionReferenceError, load_election_tables
from odc_pipeline.elections.review import (
    contestant_review_items,
    import_contestant_decisions,
    write_contestant_review_csv,
)
from odc_pipeline.review_queue import ReviewImportError
from odc_pipeline.settings import PROJECT_ROOT

REFERENCE = PROJECT_ROOT / "data" / "reference"


@pytest.fixture(scope="module")
def index() -> ContestantIndex:
    return ContestantIndex(load_election_tables(REFERENCE))


@pytest.mark.parametrize(
    "written", ["Paslon 01", "01", "1", "No. Urut 1", "Jokowi - Ma'ruf", "Jokowi-Amin", "pas1"]
)
def test_every_way_of_writing_the_first_2019_pair_is_one_pair(index, written):
    assert index.match(written, "pair", 2019).contestant_id == "paslon_2019_01"


def test_a_ballot_number_means_nothing_without_its_election(index):
    assert index.match("4", "party", 2014).contestant_id == "pdip"
    assert index.match("3", "party", 2019).contestant_id == "pdip"
    assert index.match("3", "party", 2014).contestant_id == "pks"
    for written in ("PDIP", "PDI-P", "PDI Perjuangan", "Partai Demokrasi Indonesia Perjuangan"):
        assert index.match(written, "party", 2024).contestant_id == "pdip"
    assert normalize("No. Urut 01") == "1"


def test_what_names_nothing_is_never_guessed(index):
    found = index.match("Partai Demokrasi Indonesia", "party", 2019)
    assert found.contestant_id is None
    assert "is not a party of 2019" in found.problem
    assert found.suggestions.startswith("pdip (3 PDI-P")
    assert "not a ballot number of a 2019 presidential pair (1, 2)" in (
        index.match("03", "pair", 2019).problem
    )
    assert index.match("Gerindra", "party", 2009).problem.startswith(
        "no parties are known for 2009"
    )
    # A party that did not stand that year is not found by its name either.
    assert index.match("Partai Buruh", "party", 2019).contestant_id is None


def test_a_frame_gets_pair_and_party_ids_by_contest(index):
    frame = pd.DataFrame(
        {
            "year": [2019, 2019, 2019, 2019, 2019, 2019],
            "contest": ["presiden", "presiden", "presiden", "dpr", "dpr", "dpr"],
            "candidate": ["Paslon 01", "1", "Jokowi - Ma'ruf", "PDIP", "3", "Partai X"],
            "party": [None] * 6,
            "_source_row": [2, 3, 4, 5, 6, 7],
        }
    )
    out = harmonize_contestants(frame, ["candidate", "party"], index)
    assert out["candidate_id"].tolist()[:3] == ["paslon_2019_01"] * 3
    shown = out.astype(object).where(out.notna(), None)
    assert shown["party_id"].tolist()[3:] == ["pdip", "pdip", None]
    assert shown["contestant_method"].tolist() == [
        "number",
        "number",
        "name",
        "name",
        "number",
        None,
    ]
    items = contestant_review_items(out, "s")
    assert items[["column_name", "subject", "value", "rows"]].values.tolist() == [
        ["candidate", "party", "Partai X", 1]
    ]


def test_a_source_with_its_own_party_column_keeps_candidates_as_people(index):
    frame = pd.DataFrame(
        {"year": [2014], "contest": ["dpr"], "candidate": ["H. ABDUL"], "party": ["PARTAI NasDem"]}
    )
    out = harmonize_contestants(frame, ["candidate", "party"], index)
    shown = out.astype(object).where(out.notna(), None)
    assert shown[["party_id", "candidate_id", "contestant_method"]].values.tolist() == [
        ["nasdem", None, None]
    ]


def test_a_broken_reference_file_names_its_file_line_and_field(tmp_path):
    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE, folder)
    ballots = folder / "party_ballots.csv"
    ballots.write_text(ballots.read_text().replace("2019,3,pdip,", "2019,3,pdi_p,"))
    with pytest.raises(ElectionReferenceError) as caught:
        load_election_tables(folder)
    message = str(caught.value)
    assert "party_ballots.csv, line 19: party_id 'pdi_p' is not one of:" in message


def test_review_decisions_are_checked_then_matched_next_time(tmp_path: Path):
    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE, folder)
    index = ContestantIndex(load_election_tables(folder))
    frame = pd.DataFrame(
        {
            "year": [2019, 2019],
            "contest": ["presiden"] * 2,
            "candidate": ["Paslon Jokowi"] * 2,
            "_source_row": [2, 9],
        }  # fmt: skip
    )
    items = contestant_review_items(harmonize_contestants(frame, ["candidate"], index), "kp")
    assert items[["value", "rows", "example_rows"]].values.tolist() == [
        ["Paslon Jokowi", 2, "2, 9"]
    ]
    queue = tmp_path / "queue.csv"
    assert write_contestant_review_csv(items, queue) == 1
    filled = pd.read_csv(queue, dtype=str, keep_default_na=False)
    filled.loc[0, "decision_id"] = "paslon_2014_02"  # a pair of another election
    filled.to_csv(queue, index=False)
    with pytest.raises(ReviewImportError) as refused:
        import_contestant_decisions(queue, folder, index.tables)
    assert "'paslon_2014_02' is not a presidential pair of 2019" in str(refused.value)
    filled.loc[0, "decision_id"] = "paslon_2019_01"
    filled.to_csv(queue, index=False)
    report = import_contestant_decisions(queue, folder, index.tables)
    assert (report.added, report.already_known) == (1, 0)
    again = ContestantIndex(load_election_tables(folder))
    assert again.match("Paslon Jokowi", "pair", 2019, source_id="kp").contestant_id == (
        "paslon_2019_01"
    )
    assert again.match("Paslon Jokowi", "pair", 2019, source_id="other").contestant_id is None


def test_every_split_names_todays_regency_and_the_one_it_came_from():
    from odc_pipeline.regions import load_region_list

    regions = load_region_list().set_index("region_code")
    splits = load_election_tables(REFERENCE).splits
    assert len(splits) == 17
    for row in splits.itertuples():
        assert regions.at[row.region_code, "name"] == row.name
        assert int(regions.at[row.split_from, "level"]) == 2
        assert row.note == f"from {regions.at[row.split_from, 'name']}"
        assert row.region_code[:2] == row.split_from[:2]  # within its province


def test_two_spellings_of_one_pair_in_one_region_are_set_aside_together(index):
    from odc_pipeline.kinds import KINDS
    from odc_pipeline.validation.harmonized_duplicates import duplicates_after_harmonizing

    frame = pd.DataFrame(
        {
            "election": ["pemilu"] * 4,
            "year": [2019] * 4,
            "contest": ["presiden"] * 4,
            "candidate": ["01", "Paslon 01", "02", "01"],
            "party": [None] * 4,
            "station_number": [None] * 4,
            "region_code": ["32.04", "32.04", "32.04", "32.73"],
            "region_value": ["Kab. Bandung", "Kabupaten Bandung", "Kab. Bandung", "Kota Bandung"],
            "_source_row": [2, 3, 4, 5],
        }
    )
    harmonized = harmonize_contestants(frame, ["candidate", "party"], index)
    problems = duplicates_after_harmonizing(harmonized, KINDS["election_results"])
    assert sorted((p.index, p.value) for p in problems) == [
        (0, "Kab. Bandung"),
        (1, "Kabupaten Bandung"),
    ]
    assert {p.rule for p in problems} == {"duplicate_after_harmonizing"}
    assert problems[0].reason == (
        "rows 2: 'Kab. Bandung' '01'; 3: 'Kabupaten Bandung' 'Paslon 01' are one row once "
        "harmonized: region 32.04, candidate paslon_2019_01; keep one of them and remove or "
        "correct the others"
    )


def test_rows_without_a_region_are_compared_with_none_and_key_nothing(index):
    """The publisher gives every harmonized row, not a copy of those with a region: a row
    without one is never a duplicate, and a station number only such rows have does not
    make the rows with a region incomparable."""
    from odc_pipeline.kinds import KINDS
    from odc_pipeline.validation.harmonized_duplicates import duplicates_after_harmonizing

    frame = pd.DataFrame(
        {
            "election": ["pemilu"] * 5,
            "year": [2019] * 5,
            "contest": ["presiden"] * 5,
            "candidate": ["01", "Paslon 01", "02", "01", "01"],
            "party": [None] * 5,
            "station_number": [None, None, None, "7", "7"],
            "region_code": ["32.04", "32.04", "32.04", None, None],
            "region_value": ["Kab. Bandung", "Kabupaten Bandung", "Kab. Bandung", "X", "X"],
            "_source_row": [2, 3, 4, 5, 6],
        }
    )
    harmonized = harmonize_contestants(frame, ["candidate", "party"], index)
    problems = duplicates_after_harmonizing(harmonized, KINDS["election_results"])
    assert sorted(p.index for p in problems) == [0, 1]
    with_a_region = duplicates_after_harmonizing(
        harmonized.loc[harmonized["region_code"].notna()], KINDS["election_results"]
    )
    assert [(p.index, p.reason) for p in problems] == [(p.index, p.reason) for p in with_a_region]
