"""Rows that are one row once harmonized: the same region and contestant written two ways.

Validation refuses rows that repeat a natural key as written. Harmonizing can make two
different spellings one: `Kab. Bandung` and `Kabupaten Bandung` are both 32.04, `01` and
`Paslon 01` both the first pair. Two such rows in one file would be counted twice in every
sum, so both are set aside like any duplicate, naming the rows and how each wrote it; which
one is right is for the steward to say.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from odc_pipeline.distinct import distinct_combinations
from odc_pipeline.kinds import DatasetKind
from odc_pipeline.reading.headers import SOURCE_ROW
from odc_pipeline.validation.quarantine import Problem

RULE = "duplicate_after_harmonizing"
#: Rows quoted in one reason; a larger group is summed up after them.
_QUOTED = 5


def _key_parts(frame: pd.DataFrame, kind: DatasetKind) -> dict[str, pd.Series]:
    """The key as harmonized: the region's code, the natural key, and in place of the
    candidate as written, the pair, candidate or party it was decided to be."""
    parts: dict[str, pd.Series] = {"region_code": frame["region_code"]}
    for column in (*kind.natural_key, *kind.optional_key):
        if column not in frame:
            continue
        if column in kind.optional_key and not frame[column].notna().any():
            continue
        if column == "candidate" and "candidate_id" in frame:
            decided = frame["candidate_id"].notna()
            as_party = ~decided & frame["contestant_method"].notna()
            parts["candidate_id"] = frame["candidate_id"]
            parts["party_id"] = frame["party_id"].where(as_party)
            parts["candidate"] = frame["candidate"].where(~decided & ~as_party)
        else:
            parts[column] = frame[column]
    return parts


def duplicates_after_harmonizing(frame: pd.DataFrame, kind: DatasetKind) -> list[Problem]:
    """Every row of `frame` (harmonized, its region found) that another row duplicates."""
    if len(frame) < 2:
        return []
    parts = _key_parts(frame, kind)
    # As validation does: a row with an empty key part (as written) is compared with none.
    written = [
        c
        for c in (*kind.natural_key, *kind.optional_key, "region_code")
        if c in frame and (c in parts or c == "candidate")
    ]
    comparable = frame[written].notna().all(axis=1).to_numpy()
    keys = pd.DataFrame(parts).loc[comparable]
    if len(keys) < 2:
        return []
    combined, _ = distinct_combinations(keys, list(keys.columns))
    counts = np.bincount(combined)
    repeated = counts[combined] > 1
    if not repeated.any():
        return []
    rows = frame.loc[keys.index[repeated]]
    groups = pd.Series(combined[repeated], index=rows.index)
    problems = []
    for _, members in rows.groupby(groups.to_numpy(), sort=False):
        members = members.sort_values(SOURCE_ROW)
        shown = [
            f"{row[SOURCE_ROW]}: {_written(row)}" for _, row in members.head(_QUOTED).iterrows()
        ]
        more = f" and {len(members) - _QUOTED:,} more" if len(members) > _QUOTED else ""
        first = members.iloc[0]
        reason = (
            f"rows {'; '.join(shown)}{more} are one row once harmonized: region "
            f"{first['region_code']}{_who(first)}; keep one of them and remove or correct "
            "the others"
        )
        problems += [Problem(i, "region", None, RULE, reason) for i in members.index]
    return problems


def _written(row: pd.Series) -> str:
    words = [repr(str(row["region_value"]))]
    if "candidate" in row and pd.notna(row["candidate"]):
        words.append(repr(str(row["candidate"])))
    return " ".join(words)


def _who(row: pd.Series) -> str:
    for column in ("candidate_id", "party_id"):
        if column in row and pd.notna(row[column]):
            return f", {column.removesuffix('_id')} {row[column]}"
    return ""
