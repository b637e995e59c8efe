"""Codes as they were: a source that writes an earlier year's region codes (`code_vintage`).

A region split since keeps its code for what is left: `91` was all of Papua in 2014 and is
a quarter of it today, `64` was Kalimantan Timur with Kalimantan Utara until 2012. Matched
as today's, a 2014 row of `91` would be joined to today's smaller province (its population,
its kabupaten) and every per-capita figure would come out wrong.

Kemendagri gives no code to a region that no longer exists, so the warehouse writes one that
says what it was: the codes of today's regions that together make it, `91+93+94+95` for
Papua before 2022. Such a row gets that code (a `dim_region` row of type `wilayah_lama`
names it), `region_method` says `vintage` and `region_rule` names the regions split off
since. A join to today's statistics on `91` then finds nothing rather than a quarter of the
province; summing today's `91`, `93`, `94` and `95` gives the region of that year.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from odc_pipeline.regions.reference import REFERENCE_COLUMNS

#: `region_method` of a row whose region was larger in the source's code vintage.
VINTAGE_METHOD = "vintage"
#: `dim_region.type` of a region as it was before a split: its code joins today's with "+".
HISTORIC_TYPE = "wilayah_lama"
HISTORIC_JOIN = "+"
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
    from it after that year, also those made in turn from one of these."""
    later = splits.loc[splits["created"] > vintage]
    direct: dict[str, list[tuple[str, str, int]]] = {}
    for row in later.itertuples():
        direct.setdefault(row.split_from, []).append((row.region_code, row.name, row.created))
    found: dict[str, list[tuple[str, str, int]]] = {}
    for code in direct:
        pending, made = list(direct[code]), []
        while pending:
            region = pending.pop(0)
            made.append(region)
            pending.extend(direct.get(region[0], []))
        found[code] = sorted(made)
    return found


def historic_code(code: str, made_since: list[tuple[str, str, int]]) -> str:
    """The code of `code`'s region before the splits `made_since`: today's codes that make it."""
    return HISTORIC_JOIN.join([code, *sorted(c for c, _name, _year in made_since)])


def historic_regions(regions: pd.DataFrame, splits: pd.DataFrame) -> pd.DataFrame:
    """A `dim_region` row for every region as it was before each split the reference tables
    know, e.g. `91+93+94+95` "Papua (wilayah sebelum 2022: …)", with the level, parent and
    province of the region that kept its code. `regions` is the official list."""
    known = regions.set_index("region_code")
    rows, seen = [], set()
    for year in sorted(set(splits["created"])):
        for code, made in larger_then(splits, year - 1).items():
            historic = historic_code(code, made)
            if historic in seen or code not in known.index:
                continue
            seen.add(historic)
            kept = known.loc[code]
            names = ", ".join([f"{code} {kept['name']}", *(f"{c} {n}" for c, n, _y in made)])
            rows.append(
                (
                    historic,
                    f"{kept['name']} (wilayah sebelum {min(y for _c, _n, y in made)}: {names})",
                    kept["level"],
                    HISTORIC_TYPE,
                    kept["parent_code"],
                    kept["province_code"],
                )
            )
    frame = pd.DataFrame(rows, columns=REFERENCE_COLUMNS)
    return frame.astype({"level": regions["level"].dtype})


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
    for column in ("region_code", "region_method", "region_rule"):
        out[column] = out[column].astype(object)
    for code in out.loc[hit, "region_code"].unique():
        rows = hit & (out["region_code"] == code).to_numpy(dtype=bool)
        since = ", ".join(f"{c} {name} ({year})" for c, name, year in larger[code])
        historic = historic_code(code, larger[code])
        out.loc[rows, "region_rule"] = (
            f"{code} in the source's {vintage} codes: larger then than today's {code}; made "
            f"from it since: {since}. The row is about all of them together: region {historic}"
        )
        out.loc[rows, "region_method"] = VINTAGE_METHOD
        out.loc[rows, "region_code"] = historic
    return out


def with_historic_regions(regions: pd.DataFrame, splits: pd.DataFrame) -> pd.DataFrame:
    """What `dim_region` holds: the region list and every region as it was before a split."""
    return pd.concat([regions, historic_regions(regions, splits)], ignore_index=True)


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
