"""Whether what a version derived from its rows still holds in the next: totals, seats,
and each result row's dapil and candidate.

A new version keeps the rows of the sources its run did not replace, with the answers worked
out for them before (a patch keeps their totals too). Those answers are what working them
out again would give only while two things are as they were:
- the code that derives them: each audit row records it (`load_audit.pipeline_version`, the
  pipeline's version and a digest of the modules that derive), and a version whose last audit
  row names other code is not patched, and its kept rows are worked out again;
- what they are derived from besides the row itself: the candidate lists, dapil tables and
  region splits (`election_tables.DERIVED_FROM`). A corrected candidate list must be able
  to take a candidate away from a result row, not only give one.

The digest is of the modules' text, comments included: an edit that changes no rule costs
one night built from empty, and no one has to remember to bump a number when a rule changes.
`test_derivation` names a module the deriving code imports that the digest leaves out.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection

from odc_pipeline.warehouse.election_tables import DERIVED_FROM
from odc_pipeline.warehouse.schema import load_audit

#: The modules whose code decides a derived row's value (`write_election_tables`,
#: `write_region_totals` and what they call).
DERIVING_MODULES = (
    "odc_pipeline.warehouse.totals",
    "odc_pipeline.warehouse.election_tables",
    "odc_pipeline.elections.derived",
    "odc_pipeline.elections.seats",
    "odc_pipeline.elections.lists",
)


def _installed_version() -> str:
    try:
        return version("odc-pipeline")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def pipeline_version() -> str:
    """The pipeline's version and the first 12 hex digits of the SHA-256 of the text of
    `DERIVING_MODULES`, e.g. `0.1.0 rules 3f2a9c1d04ab`: what an analyst cites, and what a
    patch must match."""
    return f"{_installed_version()} rules {_digest(DERIVING_MODULES)}"


@cache
def _digest(modules: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in modules:
        spec = find_spec(name)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(name)
        digest.update(name.encode() + b"\0" + Path(spec.origin).read_bytes() + b"\0")
    return digest.hexdigest()[:12]


#: The code that published a version's last load.
BUILT_BY = "SELECT pipeline_version FROM {load_audit} ORDER BY loaded_at DESC LIMIT 1"


def built_by(connection: Connection, schema: str) -> tuple | None:
    """The last audit row's `pipeline_version` in `schema` (a PostgreSQL schema, or an
    attached SQLite file), as a row; None if it has no audit row."""
    quote = connection.dialect.identifier_preparer.quote
    audit = f"{quote(schema)}.{quote(load_audit.name)}"
    return connection.execute(text(BUILT_BY.format(load_audit=audit))).first()


def derived_by_this_code(last: tuple | None) -> bool:
    """Whether the version whose last audit row is `last` derived its answers with the code
    running now."""
    return last is not None and last[0] == pipeline_version()


def same_inputs(
    connection: Connection, previous: str, previous_tables: dict[str, set[str]] | None = None
) -> bool:
    """Whether the tables answers are derived from (`DERIVED_FROM`) hold the same rows in
    the version being built (the connection's default schema) and in `previous`; with
    `previous_tables` (its tables and their columns), a table it lacks, or holds with other
    columns, counts as changed."""
    for table in DERIVED_FROM:
        columns = {c.name for c in table.columns}
        if previous_tables is not None and previous_tables.get(table.name) != columns:
            return False
        if not _same_rows(connection, table.name, sorted(columns), previous):
            return False
    return True


def answers_still_hold(
    connection: Connection, previous: str, previous_tables: dict[str, set[str]]
) -> bool:
    """Whether the answers `previous` worked out for its rows are the ones this code, over
    the version being built, would work out: the same code derived them, from the same
    inputs."""
    audit = previous_tables.get(load_audit.name, set())
    return (
        "pipeline_version" in audit
        and derived_by_this_code(built_by(connection, previous))
        and same_inputs(connection, previous, previous_tables)
    )


def _same_rows(connection: Connection, table: str, columns: list[str], previous: str) -> bool:
    """Whether `table` holds the same rows in the version being built and in `previous`."""
    quote = connection.dialect.identifier_preparer.quote
    listed = ", ".join(quote(c) for c in columns)
    now, before = quote(table), f"{quote(previous)}.{quote(table)}"
    statement = (
        f"SELECT 1 FROM (SELECT {listed} FROM {now} EXCEPT SELECT {listed} FROM {before}) "  # noqa: S608
        f"AS added UNION ALL SELECT 1 FROM (SELECT {listed} FROM {before} EXCEPT "  # noqa: S608
        f"SELECT {listed} FROM {now}) AS gone LIMIT 1"
    )
    return connection.execute(text(statement)).first() is None
