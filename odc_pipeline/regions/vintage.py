"""Codes as they were: a source that writes an earlier year's region codes (`code_vintage`).

A region split since keeps its code for what is left: `91` was all of Papua in 2014 and is
a quarter of it today, `64` was Kalimantan Timur with Kalimantan Utara until 2012. Matched
as today's, a 2014 row of `91` would be joined to today's smaller province (its population,
its kabupaten) and every per-capita figure would come out wrong. The warehouse has no code
for a region that no longer exists, so such a row keeps the code it was written with and is
marked: `region_method` says `vintage`, and `region_rule` names the regions split off since,
which together with it make the region of that year (`dim_region_split` lists them).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

#: `region_method` of a row whose region was larger in the source's code vintage.
VINTAGE_METHOD = "vintage"
#: Kabupaten/kota and provinces made from another, with the year: the same columns each.
SPLIT_FILES = ("region_splits.csv", "province_splits.csv")
SPLIT_COLUMNS = ["region_code", "split_from", "created", "name", "note"]


def load_splits(reference_dir: Path) -> pd.DataFrame:
    """Every split the reference tables know: today's code, the code it was split from, the
    year it was made and its name."""
    frames = [
        pd.read_csv(reference_dir / name, dtype=str, keep_default_na=False)[SPLIT_COLUMNS]
        for name in SPLIT_FILES
        if (reference_dir / name).exists()
    ]
    if not frames:
        return pd.DataFrame(columns=SPLIT_COLUMNS)
    splits = pd.concat(frames, ignore_index=True)
    splits["created"] = splits["created"].astype(int)
    return splits


def larger_then(splits: pd.DataFrame, vintage: int) -> dict[str, list[tuple[str, str, int]]]:
    """Regions that were larger in `vintage`: code → (code, name, year) of each region made
    from it after that year."""
    later = splits.loc[splits["created"] > vintage]
    found: dict[str, list[tuple[str, str, int]]] = {}
    for row in later.itertuples():
        found.setdefault(row.split_from, []).append((row.region_code, row.name, row.created))
    return found


def mark_vintage(
    harmonized: pd.DataFrame, vintage: int | None, splits: pd.DataFrame
) -> pd.DataFrame:
    """Rows matched to a region that was larger in the source's `vintage`, marked as such
    (see the module's docstring); other rows as they were."""
    if vintage is None or not len(harmonized):
        return harmonized
    larger = larger_then(splits, vintage)
    hit = harmonized["region_code"].isin(list(larger)).fillna(False).to_numpy(dtype=bool)
    if not hit.any():
        return harmonized
    out = harmonized.copy()
    for column in ("region_method", "region_rule"):
        out[column] = out[column].astype(object)
    for code in out.loc[hit, "region_code"].unique():
        rows = hit & (out["region_code"] == code).to_numpy(dtype=bool)
        since = ", ".join(f"{c} {name} ({year})" for c, name, year in larger[code])
        out.loc[rows, "region_rule"] = (
            f"{code} in the source's {vintage} codes: larger then than today's {code}; made "
            f"from it since: {since}. The row is about all of them together"
        )
        out.loc[rows, "region_method"] = VINTAGE_METHOD
    return out


def cached_splits(reference_dir: Path) -> pd.DataFrame:
    """`load_splits`, read again only when one of its files changed."""
    stamps = tuple(
        (reference_dir / name).stat().st_mtime_ns if (reference_dir / name).exists() else 0
        for name in SPLIT_FILES
    )
    return _splits(str(reference_dir), stamps)


@lru_cache(maxsize=8)
def _splits(folder: str, _stamps: tuple[int, ...]) -> pd.DataFrame:
    return load_splits(Path(folder))


def vintage_hint(harmonized: pd.DataFrame, vintage: int | None, splits: pd.DataFrame) -> str | None:
    """For a source that does not say its code vintage: if its rows are of an election year
    before a split of a region they name, the sentence that says so and what to set."""
    if vintage is not None or "year" not in harmonized.columns or not len(harmonized):
        return None
    years = pd.to_numeric(harmonized["year"], errors="coerce").dropna()
    if years.empty:
        return None
    earliest = int(years.min())
    larger = larger_then(splits, earliest)
    named = sorted(set(harmonized["region_code"].dropna().astype(str)) & set(larger))
    if not named:
        return None
    shown = ", ".join(named[:5])
    return (
        f"rows of {earliest} name {shown}, split since ({larger[named[0]][0][1]} was made from "
        f"{named[0]} in {larger[named[0]][0][2]}): they are read as today's smaller region. If "
        f"the file writes the codes of {earliest}, set code_vintage: {earliest} in its entry"
    )
