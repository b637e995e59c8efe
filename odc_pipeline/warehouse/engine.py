"""The engine every reader of the warehouse uses, apart from the publisher's machinery.

Kept in a module of its own so that a reader (`odc query`, the Dagster resource, the review
export) does not import the publisher, its loaders and their dependencies just to connect.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event

#: The PostgreSQL schema holding the live version of the warehouse.
CORE_SCHEMA = "odc_warehouse"


def make_engine(url: str) -> Engine:
    """An engine on the live warehouse. On PostgreSQL, names resolve in the warehouse schema.

    A pooled connection is checked before use (`pool_pre_ping`): one the server ended (a
    restart, an administrator, a publish whose connection was cut) is replaced, so the
    reads after a publish do not fail on the publish's dead connection."""
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect", insert=True)
        def _search_path(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True
            dbapi_connection.execute(f"SET search_path TO {CORE_SCHEMA}, public")
            dbapi_connection.autocommit = autocommit

    return engine


def has_published_version(engine: Engine) -> bool:
    """Whether a publish has made the warehouse live (its catalogue is there). A new or
    deleted warehouse has none: a run that processes some sources must then publish every
    source, or the others would silently be missing from it."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    try:
        schema = CORE_SCHEMA if engine.dialect.name == "postgresql" else None
        return inspect(engine).has_table("dim_source", schema=schema)
    except SQLAlchemyError:  # an unreadable file or a server that is down: the publish says so
        return False
    finally:
        engine.dispose()
