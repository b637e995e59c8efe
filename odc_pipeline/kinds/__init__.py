"""Dataset kinds: each declared once (`declared`), in the terms of `declaration`."""

from odc_pipeline.kinds.declaration import (
    AtMost,
    Column,
    DatasetKind,
    InElectionPeriod,
    Relation,
    SumOf,
)
from odc_pipeline.kinds.declared import (
    CONTESTS,
    FIRST_ELECTION_YEAR,
    INCIDENT_CATEGORIES,
    KINDS,
    LAST_PLAUSIBLE_YEAR,
)

__all__ = [
    "CONTESTS",
    "FIRST_ELECTION_YEAR",
    "INCIDENT_CATEGORIES",
    "KINDS",
    "LAST_PLAUSIBLE_YEAR",
    "AtMost",
    "Column",
    "DatasetKind",
    "InElectionPeriod",
    "Relation",
    "SumOf",
]
