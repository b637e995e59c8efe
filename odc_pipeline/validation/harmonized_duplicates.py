"""Rows that are one row once harmonized: the same region and contestant written two ways.

Validation refuses rows that repeat a natural key as written. Harmonizing can make two
different spellings one: `Kab. Bandung` and `Kabupaten Bandung` are both 32.04, `01` and
`Paslon 01` both the first pair. Two such rows in one file would be counted twice in every
sum, so both are set aside like any duplicate, naming the rows and how each wrote it; which
one is right is for the steward to say.
"""

from __future__ import annotations

import pandas as pd

from odc_pipeline.distinct import repeated_rows
from odc_pipeline.kinds import DatasetKind
from odc_pipeline.reading.headers import SOURCE_ROW
from odc_pipeline.validation.quarantine import Problem

RULE = "duplicate_after_harmonizing"
#: Rows quoted in one reason; a larger group is summed up after them.
_QUOTED = 5


def _key_parts(frame: pd.DataFrame, kind: DatasetKind) -> dict[str, pd.Series]:
    """The key as harmonized: the region's code, the natural key, and in place of the
    candidate as written, the pair, candidate or party it was decided to be. An optional key
    column is left out when no row with a region fills it."""
    found = frame["region_code"].notna()
    parts: dict[str, pd.Series] = {"region_code": frame["region_code"]}
    for column in (*kind.natural_key, *kind.optional_key):
        if column not in frame:
            continue
        if column in kind.optional_key and not (frame[column].notna() & found).any():
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
    """Every row of `frame` (harmonized) that another row duplicates. A row whose region
    was not found is compared with none: the whole frame can be given, not a copy of the
    rows with a region."""
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
    if comparable.sum() < 2:
        return []
    # The key columns are the frame's own: no copy of them, nor of the comparable rows.
    positions, keys = repeated_rows(pd.DataFrame(parts, copy=False), list(parts), comparable)
    if not len(positions):
        return []
    index = frame.index[positions]
    rows = frame.loc[index].sort_values(SOURCE_ROW, kind="stable")
    group_of = pd.Series(keys, index=index)[rows.index].tolist()

    # One pass over the repeated rows (a file pasted into itself may repeat them all): each
    # group's rows in file order, each with how it wrote the region and candidate.
    def column(name: str) -> list:
        if name not in rows:
            return [None] * len(rows)
        return rows[name].astype(object).where(rows[name].notna(), None).tolist()

    members: dict[int, list] = {}
    for group, *row in zip(
        group_of,
        rows.index.tolist(),
        rows[SOURCE_ROW].tolist(),
        column("region_value"),
        column("candidate"),
        column("region_code"),
        column("candidate_id"),
        column("party_id"),
        strict=True,
    ):
        members.setdefault(group, []).append(row)
    problems = []
    for found in members.values():
        shown = [f"{line}: {_written(region, written)}" for _, line, region, written, *_ in found]
        more = f" and {len(found) - _QUOTED:,} more" if len(found) > _QUOTED else ""
        _, _, _, _, code, candidate_id, party_id = found[0]
        who = (
            f", candidate {candidate_id}"
            if candidate_id
            else f", party {party_id}"
            if party_id
            else ""
        )
        reason = (
            f"rows {'; '.join(shown[:_QUOTED])}{more} are one row once harmonized: region "
            f"{code}{who}; keep one of them and remove or correct the others"
        )
        # Each row's own value is the region as it wrote it: the reason names the others.
        problems += [Problem(row[0], "region", row[2], RULE, reason) for row in found]
    return problems


def _written(region: object, candidate: object) -> str:
    words = [repr(str(region))]
    if candidate is not None:
        words.append(repr(str(candidate)))
    return " ".join(words)
