"""`odc query`: read-only questions to the configured warehouse."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click
import pandas as pd
from rich.markup import escape
from rich.table import Table

from odc_pipeline.cli.common import console, settings
from odc_pipeline.settings import query_url, role_prefix
from odc_pipeline.warehouse.cells import safe_cell
from odc_pipeline.warehouse.readonly import (
    QueryRefused,
    described_tables,
    question_url,
    run_query,
    table_query,
)


def _shown(value) -> str:
    """A cell as a person reads it: SQL NULL (None, or NaN in a number column) as nothing."""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):  # a list or another value pandas cannot test
        pass
    return str(value)


def _width(frame: pd.DataFrame) -> int:
    """Characters the widest line of a plain table of `frame` would need."""
    widths = [
        max([len(str(column)), *(len(_shown(v)) for v in frame[column])])
        for column in frame.columns
    ]
    return sum(widths) + 3 * len(widths) + 1


def _print_table(frame: pd.DataFrame) -> None:
    view = Table(show_lines=False)
    for column in frame.columns:
        view.add_column(str(column), overflow="fold")
    for row in frame.itertuples(index=False):
        view.add_row(*(escape(_shown(v)) for v in row))
    console.print(view)


def _print_vertical(frame: pd.DataFrame) -> None:
    """One block per row, one line per column: what a wide table needs in a terminal."""
    label = max((len(str(c)) for c in frame.columns), default=0)
    for number, row in enumerate(frame.itertuples(index=False), start=1):
        console.print(f"[dim]-- row {number:,} --[/dim]")
        for column, value in zip(frame.columns, row, strict=True):
            console.print(f"{escape(str(column)):>{label}}  {escape(_shown(value))}")


@click.command()
@click.argument("sql", required=False)
@click.option("--table", help="A table or view to read instead of SQL.")
@click.option("--tables", "list_tables", is_flag=True, help="List the tables and views.")
@click.option("--where", multiple=True, help="column=value (with --table); repeat for AND.")
@click.option("--limit", type=int, help="At most this many rows.")
@click.option(
    "--format",
    "out_format",
    type=click.Choice(["auto", "table", "vertical", "csv", "json"]),
    default="auto",
    show_default=True,
    help="auto: a table, or one block per row when a table would not fit the terminal.",
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
def query(sql, table, list_tables, where, limit, out_format, output) -> None:
    """Ask the warehouse a question (it cannot be changed from here).

    \b
    odc query --tables
    odc query "select source_id, count(*) from fact_election_results group by 1"
    odc query --table quarantine --where source_id=jsn_pilpres2024_kabkota --format csv
    odc query --table dim_source --format vertical

    Empty cells are SQL NULL. On PostgreSQL the question runs as the reader login
    <prefix>_query (what members see), or the login ODC_QUERY_URL names; never as the
    publisher.
    """
    if sum(map(bool, (sql, table, list_tables))) != 1:
        raise click.UsageError("give SQL, --table or --tables")
    try:
        url = question_url(settings().warehouse, query_url(), role_prefix())
        if list_tables:
            frame = described_tables(url)
        elif table:
            sql, params = table_query(table, list(where), limit)
        else:
            params = {}
            if where:
                raise QueryRefused("--where goes with --table; write the condition in the SQL")
        if not list_tables:
            frame = run_query(url, sql, params)
    except QueryRefused as error:
        raise click.ClickException(str(error)) from None
    except Exception as error:  # noqa: BLE001 - the database's own message, without a traceback
        raise click.ClickException(
            f"the warehouse refused the query: {error}".splitlines()[0]
        ) from None
    if limit and not table:
        frame = frame.head(limit)
    if out_format in ("auto", "table", "vertical") and not output:
        # The list of tables reads best as a table, its descriptions wrapped.
        fits = list_tables or _width(frame) <= console.width
        if out_format == "vertical" or (out_format == "auto" and not fits):
            _print_vertical(frame)
        else:
            _print_table(frame)
        console.print(f"{len(frame):,} rows")
        return
    if out_format == "json":
        body = frame.to_json(orient="records", force_ascii=False, date_format="iso", indent=2)
    else:  # csv (and the terminal formats written to a file)
        buffer = io.StringIO()
        frame.map(safe_cell).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
        body = buffer.getvalue()
    if output:
        output.write_text(body, encoding="utf-8")
        console.print(f"wrote {len(frame):,} rows to {escape(str(output))}")
    else:
        click.echo(body, nl=False)
