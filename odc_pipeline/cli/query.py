"""`odc query`: read-only questions to the configured warehouse."""

from __future__ import annotations

from pathlib import Path

import click

from odc_pipeline.cli.common import settings
from odc_pipeline.cli.output import FORMATS, show_frame
from odc_pipeline.settings import query_url, role_prefix
from odc_pipeline.warehouse.readonly import (
    QueryRefused,
    described_tables,
    question_url,
    run_query,
    table_query,
)


@click.command()
@click.argument("sql", required=False)
@click.option("--table", help="A table or view to read instead of SQL.")
@click.option("--tables", "list_tables", is_flag=True, help="List the tables and views.")
@click.option("--where", multiple=True, help="column=value (with --table); repeat for AND.")
@click.option("--limit", type=int, help="At most this many rows.")
@click.option(
    "--format",
    "out_format",
    type=click.Choice(FORMATS),
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
    # The list of tables reads best as a table, its descriptions wrapped.
    show_frame(frame, out_format, output, prefer_table=list_tables)
