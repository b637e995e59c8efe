"""Give every row the party and the pair (or candidate) it is about, as stable ids.

Which columns name contestants is declared with the kind (`DatasetKind.contestants`); how a
source's values may be matched (by key, ballot number, name) is set per source in the
registry. What a `candidate` value names follows from the contest: a presidential pair in the
presidential race; in a parliament race a party, unless the source has its own party column,
in which case `candidate` is a person and is kept as written. Regional heads and DPD members
are people the reference tables do not list yet, so their values are kept as written too.

Like regions, the work is done once per distinct combination of values. A value that names
nothing is not guessed: the row keeps a null id and is listed for review; it is still
published, as written, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from odc_pipeline.distinct import distinct_combinations, empty_text, spread_text
from odc_pipeline.elections.contestants import METHODS, ContestantIndex

#: What the harmonizer adds to every row of a kind with contestant columns.
CONTESTANT_OUTPUT_COLUMNS = [
    "party_id",
    "candidate_id",
    "contestant_method",
    "contestant_problem_column",
    "contestant_problem_subject",
    "contestant_problem",
    "contestant_suggestions",
]
#: The columns published with the facts (the problem columns go to the review queue).
PUBLISHED_CONTESTANT_COLUMNS = ("party_id", "candidate_id", "contestant_method")
PAIR_CONTESTS = frozenset({"presiden"})
PARTY_CONTESTS = frozenset({"dpr", "dprd_provinsi", "dprd_kabupaten_kota"})


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or not str(value).strip()


def _resolve(
    values: tuple,
    columns: Sequence[str],
    index: ContestantIndex,
    methods: Mapping[str, Sequence[str]],
    source_id: str,
) -> tuple:
    row = dict(zip(columns, values, strict=True))
    year, contest = row.get("year"), row.get("contest")
    party_id = candidate_id = method = None
    problem: tuple = (None, None, None, None)
    if _blank(year):
        return (None, None, None, *problem)
    year = int(year)
    has_party = "party" in row and not _blank(row["party"])
    if has_party:
        found = index.match(
            str(row["party"]), "party", year, methods.get("party", METHODS), source_id
        )
        party_id = found.contestant_id
        if "candidate" not in row:
            method = found.method
        if found.problem:
            problem = ("party", "party", found.problem, found.suggestions)
    value = row.get("candidate")
    if "candidate" in row and not _blank(value):
        subject = None
        if contest in PAIR_CONTESTS:
            subject = "pair"
        elif contest in PARTY_CONTESTS and not has_party:
            subject = "party"
        if subject is not None:
            found = index.match(
                str(value), subject, year, methods.get("candidate", METHODS), source_id
            )
            method = found.method
            if subject == "pair":
                candidate_id = found.contestant_id
            else:
                party_id = found.contestant_id
            if found.problem and problem[0] is None:
                problem = ("candidate", subject, found.problem, found.suggestions)
    return (party_id, candidate_id, method, *problem)


def harmonize_contestants(
    frame: pd.DataFrame,
    columns: Sequence[str],
    index: ContestantIndex,
    methods: Mapping[str, Sequence[str]] | None = None,
    source_id: str = "",
) -> pd.DataFrame:
    """Add party_id, candidate_id and how they were decided, or the problem, to every row.

    `columns` are the kind's contestant columns the frame has; `methods` the ways each may be
    matched (all by default).
    """
    # An optional column the source does not map is empty in every row: nothing to match.
    columns = [c for c in columns if c in frame.columns and frame[c].notna().any()]
    keys = [c for c in ("year", "contest", *columns) if c in frame.columns]
    out = frame.drop(columns=[c for c in CONTESTANT_OUTPUT_COLUMNS if c in frame.columns])
    if not columns or frame.empty:
        for column in CONTESTANT_OUTPUT_COLUMNS:
            out[column] = empty_text(len(frame))
        return out
    inverse, combos = distinct_combinations(frame, keys)
    resolved = [_resolve(combo, keys, index, methods or {}, source_id) for combo in combos]
    for position, column in enumerate(CONTESTANT_OUTPUT_COLUMNS):
        out[column] = spread_text([r[position] for r in resolved], inverse)
    if "candidate_ref" in frame.columns:
        out["candidate_id"] = legislative_candidate_ids(out)
    return out


def legislative_candidate_ids(frame: pd.DataFrame) -> pd.Series:
    """A candidate list's own id for each candidate: the contest, year and the publisher's id
    (`dpr_2014_1101-00-0000-0101`), or where the publisher gives none, the dapil, party and
    list position (`dpr_2019_JB-I_pdip_2`), which identify a candidate as well."""
    prefix = frame["contest"].astype(str) + "_" + frame["year"].astype("Int64").astype(str) + "_"
    ref = frame["candidate_ref"].astype(object)
    party = frame["party_id"].astype(object).where(frame["party_id"].notna(), frame["party"])
    place = (
        frame["dapil"].astype(str)
        + "_"
        + party.astype(str)
        + "_"
        + frame["list_position"].astype("Int64").astype(str)
    )
    by_place = place.where(frame["list_position"].notna() & party.notna(), None)
    ids = (prefix + ref.astype(str)).where(ref.notna(), prefix + by_place.astype(str))
    return ids.where(ref.notna() | by_place.notna(), None).astype(object)
