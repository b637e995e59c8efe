"""Per-source asset checks a steward sees in the UI next to `validated_<id>`.

- `file_usable`: the file could be read and its columns fit the mapping, and not so many rows
  were rejected that the file is more likely misread than bad. When it fails, the source is
  held back: the publisher keeps its last good data and records why in `load_audit`.
- `quarantine_share`: the share of rows set aside, against the source's `max_rejected_share`.
- `no_duplicate_keys`: rows sharing a natural key (all copies are quarantined); a warning.
"""

import dagster as dg

from odc_pipeline.registry.model import SourceEntry
from odc_pipeline.validation.validate import ValidationOutcome


def _validated(entry: SourceEntry) -> dg.AssetKey:
    return dg.AssetKey(f"validated_{entry.id}")


def source_check_specs(entry: SourceEntry) -> list[dg.AssetCheckSpec]:
    asset = _validated(entry)
    return [
        dg.AssetCheckSpec(
            "file_usable", asset=asset, description="The file was read and fits its registry entry."
        ),
        dg.AssetCheckSpec("quarantine_share", asset=asset, description="Share of rows set aside."),
        dg.AssetCheckSpec("no_duplicate_keys", asset=asset, description="One row per natural key."),
    ]


def source_check_results(entry: SourceEntry, outcome: ValidationOutcome, error: str | None):
    asset = _validated(entry)
    yield dg.AssetCheckResult(
        check_name="file_usable",
        asset_key=asset,
        passed=error is None,
        description=error or f"{entry.location} read and validated",
        metadata={"location": entry.location},
    )
    share = outcome.rows_quarantined / outcome.rows_in if outcome.rows_in else 0.0
    yield dg.AssetCheckResult(
        check_name="quarantine_share",
        asset_key=asset,
        passed=share <= entry.max_rejected_share,
        description=f"{outcome.rows_quarantined:,} of {outcome.rows_in:,} rows quarantined ({share:.1%}); "
        f"limit {entry.max_rejected_share:.0%}",
        metadata={
            "share": dg.MetadataValue.float(round(share, 4)),
            "limit": entry.max_rejected_share,
        },
    )
    duplicates = outcome.rows_duplicated
    yield dg.AssetCheckResult(
        check_name="no_duplicate_keys",
        asset_key=asset,
        passed=duplicates == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{duplicates:,} rows share a natural key with another row"
        if duplicates
        else "no duplicates",
        metadata={"rows_duplicated": duplicates},
    )
