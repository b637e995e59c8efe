"""The region tables under data/reference/ agree with their sources and with independent data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from odc_pipeline.regions import load_reference, load_region_tables
from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline_tests.conftest import DATA_DIR

REAL = Path(
    __import__("os").environ.get(
        "ODC_REAL_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data" / "real"
    )
)


@pytest.fixture(scope="module")
def tables():
    return load_region_tables(load_reference(), DATA_DIR / "reference")


def test_historic_table_covers_every_moved_papua_regency(tables):
    historic = tables.historic
    regencies = historic[historic["level"] == 2]
    # Permendagri 72/2019 lists 42 kabupaten/kota in 91 and 92; 16 kept their code.
    assert len(regencies) == 26
    assert set(regencies["new_code"].str[:2]) == {"93", "94", "95", "96"}
    moved = dict(zip(regencies["old_code"], regencies["new_code"], strict=True))
    assert moved["91.01"] == "93.01"  # Merauke
    assert moved["92.01"] == "96.01"  # Sorong
    assert "91.03" not in moved  # Jayapura stayed in Papua
    splits = historic[historic["level"] == 1]
    assert sorted(zip(splits["old_code"], splits["new_code"], strict=True)) == [
        ("91", "93"),
        ("91", "94"),
        ("91", "95"),
        ("92", "96"),
    ]


def test_bps_crosswalk_agrees_with_the_bridging_scrape(tables):
    bridging_file = REAL / "bps-kemendagri-bridging" / "csv" / "kabkota.csv"
    if not bridging_file.exists():
        pytest.skip(f"real data not present at {bridging_file}")
    bridging = pd.read_csv(bridging_file, dtype=str)
    historic = dict(zip(tables.historic["old_code"], tables.historic["new_code"], strict=True))
    ours = dict(zip(tables.bps["bps_code"], tables.bps["kemendagri_code"], strict=True))
    disagreements = []
    for bps, dagri in bridging[["kode_bps", "kode_dagri"]].itertuples(index=False):
        expected = historic.get(f"{dagri[:2]}.{dagri[2:]}", f"{dagri[:2]}.{dagri[2:]}")
        if ours.get(bps) != expected:
            disagreements.append((bps, ours.get(bps), expected))
    assert len(bridging) == 514
    assert disagreements == []
