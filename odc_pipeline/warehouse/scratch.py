"""A throw-away PostgreSQL database, for tests and benchmarks that must use the real server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


@contextmanager
def temporary_database(admin_url: str, prefix: str = "odc_tmp") -> Iterator[str]:
    """Create a database with a random name, yield its URL, and drop it (even if in use)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"  # generated here, never from configuration
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield (
                sa.engine.make_url(admin_url)
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def drop_roles(admin_url: str, prefix: str) -> None:
    """Drop the reader roles a publish made under a throw-away ODC_ROLE_PREFIX.

    Roles are server-wide, unlike databases: a test or benchmark that publishes with its own
    prefix drops them here when it drops its database.
    """
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            names = connection.execute(
                sa.text("select rolname from pg_roles where starts_with(rolname, :p)"),
                {"p": prefix + "_"},
            ).scalars()
            for name in list(names):
                quoted = connection.dialect.identifier_preparer.quote(name)
                connection.execute(sa.text(f"DROP ROLE IF EXISTS {quoted}"))
    finally:
        admin.dispose()
