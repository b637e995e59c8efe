"""Readers return text cells with the row numbers a steward sees in the original file."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from openpyxl import Workbook

from odc_pipeline.reading import (
    MissingColumnsError,
    SourceReadError,
    apply_column_mapping,
    read_source,
    readers,
)
from odc_pipeline.reading.headers import SOURCE_ROW
from odc_pipeline.reading.readers import file_sha256
from odc_pipeline.registry import ReadOptions
from odc_pipeline_tests.conftest import DATA_DIR


def test_demo_csv_rows_and_line_numbers():
    path = DATA_DIR / "demo" / "jsn_pilpres2024_kabkota.csv"
    frame = read_source(path, "csv", ReadOptions(), ["kode_wilayah"])
    assert len(frame) == 81
    assert frame["_source_row"].tolist()[:3] == [2, 3, 4]
    assert frame.loc[0, "kode_wilayah"] == "32.01"
    assert frame.loc[0, "suara"] == "1002642"
    assert set(frame["_file_hash"]) == {file_sha256(path)}
    # One value on every row, held once: a byte a row, not 64 characters.
    assert list(frame["_file_hash"].cat.categories) == [file_sha256(path)]
    assert frame["_file_hash"].memory_usage(deep=True, index=False) < 81 + 1_000


def test_semicolon_windows_1252_csv_with_blank_lines(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        "Kode;Nama;Suara\r\n32.04;Kab. Bandung;1.234.567\r\n;;\r\n32.73;Kota Bandung – Pusat;-\r\n".encode(
            "cp1252"
        )
    )
    frame = read_source(path, "csv", ReadOptions(), ["Kode"])
    # The blank line 3 is not a row; line numbers stay those of the file.
    assert frame[["Kode", "Suara", "_source_row"]].values.tolist() == [
        ["32.04", "1.234.567", 2],
        ["32.73", "-", 4],
    ]
    assert frame.loc[1, "Nama"] == "Kota Bandung – Pusat"


def test_utf8_bom_header_is_clean(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffkode,suara\n3204,10\n".encode())
    frame = read_source(path, "csv", ReadOptions(), ["kode"])
    assert list(frame.columns[:2]) == ["kode", "suara"]


def test_xlsx_title_rows_are_skipped_and_rows_numbered_as_in_excel():
    path = DATA_DIR / "demo" / "fppjb_rekap_pilpres2024.xlsx"
    frame = read_source(
        path, "xlsx", ReadOptions(sheet="Rekap"), ["Kabupaten/Kota", "Jumlah Suara"]
    )
    assert list(frame.columns[:5]) == [
        "Kabupaten/Kota",
        "Pasangan Calon",
        "Jumlah Suara",
        "Suara Sah",
        "Suara Tidak Sah",
    ]
    assert (
        len(frame) == 27
    )  # 24 regions x candidates, 2 odd regions, 1 totals row; the empty row below is not data
    assert frame["_source_row"].iloc[0] == 5
    assert frame["_source_row"].iloc[-1] == 31
    assert frame["Kabupaten/Kota"].iloc[-1] == "JUMLAH"
    assert frame["Suara Sah"].iloc[0] == "3412000"  # a numeric cell, without a trailing .0


def test_xlsx_unknown_sheet_is_a_clear_error(tmp_path):
    workbook = Workbook()
    workbook.active.title = "Data"
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    with pytest.raises(SourceReadError, match=r"no sheet 'Rekap'; its sheets are \['Data'\]"):
        read_source(path, "xlsx", ReadOptions(sheet="Rekap"), ["x"])


def test_json_records_under_a_path_with_numeric_codes():
    path = DATA_DIR / "demo" / "ldw_suara_pilpres2024.json"
    frame = read_source(path, "json", ReadOptions(records_path="data"), ["kode"])
    assert len(frame) == 30
    assert frame["kode"].tolist()[:2] == ["3201", "3201"]  # one was a string, one a number
    assert frame["_source_row"].tolist()[:2] == [1, 2]
    assert frame.loc[13, "perolehan"] is None


def test_json_float_codes_lose_their_dot_zero(tmp_path):
    path = tmp_path / "codes.json"
    path.write_text(json.dumps([{"kode": 3204.0, "suara": 7}]), encoding="utf-8")
    frame = read_source(path, "json", ReadOptions(), ["kode"])
    assert frame.loc[0, "kode"] == "3204"


def test_json_wrong_records_path_and_broken_json(tmp_path):
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"hasil": []}), encoding="utf-8")
    with pytest.raises(SourceReadError, match="no key 'data'"):
        read_source(path, "json", ReadOptions(records_path="data"), ["kode"])
    path.write_text('{"data": [', encoding="utf-8")
    with pytest.raises(SourceReadError, match="not valid JSON"):
        read_source(path, "json", ReadOptions(records_path="data"), ["kode"])


def test_json_lines_read_the_same_whichever_parser_takes_a_line(tmp_path):
    """orjson parses most lines; what it refuses (NaN, an integer past 64 bits, a lone
    surrogate escape, nesting past its limit) is read by `json`, and broken lines still fail
    alone with `json`'s message."""
    lines = [
        '{"kode": "32.04", "suara": 7, "nama": "Bandung \\u00e9", "x": 1.5e3}',
        '{"kode": 3204.0, "suara": NaN}',
        '{"kode": "32.04", "suara": 1180591620717411303424}',
        '{"kode": "32.04", "nama": "\\ud800"}',
        '{"kode": "32.04", "suara": ' + "[" * 1100 + "]" * 1100 + "}",
        '{"kode": "32.04", "suara": 5',
        "[1, 2]",
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = read_source(path, "jsonl", ReadOptions(), ["kode"])
    for line in lines:
        try:
            expected = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as error:
            with pytest.raises(type(error)):
                readers._loads(line)
        else:
            assert readers._loads(line) == expected
    assert frame["kode"].tolist()[:4] == ["32.04", "3204", "32.04", "32.04"]
    assert frame.loc[0, "nama"] == "Bandung \u00e9"
    assert frame.loc[0, "x"] == "1500"
    assert frame.loc[1, "suara"] is None  # NaN is a missing number
    assert frame.loc[2, "suara"] == "1180591620717411303424"
    assert frame.loc[3, "nama"] == "\ud800"
    assert frame["_read_error"].tolist()[4:] == [
        "line 5 nests too deep to read",
        "line 6 is not valid JSON: it stops making sense at column 29",
        "line 7 is a list, not an object with named fields",
    ]


def test_missing_file_is_a_read_error(tmp_path):
    with pytest.raises(SourceReadError, match="file not found"):
        read_source(tmp_path / "gone.csv", "csv", ReadOptions(), ["kode"])


def test_header_matching_ignores_case_spaces_and_punctuation(tmp_path):
    path = tmp_path / "headers.csv"
    path.write_text("KODE_WILAYAH , Suara Sah\n32.04,10\n", encoding="utf-8")
    frame = read_source(path, "csv", ReadOptions(), ["kode wilayah"])
    mapped = apply_column_mapping(frame, {"Kode Wilayah": "region", "suara-sah": "valid_ballots"})
    assert list(mapped.columns) == [
        "region",
        "valid_ballots",
        "_source_row",
        "_file_hash",
        "_read_error",
    ]


def test_missing_mapped_header_names_it_and_lists_what_exists(tmp_path):
    path = tmp_path / "headers.csv"
    path.write_text("kode,jumlah\n32.04,10\n", encoding="utf-8")
    frame = read_source(path, "csv", ReadOptions(), ["kode"])
    with pytest.raises(MissingColumnsError) as caught:
        apply_column_mapping(frame, {"kode": "region", "suara": "votes"})
    assert str(caught.value) == (
        "the file has no column 'suara' named in the registry's column mapping; "
        "the file's columns are: 'kode', 'jumlah'"
    )


def test_empty_csv_cells_are_none(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("kode,suara,sah\n32.04,,10\n", encoding="utf-8")
    frame = read_source(path, "csv", ReadOptions(), ["kode"])
    assert frame.loc[0, "suara"] is None
    assert frame.loc[0, "sah"] == "10"


def test_a_value_repeated_down_a_column_is_held_once(tmp_path):
    """A polling station's file repeats its village code and its candidates' names on every
    row: the column reader holds each distinct value once, shared by the cells that hold it,
    as Jawa Barat's candidates' file of 13.6 million rows needs (see docs/scaling.md)."""
    lines = [f"3201011001,{tps},PKB {k}" for tps in (1, 2, 3) for k in (1, 2, 3)]
    path = tmp_path / "caleg.csv"
    path.write_text("\n".join(["kode_desa,no_tps,nama_caleg", *lines, "3201011002,,PKB 1"]))
    frame = read_source(path, "csv", ReadOptions(), ["kode_desa"])
    assert frame["kode_desa"].tolist() == ["3201011001"] * 9 + ["3201011002"]
    assert frame["nama_caleg"].tolist() == ["PKB 1", "PKB 2", "PKB 3"] * 3 + ["PKB 1"]
    assert frame["no_tps"].iloc[-1] is None
    for column in ("kode_desa", "no_tps", "nama_caleg"):
        cells = frame[column].tolist()
        assert len({id(cell) for cell in cells}) == len(set(cells)), column


@pytest.mark.parametrize(
    "text",
    [
        'kode,nama,suara\n32.04, Kab. Bandung ,1.234\n32.73,,\n;;\n32.01,"Bogor, Kab.",7\n',
        "kode;suara\r\n32.04;1\r\n32.73;2\r\n",
        "kode,suara\n32.04,1\n\n32.73,2\n",  # a blank line: line-by-line reader
        'kode,suara\n32.04,"1\n2"\n32.73,2\n',  # a value spanning lines: line-by-line reader
        "kode,suara\n32.04,1,9\n32.73,2\n",  # a ragged row: line-by-line reader
        "kode,suara\n32.04,1\n,\n 32.73 , 2 \n , \n",  # lines of delimiters only: not rows
        "kode,suara\n32.04,1\n32.04, 1\n32.04,\n32.73,1\n",  # repeated values: held once
    ],
)
def test_column_reader_and_line_reader_agree(tmp_path, monkeypatch, text):
    path = tmp_path / "file.csv"
    path.write_text(text, encoding="utf-8")
    fast = read_source(path, "csv", ReadOptions(), ["kode"])
    if text.endswith(" , \n"):  # the column reader took it, and left the blank lines out
        columns = readers._read_csv_columns(text, ",", ReadOptions(), {"kode"})
        assert columns is not None and columns[SOURCE_ROW].tolist() == [2, 4]
    monkeypatch.setattr(readers, "_read_csv_columns", lambda *args: None)
    slow = read_source(path, "csv", ReadOptions(), ["kode"])
    pd.testing.assert_frame_equal(fast, slow)


@pytest.mark.parametrize(
    "column",
    [
        [" 12 ", 7, None, "", "  tiga ratus ", 10**30, -5, "０１", "\u00a0\u00a0"],
        ["120", True, None, "x"],  # a bool takes the full path: "true"
        [1, 2.0, 2.5, None],
        ["  a  ", None, " "],
        [3, None, 0],
    ],
)
def test_json_columns_read_as_each_cell_alone_would(column):
    """The shortcuts for whole columns give what `cell_text` gives cell by cell."""
    from odc_pipeline.reading.readers import _column_text, cell_text

    assert _column_text(column) == [cell_text(value) for value in column]
