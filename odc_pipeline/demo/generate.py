"""Write the demo datasets under `data/demo/`: `python -m odc_pipeline.demo.generate [DIR]`.

Three fictional organisations report the 2024 presidential vote in Jawa Barat by
kabupaten/kota, each the way such members really do, so that merging them is not trivial:

- Jaga Suara Nusantara (`jsn`): CSV, dotted Kemendagri codes, all 27 kabupaten/kota.
- Forum Pemantau Pemilu Jawa Barat (`fppjb`): XLSX with title rows above the header and a
  totals row, regions by messy names (`Kab. Bandung`, `KOTA BANDUNG`, `Kab Bandung Barat`),
  vote counts as Indonesian-formatted text (`1.234.567`).
- Lembaga Data Warga (`ldw`): JSON under a `data` key, undotted 4-digit codes, some stored
  as numbers. LDW also keeps its copy of the voters list (DPT) per kabupaten/kota, one file
  per election (2019 and 2024): semicolon CSV with Indonesian thousands, the source that
  shows the years as partitions.

The figures are synthetic (realistic sizes and shares, not official results); the region
codes and names are real. Each file carries a few deliberately bad rows, listed in
`BAD_ROWS` so tests and documentation can say exactly what should be quarantined.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook

from odc_pipeline.settings import PROJECT_ROOT

SEED = 2024
CANDIDATES = ("01", "02", "03")
# Rough provincial shares of the three pairs; each region varies around them.
BASE_SHARES = (0.31, 0.59, 0.10)

# Synthetic valid-ballot totals per kabupaten/kota (code, official name), in the order of
# the official list. Sizes follow the regions' populations roughly.
JABAR = [
    ("32.01", "Kabupaten Bogor", 3_412_000),
    ("32.02", "Kabupaten Sukabumi", 1_711_000),
    ("32.03", "Kabupaten Cianjur", 1_539_000),
    ("32.04", "Kabupaten Bandung", 2_514_000),
    ("32.05", "Kabupaten Garut", 1_746_000),
    ("32.06", "Kabupaten Tasikmalaya", 1_233_000),
    ("32.07", "Kabupaten Ciamis", 852_000),
    ("32.08", "Kabupaten Kuningan", 765_000),
    ("32.09", "Kabupaten Cirebon", 1_559_000),
    ("32.10", "Kabupaten Majalengka", 848_000),
    ("32.11", "Kabupaten Sumedang", 809_000),
    ("32.12", "Kabupaten Indramayu", 1_278_000),
    ("32.13", "Kabupaten Subang", 1_087_000),
    ("32.14", "Kabupaten Purwakarta", 647_000),
    ("32.15", "Kabupaten Karawang", 1_566_000),
    ("32.16", "Kabupaten Bekasi", 1_923_000),
    ("32.17", "Kabupaten Bandung Barat", 1_137_000),
    ("32.18", "Kabupaten Pangandaran", 293_000),
    ("32.71", "Kota Bogor", 707_000),
    ("32.72", "Kota Sukabumi", 235_000),
    ("32.73", "Kota Bandung", 1_649_000),
    ("32.74", "Kota Cirebon", 228_000),
    ("32.75", "Kota Bekasi", 1_691_000),
    ("32.76", "Kota Depok", 1_283_000),
    ("32.77", "Kota Cimahi", 391_000),
    ("32.78", "Kota Tasikmalaya", 468_000),
    ("32.79", "Kota Banjar", 148_000),
]

# What each file gets wrong on purpose: (source, row in the file, rule that should catch it).
BAD_ROWS = {
    "jsn_pilpres2024_kabkota": [
        (11, "region_unmatched"),  # a code that is not in the official list
        (30, "number_format"),  # "12a" as a vote count
        (47, "in_range(0, 10000000000)"),  # a negative vote count
        (70, "votes_within_valid_ballots"),  # more votes than valid ballots
    ],
    "fppjb_rekap_pilpres2024": [
        (9, "number_format"),  # "1.23.456" is not a grouped number
        (17, "not_nullable"),  # "-" where the votes should be
        (29, "region_unmatched"),  # "Kab. Bandung Timur" does not exist
        (30, "region_unmatched"),  # bare "Bandung": Kabupaten or Kota?
        (31, "totals_row"),  # the JUMLAH row
    ],
    "ldw_suara_pilpres2024": [
        (4, "region_unmatched"),  # a 5-digit code
        (14, "not_nullable"),  # votes missing (null)
        (20, "in_range(0, 10000000000)"),  # negative invalid ballots
        (27, "region_unmatched"),  # 3299: no such kabupaten/kota
    ],
}


def _results(rng: random.Random, regions: list[tuple[str, str, int]]) -> list[dict]:
    """One row per region and candidate pair with votes that add up to the valid ballots."""
    rows = []
    for code, name, valid in regions:
        weights = [share * rng.uniform(0.8, 1.2) for share in BASE_SHARES]
        total = sum(weights)
        votes = [round(valid * w / total) for w in weights]
        votes[1] += valid - sum(votes)
        invalid = round(valid * rng.uniform(0.015, 0.03))
        for candidate, count in zip(CANDIDATES, votes, strict=True):
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "candidate": candidate,
                    "votes": count,
                    "valid": valid,
                    "invalid": invalid,
                }
            )
    return rows


def _recount(rng: random.Random, rows: list[dict], share_changed: float) -> list[dict]:
    """Another organisation's count of the same regions: mostly equal, sometimes a bit off."""
    out = []
    for row in rows:
        row = dict(row)
        if rng.random() < share_changed:
            row["votes"] = max(0, row["votes"] + rng.randint(-900, 900))
        out.append(row)
    return out


