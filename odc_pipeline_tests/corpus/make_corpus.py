"""Write the corpus of bad (and tricky but good) input files: `python -m odc_pipeline_tests.corpus.make_corpus`.

Each file is one real failure mode of files members send; `test_corpus.py` states the exact
outcome for each. The files are committed; this script documents how each was made.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from openpyxl import Workbook

FILES = Path(__file__).parent / "files"
HEADER = ["kode", "paslon", "suara", "sah"]
GOOD = [
    ["32.04", "01", "905190", "2514000"],
    ["32.04", "02", "1342524", "2514000"],
    ["32.73", "01", "570000", "1649000"],
]


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    return "\n".join(delimiter.join(r) for r in rows) + "\n"


def _xlsx(path: Path, rows: list[list], merge: list[str] = ()) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    for row in rows:
        sheet.append(row)
    for cells in merge:
        sheet.merge_cells(cells)
    workbook.save(path)


def write_corpus(folder: Path = FILES) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    text: dict[str, str | bytes] = {
        "ok_baseline.csv": _csv([HEADER, *GOOD]),
        "semicolon.csv": _csv([HEADER, *GOOD], ";"),
        "tab_separated.csv": _csv([HEADER, *GOOD], "\t"),
        "windows_1252.csv": _csv(
            [[*HEADER, "catatan"], *[[*r, "Rekap – final"] for r in GOOD]]
        ).encode("cp1252"),
        "utf8_bom.csv": "\ufeff" + _csv([HEADER, *GOOD]),
        "utf16.csv": _csv([HEADER, *GOOD]).encode("utf-16"),
        "declared_utf8_but_cp1252.csv": _csv(
            [[*HEADER, "catatan"], *[[*r, "Rekap – final"] for r in GOOD]]
        ).encode("cp1252"),
        "declared_semicolon_but_comma.csv": _csv([HEADER, *GOOD]),
        "missing_header.csv": _csv(GOOD),
        "title_row_above_header.csv": "Hasil Pilpres 2024 - Jawa Barat\n" + _csv([HEADER, *GOOD]),
        "mixed_thousands.csv": _csv(
            [
                HEADER,
                ["32.04", "01", '"1.234.567"', "2514000"],
                ["32.04", "02", '"1,234,567"', "2514000"],
                ["32.73", "01", '"1.234,567"', "2514000"],
            ]
        ),
        "negative_votes.csv": _csv([HEADER, GOOD[0], ["32.04", "02", "-15", "2514000"], GOOD[2]]),
        # More than any count of people, the largest within 64 bits among them: added up
        # into the totals, such counts overflowed and stopped the publish of every source.
        "implausible_votes.csv": _csv(
            [
                HEADER,
                GOOD[0],
                ["32.04", "02", "5000000000000000000", "9223372036854775807"],
                GOOD[2],
            ]
        ),
        "text_in_numbers.csv": _csv(
            [HEADER, GOOD[0], ["32.04", "02", "dua ratus", "2514000"], GOOD[2]]
        ),
        "duplicate_keys.csv": _csv(
            [HEADER, GOOD[0], GOOD[1], ["32.04", "01", "905191", "2514000"], GOOD[2]]
        ),
        "empty.csv": b"",
        "whitespace_only.csv": "\n \n\n",
        "header_only.csv": _csv([HEADER]),
        "very_long_field.csv": _csv(
            [HEADER, GOOD[0], ["32.04", "0" + "2" * 20_000, "1342524", "2514000"], GOOD[2]]
        ),
        "formula_cells.csv": _csv(
            [
                HEADER,
                GOOD[0],
                ["32.04", '"=HYPERLINK(""http://x.example"",""02"")"', "1342524", "2514000"],
                GOOD[2],
            ]
        ),
        "xlsx_that_is_csv.xlsx": _csv([HEADER, *GOOD]),
        "cut_off.csv": _csv([HEADER, GOOD[0], GOOD[1]]) + "32.73,01",
        "stray_delimiter.csv": _csv(
            [HEADER, GOOD[0], ["32.04", "02", "1,342,524", "2514000"], GOOD[2]]
        ),
        "ambiguous_thousands.csv": _csv(
            [HEADER, GOOD[0], ["32.04", "02", '"1,342"', "2514000"], GOOD[2]]
        ),
        "duplicate_header.csv": _csv(
            [
                ["kode", "paslon", "suara", "suara", "sah"],
                *[[r[0], r[1], r[2], r[2], r[3]] for r in GOOD],
            ]
        ),
        # The same mapped header but for its case and a trailing space: which one is read?
        "headers_alike.csv": _csv(
            [
                ["kode", "paslon", "Suara", "suara ", "sah", "Catatan", "catatan"],
                *[[r[0], r[1], r[2], "5", r[3], "", ""] for r in GOOD],
            ]
        ),
        "float_codes.csv": _csv(
            [
                HEADER,
                ["3204.0", "01", "905190", "2514000"],
                ["3204.0", "02", "1342524", "2514000"],
                ["3273.0", "01", "570000", "1649000"],
            ]
        ),
        "nul_bytes.csv": b"kode,paslon\x00,suara\n\x00\x00\x00",
        "records.jsonl": "\n".join(json.dumps(dict(zip(HEADER, r, strict=True))) for r in GOOD[:2])
        + '\n{"kode": "32.73", "paslon": "01", "su\n'
        + json.dumps(dict(zip(HEADER, GOOD[2], strict=True)))
        + "\n",
        "nested.json": json.dumps(
            {"meta": {"n": 3}, "data": {"rows": [dict(zip(HEADER, r, strict=True)) for r in GOOD]}}
        ),
        "cut_off.json": json.dumps(
            {"data": {"rows": [dict(zip(HEADER, r, strict=True)) for r in GOOD]}}
        )[:-40],
        "not_objects.json": json.dumps(
            {
                "data": {
                    "rows": [
                        dict(zip(HEADER, GOOD[0], strict=True)),
                        ["32.04", "02"],
                        dict(zip(HEADER, GOOD[2], strict=True)),
                    ]
                }
            }
        ),
    }
    paths = []
    for name, content in text.items():
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        paths.append(path)
    numbers = [[r[0], r[1], int(r[2]), int(r[3])] for r in GOOD]
    _xlsx(
        folder / "merged_header.xlsx",
        [["kode", "paslon", "suara", None], [None, None, "paslon", "sah"], *numbers],
        merge=["C1:D1"],
    )
    _xlsx(
        folder / "totals_and_title.xlsx",
        [
            ["REKAP PILPRES 2024"],
            [],
            HEADER,
            *numbers,
            ["JUMLAH", None, sum(r[2] for r in numbers), None],
        ],
    )
    _xlsx(
        folder / "trailing_empty.xlsx",
        [[*HEADER, None, None], *[[*r, None, None] for r in numbers], [], [], [None] * 6],
    )
    paths += [
        folder / n for n in ("merged_header.xlsx", "totals_and_title.xlsx", "trailing_empty.xlsx")
    ]
    good = folder / "ok_baseline.xlsx"
    _xlsx(good, [HEADER, *numbers])
    (folder / "cut_off.xlsx").write_bytes(good.read_bytes()[:900])
    good.unlink()
    paths.append(folder / "cut_off.xlsx")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    (folder / "zip_bomb.xlsx").write_bytes(bomb.getvalue())
    paths.append(folder / "zip_bomb.xlsx")
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Data")
    for r, row in enumerate([HEADER, *numbers]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(folder / "legacy.xls"))
    paths.append(folder / "legacy.xls")
    return paths


if __name__ == "__main__":
    for written in write_corpus():
        print(f"{written.stat().st_size:>10,}  {written.name}")
