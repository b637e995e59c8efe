"""The dataset kinds the club shares, each declared once.

A source names its kind in the registry. From the declaration below come the columns its
mapping may target and how their cells are parsed, the pandera schema its rows must meet
(`odc_pipeline.validation.schemas`), the fact table they are published to
(`odc_pipeline.warehouse.schema`), the Great Expectations suite run on that table
(`odc_pipeline.quality.expectations`) and the data dictionary
(`odc_pipeline.warehouse.dictionary`). Adding a kind is one declaration here, added to
`KINDS`, and its tests.
"""

from __future__ import annotations

from odc_pipeline.kinds.comparison import contestant, station
from odc_pipeline.kinds.declaration import (
    AtMost,
    Column,
    DatasetKind,
    InElectionPeriod,
    SumOf,
)

FIRST_ELECTION_YEAR = 1955
LAST_PLAUSIBLE_YEAR = 2100

#: Contests of Indonesian general and regional elections, as the warehouse spells them.
CONTESTS = (
    "presiden",
    "dpr",
    "dpd",
    "dprd_provinsi",
    "dprd_kabupaten_kota",
    "gubernur",
    "bupati",
    "walikota",
)

#: Categories of incident the club reports on, as the warehouse spells them.
INCIDENT_CATEGORIES = (
    "politik_uang",
    "intimidasi",
    "kekerasan",
    "netralitas_asn",
    "kampanye_di_luar_jadwal",
    "kampanye_hitam",
    "pelanggaran_administrasi",
    "manipulasi_suara",
    "lainnya",
)

ELECTION = Column("election", "text", "Election, e.g. pemilu or pilkada")
YEAR = Column(
    "year",
    "integer",
    "Year of the election (for statistics: the year measured)",
    minimum=FIRST_ELECTION_YEAR,
    maximum=LAST_PLAUSIBLE_YEAR,
)


def _contest(
    description: str = "The race: president, a parliament (DPR, DPD, DPRD) or a regional head",
) -> Column:
    return Column("contest", "text", description, allowed=CONTESTS, max_length=32)


def _withheld(name: str, description: str) -> Column:
    """A candidate's private detail: read so it can be named, never stored."""
    return Column(name, "text", description, required=False, personal=True, withheld=True)


#: More than any count of votes, voters or ballots can be: Indonesia's 2024 roll held 205
#: million voters, and ten billion is more people than live on Earth. A cell beyond it is a
#: typo or a column mixed up; kept, it would be added into totals that overflow 64 bits.
COUNT_CEILING = 10_000_000_000


def _count(name: str, description: str, unit: str, required: bool = True) -> Column:
    """A whole number of people or ballots counted: never negative, never beyond what any
    count of people can be (`COUNT_CEILING`)."""
    return Column(
        name,
        "integer",
        description,
        required=required,
        unit=unit,
        minimum=0,
        maximum=COUNT_CEILING,
    )


ELECTION_RESULTS = DatasetKind(
    name="election_results",
    description="Votes per party or candidate per region, with the region's valid and invalid ballots.",
    columns=(
        ELECTION,
        YEAR,
        _contest(),
        Column("candidate", "text", "Party or candidate (pair) as the source names it"),
        Column(
            "party",
            "text",
            "The candidate's party as the source names it, where a source gives candidates "
            "and parties apart",
            required=False,
        ),
        Column(
            "dapil",
            "text",
            "Electoral district (dapil) as the source writes it (code, number or name), when "
            "it reports per dapil",
            required=False,
        ),
        _count("votes", "Votes for the party or candidate", "votes"),
        _count(
            "valid_ballots",
            "Valid ballots in the region, when the source gives them",
            "ballots",
            required=False,
        ),
        _count(
            "invalid_ballots",
            "Invalid ballots in the region, when the source gives them",
            "ballots",
            required=False,
        ),
        Column(
            "station_number",
            "text",
            "Polling station (TPS) number, when the source reports per station",
            required=False,
            max_length=16,
        ),
    ),
    natural_key=("election", "year", "contest", "candidate"),
    optional_key=("station_number",),
    relations=(
        AtMost(
            "votes_within_valid_ballots",
            "votes",
            limit="valid_ballots",
            words=("votes", "the region's valid ballots"),
        ),
    ),
    # What the discrepancy view joins on, as it writes it (see comparison); region first, the
    # most selective, so that every lookup by region uses it too; the source last, so that a
    # lookup of the other sources' rows (`a.source_id < b.source_id`) skips the row's own.
    indexes={
        "key": ("region_code", "election", "year", "contest", station(), contestant(), "source_id"),
    },
    contestants=("candidate", "party"),
    districted=True,
)

