"""Schemas, roles and grants that give each audience its own read-only view of the warehouse.

The warehouse's own tables live in a schema no reader role can use. Each audience gets a schema
of views over them (`public_data`, `members_data`, `private_<org>`), filtered by the sharing level
of each row's source, and a group role with USAGE and SELECT on that schema only. The views are
`security_barrier` views owned by the publisher, so a reader cannot reach the rows they filter
out, not even with a function that leaks its arguments.

Audience schemas are dropped and rebuilt inside the publishing transaction, so grants always
match the registry of the run that published. Roles are created once (NOLOGIN group roles); an
operator creates login users and grants them a group role.

One login is created too: `<prefix>_query`, a member of `<prefix>_member`, which `odc query`
connects as (`readonly.run_query`). It is created without a password: with password
authentication it cannot log in until an operator gives it one, and where the server trusts
local connections anyone could already log in as any role, so it opens nothing new.
"""

from __future__ import annotations

import re

from psycopg import sql
from sqlalchemy.engine import Connection

from odc_pipeline.warehouse.audiences import (
    SHARED_WHOLE,
    Audience,
    by_source_tables,
    source_condition,
)
from odc_pipeline.warehouse.schema import dim_source
from odc_pipeline.warehouse.views import create_views

#: Comment that marks the schemas this module owns; only those are ever dropped.
AUDIENCE_MARKER = "odc-pipeline audience schema: rebuilt on every publish, do not edit"
ROLE_PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,15}$")


class AccessSetupError(RuntimeError):
    """The publishing user could not create the reader roles; nothing was published."""


def check_role_prefix(prefix: str) -> str:
    if not ROLE_PREFIX_PATTERN.match(prefix):
        raise ValueError(
            f"role prefix {prefix!r} must be 1-16 lowercase letters, digits or underscores, "
            "starting with a letter"
        )
    return prefix


def drop_audience_schemas(connection: Connection) -> None:
    """Drop the previous publish's audience schemas (they hold views over the old tables)."""
    raw = connection.connection.driver_connection
    names = raw.execute(
        "SELECT nspname FROM pg_namespace WHERE obj_description(oid, 'pg_namespace') = %s",
        [AUDIENCE_MARKER],
    ).fetchall()
    for (name,) in names:
        raw.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def query_login(prefix: str) -> str:
    """The login `odc query` reads the warehouse as: the members' view, never the publisher's."""
    return f"{check_role_prefix(prefix)}_query"


def _ensure_role(raw, name: str, member_of: str | None, login: bool = False) -> None:
    exists = raw.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone()
    if not exists:
        # An existing role keeps what an operator gave it (a password, other groups).
        create = sql.SQL("CREATE ROLE {} LOGIN" if login else "CREATE ROLE {} NOLOGIN")
        try:
            raw.execute(create.format(sql.Identifier(name)))
        except Exception as error:  # psycopg.errors.InsufficientPrivilege and kin
            raise AccessSetupError(
                f"could not create the reader role {name!r}: {error}. Publish as a user with "
                "CREATEROLE once, or create the roles listed in docs/warehouse.md by hand."
            ) from error
    if member_of:
        raw.execute(
            sql.SQL("GRANT {} TO {}").format(sql.Identifier(member_of), sql.Identifier(name))
        )


def _view(schema: str, core: str, table: str, condition: str | None) -> sql.Composed:
    target = sql.Identifier(schema, table)
    source = sql.Identifier(core, table)
    if condition is None:
        return sql.SQL("CREATE VIEW {} AS SELECT * FROM {}").format(target, source)
    return sql.SQL("CREATE VIEW {} WITH (security_barrier) AS SELECT * FROM {} WHERE ").format(
        target, source
    ) + sql.SQL(condition)


def create_audience_schemas(
    connection: Connection, audiences: list[Audience], core: str, role_prefix: str
) -> None:
    """One schema of filtered views per audience, readable by its group role only."""
    raw = connection.connection.driver_connection
    prefix = check_role_prefix(role_prefix)
    analyst, member = f"{prefix}_analyst", f"{prefix}_member"
    _ensure_role(raw, analyst, None)
    _ensure_role(raw, member, None)
    raw.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(analyst), sql.Identifier(member)))
    _ensure_role(raw, query_login(prefix), member, login=True)
    for audience in audiences:
        role = audience.role(prefix)
        if audience.organization_id is not None:
            _ensure_role(raw, role, member)
        schema = sql.Identifier(audience.schema)
        raw.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
        raw.execute(
            sql.SQL("COMMENT ON SCHEMA {} IS {}").format(schema, sql.Literal(AUDIENCE_MARKER))
        )
        # The organisation id is rendered as a quoted literal, never pasted.
        condition = sql.SQL(source_condition(audience).replace(":organization_id", "{org}"))
        condition = condition.format(org=sql.Literal(audience.organization_id))
        rendered = condition.as_string(raw)
        for table in SHARED_WHOLE:
            raw.execute(_view(audience.schema, core, table.name, None))
        raw.execute(_view(audience.schema, core, dim_source.name, rendered))
        sources_seen = (
            sql.SQL("source_id IN (SELECT source_id FROM {} WHERE ").format(
                sql.Identifier(core, dim_source.name)
            )
            + sql.SQL(rendered)
            + sql.SQL(")")
        ).as_string(raw)
        for table in by_source_tables():
            raw.execute(_view(audience.schema, core, table.name, sources_seen))
        # The analyst views, over this audience's own rows.
        raw.execute(sql.SQL("SET LOCAL search_path TO {}").format(schema))
        create_views(connection)
        raw.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, sql.Identifier(role)))
        raw.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                schema, sql.Identifier(role)
            )
        )
    raw.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(core)))
