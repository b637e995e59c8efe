"""The election reference tables as an asset of the `reference` group, with their checks.

The tables are files under `data/reference/` (elections, parties and their ballot numbers,
presidential pairs, external keys, stewards' aliases). Materializing the asset reads and
checks them; the publish step depends on it and writes them as `dim_election`, `dim_party`,
`dim_party_ballot` and `dim_pair`. A steward sees in the UI what the warehouse knows about
each election and whether the files are sound.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from odc_pipeline.elections.contestants import cached_contestant_index
from odc_pipeline.elections.reference import ElectionReferenceError
from odc_pipeline.elections.tables import ballot_gaps, elections_without_pairs

ELECTION_REFERENCE_ASSET = "election_reference"


def build_election_reference(reference_dir: Path) -> tuple[dg.AssetsDefinition, list]:
    """The asset reading the tables in `reference_dir`, and its checks."""

    @dg.asset(
        name=ELECTION_REFERENCE_ASSET,
        group_name="reference",
        kinds={"csv"},
        description="Elections, parties with their ballot number in each election, "
        "presidential pairs, and the keys and aliases sources write them by "
        "(data/reference/, sources cited in SOURCES.md).",
    )
    def election_reference() -> dg.MaterializeResult:
        try:
            tables = cached_contestant_index(reference_dir).tables
        except ElectionReferenceError as error:
            # The steward's words: file, line, field and what to fix; no traceback.
            raise dg.Failure(description=str(error), allow_retries=False) from None
        per_year = tables.ballots.groupby("year")["party_id"].count()
        return dg.MaterializeResult(
            metadata={
                "elections": dg.MetadataValue.int(len(tables.elections)),
                "parties": dg.MetadataValue.int(len(tables.parties)),
                "parties_per_election": dg.MetadataValue.json(
                    {str(year): int(count) for year, count in per_year.items()}
                ),
                "presidential_pairs": dg.MetadataValue.int(len(tables.pairs)),
                "external_keys": dg.MetadataValue.int(len(tables.keys)),
                "steward_aliases": dg.MetadataValue.int(len(tables.aliases)),
            }
        )

    @dg.asset_check(
        asset=election_reference,
        name="ballot_numbers_without_gaps",
        description="Each election's parties hold ballot numbers 1, 2, 3, … with none missing.",
    )
    def ballot_numbers_without_gaps() -> dg.AssetCheckResult:
        gaps = ballot_gaps(cached_contestant_index(reference_dir).tables)
        return dg.AssetCheckResult(
            passed=not gaps,
            description="; ".join(gaps) or "every election's ballot numbers run without gaps",
        )

    @dg.asset_check(
        asset=election_reference,
        name="every_election_has_pairs",
        description="Every election with a presidential race lists at least two pairs.",
    )
    def every_election_has_pairs() -> dg.AssetCheckResult:
        missing = elections_without_pairs(cached_contestant_index(reference_dir).tables)
        return dg.AssetCheckResult(
            passed=not missing,
            description="; ".join(missing) or "every presidential race lists its pairs",
        )

    return election_reference, [ballot_numbers_without_gaps, every_election_has_pairs]
