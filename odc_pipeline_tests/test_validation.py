"""Validation collects every problem of a file at once and explains each in plain words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from odc_pipeline.defs.io_manager import ArrowFileIOManager, write_frame
from odc_pipeline.reading import read_source
from odc_pipeline.registry import load_registry
from odc_pipeline.validation.validate import validate_source
from odc_pipeline_tests.conftest import DEMO_REGISTRY


def _validate(source_id: str, raw: pd.DataFrame | None = None):
    registry = load_registry(DEMO_REGISTRY)
    entry = registry.source(source_id)
    if raw is None:
        raw = read_source(
            entry.location_path(registry.base_dir), entry.format, entry.read, list(entry.columns)
        )
    # A shallow copy: validation takes the frame it is given over, and tests read `raw` after.
    return validate_source(raw.copy(deep=False), entry), raw


def test_csv_problems_by_row_with_reasons():
    outcome, raw = _validate("jsn_pilpres2024_kabkota")
    assert outcome.rows_in == 81
    assert len(outcome.valid) == 78  # the unknown code 32.99 is the harmonizer's to judge
    q = outcome.quarantine
    assert q[["source_row", "column_name", "value", "rule"]].values.tolist() == [
        [30, "votes", "12a", "number_format"],
        [47, "votes", "-150", "in_range(0, 10000000000)"],
        [70, "votes", "1696000", "votes_within_valid_ballots"],
    ]
    assert q["reason"].tolist() == [
        "votes: '12a' is not a whole number such as 1234567, 1.234.567 or 1,234,567",
        "votes is -150; a count cannot be negative",
        "votes (1696000) are more than the region's valid ballots (1691000); one of the two numbers is wrong",
    ]
    assert set(q["source_id"]) == {"jsn_pilpres2024_kabkota"}
    # The whole original row is kept, so nothing is lost.
    assert '"votes": "12a"' in q.loc[0, "row_data"]
    assert '"region": "32.10", "candidate": "02"' in q.loc[0, "row_data"]


def test_xlsx_totals_row_and_indonesian_numbers():
    outcome, _ = _validate("fppjb_rekap_pilpres2024")
    assert outcome.rows_in == 27
    rules = dict(zip(outcome.quarantine["source_row"], outcome.quarantine["rule"], strict=True))
    assert rules == {9: "number_format", 17: "not_nullable", 31: "totals_row"}
    # "1.002.642" as text in the sheet is a million-odd votes, not one.
    assert outcome.valid["votes"].iloc[0] > 100_000
    assert outcome.valid["votes"].dtype == "Int64"
    assert outcome.valid["year"].unique().tolist() == [2024]


def test_every_failure_of_one_row_is_reported():
    outcome, raw = _validate("jsn_pilpres2024_kabkota")
    broken = raw.copy()
    broken.loc[0, ["suara", "suara_sah", "paslon"]] = ["-1", "x", None]
    outcome, _ = _validate("jsn_pilpres2024_kabkota", broken)
    first = outcome.quarantine[outcome.quarantine["source_row"] == 2]
    assert sorted(first["rule"]) == ["in_range(0, 10000000000)", "not_nullable", "number_format"]
    assert sorted(first["column_name"]) == ["candidate", "valid_ballots", "votes"]
    assert outcome.rows_quarantined == 4


def test_the_quarantine_shows_each_cell_as_the_file_wrote_it():
    """Not as parsed (-1500), and not empty where a marker of nothing was written."""
    _, raw = _validate("jsn_pilpres2024_kabkota")
    broken = raw.copy()
    broken.loc[0, "suara"] = "-1.500"
    broken.loc[1, "suara"] = "\u2014"  # an em dash: nothing was counted
    outcome, _ = _validate("jsn_pilpres2024_kabkota", broken)
    shown = outcome.quarantine.set_index("source_row").loc[[2, 3], ["value", "reason"]]
    assert shown.values.tolist() == [
        ["-1.500", "votes is -1500; a count cannot be negative"],
        ["\u2014", "votes is empty; every row needs a value for votes"],
    ]


def test_a_cell_far_too_long_is_shown_cut_short():
    """The whole cell stays in the row's row_data; its value is a glimpse of it."""
    _, raw = _validate("jsn_pilpres2024_kabkota")
    broken = raw.copy()
    broken.loc[0, "paslon"] = "01 " + "x" * 6_000
    outcome, _ = _validate("jsn_pilpres2024_kabkota", broken)
    (value,) = outcome.quarantine.loc[outcome.quarantine["rule"] == "cell_too_long", "value"]
    assert value.startswith("01 xxx") and value.endswith("…") and len(value) < 100


def test_constants_from_the_registry_fill_missing_columns():
    outcome, _ = _validate("jsn_pilpres2024_kabkota")
    assert set(outcome.valid["election"]) == {"pemilu"}
    assert set(outcome.valid["contest"]) == {"presiden"}


