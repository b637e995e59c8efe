"""Questions to the warehouse that cannot change it: for `odc query` and analysts' scripts.

Three locks, so a mistake or a pasted statement can neither write nor reach past the rows an
analyst may read:

- the statement must be a single SELECT (or WITH ... SELECT, EXPLAIN, VALUES);
- the connection is read-only: SQLite opened with mode=ro, PostgreSQL in a READ ONLY
  transaction with a `statement_timeout`, rolled back, never committed;
- on PostgreSQL the question runs as a reader's login, never as the publisher: by default
  `<prefix>_query`, which publishing creates in `<prefix>_member` (the members' audience:
  public and members-only sources, no organisation's private ones; the widest audience that
  belongs to no single organisation), or the login ODC_QUERY_URL names (an organisation's,
  to see its private sources too). Names resolve in the audience schemas that login may read.

Why a login of its own rather than the publisher's connection with `SET ROLE`: a session can
always go back to the role it logged in as, even from inside one SELECT
(`set_config('role', 'none', false)` followed by `query_to_xml('select pg_read_file(...)')`),
and a superuser's session may take any role. Only a login that lacks the privileges keeps
`pg_read_file`, `lo_import`, `COPY ... TO PROGRAM` and `dblink` out of reach; so a login that
is a superuser, may use the server's files or programs, or reads the warehouse's own schema
(the publisher) is refused before the question is asked. The server's own refusals are told
in plain words, not as a driver's exception.

Table and column names for `--table`/`--where` are checked against the warehouse's own
definitions; values are bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from psycopg import sql as pg
from sqlalchemy import Connection, Engine, create_engine, pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from odc_pipeline.warehouse.audiences import MEMBERS, PUBLIC
from odc_pipeline.warehouse.engine import CORE_SCHEMA, make_engine
from odc_pipeline.warehouse.postgres_access import AUDIENCE_MARKER, query_login
from odc_pipeline.warehouse.schema import warehouse_tables
from odc_pipeline.warehouse.views import VIEW_DESCRIPTIONS, VIEWS

_READING = re.compile(r"^\s*(select|with|explain|values)\b", re.IGNORECASE)
#: How long one question may run on PostgreSQL before the server stops it.
STATEMENT_TIMEOUT = "10min"


class QueryRefused(ValueError):
    """The statement would not only read, or names something the warehouse does not have."""


@dataclass(frozen=True)
class Reader:
    """Who a PostgreSQL question runs as, and the audience schemas its names resolve in."""

    login: str
    schemas: tuple[str, ...]


def read_only_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not path.is_file():
            raise QueryRefused(f"no warehouse at {path}: run `odc run` (or `make run`) first")
        return create_engine(f"sqlite:///file:{path.resolve()}?mode=ro&uri=true")
    return make_engine(url)


def question_url(warehouse_url: str, query_url: str | None, role_prefix: str) -> str:
    """What `odc query` connects to: ODC_QUERY_URL if set, else the warehouse; on PostgreSQL as
    the login `<prefix>_query`, so the publisher's user and password are never used."""
    if query_url:
        return query_url
    parsed = make_url(warehouse_url)
    if parsed.get_backend_name() != "postgresql":
        return warehouse_url
    try:
        login = query_login(role_prefix)
    except ValueError as error:
        raise QueryRefused(f"ODC_ROLE_PREFIX: {error}") from None
    reader = parsed.set(username=login, password=None).difference_update_query(["user", "password"])
    return reader.render_as_string(hide_password=False)


def check_statement(sql: str) -> str:
    statement = sql.strip().rstrip(";").strip()
    if ";" in statement:
        raise QueryRefused("one statement at a time, please (no ';' inside)")
    if not _READING.match(statement):
        first = statement.split(None, 1)[0] if statement else "(nothing)"
        raise QueryRefused(
            f"only questions are allowed (SELECT, WITH, EXPLAIN, VALUES), not {first.upper()}: "
            "the warehouse is changed by the pipeline alone"
        )
    return statement


