"""Questions to the warehouse that cannot change it: for `odc query` and analysts' scripts.

Two locks, so a mistake or a pasted statement cannot write: the statement must be a single
SELECT (or WITH ... SELECT, EXPLAIN, VALUES), and the connection itself is read-only (SQLite
opened with mode=ro, PostgreSQL in a READ ONLY transaction). Table and column names for
`--table`/`--where` are checked against the warehouse's own definitions; values are bound.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline.warehouse.schema import warehouse_tables
from odc_pipeline.warehouse.views import VIEWS

_READING = re.compile(r"^\s*(select|with|explain|values)\b", re.IGNORECASE)


class QueryRefused(ValueError):
    """The statement would not only read, or names something the warehouse does not have."""


def read_only_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not path.is_file():
            raise QueryRefused(f"no warehouse at {path}: run `odc run` (or `make run`) first")
        return create_engine(f"sqlite:///file:{path.resolve()}?mode=ro&uri=true")
    return make_engine(url)


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
    statement = check_statement(sql)
    engine = read_only_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            return pd.read_sql(text(statement), connection, params=params or {})
    finally:
        engine.dispose()


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