VOTER_COUNTS = DatasetKind(
    name="voter_counts",
    description="Registered voters (DPT) per region, by sex.",
    columns=(
        ELECTION,
        YEAR,
        _count("registered_male", "Registered male voters", "voters"),
        _count("registered_female", "Registered female voters", "voters"),
        _count(
            "registered_total",
            "As the source gives it (checked = male + female)",
            "voters",
            required=False,
        ),
    ),
    natural_key=("election", "year"),
    relations=(
        SumOf(
            "total_is_male_plus_female",
            "registered_total",
            parts=("registered_male", "registered_female"),
        ),
    ),
)

POLLING_STATIONS = DatasetKind(
    name="polling_stations",
    description="Polling stations (TPS) per village with their registered voters.",
    columns=(
        ELECTION,
        YEAR,
        Column("station_number", "text", "TPS number as written, e.g. 001", max_length=16),
        Column(
            "registered_voters",
            "integer",
            "Registered voters (DPT) of the polling station",
            unit="voters",
            minimum=0,
            # A station serves a few hundred voters by law; a thousand is a typing error.
            maximum=1000,
        ),
    ),
    natural_key=("election", "year", "station_number"),
)

INCIDENT_REPORTS = DatasetKind(
    name="incident_reports",
    description="Reported election violations and incidents, with the reporter's contact as personal data.",
    columns=(
        ELECTION,
        YEAR,
        Column("date", "date", "Date of the incident"),
        Column(
            "time",
            "time",
            "Time of day of the incident, HH:MM (24-hour), when the report gives one: from "
            "its own column, or written after the date in the date's cell",
            required=False,
        ),
        Column(
            "category",
            "text",
            "Incident category",
            allowed=INCIDENT_CATEGORIES,
            max_length=32,
        ),
        Column("description", "text", "The incident as reported", free_text=True),
        Column(
            "report_id",
            "text",
            "The reporting organisation's own id for the report",
            required=False,
        ),
        Column(
            "reporter_contact",
            "text",
            "The reporter's phone or e-mail",
            required=False,
            personal=True,
        ),
    ),
    natural_key=("report_id",),
    placeless=True,
    relations=(InElectionPeriod("date_in_election_period", "date"),),
    indexes={"date": ("date",), "category": ("category",)},
)

REGION_STATISTICS = DatasetKind(
    name="region_statistics",
    description="A statistic about a region in a year (population, poverty, a village index), "
    "published to be joined to election results by region code.",
    columns=(
        YEAR,
        Column("indicator", "text", "What is measured, e.g. jumlah_penduduk"),
        Column(
            "category",
            "text",
            "The part of the region's population measured (e.g. LAKI-LAKI), or a status",
            required=False,
        ),
        Column("value", "decimal", "The figure, in `unit`"),
        Column("unit", "text", "As the source gives it, e.g. JIWA or RIBU JIWA", required=False),
    ),
    natural_key=("indicator", "year"),
    optional_key=("category",),
    indexes={"key": ("region_code", "indicator", "year")},
)

_DAPIL = Column(
    "dapil", "text", "Electoral district (dapil) code as the source writes it", max_length=32
)

