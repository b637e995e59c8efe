"""A table or column name written into SQL as a quoted identifier.

SQLite, PostgreSQL and DuckDB all take standard double quotes, with a quote inside the name
doubled: a name read from a file or a Parquet schema can then never end the identifier.
"""

from __future__ import annotations


def quoted_identifier(name: str) -> str:
    """`name` as a double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
