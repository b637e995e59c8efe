"""How a dataset kind is declared: its columns, their checks, and the relations between them.

A kind is declared once, as data (see `odc_pipeline.kinds.declared`); everything else is
derived from the declaration: which columns a source may map, how their cells are parsed,
the pandera schema rows must meet, the fact table they are published to, the Great
Expectations suite run on that table, and the data dictionary. Nothing here imports pandera,
SQLAlchemy or Great Expectations: each of those derives what it needs from these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

#: How a column's cells are read and stored: text as written, whole numbers (Indonesian or
#: English thousands), decimals (the source's locale), dates (Indonesian month names), or
#: yes/no (true/false, ya/tidak, 1/0).
ColumnType = Literal["text", "integer", "decimal", "date", "time", "boolean"]


@dataclass(frozen=True)
class Column:
    """One canonical column of a kind.

    A required column must be filled by every source (a mapped header or a constant) and
    may not be empty; an optional one may be left out or empty.
    """

    name: str
    type: ColumnType
    description: str
    required: bool = True
    #: What one unit of the value is (votes, voters, people): for the data dictionary.
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    #: The only values the column may hold (a closed vocabulary), in the order shown to stewards.
    allowed: tuple[str, ...] = ()
    #: The longest text the warehouse stores (a short code); None: any length.
    max_length: int | None = None
    #: Personal data (contacts, names, NIK): never published, only a salted hash of it.
    personal: bool = False
    #: Free text people type into: scrubbed of NIK, phone numbers, e-mails and names.
    free_text: bool = False
    #: Personal data that is never stored at all, not even hashed (a candidate's spouse or
    #: home address): declared so a source can name it and every step knows to drop it.
    withheld: bool = False

    def __post_init__(self) -> None:
        if self.withheld and (self.required or not self.personal):
            raise ValueError(f"column {self.name!r}: a withheld column is personal and optional")

    @property
    def nullable(self) -> bool:
        return not self.required

    @property
    def published_name(self) -> str | None:
        """The fact table's column: a personal column is published as its salted hash, a
        withheld one not at all."""
        if self.withheld:
            return None
        return f"{self.name}_hash" if self.personal else self.name

    @property
    def expected(self) -> str | None:
        """The rule on its values in words, for stewards and the data dictionary."""
        if self.allowed:
            return f"one of: {', '.join(self.allowed)}"
        low, high = bound_in_words(self.minimum), bound_in_words(self.maximum)
        if low is not None and high is not None:
            return f"between {low} and {high}"
        if low is not None:
            return f"at least {low}"
        if high is not None:
            return f"at most {high}"
        return None


def bound_in_words(bound: float | None) -> str | None:
    """A bound as a steward reads it: grouped in thousands from 10,000 on (a year stays 2024)."""
    if bound is None:
        return None
    if not float(bound).is_integer():
        return str(bound)
    return f"{int(bound):,}" if abs(bound) >= 10_000 else str(int(bound))


@dataclass(frozen=True)
class Relation:
    """A rule over several columns of one row. `column` is the one a steward should look at."""

    name: str
    column: str

    @property
    def columns(self) -> tuple[str, ...]:
        raise NotImplementedError

    @property
    def description(self) -> str:
        raise NotImplementedError

    def holds(self, frame: pd.DataFrame) -> pd.Series:
        """True for each row that meets the rule or lacks a value to judge it by."""
        raise NotImplementedError

    def reason(self, row: dict) -> str:
        """Why this row fails, in a steward's words, with its values."""
        raise NotImplementedError


@dataclass(frozen=True)
class AtMost(Relation):
    """`column` may not exceed `limit`, where both are given."""

    limit: str = ""
    #: How the two are named in a reason, e.g. ("votes", "the region's valid ballots").
    words: tuple[str, str] = ("", "")

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column, self.limit)

    @property
    def description(self) -> str:
        return f"{self.column} ≤ {self.limit} where both are given"

    def holds(self, frame: pd.DataFrame) -> pd.Series:
        value, limit = frame[self.column], frame[self.limit]
        return value.isna() | limit.isna() | (value <= limit)

    def reason(self, row: dict) -> str:
        mine, theirs = self.words
        return (
            f"{mine} ({row.get(self.column)}) are more than {theirs} ({row.get(self.limit)}); "
            "one of the two numbers is wrong"
        )


