"""A registry entry that cannot be used still shows in the UI: as an asset that fails with
the entry's problems, in its organisation's group, so the steward sees which source is held
back and why, while every other source runs and publishes."""

from __future__ import annotations

import re

import dagster as dg

from odc_pipeline.registry.model import BrokenSource

#: The group of an entry whose organisation is not one of the registry's.
REGISTRY_GROUP = "registry"


def broken_source_key(broken: BrokenSource, position: int) -> dg.AssetKey:
    """`registry_entry_<id>`, or by its place among the held-back entries when it has no
    usable id (a Dagster key must be a plain name)."""
    name = broken.source_id or f"{position + 1}"
    return dg.AssetKey(f"registry_entry_{re.sub(r'[^a-z0-9_]', '_', name)}")


def build_broken_source_asset(
    broken: BrokenSource, position: int, group: str | None
) -> dg.AssetsDefinition:
    """An asset that fails with the entry's problems whenever it is materialized; it sits in
    its organisation's group when the organisation is known."""
    message = f"{broken.label}: {broken.message}. Fix the entry in the registry (odc sources test)."

    @dg.asset(
        key=broken_source_key(broken, position),
        group_name=group or REGISTRY_GROUP,
        description=f"Held back: {message}",
        kinds={"yaml"},
    )
    def registry_entry() -> None:
        raise dg.Failure(description=message)

    return registry_entry
