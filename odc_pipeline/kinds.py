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
    decimal_columns: tuple[str, ...] = ()
    date_columns: tuple[str, ...] = ()
    #: Columns that, with the region columns, identify one row; duplicates are quarantined.
    natural_key: tuple[str, ...] = ()
    #: Optional columns that join the natural key when a source maps them (a source that
    #: reports per polling station has one row per station, not per village).
    optional_key: tuple[str, ...] = ()
    #: Personal data (contacts, names, NIK): never published or kept in quarantine unmasked.
    personal_columns: tuple[str, ...] = ()
    #: Free text people type into: scrubbed of NIK, phone numbers, e-mails and names.
    free_text_columns: tuple[str, ...] = ()

    @property
    def canonical_columns(self) -> tuple[str, ...]:
        return self.required_columns + self.optional_columns


ELECTION_RESULTS = DatasetKind(
    name="election_results",
    description="Votes per party or candidate per region, with the region's valid and invalid ballots.",
    fact_table="fact_election_results",
    required_columns=("election", "year", "contest", "candidate", "votes"),
    optional_columns=("valid_ballots", "invalid_ballots", "station_number"),
    integer_columns=("year", "votes", "valid_ballots", "invalid_ballots"),
    natural_key=("election", "year", "contest", "candidate"),
    optional_key=("station_number",),
)

VOTER_COUNTS = DatasetKind(
    name="voter_counts",
    description="Registered voters (DPT) per region, by sex.",
    fact_table="fact_voter_counts",
    required_columns=("election", "year", "registered_male", "registered_female"),
    optional_columns=("registered_total",),
    integer_columns=("year", "registered_male", "registered_female", "registered_total"),
    natural_key=("election", "year"),
)

POLLING_STATIONS = DatasetKind(
    name="polling_stations",
    description="Polling stations (TPS) per village with their registered voters.",
    fact_table="fact_polling_stations",
    required_columns=("election", "year", "station_number", "registered_voters"),
    optional_columns=(),
    integer_columns=("year", "registered_voters"),
    natural_key=("election", "year", "station_number"),
)

INCIDENT_REPORTS = DatasetKind(
    name="incident_reports",
    description="Reported election violations and incidents, with the reporter's contact as personal data.",
    fact_table="fact_incident_reports",
    required_columns=("election", "year", "date", "category", "description"),
    optional_columns=("reporter_contact", "report_id"),
    integer_columns=("year",),
    date_columns=("date",),
    natural_key=("report_id",),
    personal_columns=("reporter_contact",),
    free_text_columns=("description",),
)

REGION_STATISTICS = DatasetKind(
    name="region_statistics",
    description="A statistic about a region in a year (population, poverty, a village index), "
    "published to be joined to election results by region code.",
    fact_table="fact_region_statistics",
    required_columns=("year", "indicator", "value"),
    optional_columns=("category", "unit"),
    integer_columns=("year",),
    decimal_columns=("value",),
    natural_key=("indicator", "year"),
    optional_key=("category",),
)

KINDS: dict[str, DatasetKind] = {
    kind.name: kind
    for kind in (
        ELECTION_RESULTS,
        VOTER_COUNTS,
        POLLING_STATIONS,
        INCIDENT_REPORTS,
        REGION_STATISTICS,
    )
}