def run_query(url: str, sql: str, params: dict | None = None) -> pd.DataFrame:
    """The rows a single reading statement returns; on PostgreSQL `url` must be a reader's
    login (`question_url` gives it), as the module's docstring explains."""
    statement = check_statement(sql)
    if make_url(url).get_backend_name() == "postgresql":
        return _run_as_reader(url, statement, params or {})
    engine = read_only_engine(url)
    try:
        with engine.connect() as connection:
            return pd.read_sql(text(statement), connection, params=params or {})
    except Exception as error:
        server = _server_error(error)
        if server is None:
            raise
        raise QueryRefused(f"the warehouse refused the query: {_message(server)}") from error
    finally:
        engine.dispose()


def _run_as_reader(url: str, statement: str, params: dict) -> pd.DataFrame:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        try:
            connection = engine.connect()
        except DBAPIError as error:
            user = make_url(url).username
            raise QueryRefused(
                f"could not log in to the warehouse as the reader {user!r} "
                f"({_message(error.orig)}). Publishing creates the login <prefix>_query; give it "
                "a password and put it in ODC_QUERY_URL (docs/warehouse.md, PostgreSQL)"
            ) from error
        with connection:
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            reader = _reader(connection)
            raw = connection.connection.driver_connection
            path = pg.SQL(", ").join(pg.Identifier(name) for name in (*reader.schemas, "public"))
            connection.exec_driver_sql(
                pg.SQL("SET LOCAL search_path TO {}").format(path).as_string(raw)
            )
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'")
            try:
                return pd.read_sql(text(statement), connection, params=params)
            except Exception as error:
                server = _server_error(error)
                if server is None:
                    raise
                raise QueryRefused(_refusal(server, reader)) from error
    finally:
        engine.dispose()


def _reader(connection: Connection) -> Reader:
    """The login the question runs as, refused if it could do more than read audiences."""
    login, superuser, server_files, core = connection.execute(
        text(
            "SELECT current_user, rolsuper,"
            " pg_has_role(current_user, 'pg_read_server_files', 'MEMBER')"
            " OR pg_has_role(current_user, 'pg_write_server_files', 'MEMBER')"
            " OR pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER'),"
            " COALESCE((SELECT has_schema_privilege(oid, 'USAGE') FROM pg_namespace"
            " WHERE nspname = :core), false)"
            " FROM pg_roles WHERE rolname = current_user"
        ),
        {"core": CORE_SCHEMA},
    ).one()
    why = (
        "it is a superuser"
        if superuser
        else "it may read or write the server's files or run its programs"
        if server_files
        else "it reads the warehouse's own tables, every private source included (the publisher)"
        if core
        else None
    )
    if why:
        raise QueryRefused(
            f"odc query will not run as {login!r}: {why}. It reads as a reader's login: "
            "<prefix>_query (created by publishing) or the login ODC_QUERY_URL names"
        )
    schemas = connection.execute(
        text(
            "SELECT nspname FROM pg_namespace WHERE obj_description(oid, 'pg_namespace') = :marker"
            " AND has_schema_privilege(oid, 'USAGE')"
            " ORDER BY nspname = :public, nspname = :members, nspname"
        ),
        {"marker": AUDIENCE_MARKER, "public": PUBLIC.schema, "members": MEMBERS.schema},
    ).scalars()
    reader = Reader(login, tuple(schemas))
    if not reader.schemas:
        raise QueryRefused(
            f"the login {login!r} may read none of the warehouse's audiences: publish once "
            "(`odc run`), or grant it a reader role (docs/warehouse.md, Who sees what)"
        )
    return reader


def _server_error(error: BaseException | None) -> BaseException | None:
    """The database's own error behind pandas' and SQLAlchemy's wrappers, or None."""
    while error is not None:
        if isinstance(error, DBAPIError):
            return error.orig
        error = error.__cause__ or error.__context__
    return None


