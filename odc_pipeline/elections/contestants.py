"""Which party or presidential pair a value names, within its election.

Members write the same pair as "01", "1", "Paslon 01", "No. Urut 1", "Jokowi - Ma'ruf" or
KawalPemilu's `pas1`, and the same party as "PDIP", "PDI-P", "PDI Perjuangan" or its ballot
number, which changes between elections. Every spelling is reduced to one form (case,
spacing and punctuation, "Partai "/"Paslon "/"No. Urut " prefixes and leading zeros dropped)
and looked up among the parties or pairs of that election only: by ballot number, by an
external key, or by a name, short name or alias. A value that names nothing, or more than one
contestant, is never guessed: it goes to the review queue with the closest names as
suggestions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rapidfuzz import fuzz, process

from odc_pipeline.elections.reference import ElectionTables, load_election_tables

#: How a value may be matched, in the order tried.
METHODS = ("key", "number", "name")
#: Words that only say what follows is a party, a pair or a number.
_PREFIXES = ("pasangan calon", "no urut", "nomor urut", "partai", "paslon", "nomor", "no")
_APOSTROPHES = str.maketrans("", "", "'’`ʼ")
_PUNCTUATION = re.compile(r"[^\w]+")
SUGGESTIONS = 3


def normalize(value: str) -> str:
    """The form every spelling is compared in: "No. Urut 01" -> "1", "PDI-P" -> "pdi p"."""
    text = unicodedata.normalize("NFKC", value).casefold().translate(_APOSTROPHES)
    text = " ".join(_PUNCTUATION.sub(" ", text).split())
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if text.startswith(prefix + " "):
                text = text[len(prefix) + 1 :]
                changed = True
    if text.isdigit():
        return text.lstrip("0") or "0"
    return text


def _compact(text: str) -> str:
    return text.replace(" ", "")


@dataclass(frozen=True)
class Match:
    """A decided contestant, or why none was."""

    contestant_id: str | None
    method: str | None
    problem: str | None = None
    suggestions: str | None = None


@dataclass(frozen=True)
class _YearIndex:
    """The names, numbers and keys of one subject's contestants in one election."""

    numbers: dict[str, str]
    keys: dict[str, str]
    names: dict[str, set[str]]
    labels: dict[str, str]