def write_jsn_csv(path: Path, rows: list[dict]) -> None:
    lines = [
        [r["code"], r["name"], r["candidate"], str(r["votes"]), str(r["valid"]), str(r["invalid"])]
        for r in rows
    ]
    # Row numbers are CSV lines: the header is line 1, so list index i is line i + 2.
    lines[11 - 2][0] = "32.99"
    lines[30 - 2][3] = "12a"
    lines[47 - 2][3] = "-150"
    lines[70 - 2][3] = str(int(lines[70 - 2][4]) + 5_000)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["kode_wilayah", "nama_wilayah", "paslon", "suara", "suara_sah", "suara_tidak_sah"]
        )
        writer.writerows(lines)


_MESSY_NAMES = {
    "32.01": "Kabupaten Bogor",
    "32.04": "Kab. Bandung",
    "32.05": "KAB. GARUT",
    "32.11": "Kab. Sumedang",
    "32.17": "Kab Bandung Barat",
    "32.71": "kota bogor",
    "32.73": "KOTA BANDUNG",
    "32.76": "Kota Depok",
}


def _dotted(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def write_fppjb_xlsx(path: Path, rows: list[dict]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Rekap"
    sheet.append(["REKAPITULASI HASIL PENGHITUNGAN SUARA PILPRES 2024 - JAWA BARAT"])
    sheet.append(["Sumber: relawan FPPJB (data sintetis untuk demo)"])
    sheet.append([])
    sheet.append(
        ["Kabupaten/Kota", "Pasangan Calon", "Jumlah Suara", "Suara Sah", "Suara Tidak Sah"]
    )
    body = [
        [_MESSY_NAMES[r["code"]], r["candidate"], _dotted(r["votes"]), r["valid"], r["invalid"]]
        for r in rows
    ]
    # Spreadsheet rows: 4 rows above the data, so list index i is row i + 5.
    body[9 - 5][2] = "1.23.456"
    body[17 - 5][2] = "-"
    body.append(["Kab. Bandung Timur", "02", "412.907", 688_000, 14_000])
    body.append(["Bandung", "01", "380.112", 1_200_000, 20_000])
    totals = sum(r["votes"] for r in rows)
    body.append(["JUMLAH", None, _dotted(totals), None, None])
    for line in body:
        sheet.append(line)
    sheet.append([])
    workbook.properties.created = datetime(2024, 3, 20)
    workbook.properties.modified = datetime(2024, 3, 20)
    workbook.properties.creator = "odc-pipeline demo"
    written = path.with_name(f".{path.stem}.new{path.suffix}")
    workbook.save(written)
    _keep_if_unchanged(written, path)


def workbook_cells(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's values, as a reader of the workbook sees them."""
    workbook = load_workbook(path, read_only=True)
    try:
        return {
            name: [tuple(r) for r in workbook[name].iter_rows(values_only=True)]
            for name in workbook.sheetnames
        }
    finally:
        workbook.close()


def _keep_if_unchanged(written: Path, path: Path) -> None:
    """Put the workbook `written` at `path`, unless `path` already holds the same cells.
    Each save stamps the file with its time, so the same workbook saved again has other
    bytes, and the committed demo file would show as changed after every `make demo`."""
    if path.exists() and workbook_cells(path) == workbook_cells(written):
        written.unlink()
    else:
        written.replace(path)


def write_ldw_json(path: Path, rows: list[dict]) -> None:
    records = []
    for index, r in enumerate(rows):
        code = r["code"].replace(".", "")
        # Their export stores some codes as numbers, as spreadsheets and APIs do.
        records.append(
            {
                "kode": int(code) if index % 2 else code,
                "wilayah": r["name"].upper(),
                "tahun": 2024,
                "calon": r["candidate"],
                "perolehan": r["votes"],
                "sah": r["valid"],
                "tidak_sah": r["invalid"],
            }
        )
    # Row numbers are record positions, starting at 1.
    records[4 - 1]["kode"] = "32040"
    records[14 - 1]["perolehan"] = None
    records[20 - 1]["tidak_sah"] = -5
    records[27 - 1]["kode"] = 3299
    document = {
        "meta": {
            "organisasi": "Lembaga Data Warga",
            "pemilu": "Pilpres 2024",
            "catatan": "data sintetis untuk demo",
        },
        "data": records,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


#: LDW's DPT files, one per election year, and how the register grew since (synthetic).
DPT_YEARS = {2019: 0.94, 2024: 1.0}


def write_ldw_dpt(path: Path, year: int, rng: random.Random) -> None:
    """Registered voters by sex per kabupaten/kota, as LDW exports them from a spreadsheet."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["kode_wilayah", "nama_wilayah", "laki_laki", "perempuan", "jumlah"])
        for code, name, valid in JABAR:
            total = round(valid * 1.27 * DPT_YEARS[year] * rng.uniform(0.98, 1.02))
            male = round(total * rng.uniform(0.495, 0.505))
            writer.writerow([code, name, _dotted(male), _dotted(total - male), _dotted(total)])


def write_demo(destination: Path) -> list[Path]:
    """Write the demo files into `destination` and return their paths."""
    destination.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    truth = _results(rng, JABAR)
    by_code = {code: [r for r in truth if r["code"] == code] for code, _, _ in JABAR}
    fppjb = _recount(rng, [r for c in _MESSY_NAMES for r in by_code[c]], share_changed=0.3)
    ldw_codes = [
        "32.01",
        "32.02",
        "32.04",
        "32.09",
        "32.16",
        "32.17",
        "32.73",
        "32.75",
        "32.76",
        "32.79",
    ]
    ldw = _recount(rng, [r for c in ldw_codes for r in by_code[c]], share_changed=0.15)
    paths = [
        destination / "jsn_pilpres2024_kabkota.csv",
        destination / "fppjb_rekap_pilpres2024.xlsx",
        destination / "ldw_suara_pilpres2024.json",
    ]
    write_jsn_csv(paths[0], truth)
    write_fppjb_xlsx(paths[1], fppjb)
    write_ldw_json(paths[2], ldw)
    # Its own generator, so the files above stay as they were before the DPT files existed.
    dpt_rng = random.Random(SEED + 1)
    for year in DPT_YEARS:
        paths.append(destination / f"ldw_dpt_kabkota_{year}.csv")
        write_ldw_dpt(paths[-1], year, dpt_rng)
    return paths


def main(argv: list[str]) -> None:
    destination = Path(argv[1]) if len(argv) > 1 else PROJECT_ROOT / "data" / "demo"
    for path in write_demo(destination):
        print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv)
