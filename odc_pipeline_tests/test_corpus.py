"""Every file of the bad-input corpus ends in an exact, explained outcome, never a traceback.

For each file: either a clear error naming what is wrong (the source is held back), or the
exact rows published and the exact rows quarantined under which rule; and `rows in =
published + quarantined` always.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from odc_pipeline.reading import MissingColumnsError, SourceReadError, read_source
from odc_pipeline.regions import Spec, harmonize_regions, load_reference, load_region_tables
from odc_pipeline.registry.model import SourceEntry
from odc_pipeline.validation.validate import validate_source
from odc_pipeline.warehouse.batches import build_batch
from odc_pipeline_tests.conftest import DATA_DIR

FILES = Path(__file__).parent / "corpus" / "files"

BASE = {
    "id": "corpus",
    "organization": "test",
    "kind": "election_results",
    "format": "csv",
    "location": "x",
    "columns": {"kode": "region", "paslon": "candidate", "suara": "votes", "sah": "valid_ballots"},
    "constants": {"election": "pemilu", "year": 2024, "contest": "presiden"},
    "regions": [{"column": "region", "level": "kabupaten_kota", "system": "kemendagri"}],
    "licence": "test",
    "sharing": "public",
    "max_rejected_share": 1.0,
}

ALL_GOOD = {"published": 3, "quarantined": {}}

# file -> (registry changes, expected outcome)
CASES: dict[str, tuple[dict, dict]] = {
    "ok_baseline.csv": ({}, ALL_GOOD),
    "semicolon.csv": ({}, ALL_GOOD),
    "tab_separated.csv": ({}, ALL_GOOD),
    "windows_1252.csv": ({}, ALL_GOOD),
    "utf8_bom.csv": ({}, ALL_GOOD),
    "utf16.csv": ({}, ALL_GOOD),
    "declared_utf8_but_cp1252.csv": (
        {"read": {"encoding": "utf-8"}},
        {"error": "the file is not utf-8 text (byte 0x96 at position 60); set read.encoding"},
    ),
    "declared_semicolon_but_comma.csv": (
        {"read": {"delimiter": ";"}},
        {
            "error": "no header row found in the first 30 rows: none of the column names in the registry's mapping appears"
        },
    ),
    "missing_header.csv": ({}, {"error": "no header row found in the first 30 rows"}),
    "title_row_above_header.csv": ({}, {"published": 3, "quarantined": {}, "rows": [3, 4, 5]}),
    "mixed_thousands.csv": ({}, {"published": 2, "quarantined": {4: "number_format"}}),
    "negative_votes.csv": ({}, {"published": 2, "quarantined": {3: "in_range(0, 10000000000)"}}),
    "implausible_votes.csv": (
        {},
        {"published": 2, "quarantined": {3: "in_range(0, 10000000000)"}},
    ),
    "text_in_numbers.csv": ({}, {"published": 2, "quarantined": {3: "number_format"}}),
    "duplicate_keys.csv": (
        {},
        {"published": 2, "quarantined": {2: "duplicate_key", 4: "duplicate_key"}},
    ),
    "empty.csv": ({}, {"error": "the file is empty (0 bytes)"}),
    "whitespace_only.csv": ({}, {"error": "the file is empty"}),
    "header_only.csv": ({}, {"error": "the file has a header but no data rows"}),
    "very_long_field.csv": ({}, {"published": 2, "quarantined": {3: "cell_too_long"}}),
    "formula_cells.csv": ({}, {"published": 2, "quarantined": {3: "formula_like"}}),
    "xlsx_that_is_csv.xlsx": (
        {"format": "xlsx"},
        {
            "error": "not an XLSX workbook: the file is plain text (it looks like CSV); set format: csv"
        },
    ),
    "cut_off.csv": ({}, {"published": 2, "quarantined": {4: "unreadable_row"}}),
    "stray_delimiter.csv": ({}, {"published": 2, "quarantined": {3: "unreadable_row"}}),
    "ambiguous_thousands.csv": ({}, {"published": 2, "quarantined": {3: "number_format"}}),
    "duplicate_header.csv": ({}, {"error": "the header has the same column name twice: ['suara']"}),
    "headers_alike.csv": (
        {},
        {
            "error": "the header has columns ['Suara', 'suara'] that differ only in case, "
            "spaces or punctuation, and the registry's mapping names one of them: rename one "
            "in the file"
        },
    ),
    "float_codes.csv": ({}, ALL_GOOD),
    "nul_bytes.csv": ({}, {"error": "the file is binary, not CSV text"}),
    "records.jsonl": ({"format": "jsonl"}, {"published": 3, "quarantined": {3: "unreadable_row"}}),
    "nested.json": ({"format": "json", "read": {"records_path": "data.rows"}}, ALL_GOOD),
    "cut_off.json": (
        {"format": "json", "read": {"records_path": "data.rows"}},
        {"error": "not valid JSON (was the file cut off?)"},
    ),
    "not_objects.json": (
        {"format": "json", "read": {"records_path": "data.rows"}},
        {"published": 2, "quarantined": {2: "unreadable_row"}},
    ),
    "merged_header.xlsx": (
        {
            "format": "xlsx",
            "read": {"header_rows": 2},
            "columns": {
                "kode": "region",
                "paslon": "candidate",
                "suara paslon": "votes",
                "suara sah": "valid_ballots",
            },
        },
        {"published": 3, "quarantined": {}, "rows": [3, 4, 5]},
    ),
    "totals_and_title.xlsx": (
        {"format": "xlsx", "read": {"totals_label": "JUMLAH"}},
        {"published": 3, "quarantined": {7: "totals_row"}},
    ),
    "trailing_empty.xlsx": ({"format": "xlsx"}, ALL_GOOD),
    "cut_off.xlsx": (
        {"format": "xlsx"},
        {"error": "not an XLSX workbook: the file is damaged or cut off"},
    ),
    "zip_bomb.xlsx": ({"format": "xlsx"}, {"error": "refused as a possible zip bomb"}),
    "legacy.xls": ({"format": "xls"}, ALL_GOOD),
}

REASONS = {
    "mixed_thousands.csv": "votes: '1.234,567' is not a whole number such as 1234567, 1.234.567 or 1,234,567",
    "ambiguous_thousands.csv": "votes: '1,342' is ambiguous: in this source's locale ('id') ',' marks decimals",
    "cut_off.csv": "this line has 2 fields but the header has 4: the line is incomplete (was the file cut off?)",
    "stray_delimiter.csv": "this line has 6 fields but the header has 4: a value holds the delimiter without quotes",
    "formula_cells.csv": 'candidate is a spreadsheet formula (\'=HYPERLINK("http://x.example","02")\'), not a value',
    "very_long_field.csv": "candidate holds 20,001 characters, more than the 5,000 allowed (read.max_cell_chars)",
    "duplicate_keys.csv": "rows 2, 4 have the same election, year, contest, candidate, region",
    "records.jsonl": "line 3 is not valid JSON: it stops making sense at column 35",
    "not_objects.json": "record 2 is a list, not an object with named fields",
    "negative_votes.csv": "votes is -15; a count cannot be negative",
    "implausible_votes.csv": "votes is 5000000000000000000, more than any count of people can be "
    "(at most 10,000,000,000); it is likely a typo, or another column's numbers",
}


@pytest.fixture(scope="module")
def tables():
    return load_region_tables(load_reference(), DATA_DIR / "reference")


def _entry(changes: dict) -> SourceEntry:
    document = copy.deepcopy(BASE)
    for key, value in changes.items():
        document[key] = value
    return SourceEntry.model_validate(document)


def test_the_corpus_has_at_least_30_files_and_each_has_a_case():
    files = sorted(p.name for p in FILES.iterdir())
    assert len(files) >= 30
    assert sorted(CASES) == files


@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus_file(name: str, tables):
    changes, expected = CASES[name]
    entry = _entry(changes)
    try:
        raw = read_source(FILES / name, entry.format, entry.read, list(entry.columns))
        outcome = validate_source(raw, entry)
    except (SourceReadError, MissingColumnsError) as error:
        assert "error" in expected, f"{name}: unexpected error {error}"
        assert expected["error"] in str(error)
        return
    assert "error" not in expected, f"{name}: expected an error, the file was read"
    specs = [Spec(r.column, r.depth, r.system, r.untyped) for r in entry.regions]
    harmonized = harmonize_regions(outcome.valid, specs, tables, source_id=entry.id)
    before = harmonized.copy()
    batch = build_batch(
        source_id=entry.id,
        organization_id=entry.organization,
        kind=entry.kind,
        rows_in=len(raw),
        harmonized=harmonized,
        validation_quarantine=outcome.quarantine,
        region_specs=specs,
    )
    quarantined = dict(
        zip(batch.quarantine["source_row"].astype(int), batch.quarantine["rule"], strict=False)
    )
    assert (batch.rows_published, quarantined) == (expected["published"], expected["quarantined"])
    assert batch.rows_in == batch.rows_published + batch.rows_quarantined
    # The published rows were moved out of the harmonized frame a column at a time; each
    # keeps its own region and row number.
    assert harmonized.columns.empty
    published = before.set_index("_source_row").loc[batch.facts["source_row"]]
    assert batch.facts["region_code"].tolist() == published["region_code"].tolist()
    if "rows" in expected:
        assert batch.facts["source_row"].tolist() == expected["rows"]
    if name in REASONS:
        assert any(REASONS[name] in reason for reason in batch.quarantine["reason"]), (
            batch.quarantine["reason"].tolist()
        )
