"""Carrying forward the fact rows of a version built before `dim_load`, when each row held
its file's hash and its run's id: they are given their load key on the way, so the first
publish after an upgrade keeps every source it does not replace (a held-back source's last
good load) instead of refusing the warehouse.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from odc_pipeline.warehouse.kept_sources import KeptSources
from odc_pipeline.warehouse.loads import load_key
from odc_pipeline.warehouse.schema import LOAD_ID, dim_load

#: What a fact row held before `load_id` took its place.
UNKEYED = frozenset({"file_hash", "run_id"})


def is_unkeyed(table: Table, found: set[str]) -> bool:
    """Whether a previous version's fact table is laid out as before `dim_load`: the
    code's columns, with the file hash and run id in place of the load key."""
    expected = {c.name for c in table.columns}
    return LOAD_ID in expected and found == (expected - {LOAD_ID}) | UNKEYED


def carry_unkeyed(
    connection: Connection,
    previous: str,
    table: Table,
    columns: list[str],
    kept: KeptSources,
) -> None:
    """Copy `table`'s rows of the `kept` sources from the `previous` version's, writing each
    source's files into `dim_load` and giving every row its key. `columns` are the others
    to copy."""
    quote = connection.dialect.identifier_preparer.quote
    old = f"{quote(previous)}.{quote(table.name)}"
    where = f"WHERE {kept.kept('p.source_id')}"
    files = connection.execute(
        kept.statement(
            f"SELECT DISTINCT p.source_id, p.file_hash, p.run_id FROM {old} p {where}"  # noqa: S608
        ),
        kept.parameters,
    ).all()
    if not files:
        return
    connection.execute(
        dim_load.insert(),
        [
            {LOAD_ID: load_key(s, h), "source_id": s, "file_hash": h, "run_id": r}
            for s, h, r in files
        ],
    )
    listed = ", ".join(quote(c) for c in columns)
    picked = ", ".join(f"p.{quote(c)}" for c in columns)
    connection.execute(
        kept.statement(
            f"INSERT INTO {quote(table.name)} ({listed}, {LOAD_ID}) "  # noqa: S608 - code's
            f"SELECT {picked}, l.{LOAD_ID} FROM {old} p "
            f"JOIN {quote(dim_load.name)} l "
            f"ON l.source_id = p.source_id AND l.file_hash = p.file_hash {where}"
        ),
        kept.parameters,
    )