CANDIDATE_LISTS = DatasetKind(
    name="candidate_lists",
    table="dim_candidate",
    description="The official list of legislative candidates (DCT): who stood where for which "
    "party, with their votes and whether they were elected. Candidates' private details are "
    "read but never stored.",
    columns=(
        ELECTION,
        YEAR,
        _contest("The parliament: dpr, dpd, dprd_provinsi or dprd_kabupaten_kota"),
        _DAPIL,
        Column("party", "text", "Party as the source names it (none for DPD)", required=False),
        Column(
            "list_position",
            "integer",
            "Position on the party's list in the dapil",
            required=False,
            minimum=1,
            maximum=120,
        ),
        Column(
            "candidate_ref",
            "text",
            "The publisher's id of the candidate (KPU's), when the source gives one",
            required=False,
            max_length=64,
        ),
        Column("name", "text", "The candidate's name as on the ballot (public)"),
        Column("sex", "text", "L (laki-laki, man) or P (perempuan, woman)", allowed=("L", "P")),
        _count("votes", "The candidate's valid votes", "votes", required=False),
        Column("elected", "boolean", "Whether the candidate won a seat", required=False),
        _withheld("birth_place", "Place of birth"),
        _withheld("birth_date", "Date of birth"),
        _withheld("religion", "Religion"),
        _withheld("marital_status", "Marital status"),
        _withheld("spouse", "Spouse's name"),
        _withheld("children", "Number of children"),
        _withheld("home_address", "Home address (village, kecamatan, kabupaten/kota, province)"),
        _withheld("photo_url", "Link to the candidate's photo"),
    ),
    natural_key=("election", "year", "contest", "dapil", "name"),
    optional_key=("party",),
    contestants=("party",),
    indexes={"dapil": ("year", "contest", "dapil")},
)

ELECTORAL_DISTRICTS = DatasetKind(
    name="electoral_districts",
    table="dim_dapil",
    description="Electoral districts (dapil) of a parliament with their seats; the region is "
    "the province the dapil lies in.",
    columns=(
        ELECTION,
        YEAR,
        _contest("The parliament: dpr, dpd, dprd_provinsi or dprd_kabupaten_kota"),
        _DAPIL,
        Column("dapil_name", "text", "The dapil's name, e.g. ACEH I"),
        Column(
            "dapil_number",
            "text",
            "Another number the publisher gives the dapil (e.g. 1 to 77), when it has one",
            required=False,
            max_length=16,
        ),
        Column("seats", "integer", "Seats the dapil elects", unit="seats", minimum=1, maximum=120),
    ),
    natural_key=("election", "year", "contest", "dapil"),
)

DAPIL_REGIONS = DatasetKind(
    name="dapil_regions",
    table="bridge_dapil_region",
    description="Which kabupaten/kota (or kecamatan, where a dapil splits a regency) belongs "
    "to which dapil, on today's region codes.",
    columns=(
        ELECTION,
        YEAR,
        _contest("The parliament: dpr, dpd, dprd_provinsi or dprd_kabupaten_kota"),
        Column(
            "dapil",
            "text",
            "The dapil's code or number as the publisher writes it (dim_dapil.dapil or "
            "dapil_number)",
            max_length=32,
        ),
    ),
    # A region lies in one dapil of each parliament: a second row for it is a mistake.
    natural_key=("election", "year", "contest"),
    indexes={"dapil": ("year", "contest", "dapil")},
)

#: Every kind by name. Everything derived from a kind looks it up here when it runs.
KINDS: dict[str, DatasetKind] = {
    kind.name: kind
    for kind in (
        ELECTION_RESULTS,
        VOTER_COUNTS,
        POLLING_STATIONS,
        INCIDENT_REPORTS,
        REGION_STATISTICS,
        CANDIDATE_LISTS,
        ELECTORAL_DISTRICTS,
        DAPIL_REGIONS,
    )
}
