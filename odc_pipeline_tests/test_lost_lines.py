"""No line of a file is lost unseen: a stray quote, or a file wider than its limit.

Each file here is written as a member's export could be; the counts are of the file's own
lines, counted with plain string methods, not with the readers under test.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from odc_pipeline.cli import main
from odc_pipeline.reading import SourceReadError, read_source
from odc_pipeline.reading.encodings import READ_NOTES
from odc_pipeline.reading.headers import READ_ERROR, SOURCE_ROW
from odc_pipeline.registry import ReadOptions, load_registry
from odc_pipeline.registry.model import SourceEntry
from odc_pipeline.validation.validate import validate_source
from odc_pipeline_tests.conftest import (
    demo_registry_document,
    make_settings,
    results_entry,
    run_all,
    write_registry,
)


def _results_csv(tmp_path, rows: int, edit=None):
    lines = ["kode_wilayah,paslon,suara"] + [
        f"32.{i:02d},0{1 + i % 3},{1000 + i}" for i in range(1, rows + 1)
    ]
    for line_number, text in (edit or {}).items():
        lines[line_number - 1] = text
    path = tmp_path / "hasil.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, lines


def test_an_unclosed_quote_sets_aside_its_line_and_every_other_line_is_read(tmp_path):
    # Row 50 of 100 is on line 51: its candidate field opens a quote that is never closed.
    path, lines = _results_csv(tmp_path, 100, {51: '32.50,"01,1050'})
    frame = read_source(path, "csv", ReadOptions(), ["kode_wilayah", "paslon", "suara"])
    assert len(frame) == len(lines) - 1 == 100
    assert frame[SOURCE_ROW].tolist() == list(range(2, 102))
    bad = frame[frame[READ_ERROR].notna()]
    assert bad[SOURCE_ROW].tolist() == [51]
    assert (
        bad[READ_ERROR]
        .iloc[0]
        .startswith('a quote (") opened on line 51 is not closed before line 101')
    )
    assert "Remove the stray quote, or close it" in bad[READ_ERROR].iloc[0]
    # The lines after it are read as written.
    after = frame[frame[SOURCE_ROW] == 52].iloc[0]
    assert (after["kode_wilayah"], after["paslon"], after["suara"]) == ("32.51", "01", "1051")


def test_a_stray_quote_closed_by_a_later_one_loses_nothing_either(tmp_path):
    path, _ = _results_csv(tmp_path, 100, {51: '32.50,"01,1050', 81: '32.80,01",1080'})
    frame = read_source(path, "csv", ReadOptions(), ["kode_wilayah", "paslon", "suara"])
    assert len(frame) == 100
    assert frame.loc[frame[READ_ERROR].notna(), SOURCE_ROW].tolist() == [51]
    # The closing quote mid-value is a character like any other there; validation judges it.
    assert frame.loc[frame[SOURCE_ROW] == 81, "paslon"].tolist() == ['01"']


def test_a_value_that_really_spans_lines_is_still_one_value(tmp_path):
    path = tmp_path / "insiden.csv"
    path.write_text(
        'no,kabupaten,uraian\n1,Bandung,"Saksi diusir\ndari TPS 03"\n2,Garut,Politik uang\n',
        encoding="utf-8",
    )
    frame = read_source(path, "csv", ReadOptions(), ["no", "kabupaten", "uraian"])
    assert frame["uraian"].tolist() == ["Saksi diusir\ndari TPS 03", "Politik uang"]
    assert frame[SOURCE_ROW].tolist() == [2, 4]
    assert frame[READ_ERROR].isna().all()


@pytest.mark.parametrize("columns", [10_000, 1_000_000])
def test_a_header_over_the_column_limit_is_refused_before_the_work(tmp_path, columns):
    path = tmp_path / "lebar.csv"
    header = ",".join(f"k{i}" for i in range(columns))
    path.write_text(f"{header}\n" + ",".join("1" for _ in range(columns)) + "\n")
    with pytest.raises(SourceReadError, match=f"the file has {columns:,} columns, over this"):
        read_source(path, "csv", ReadOptions(), ["k0"])


def test_the_audit_counts_every_line_of_a_file_with_a_stray_quote(tmp_path):
    path = write_registry(tmp_path, demo_registry_document())
    demo_file = tmp_path / "demo" / "jsn_pilpres2024_kabkota.csv"
    lines = demo_file.read_text(encoding="utf-8").splitlines()
    cells = lines[39].split(",")  # line 40
    cells[1] = '"' + cells[1]
    lines[39] = ",".join(cells)
    demo_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = make_settings(tmp_path, path)
    result = run_all(settings, load_registry(path))
    assert result.success
    engine = sa.create_engine(settings.default_warehouse_url)
    with engine.connect() as connection:
        audit = connection.execute(
            sa.text(
                "select rows_in, rows_published, rows_quarantined from load_audit "
                "where source_id = 'jsn_pilpres2024_kabkota'"
            )
        ).one()
        quarantined = connection.execute(
            sa.text(
                "select source_row, reason from quarantine "
                "where source_id = 'jsn_pilpres2024_kabkota'"
            )
        ).all()
    engine.dispose()
    # The file's own count: every line but the header is a row, and each went somewhere
    # (the demo file has bad rows of its own besides line 40).
    rows_in, published, set_aside = audit
    assert rows_in == len(lines) - 1 == published + set_aside
    reasons = dict(quarantined)
    assert reasons[40].startswith('a quote (") opened on line 40 is not closed before line')
    assert published == len(lines) - 1 - len(reasons)


LOOKALIKES = {
    "ARABIC-INDIC": "١٢٣",
    "FULLWIDTH": "１２３",
    "MATHEMATICAL BOLD": "𝟏𝟐𝟑",
    "EXTENDED ARABIC-INDIC": "۱۲۳",
    "DEVANAGARI": "१२३",
}


def test_lookalike_digits_are_set_aside_with_what_they_are(tmp_path):
    edits = {2 + i: f"32.{i:02d},01,{digits}" for i, digits in enumerate(LOOKALIKES.values())}
    edits[9] = "32.٠٨,01,1008"  # in a region code too
    path, lines = _results_csv(tmp_path, 10, edits)
    raw = read_source(path, "csv", ReadOptions(), ["kode_wilayah", "paslon", "suara"])
    entry = SourceEntry(**results_entry("hasil.csv", max_rejected_share=1.0))
    outcome = validate_source(raw, entry)
    assert len(outcome.valid) == len(lines) - 1 - len(edits)
    assert 123 not in outcome.valid["votes"].tolist()
    found = outcome.quarantine.set_index("source_row")
    for line, (name, digits) in zip(range(2, 7), LOOKALIKES.items(), strict=True):
        assert found.loc[line, "rule"] == "lookalike_digits"
        assert found.loc[line, "reason"] == (
            f"votes {digits!r} is written with {name} digits, which look like 0-9 but are other "
            "characters; they are not read as a number or code. Retype the value with the "
            "digits 0-9"
        )
    assert (found.loc[9, "column_name"], found.loc[9, "value"]) == ("region", "32.٠٨")


PAIRS = [f"Calon {i} – Wakil {i}" for i in range(1, 24)]  # an en dash: 3 bytes in UTF-8


def test_a_windows_1252_line_in_a_utf8_file_is_read_in_its_own_encoding(tmp_path):
    lines = ["kode_wilayah,paslon,suara"] + [
        f"32.{i:02d},{pair},{1000 + i}" for i, pair in enumerate(PAIRS, start=1)
    ]
    data = [line.encode("utf-8") for line in lines]
    data[12] = lines[12].encode("cp1252")  # line 13, pasted from an old export
    path = tmp_path / "hasil.csv"
    path.write_bytes(b"\n".join(data) + b"\n")

    frame = read_source(path, "csv", ReadOptions(), ["kode_wilayah", "paslon", "suara"])
    assert frame["paslon"].tolist() == PAIRS
    assert frame.attrs[READ_NOTES] == [
        "the file is UTF-8 except line(s) 13, which are Windows-1252 (pasted from an older "
        "export?); each line was read in its own encoding. Check those lines' accents and "
        "dashes, and save the file again as UTF-8"
    ]
    # A file all in Windows-1252 is simply that: no note.
    path.write_bytes("\n".join(lines).encode("cp1252"))
    frame = read_source(path, "csv", ReadOptions(), ["kode_wilayah", "paslon", "suara"])
    assert frame["paslon"].tolist() == PAIRS
    assert frame.attrs[READ_NOTES] == []


def test_odc_check_says_which_lines_were_in_another_encoding(tmp_path, monkeypatch):
    lines = ["region,candidate,votes"] + [
        f"32.{i:02d},{pair},{1000 + i}" for i, pair in enumerate(PAIRS[:3], start=1)
    ]
    path = tmp_path / "hasil.csv"
    path.write_bytes(
        b"\n".join([*(x.encode() for x in lines[:3]), lines[3].encode("cp1252")]) + b"\n"
    )
    monkeypatch.setenv("ODC_ALLOWED_DATA_DIRS", str(tmp_path))
    fixed = ["--set", "election=pemilu", "--set", "year=2024", "--set", "contest=presiden"]
    result = CliRunner().invoke(
        main, ["check", str(path), "--kind", "election_results", *fixed, "--json"]
    )
    answer = json.loads(result.output)
    assert answer["notes"][0].startswith("the file is UTF-8 except line(s) 4, which are")
    assert answer["rows_quarantined"] == 0
    assert answer["clean"] is False
    assert result.exit_code == 1


@pytest.mark.parametrize(
    "title",
    [
        ["REKAPITULASI SUARA PILPRES 2024", "Sumber: relawan"],  # one line per title record
        ['"REKAPITULASI', 'SUARA"'],  # a title spanning two lines
    ],
)
def test_title_lines_above_the_header_keep_every_row_and_its_line(tmp_path, title):
    path, lines = _results_csv(tmp_path, 50)
    path.write_text("\n".join([*title, *lines]) + "\n", encoding="utf-8")
    frame = read_source(path, "csv", ReadOptions(), ["kode_wilayah", "paslon", "suara"])
    first = len(title) + 2  # the header is on the line after the title
    assert frame[SOURCE_ROW].tolist() == list(range(first, first + 50))
    assert frame["suara"].iloc[-1] == "1050"
    assert frame[READ_ERROR].isna().all()


def test_a_stray_quote_on_the_last_line_is_named_as_such(tmp_path):
    path, lines = _results_csv(tmp_path, 10, {11: '32.10,"01,1010'})
    frame = read_source(path, "csv", ReadOptions(), ["kode_wilayah", "paslon", "suara"])
    assert len(frame) == 10
    (reason,) = frame.loc[frame[READ_ERROR].notna(), READ_ERROR]
    assert reason.startswith('a quote (") opened on line 11 is not closed before the end of')


def test_a_stray_quote_in_the_header_still_finds_the_header_and_every_row(tmp_path):
    path, lines = _results_csv(tmp_path, 30, {1: 'kode_wilayah,"paslon,suara'})
    frame = read_source(path, "csv", ReadOptions(), ["kode_wilayah", "paslon", "suara"])
    assert len(frame) == len(lines) - 1 == 30
    assert frame[READ_ERROR].isna().all()
    assert frame.loc[0, "suara"] == "1001"