def _message(error: BaseException | None) -> str:
    """The server's own sentence, without the driver's class name or a traceback."""
    diag = getattr(error, "diag", None)
    message = getattr(diag, "message_primary", None) or str(error)
    return message.strip().splitlines()[0] if message.strip() else type(error).__name__


def _refusal(error: BaseException | None, reader: Reader) -> str:
    """Why PostgreSQL refused, in words an analyst can act on."""
    message, state = _message(error), getattr(error, "sqlstate", None) or ""
    only = f"odc query reads the warehouse's tables only, as {reader.login!r}"
    function = re.search(r"permission denied for function (\S+)", message)
    if function:
        return f"the query uses a server function analysts may not call ({function[1]}); {only}"
    if "permission denied to set" in message:
        return f"the query tries to change who it runs as ({message}); {only}"
    if state == "42501":  # insufficient_privilege: a table or schema of another audience
        return (
            f"{reader.login!r} may not do that ({message}): it may only read the tables and "
            f"views of {', '.join(reader.schemas)}"
        )
    if state == "25006":  # read_only_sql_transaction
        return f"the query would change the database ({message}); {only}"
    if state == "57014":  # query_canceled, by statement_timeout
        return (
            f"the query ran longer than {STATEMENT_TIMEOUT} and was stopped: narrow it "
            "(a WHERE, a LIMIT, fewer joins)"
        )
    if state.startswith("2F"):  # e.g. dblink or a foreign table reaching another database
        return (
            f"the query reaches outside the warehouse, which analysts may not do (the server "
            f"says: {message}); {only}"
        )
    return f"the warehouse refused the query: {message}"


def table_query(table: str, where: list[str], limit: int | None) -> tuple[str, dict]:
    """SELECT * FROM a known table or view, filtered by column=value pairs (values bound)."""
    known = {t.name: [c.name for c in t.columns] for t in warehouse_tables()}
    if table not in known and table not in VIEWS:
        raise QueryRefused(
            f"no table {table!r}; tables: {', '.join(sorted(known))}; views: {', '.join(VIEWS)}"
        )
    columns = known.get(table)
    clauses, params = [], {}
    for position, condition in enumerate(where):
        name, sep, value = condition.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise QueryRefused(f"--where {condition!r}: write column=value")
        if columns is not None and name not in columns:
            raise QueryRefused(f"{table} has no column {name!r}; it has: {', '.join(columns)}")
        clauses.append(f'"{name}" = :p{position}')  # name checked above
        params[f"p{position}"] = value.strip()
    sql = f'SELECT * FROM "{table}"'  # noqa: S608 - a known table name
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    if limit:
        sql += f" LIMIT {int(limit)}"
    return sql, params


#: The tables and views a reader can see, on either database.
_LISTINGS = {
    "sqlite": "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
    "AND name NOT LIKE 'sqlite_%' ORDER BY type, name",
    # A reader's search path holds several audiences' schemas (members_data, then
    # public_data), each with the same names: a name is listed once, from the schema a query
    # naming it reads.
    "postgresql": "SELECT name, type FROM (SELECT DISTINCT ON (t.table_name) "
    "t.table_name AS name, CASE t.table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END AS type "
    "FROM information_schema.tables t JOIN unnest(current_schemas(false)) WITH ORDINALITY "
    "AS s(schema_name, position) ON s.schema_name = t.table_schema "
    "ORDER BY t.table_name, s.position) AS first ORDER BY 2, 1",
}


def described_tables(url: str) -> pd.DataFrame:
    """Every table and view the reader may query, with what it holds (the data dictionary's
    descriptions; a table the pipeline did not make is said to be an analyst's)."""
    listed = run_query(url, _LISTINGS[make_url(url).get_backend_name()])
    descriptions = {t.name: t.comment or "" for t in warehouse_tables()} | VIEW_DESCRIPTIONS
    listed["description"] = [
        descriptions.get(name, "not the pipeline's: saved by an analyst") for name in listed["name"]
    ]
    return listed
