"""The election reference tables kept as data under `data/reference/`, read and checked.

- `elections.csv`: each general election, its voting dates and its contests.
- `parties.csv`: every party with a stable `party_id`, its short and official names, whether
  it is national or an Aceh local party, and common aliases (`|`-separated).
- `party_ballots.csv`: the ballot number and name of each party in each election it stood
  in. A number means nothing without its election: PDI-P was 4 in 2014 and 3 in 2019.
- `pairs.csv`: the presidential pairs of each election with their ballot numbers.
- `contestant_keys.csv`: keys other projects give parties and pairs (KawalPemilu's `pas1`,
  `pdi`, …), per election.
- `contestant_aliases.csv`: stewards' decisions from the review queue.
- `region_splits.csv`: kabupaten/kota created by splitting another, with the (today's) code of
  the one they came from: a region an election's dapil list does not know lies in the dapil
  of the region it was split from.

`SOURCES.md` beside them cites where each comes from. Every table is checked when loaded, so a
typing error in a reference file stops with its file, line and field instead of matching
wrong parties at night.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from odc_pipeline.kinds.declared import CONTESTS

ELECTIONS_FILE = "elections.csv"
PARTIES_FILE = "parties.csv"
BALLOTS_FILE = "party_ballots.csv"
PAIRS_FILE = "pairs.csv"
KEYS_FILE = "contestant_keys.csv"
ALIASES_FILE = "contestant_aliases.csv"
SPLITS_FILE = "region_splits.csv"

ELECTION_COLUMNS = [
    "election_id",
    "election",
    "year",
    "legislative_date",
    "presidential_date",
    "contests",
    "legal_basis",
]
PARTY_COLUMNS = ["party_id", "short_name", "official_name", "scope", "aliases"]
BALLOT_COLUMNS = ["year", "ballot_number", "party_id", "name_on_ballot"]
PAIR_COLUMNS = [
    "year",
    "ballot_number",
    "pair_id",
    "president",
    "vice_president",
    "short_name",
    "aliases",
]
KEY_COLUMNS = ["key", "subject", "year", "contestant_id", "scheme"]
ALIAS_COLUMNS = ["alias", "subject", "year", "contestant_id", "source_id", "note"]
SPLIT_COLUMNS = ["region_code", "split_from", "created", "name", "note"]
_KABUPATEN_CODE = r"\d{2}\.\d{2}"

#: What a party, pair or key column may name.
SUBJECTS = ("party", "pair")
PARTY_SCOPES = ("national", "aceh")


class ElectionReferenceError(ValueError):
    """A file under data/reference/ cannot be used; the message names file, line and field."""


@dataclass(frozen=True)
class ElectionTables:
    """Everything party and pair harmonization matches against, and the dimensions published."""

    elections: pd.DataFrame
    parties: pd.DataFrame
    ballots: pd.DataFrame
    pairs: pd.DataFrame
    keys: pd.DataFrame
    aliases: pd.DataFrame
    splits: pd.DataFrame

    @property
    def years(self) -> set[int]:
        return set(self.elections["year"].tolist())


def _read(path: Path, columns: list[str], required: bool = True) -> pd.DataFrame:
    if not path.exists():
        if required:
            raise ElectionReferenceError(f"{path}: the file is missing; restore it from git")
        return pd.DataFrame(columns=columns)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ElectionReferenceError(f"{path}: missing columns {missing}; expected {columns}")
    return frame[columns].map(str.strip)


def _fail(path: Path, index: object, message: str) -> ElectionReferenceError:
    return ElectionReferenceError(f"{path}, line {int(index) + 2}: {message}")


def _whole_numbers(path: Path, frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    for column in columns:
        for index, text in frame[column].items():
            if not text.isdigit():
                raise _fail(path, index, f"{column} {text!r} is not a whole number")
        frame[column] = frame[column].astype(int)
    return frame


def _one_of(path: Path, frame: pd.DataFrame, column: str, allowed: tuple | set) -> None:
    for index, value in frame[column].items():
        if value not in allowed:
            shown = ", ".join(sorted(str(a) for a in allowed))
            raise _fail(path, index, f"{column} {value!r} is not one of: {shown}")


def _unique(path: Path, frame: pd.DataFrame, columns: list[str]) -> None:
    repeated = frame.index[frame.duplicated(columns, keep="first")]
    if len(repeated):
        values = ", ".join(str(frame.at[repeated[0], c]) for c in columns)
        raise _fail(path, repeated[0], f"{' and '.join(columns)} ({values}) appear twice")


def _filled(path: Path, frame: pd.DataFrame, columns: list[str]) -> None:
    for column in columns:
        empty = frame.index[frame[column] == ""]
        if len(empty):
            raise _fail(path, empty[0], f"{column} is empty")


def load_election_tables(folder: Path) -> ElectionTables:
    """Read and check every election reference table in `folder`."""
    path = folder / ELECTIONS_FILE
    elections = _whole_numbers(path, _read(path, ELECTION_COLUMNS), ("year",))
    _filled(path, elections, ["election_id", "election", "contests"])
    _unique(path, elections, ["election_id"])
    for index, contests in elections["contests"].items():
        unknown = [c for c in contests.split() if c not in CONTESTS]
        if unknown:
            raise _fail(path, index, f"contests {unknown} are not among {', '.join(CONTESTS)}")

    path = folder / PARTIES_FILE
    parties = _read(path, PARTY_COLUMNS)
    _filled(path, parties, ["party_id", "short_name", "official_name"])
    _unique(path, parties, ["party_id"])
    _one_of(path, parties, "scope", PARTY_SCOPES)
    party_ids = set(parties["party_id"])

    years = set(elections["year"])
    path = folder / BALLOTS_FILE
    ballots = _whole_numbers(path, _read(path, BALLOT_COLUMNS), ("year", "ballot_number"))
    _one_of(path, ballots, "year", years)
    _one_of(path, ballots, "party_id", party_ids)
    _unique(path, ballots, ["year", "ballot_number"])
    _unique(path, ballots, ["year", "party_id"])

    path = folder / PAIRS_FILE
    pairs = _whole_numbers(path, _read(path, PAIR_COLUMNS), ("year", "ballot_number"))
    _filled(path, pairs, ["pair_id", "president", "vice_president"])
    _one_of(path, pairs, "year", years)
    _unique(path, pairs, ["pair_id"])
    _unique(path, pairs, ["year", "ballot_number"])

    keys = _checked_names(
        folder / KEYS_FILE,
        _read(folder / KEYS_FILE, KEY_COLUMNS),
        "key",
        years,
        party_ids,
        set(pairs["pair_id"]),
    )
    aliases = _checked_names(
        folder / ALIASES_FILE,
        _read(folder / ALIASES_FILE, ALIAS_COLUMNS, required=False),
        "alias",
        years,
        party_ids,
        set(pairs["pair_id"]),
    )
    path = folder / SPLITS_FILE
    splits = _whole_numbers(path, _read(path, SPLIT_COLUMNS, required=False), ("created",))
    for column in ("region_code", "split_from"):
        for index, code in splits[column].items():
            if not re.fullmatch(_KABUPATEN_CODE, code):
                raise _fail(path, index, f"{column} {code!r} is not a kabupaten/kota code (NN.NN)")
    _unique(path, splits, ["region_code"])
    return ElectionTables(elections, parties, ballots, pairs, keys, aliases, splits)


def _checked_names(
    path: Path,
    frame: pd.DataFrame,
    name_column: str,
    years: set[int],
    party_ids: set[str],
    pair_ids: set[str],
) -> pd.DataFrame:
    """Keys and aliases: each names a subject, an election year and a known party or pair."""
    frame = _whole_numbers(path, frame, ("year",))
    _filled(path, frame, [name_column, "contestant_id"])
    _one_of(path, frame, "subject", SUBJECTS)
    _one_of(path, frame, "year", years)
    for index, row in frame.iterrows():
        known = party_ids if row["subject"] == "party" else pair_ids
        if row["contestant_id"] not in known:
            raise _fail(
                path,
                index,
                f"contestant_id {row['contestant_id']!r} is not a {row['subject']} of "
                f"{PARTIES_FILE if row['subject'] == 'party' else PAIRS_FILE}",
            )
    return frame
