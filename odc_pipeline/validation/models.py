"""One pandera model per dataset kind: the rules a row must meet to be published.

Region columns are not part of the models: their names come from each source's registry
entry and their meaning is decided by the harmonizer, not by a dtype.
"""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

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

FIRST_ELECTION_YEAR = 1955
LAST_PLAUSIBLE_YEAR = 2100


class YearRowModel(pa.DataFrameModel):
    """What every kind's row carries: the year it is about.

    Not strict: region and provenance columns travel beside the checked ones.
    """

    year: Series[pd.Int64Dtype] = pa.Field(
        nullable=False,
        in_range={"min_value": FIRST_ELECTION_YEAR, "max_value": LAST_PLAUSIBLE_YEAR},
    )

    class Config:
        strict = False
        coerce = False


class ElectionRowModel(YearRowModel):
    """What every election kind's row carries: which election it belongs to."""

    election: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})


class ElectionResultsModel(ElectionRowModel):
    """Votes for one party or candidate in one region, for one contest of one election."""

    contest: Series[str] = pa.Field(nullable=False, isin=list(CONTESTS))
    candidate: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    votes: Series[pd.Int64Dtype] = pa.Field(nullable=False, ge=0)
    valid_ballots: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    invalid_ballots: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    station_number: Series[str] = pa.Field(nullable=True, str_length={"min_value": 1})

    @pa.dataframe_check(name="votes_within_valid_ballots")
    def votes_within_valid_ballots(cls, frame):  # noqa: N805 - pandera passes the class
        """A candidate cannot receive more votes than the region's valid ballots."""
        return (
            frame["votes"].isna()
            | frame["valid_ballots"].isna()
            | (frame["votes"] <= frame["valid_ballots"])
        )


class VoterCountsModel(ElectionRowModel):
    """Registered voters in one region for one election, by sex."""

    registered_male: Series[pd.Int64Dtype] = pa.Field(nullable=False, ge=0)
    registered_female: Series[pd.Int64Dtype] = pa.Field(nullable=False, ge=0)
    registered_total: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)

    @pa.dataframe_check(name="total_is_male_plus_female")
    def total_is_male_plus_female(cls, frame):  # noqa: N805 - pandera passes the class
        """The total, when given, must equal men plus women."""
        total = frame["registered_total"]
        return total.isna() | (total == frame["registered_male"] + frame["registered_female"])


class PollingStationsModel(ElectionRowModel):
    """One polling station (TPS) of one village for one election."""

    station_number: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    registered_voters: Series[pd.Int64Dtype] = pa.Field(nullable=False, ge=0)


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


class IncidentReportsModel(ElectionRowModel):
    """One reported incident; its date must fall in the election's period."""

    date: Series[pd.Timestamp] = pa.Field(nullable=False)
    category: Series[str] = pa.Field(nullable=False, isin=list(INCIDENT_CATEGORIES))
    description: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})

    @pa.dataframe_check(name="date_in_election_period")
    def date_in_election_period(cls, frame):  # noqa: N805 - pandera passes the class
        """Incidents of an election happen from the year before it (campaigns) to its year's end."""
        years = frame["date"].dt.year
        return (
            frame["date"].isna()
            | frame["year"].isna()
            | ((years >= frame["year"] - 1) & (years <= frame["year"]))
        )


class RegionStatisticsModel(YearRowModel):
    """One statistic of one region in one year, with its category (e.g. sex) when it has one."""

    indicator: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    value: Series[pd.Float64Dtype] = pa.Field(nullable=False)
    category: Series[str] = pa.Field(nullable=True, str_length={"min_value": 1})
    unit: Series[str] = pa.Field(nullable=True, str_length={"min_value": 1})


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "election_results": ElectionResultsModel,
    "voter_counts": VoterCountsModel,
    "polling_stations": PollingStationsModel,
    "incident_reports": IncidentReportsModel,
    "region_statistics": RegionStatisticsModel,
}

#: For dataframe-wide checks: the columns a steward should look at.
CHECK_COLUMNS: dict[str, str] = {
    "votes_within_valid_ballots": "votes",
    "total_is_male_plus_female": "registered_total",
    "date_in_election_period": "date",
}
