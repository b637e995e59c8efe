"""What one source hands to the publisher: its fact rows, its quarantine and its counts.

Rows whose region could not be decided, and rows that harmonizing made one (two spellings of
one region or pair), leave the fact table here and join the quarantine, so that `rows_in = rows_published + rows_quarantined` holds for every source and run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd

from odc_pipeline.elections.harmonize import (
    CONTESTANT_OUTPUT_COLUMNS,
    PUBLISHED_CONTESTANT_COLUMNS,
)
from odc_pipeline.elections.review import contestant_review_items
from odc_pipeline.frame_handover import move_rows
from odc_pipeline.kinds import KINDS
from odc_pipeline.privacy import scrub_column, scrub_identifiers, scrub_identifiers_text
from odc_pipeline.reading.headers import FILE_HASH, SOURCE_ROW
from odc_pipeline.regions.harmonize import REGION_OUTPUT_COLUMNS
from odc_pipeline.regions.resolve import Spec
from odc_pipeline.regions.review import review_items
from odc_pipeline.source_status import source_error
from odc_pipeline.validation.attributes import ATTRIBUTES
from odc_pipeline.validation.harmonized_duplicates import duplicates_after_harmonizing
from odc_pipeline.validation.quarantine import Problem, concat_quarantine, quarantine_frame


def pseudonymize(values: pd.Series, salt: str | None) -> pd.Series:
    """A salted SHA-256 of each personal value, so analysts can count repeat reporters without
    ever seeing a phone number. Without a salt (ODC_HASH_SALT) nothing is kept at all: an
    unsalted hash of a phone number is trivially reversed by trying every number."""
    if not salt:
        return pd.Series([None] * len(values), index=values.index, dtype=object)

    def digest(value: object) -> str | None:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return None
        normalized = "".join(str(value).split()).casefold()
        return hashlib.sha256(f"{salt}\x00{normalized}".encode()).hexdigest()

    return pd.Series([digest(v) for v in values], index=values.index, dtype=object)


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
    #: Party and pair values no rule decided (odc_pipeline.elections.review).
    contestant_review: pd.DataFrame = field(default_factory=pd.DataFrame)
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
        # A row is its file and its row number: a source with one file per year repeats numbers.
        # A source never materialized travels with no columns at all (see source_status).
        if self.quarantine.empty:
            return 0
        return len(self.quarantine[["file_hash", "source_row"]].drop_duplicates())


def _latest_file_hash(*columns: pd.Series) -> str | None:
    """The hash of the source's latest file: one file, or one per year in year order, so the
    last hash of the last column that has one (the published rows after the set-aside)."""
    for column in reversed(columns):
        present = column.notna().to_numpy().nonzero()[0]
        if len(present):
            return str(column.iloc[present[-1]])
    return None


def build_batch(
    *,
    source_id: str,
    organization_id: str,
    kind: str,
    rows_in: int,
    harmonized: pd.DataFrame,
    validation_quarantine: pd.DataFrame,
    region_specs: list[Spec],
    hash_salt: str | None = None,
    personal: tuple[str, ...] | None = None,
) -> SourceBatch:
    """Split harmonized rows into publishable facts and region problems, and count them.

    The batch takes `harmonized` over: its columns are moved into the published rows, and
    the frame is left empty (the caller hands over a frame it no longer needs).

    `personal` are the source's personal columns (the kind's by default). The kind's own are
    published as `<column>_hash`; others a source declares are hashed in place. Every other
    text cell going to a shared table is searched for NIKs and phone numbers.
    """
    personal = KINDS[kind].personal_columns if personal is None else personal
    # Withheld columns never got this far (see validate.canonical_frame), nor did personal
    # columns the kind does not declare (validation drops them: attributes.with_attributes).
    personal = tuple(
        c
        for c in personal
        if c not in KINDS[kind].withheld_columns
        and (c in harmonized.columns or c in KINDS[kind].personal_columns)
    )
    error = scrub_identifiers_text(source_error(harmonized))
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
    problems += duplicates_after_harmonizing(harmonized, KINDS[kind])
    set_aside = unmatched | harmonized.index.isin([p.index for p in problems])
    kept_for_record = harmonized.drop(
        columns=[c for c in (*REGION_OUTPUT_COLUMNS, *CONTESTANT_OUTPUT_COLUMNS) if c in harmonized]
    )
    region_quarantine = quarantine_frame(
        source_id,
        kept_for_record,
        problems,
        personal=personal,
        free_text=KINDS[kind].free_text_columns,
    )
    del kept_for_record
    review = _scrubbed(review_items(harmonized, source_id, region_specs))
    contestant_review = _scrubbed(contestant_review_items(harmonized, source_id))
    file_hash = _latest_file_hash(validation_quarantine["file_hash"], harmonized[FILE_HASH])
    facts = move_rows(harmonized, ~set_aside.to_numpy()).rename(
        columns={SOURCE_ROW: "source_row", FILE_HASH: "file_hash"}
    )
    del harmonized
    if KINDS[kind].contestants:
        # Rows harmonized before parties and pairs were (or by a caller that skips them).
        for column in PUBLISHED_CONTESTANT_COLUMNS:
            if column not in facts:
                facts[column] = None
    hashed_apart = tuple(c for c in KINDS[kind].personal_columns if c in personal)
    for column in personal:
        hashed = pseudonymize(facts[column], hash_salt)
        if column in hashed_apart:
            facts[f"{column}_hash"] = hashed
        else:
            facts[column] = hashed
    if ATTRIBUTES not in facts:  # frames stored before attributes were kept
        facts[ATTRIBUTES] = None
    free_text = KINDS[kind].free_text_columns
    for column in free_text:
        facts[column] = scrub_column(facts[column])
    for column in [*KINDS[kind].canonical_columns, "region_value", ATTRIBUTES]:
        if column not in free_text and column not in personal and column in facts:
            facts[column] = scrub_identifiers(facts[column])
    fact_columns = [
        *(c for c in KINDS[kind].canonical_columns if c not in KINDS[kind].personal_columns),
        *(f"{c}_hash" for c in hashed_apart),
        *(PUBLISHED_CONTESTANT_COLUMNS if KINDS[kind].contestants else ()),
        ATTRIBUTES,
        "region_code",
        "region_level",
        "region_value",
        "region_method",
        "region_score",
        "region_rule",
        "source_row",
        "file_hash",
    ]
    return SourceBatch(
        source_id=source_id,
        organization_id=organization_id,
        kind=kind,
        file_hash=file_hash,
        rows_in=rows_in,
        facts=facts[fact_columns].reset_index(drop=True),
        quarantine=_scrubbed(concat_quarantine([validation_quarantine, region_quarantine])),
        review=review,
        contestant_review=contestant_review,
    )


def _scrubbed(frame: pd.DataFrame) -> pd.DataFrame:
    """Quarantine and review rows quote the source's cells: no NIK or phone number in them."""
    for column in ("value", "reason", "row_data"):
        if column in frame:
            frame[column] = scrub_identifiers(frame[column])
    return frame
