"""Rebuild `historic_codes.csv` and `bps_kemendagri.csv` from their cited sources.

    python -m odc_pipeline.regions.build_reference [REAL_DATA_DIR]

REAL_DATA_DIR holds `permendagri-72-2019/base.csv` (CC0) and `bps-mfd-2018/*.csv` (ODbL);
default `../shared/data/real`. Regions are matched by name inside their already mapped
parent with the project's own harmonizer (exact names and aliases only: no fuzzy guesses in
a reference table). What cannot be matched is printed and left out.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd

from odc_pipeline.regions.index import build_index
from odc_pipeline.regions.names import parse_name
from odc_pipeline.regions.reference import LEVEL_NAMES, load_reference
from odc_pipeline.regions.resolve import Match, Spec, resolve_name
from odc_pipeline.regions.tables import (
    BPS_COLUMNS,
    HISTORIC_COLUMNS,
    RegionTables,
    load_region_tables,
)
from odc_pipeline.settings import PROJECT_ROOT

REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"
PAPUA_SPLITS = {
    "93": ("91", "UU 14/2022: Papua Selatan formed from Papua"),
    "94": ("91", "UU 15/2022: Papua Tengah formed from Papua"),
    "95": ("91", "UU 16/2022: Papua Pegunungan formed from Papua"),
    "96": ("92", "UU 29/2022: Papua Barat Daya formed from Papua Barat"),
}
_UNCHANGED = "same code"


def _exact_name(text: str, level: int, parent: str | None, index) -> str | None:
    """Exact or alias match only: a reference table must not rest on a fuzzy guess."""
    result = resolve_name(
        text, Spec("name", level, "name", "kabupaten" if level == 2 else None), parent, index
    )
    return result.code if isinstance(result, Match) and result.method in ("name", "alias") else None


def _same_name(a: str, b: str, level: int) -> bool:
    key_a, key_b = parse_name(a, typed=level == 2), parse_name(b, typed=level == 2)
    return key_a is not None and key_b is not None and key_a.base == key_b.base


def build_historic(base_csv: Path, tables: RegionTables) -> tuple[list[dict], list[str]]:
    """Old Papua / Papua Barat codes (Permendagri 72/2019) whose region now has another code."""
    old = pd.read_csv(base_csv, header=None, names=["code", "name"], dtype=str)
    old = old[old["code"].str.match(r"^9[12](\.|$)")]
    split_rows = [
        {
            "old_code": parent,
            "new_code": new,
            "level": "provinsi",
            "old_name": "",
            "new_name": "",
            "rule": rule,
        }
        for new, (parent, rule) in PAPUA_SPLITS.items()
    ]
    historic = RegionTables(
        reference=tables.reference,
        aliases=tables.aliases,
        historic=pd.DataFrame([{**r, "level": 1} for r in split_rows], columns=HISTORIC_COLUMNS),
    )
    index = build_index(historic, max_level=4)
    mapped: dict[str, str] = {"91": "91", "92": "92"}
    rows, missed = list(split_rows), []
    for code, name in sorted(old.itertuples(index=False), key=lambda r: (r[0].count("."), r[0])):
        level = code.count(".") + 1
        if level == 1:
            continue
        parent_old = code.rsplit(".", 1)[0]
        parent_new = mapped.get(parent_old)
        if parent_new is None:
            missed.append(f"{code} {name}: parent {parent_old} was not mapped")
            continue
        suffix = code[len(parent_old) :]
        same_place = parent_new + suffix
        if same_place in index.names and _same_name(index.names[same_place], name, level):
            new = same_place
        else:
            new = _exact_name(name, level, parent_new, index)
        if new is None:
            missed.append(
                f"{code} {name}: no {LEVEL_NAMES[level]} of that name inside {parent_new}"
            )
            continue
        mapped[code] = new
        if new != code:
            rule = PAPUA_SPLITS.get(new[:2], (None, "code renumbered"))[1]
            rows.append(
                {
                    "old_code": code,
                    "new_code": new,
                    "level": LEVEL_NAMES[level],
                    "old_name": name,
                    "new_name": index.names[new],
                    "rule": rule,
                }
            )
    return rows, missed


def build_bps(mfd_dir: Path, tables: RegionTables) -> tuple[list[dict], list[str]]:
    """BPS MFD 2018 codes with the current Kemendagri code of the same region, by name."""
    index = build_index(tables, max_level=3)
    rule = "BPS MFD 2018, matched by name"
    rows, missed = [], []
    provinces = pd.read_csv(
        mfd_dir / "provinces.csv", header=None, names=["code", "name"], dtype=str
    )
    regencies = pd.read_csv(
        mfd_dir / "regencies.csv", header=None, names=["code", "parent", "name"], dtype=str
    )
    districts = pd.read_csv(
        mfd_dir / "districts.csv", header=None, names=["code", "parent", "name"], dtype=str
    )
    mapped: dict[str, str] = {}
    for level, frame in ((1, provinces.assign(parent=None)), (2, regencies), (3, districts)):
        for code, name, parent in frame[["code", "name", "parent"]].itertuples(index=False):
            parent_new = mapped.get(parent) if parent else None
            if parent and parent_new is None:
                missed.append(f"BPS {code} {name}: parent {parent} was not mapped")
                continue
            new = _exact_name(name, level, parent_new, index)
            if new is None:
                missed.append(
                    f"BPS {code} {name}: no {LEVEL_NAMES[level]} of that name inside {parent_new}"
                )
                continue
            mapped[code] = new
            rows.append(
                {
                    "bps_code": code,
                    "kemendagri_code": new,
                    "level": LEVEL_NAMES[level],
                    "bps_name": name,
                    "kemendagri_name": index.names[new],
                    "rule": rule
                    if code.replace(".", "") != new.replace(".", "")
                    else rule + "; same digits",
                }
            )
    return rows, missed


def _write(path: Path, columns: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str]) -> int:
    real = Path(argv[1]) if len(argv) > 1 else PROJECT_ROOT.parent / "shared" / "data" / "real"
    reference = load_reference()
    tables = load_region_tables(reference, REFERENCE_DIR)
    tables = replace(tables, historic=tables.historic.iloc[0:0], bps=tables.bps.iloc[0:0])
    historic, missed_historic = build_historic(real / "permendagri-72-2019" / "base.csv", tables)
    _write(REFERENCE_DIR / "historic_codes.csv", HISTORIC_COLUMNS, historic)
    tables = load_region_tables(reference, REFERENCE_DIR)
    tables = replace(tables, bps=tables.bps.iloc[0:0])
    bps, missed_bps = build_bps(real / "bps-mfd-2018", tables)
    _write(REFERENCE_DIR / "bps_kemendagri.csv", BPS_COLUMNS, bps)
    print(f"historic_codes.csv: {len(historic)} rows; not matched: {len(missed_historic)}")
    print(f"bps_kemendagri.csv: {len(bps)} rows; not matched: {len(missed_bps)}")
    for line in missed_historic + missed_bps:
        print("  not matched:", line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
