"""`dim_source` says of every registered entry where it stands, in words a steward can act on."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from odc_pipeline.warehouse.catalog import (
    Catalog,
    HeldBackSource,
    OrganizationInfo,
    SourceInfo,
    write_catalog,
)
from odc_pipeline.warehouse.loading import create_tables


def test_a_new_entry_and_a_broken_one_each_say_what_to_do():
    """A province's file never run, beside an entry the registry could not use: rows of
    different shapes, inserted together."""
    catalog = Catalog(
        organizations=[OrganizationInfo("kawal", "Kawal")],
        sources=[
            SourceInfo(
                "rekap_31", "kawal", "election_results", "", "csv", "31.csv", "CC-BY-4.0",
                "public", part_of="rekap",
            )
        ],
        held_back=[HeldBackSource("typo", "kawal", "source #2 ('typo'): colums: unknown key")],
    )  # fmt: skip
    engine = sa.create_engine("sqlite://")
    with engine.begin() as connection:
        create_tables(connection)
        write_catalog(connection, catalog, [], datetime.now(UTC), "run-1", previous={})
        rows = connection.execute(
            sa.text(
                "select source_id, status, status_message, sharing, part_of from dim_source "
                "order by 1"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (
            "rekap_31",
            "not_published",
            "no run has published this source yet; run it: odc run --source rekap_31",
            "public",
            "rekap",
        ),
        ("typo", "stale", "source #2 ('typo'): colums: unknown key", "private", None),
    ]


def test_the_provinces_of_a_held_back_entry_are_kept():
    """Both ways a version is made (built beside, or the live one patched) keep these ids."""
    from types import SimpleNamespace

    catalog = Catalog(
        organizations=[],
        sources=[SourceInfo("ldw", "ldw", "election_results", "", "csv", "x", "-", "public")],
        held_back=[HeldBackSource("rekap", "kawal", "a typo")],
    )
    previous = {
        "rekap_31": SimpleNamespace(part_of="rekap"),
        "rekap_32": SimpleNamespace(part_of="rekap"),
        "other_31": SimpleNamespace(part_of="other"),
        "ldw": SimpleNamespace(part_of=None),
    }
    assert catalog.kept_ids(previous) == ["ldw", "rekap", "rekap_31", "rekap_32"]
