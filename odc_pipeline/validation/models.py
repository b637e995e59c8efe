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


class ElectionResultsModel(pa.DataFrameModel):
    """Votes for one party or candidate in one region, for one contest of one election."""

    election: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    year: Series[pd.Int64Dtype] = pa.Field(
        nullable=False,
        in_range={"min_value": FIRST_ELECTION_YEAR, "max_value": LAST_PLAUSIBLE_YEAR},
    )
    contest: Series[str] = pa.Field(nullable=False, isin=list(CONTESTS))
    candidate: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    votes: Series[pd.Int64Dtype] = pa.Field(nullable=False, ge=0)
    valid_ballots: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    invalid_ballots: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)

    @pa.dataframe_check(name="votes_within_valid_ballots")
    def votes_within_valid_ballots(cls, frame):  # noqa: N805 - pandera passes the class
        """A candidate cannot receive more votes than the region's valid ballots."""
        return (
            frame["votes"].isna()
            | frame["valid_ballots"].isna()
            | (frame["votes"] <= frame["valid_ballots"])
        )

    class Config:
        strict = False
        coerce = False


MODELS: dict[str, type[pa.DataFrameModel]] = {"election_results": ElectionResultsModel}

#: For dataframe-wide checks: the columns a steward should look at.
CHECK_COLUMNS: dict[str, str] = {"votes_within_valid_ballots": "votes"}
