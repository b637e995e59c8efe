"""Tables and views an analyst saved into the embedded warehouse file stay there.

Each publish writes a new file; without this step a table an analyst made in `odc.sqlite`
(a cleaned subset, a join with a statistic) would vanish at the next night without a word.
They are copied forward, with their indexes and views, into the complete file only: they are
nobody's to share, so no audience's file ever gets them.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from odc_pipeline.sql_names import quoted_identifier

_LOG = logging.getLogger(__name__)

#: Tables first (their rows are copied), then their indexes, then views that may read them.
_OBJECTS = (
    "SELECT type, name, tbl_name, sql FROM previous.sqlite_master "
    "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND type IN ('table', 'index', 'view') "
    "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, name"
)


@dataclass
class KeptObjects:
    """What was carried into the new file, and what could not be (with SQLite's reason)."""

    kept: list[str] = field(default_factory=list)
    not_kept: dict[str, str] = field(default_factory=dict)


def keep_analyst_tables(complete: Path, previous: Path) -> KeptObjects:
    """Copy into `complete` every table, index and view of `previous` the publish did not
    create (a name the new file does not have), rows included."""
    outcome = KeptObjects()
    with closing(sqlite3.connect(complete)) as connection:
        connection.execute("ATTACH DATABASE ? AS previous", (str(previous),))
        ours = {row[0] for row in connection.execute("SELECT name FROM main.sqlite_master")}
        for kind, name, table, sql in connection.execute(_OBJECTS).fetchall():
            if name in ours or (kind == "index" and table in ours):
                continue
            try:
                connection.execute(sql)  # the statement the analyst's own tool wrote
                if kind == "table":
                    copy = f"INSERT INTO main.{quoted_identifier(name)} SELECT * FROM previous.{quoted_identifier(name)}"  # noqa: S608 - a name read from the file, quoted
                    connection.execute(copy)
            except sqlite3.Error as error:
                outcome.not_kept[name] = f"{error}; it was made with: {sql}"
                continue
            outcome.kept.append(name)
        connection.commit()
        connection.execute("DETACH DATABASE previous")
    if outcome.kept:
        _LOG.warning(
            "kept the tables and views analysts saved in %s: %s (in that file only, never in "
            "the shared files)",
            previous.name,
            ", ".join(outcome.kept),
        )
    for name, reason in outcome.not_kept.items():
        _LOG.warning(
            "could not keep %s, which an analyst saved in %s: %s",
            name,
            previous.name,
            reason,
        )
    return outcome