@dataclass
class ContestantIndex:
    """Look-ups for every election year and subject, built once from the reference tables."""

    tables: ElectionTables
    _built: dict[tuple[str, int, str], _YearIndex] = field(default_factory=dict)

    @cached_property
    def _party_names(self) -> dict[str, list[str]]:
        names: dict[str, list[str]] = {}
        for row in self.tables.parties.itertuples():
            aliases = [a for a in row.aliases.split("|") if a.strip()]
            names[row.party_id] = [row.short_name, row.official_name, *aliases]
        return names

    def _index(self, subject: str, year: int, source_id: str) -> _YearIndex:
        key = (subject, year, source_id)
        if key not in self._built:
            self._built[key] = self._build(subject, year, source_id)
        return self._built[key]

    def _build(self, subject: str, year: int, source_id: str) -> _YearIndex:
        if subject == "party":
            standing = self.tables.ballots.loc[self.tables.ballots["year"] == year]
            numbers = dict(
                zip(standing["ballot_number"].astype(str), standing["party_id"], strict=True)
            )
            spelled: list[tuple[str, str]] = [
                (pid, name) for pid in standing["party_id"] for name in self._party_names[pid]
            ]
            spelled += list(zip(standing["party_id"], standing["name_on_ballot"], strict=True))
            labels = {
                pid: f"{num} {self.tables.parties.set_index('party_id').at[pid, 'short_name']}"
                for num, pid in numbers.items()
            }
        else:
            pairs = self.tables.pairs.loc[self.tables.pairs["year"] == year]
            numbers = dict(zip(pairs["ballot_number"].astype(str), pairs["pair_id"], strict=True))
            spelled = []
            for row in pairs.itertuples():
                spelled += [
                    (row.pair_id, f"{row.president} {row.vice_president}"),
                    (row.pair_id, row.short_name),
                    *((row.pair_id, a) for a in row.aliases.split("|") if a.strip()),
                ]
            labels = {
                row.pair_id: f"{row.ballot_number} {row.short_name}" for row in pairs.itertuples()
            }
        decided = self.tables.aliases
        decided = decided.loc[
            (decided["subject"] == subject)
            & (decided["year"] == year)
            & decided["source_id"].isin(["", source_id])
        ]
        spelled += list(zip(decided["contestant_id"], decided["alias"], strict=True))
        names: dict[str, set[str]] = {}
        for contestant, name in spelled:
            for form in {normalize(name), _compact(normalize(name))}:
                names.setdefault(form, set()).add(contestant)
        keys_table = self.tables.keys
        keys_table = keys_table.loc[
            (keys_table["subject"] == subject) & (keys_table["year"] == year)
        ]
        keys = {
            k.casefold(): c
            for k, c in zip(keys_table["key"], keys_table["contestant_id"], strict=True)
        }
        return _YearIndex(numbers=numbers, keys=keys, names=names, labels=labels)

    def match(
        self,
        value: str,
        subject: str,
        year: int,
        methods: Iterable[str] = METHODS,
        source_id: str = "",
    ) -> Match:
        """The party or pair `value` names in the election of `year`."""
        what = "party" if subject == "party" else "presidential pair"
        if year not in self.tables.years:
            known = ", ".join(str(y) for y in sorted(self.tables.years))
            plural = "parties" if subject == "party" else "presidential pairs"
            return Match(None, None, f"no {plural} are known for {year} (known: {known})")
        index = self._index(subject, year, source_id)
        methods = tuple(methods)
        raw = value.strip().casefold()
        if "key" in methods and raw in index.keys:
            return Match(index.keys[raw], "key")
        form = normalize(value)
        if form.isdigit():
            if "number" in methods and form in index.numbers:
                return Match(index.numbers[form], "number")
            numbers = ", ".join(sorted(index.numbers, key=int))
            return Match(
                None, None, f"{value!r} is not a ballot number of a {year} {what} ({numbers})"
            )
        if "name" in methods:
            found = index.names.get(form) or index.names.get(_compact(form)) or set()
            if len(found) == 1:
                return Match(next(iter(found)), "name")
            if len(found) > 1:
                shown = ", ".join(index.labels.get(c, c) for c in sorted(found))
                return Match(
                    None, None, f"{value!r} names more than one {year} {what}: {shown}", shown
                )
        return Match(
            None,
            None,
            f"{value!r} is not a {what} of {year} by any name, number or key known",
            self._suggest(form, index),
        )

    @staticmethod
    def _suggest(form: str, index: _YearIndex) -> str | None:
        best = process.extract(form, list(index.names), scorer=fuzz.WRatio, limit=SUGGESTIONS * 3)
        shown: list[str] = []
        for name, score, _ in best:
            for contestant in sorted(index.names[name]):
                label = f"{contestant} ({index.labels.get(contestant, contestant)}, {score:.0f})"
                if not any(s.startswith(f"{contestant} (") for s in shown):
                    shown.append(label)
        return "; ".join(shown[:SUGGESTIONS]) or None


_CACHE: dict[tuple, ContestantIndex] = {}


def cached_contestant_index(folder: Path) -> ContestantIndex:
    """The index over `folder`'s election tables, read and checked once per process while the
    files are unchanged: every source of a night matches against the same tables, and an
    edited alias file (a steward's review decision) is read anew."""
    stats = []
    for path in sorted(folder.glob("*.csv")):
        stat = path.stat()
        stats.append((path.name, stat.st_size, stat.st_mtime_ns))
    key = (str(folder), tuple(stats))
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = ContestantIndex(load_election_tables(folder))
    return _CACHE[key]