def test_a_column_the_same_in_every_row_is_handed_on_at_a_byte_a_row(tmp_path):
    """The registry's constants, and the columns a source leaves empty, travel as
    categoricals (through the step's Arrow file too); columns with values stay text."""
    outcome, _ = _validate("jsn_pilpres2024_kabkota")
    valid = outcome.valid
    rows = len(valid)
    assert rows == 78
    for column, held in (("election", ["pemilu"]), ("contest", ["presiden"]), ("dapil", [])):
        assert isinstance(valid[column].dtype, pd.CategoricalDtype), column
        assert list(valid[column].cat.categories) == held, column
        assert valid[column].memory_usage(index=False, deep=True) <= rows + 200, column
    assert valid["dapil"].isna().all() and set(valid["contest"]) == {"presiden"}
    for column in ("paslon", "kabupaten_kota"):
        if column in valid:
            assert not isinstance(valid[column].dtype, pd.CategoricalDtype), column
    stored = tmp_path / "validated.arrow"
    write_frame(valid, stored)
    back = ArrowFileIOManager(base_dir=str(tmp_path))._load(stored)
    for column in ("election", "contest", "dapil"):
        assert isinstance(back[column].dtype, pd.CategoricalDtype), column
        assert back[column].astype(object).where(back[column].notna(), None).tolist() == (
            valid[column].astype(object).where(valid[column].notna(), None).tolist()
        )


def _station_rows(stations: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kode_wilayah": ["32.04.01.2001"] * len(stations),
            "paslon": ["01"] * len(stations),
            "suara": ["10"] * len(stations),
            "tps": stations,
            "_source_row": range(2, len(stations) + 2),
            "_read_error": [None] * len(stations),
            "_file_hash": ["0" * 64] * len(stations),
        },
        dtype=object,
    ).astype({"_source_row": "int64"})


def test_results_per_polling_station_are_keyed_by_station():
    registry = load_registry(DEMO_REGISTRY)
    entry = registry.source("jsn_pilpres2024_kabkota").model_copy(
        update={
            "columns": {
                "kode_wilayah": "region",
                "paslon": "candidate",
                "suara": "votes",
                "tps": "station_number",
            }
        }
    )
    outcome = validate_source(_station_rows(["001", "002", "003", "002"]), entry)
    # Three stations of one village are three rows; station 002 twice is a duplicate.
    assert outcome.valid["station_number"].tolist() == ["001", "003"]
    duplicates = outcome.quarantine[outcome.quarantine["rule"] == "duplicate_key"]
    assert sorted(duplicates["source_row"]) == [3, 5]
    assert "station_number" in duplicates["column_name"].iloc[0]
    # Without a station column, the same village and candidate twice is still a duplicate.
    plain = registry.source("jsn_pilpres2024_kabkota").model_copy(
        update={"columns": {"kode_wilayah": "region", "paslon": "candidate", "suara": "votes"}}
    )
    outcome = validate_source(_station_rows(["001", "002"]).drop(columns="tps"), plain)
    assert len(outcome.valid) == 0
    assert sorted(outcome.quarantine["source_row"]) == [2, 3]


def test_a_file_pasted_twice_into_itself_sets_every_copy_aside_with_short_reasons():
    """Each row of the demo file appears twice, and one row 30 times: every copy is set aside
    as a duplicate, each pair names its two rows, and the big group names its first 20 rows
    and how many more (every row of a group carries the reason, so a full list would grow
    with the square of the group)."""
    outcome, raw = _validate("jsn_pilpres2024_kabkota")
    doubled = pd.concat(
        [raw, raw.assign(_source_row=raw["_source_row"] + 1000)]
        + [raw.iloc[[0]].assign(_source_row=2000 + n) for n in range(28)],
        ignore_index=True,
    )
    again, _ = _validate("jsn_pilpres2024_kabkota", doubled)
    duplicates = again.quarantine[again.quarantine["rule"] == "duplicate_key"]
    first_row = int(raw["_source_row"].iloc[0])
    assert set(duplicates["source_row"]) == set(doubled["_source_row"])
    assert len(again.valid) == 0
    pair = duplicates[duplicates["source_row"] == 1047]["reason"].tolist()
    assert pair == [
        "rows 47, 1047 have the same election, year, contest, candidate, region; keep one row "
        "per region and remove or correct the others"
    ]
    big = set(duplicates[duplicates["source_row"] == first_row]["reason"])
    group = sorted([first_row, first_row + 1000, *range(2000, 2028)])
    assert big == {
        f"rows {', '.join(map(str, group[:20]))} and 10 more have the same election, year, "
        "contest, candidate, region; keep one row per region and remove or correct the others"
    }


def test_validation_takes_the_file_over_and_keeps_its_rows_once():
    """The raw frame's columns move into the valid rows: the caller keeps the row count and
    attrs, and a file whose every row passes is handed on without a copy of its rows."""
    outcome, raw = _validate("jsn_pilpres2024_kabkota")
    given = raw.copy(deep=False)
    given.attrs["note"] = "kept"
    entry = load_registry(DEMO_REGISTRY).source("jsn_pilpres2024_kabkota")
    taken = validate_source(given, entry)
    assert given.columns.empty and len(given) == 81 and given.attrs["note"] == "kept"
    assert taken.valid.equals(outcome.valid) and len(taken.valid) == 78
    clean = raw[~raw["_source_row"].isin([30, 47, 70])].reset_index(drop=True)
    # The unknown code's row passes validation (the harmonizer judges it): 78 rows, none set aside.
    passed = validate_source(clean.copy(deep=False), entry)
    assert len(passed.valid) == 78 and passed.quarantine.empty
    assert np.shares_memory(passed.valid["_source_row"].to_numpy(), clean["_source_row"].to_numpy())
