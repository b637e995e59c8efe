"""What one source hands to the publisher: its fact rows, its quarantine and its counts.

Rows whose region could not be decided leave the fact table here and join the quarantine,
so that `rows_in = rows_published + rows_quarantined` holds for every source and run.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from odc_pipeline.kinds import KINDS
from odc_pipeline.reading.headers import FILE_HASH, SOURCE_ROW
from odc_pipeline.regions.harmonize import REGION_OUTPUT_COLUMNS
from odc_pipeline.regions.resolve import Spec
from odc_pipeline.regions.review import review_items
from odc_pipeline.source_status import source_error
from odc_pipeline.validation.quarantine import Problem, concat_quarantine, quarantine_frame


@dataclass(frozen=True)
class SourceBatch:
    """One source's contribution to a publish."""

    source_id: str
    organization_id: str
    kind: str
    file_hash: str | None
    rows_in: int
    facts: pd.DataFrame
    quarantine: pd.DataFrame
    review: pd.DataFrame
    #: Why the source is held back this run (its last good load stays), or None.
    error: str | None = None

    @property
    def status(self) -> str:
        return "failed" if self.error else "published"

    @property
    def rows_published(self) -> int:
        return len(self.facts)

    @property
    def rows_quarantined(self) -> int:
        return int(self.quarantine["source_row"].nunique())


def build_batch(
    *,
    source_id: str,
    organization_id: str,
    kind: str,
    rows_in: int,
    harmonized: pd.DataFrame,
    validation_quarantine: pd.DataFrame,
    region_specs: list[Spec],
) -> SourceBatch:
    """Split harmonized rows into publishable facts and region problems, and count them."""
    error = source_error(harmonized)
    if error:
        empty = harmonized.iloc[0:0]
        return SourceBatch(
            source_id=source_id,
            organization_id=organization_id,
            kind=kind,
            file_hash=None,
            rows_in=rows_in,
            facts=empty,
            quarantine=validation_quarantine.iloc[0:0],
            review=empty,
            error=error,
        )
    unmatched = harmonized["region_code"].isna()
    problems = [
        Problem(
            i,
            row.region_problem_column,
            row[row.region_problem_column],
            "region_unmatched",
            row.region_problem,
        )
        for i, row in harmonized.loc[unmatched].iterrows()
    ]
    kept_for_record = harmonized.drop(columns=REGION_OUTPUT_COLUMNS)
    region_quarantine = quarantine_frame(source_id, kept_for_record, problems)
    facts = harmonized.loc[~unmatched].rename(
        columns={SOURCE_ROW: "source_row", FILE_HASH: "file_hash"}
    )
    fact_columns = [
        *KINDS[kind].canonical_columns,
        "region_code",
        "region_level",
        "region_value",
        "region_method",
        "region_score",
        "region_rule",
        "source_row",
        "file_hash",
    ]
    hashes = (
        pd.concat([harmonized[FILE_HASH], validation_quarantine["file_hash"]]).dropna().unique()
    )
    return SourceBatch(
        source_id=source_id,
        organization_id=organization_id,
        kind=kind,
        file_hash=str(hashes[0]) if len(hashes) else None,
        rows_in=rows_in,
        facts=facts[fact_columns].reset_index(drop=True),
        quarantine=concat_quarantine([validation_quarantine, region_quarantine]),
        review=review_items(harmonized, source_id, region_specs),
    )