@dataclass(frozen=True)
class SumOf(Relation):
    """`column`, where given, equals the sum of `parts`."""

    parts: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column, *self.parts)

    @property
    def description(self) -> str:
        return f"{self.column} = {' + '.join(self.parts)} where given"

    def holds(self, frame: pd.DataFrame) -> pd.Series:
        total = frame[self.column]
        return total.isna() | (total == sum(frame[part] for part in self.parts))

    def reason(self, row: dict) -> str:
        parts = " + ".join(f"{part} ({row.get(part)})" for part in self.parts)
        return f"{self.column} ({row.get(self.column)}) is not {parts}"


@dataclass(frozen=True)
class InElectionPeriod(Relation):
    """The date in `column` falls from the start of the year before the row's `year` (the
    campaign) to the end of that year."""

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column, "year")

    @property
    def description(self) -> str:
        return f"{self.column} from 1 January of the year before the election to 31 December of its year"

    def holds(self, frame: pd.DataFrame) -> pd.Series:
        when, year = frame[self.column], frame["year"]
        return when.isna() | year.isna() | ((when.dt.year >= year - 1) & (when.dt.year <= year))

    def reason(self, row: dict) -> str:
        when, year = row.get(self.column), row.get("year")
        shown = when.date().isoformat() if hasattr(when, "date") else when
        return (
            f"{self.column} {shown} is outside the period of the {year} election "
            f"({int(year) - 1}-01-01 to {year}-12-31)"
        )


@dataclass(frozen=True)
class DatasetKind:
    """What every source of one kind must provide once its columns are mapped, the rules its
    rows must meet, and how its fact table is keyed and indexed."""

    name: str
    description: str
    columns: tuple[Column, ...]
    #: Columns that, with the region columns, identify one row; duplicates are quarantined.
    natural_key: tuple[str, ...] = ()
    #: Optional columns that join the natural key when a source maps them (a source that
    #: reports per polling station has one row per station, not per village).
    optional_key: tuple[str, ...] = ()
    relations: tuple[Relation, ...] = ()
    #: Indexes of the fact table beyond region and source: name suffix -> columns, or SQL
    #: expressions over them (the code's own text, e.g. `comparison.contestant()`).
    indexes: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    #: Columns naming parties or pairs ("candidate", "party"): harmonized to party_id and
    #: candidate_id (see odc_pipeline.elections.harmonize).
    contestants: tuple[str, ...] = ()
    #: The published table, when it is a dimension rather than `fact_<name>`.
    table: str | None = None
    #: Rows get `dapil_code`, the electoral district they lie in: from their `dapil` column
    #: (matched in dim_dapil) or else from their region (bridge_dapil_region), at publish.
    districted: bool = False
    #: A row may name no place at all (a report about the whole country, or whose place the
    #: reporter did not give): with `blank_means_parent` on its top region column it is
    #: published under region 00, counted apart.
    placeless: bool = False

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        unknown = {
            *(set(self.natural_key) | set(self.optional_key)) - set(names),
            *(c for r in self.relations for c in r.columns if c not in names),
            *(c for c in self.contestants if c not in names),
        }
        if unknown or len(set(names)) != len(names):
            raise ValueError(f"kind {self.name!r}: unknown or repeated columns {sorted(unknown)}")

    @property
    def fact_table(self) -> str:
        return self.table or f"fact_{self.name}"

    @property
    def per_election(self) -> bool:
        """Statistics about regions belong to a year, not to an election."""
        return "election" in self.column_names

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def canonical_columns(self) -> tuple[str, ...]:
        return self.required_columns + self.optional_columns

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def optional_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.required)

    def _of_type(self, kind: ColumnType) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.type == kind)

    @property
    def integer_columns(self) -> tuple[str, ...]:
        return self._of_type("integer")

    @property
    def decimal_columns(self) -> tuple[str, ...]:
        return self._of_type("decimal")

    @property
    def date_columns(self) -> tuple[str, ...]:
        return self._of_type("date")

    @property
    def time_columns(self) -> tuple[str, ...]:
        """Times of day, stored as HH:MM text."""
        return self._of_type("time")

    @property
    def boolean_columns(self) -> tuple[str, ...]:
        return self._of_type("boolean")

    @property
    def personal_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.personal)

    @property
    def withheld_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.withheld)

    @property
    def free_text_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.free_text)
