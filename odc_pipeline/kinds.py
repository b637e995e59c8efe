"""The dataset kinds the club shares, and the canonical columns each one carries.

A source names its kind in the registry; the kind decides which columns its mapping may
target, which columns are parsed as whole numbers, which pandera model validates it and which
fact table it lands in. Adding a kind means adding an entry here and a model in
`odc_pipeline.validation.models`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetKind:
    """What every source of one kind must provide once its columns are mapped."""

    name: str
    description: str
    fact_table: str
    required_columns: tuple[str, ...]
    optional_columns: tuple[str, ...]
    integer_columns: tuple[str, ...]
    #: Columns that, with the region columns, identify one row; duplicates are quarantined.
    natural_key: tuple[str, ...] = ()

    @property
    def canonical_columns(self) -> tuple[str, ...]:
        return self.required_columns + self.optional_columns


ELECTION_RESULTS = DatasetKind(
    name="election_results",
    description="Votes per party or candidate per region, with the region's valid and invalid ballots.",
    fact_table="fact_election_results",
    required_columns=("election", "year", "contest", "candidate", "votes"),
    optional_columns=("valid_ballots", "invalid_ballots"),
    integer_columns=("year", "votes", "valid_ballots", "invalid_ballots"),
    natural_key=("election", "year", "contest", "candidate"),
)

KINDS: dict[str, DatasetKind] = {kind.name: kind for kind in (ELECTION_RESULTS,)}
