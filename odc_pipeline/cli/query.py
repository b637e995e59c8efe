"""`odc query`: read-only questions to the configured warehouse."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from odc_pipeline.cli.common import console, settings
from odc_pipeline.settings import query_url, role_prefix
from odc_pipeline.warehouse.cells import safe_cell
from odc_pipeline.warehouse.readonly import QueryRefused, question_url, run_query, table_query


@click.command()
@click.argument("sql", required=False)
@click.option("--table", help="A table or view to read instead of SQL.")
@click.option("--where", multiple=True, help="column=value (with --table); repeat for AND.")
@click.option("--limit", type=int, help="At most this many rows.")
@click.option(
    "--format",
    "out_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
def query(sql, table, where, limit, out_format, output) -> None:
    """Ask the warehouse a question (it cannot be changed from here).

    \b
    odc query "select source_id, count(*) from fact_election_results group by 1"
    odc query --table quarantine --where source_id=jsn_pilpres2024_kabkota --format csv

    On PostgreSQL the question runs as the reader login <prefix>_query (what members see),
    or the login ODC_QUERY_URL names; never as the publisher.
    """
    if bool(sql) == bool(table):
        raise click.UsageError("give either SQL or --table")
    try:
        url = question_url(settings().warehouse, query_url(), role_prefix())
        if table:
            sql, params = table_query(table, list(where), limit)
        else:
            params = {}
            if where:
                raise QueryRefused("--where goes with --table; write the condition in the SQL")
        frame = run_query(url, sql, params)
    except QueryRefused as error:
        raise click.ClickException(str(error)) from None
    except Exception as error:  # noqa: BLE001 - the database's own message, without a traceback
        raise click.ClickException(
            f"the warehouse refused the query: {error}".splitlines()[0]
        ) from None
    if limit and not table:
        frame = frame.head(limit)
    if out_format == "table" and not output:
        view = Table(show_lines=False)
        for column in frame.columns:
            view.add_column(str(column))
        for row in frame.itertuples(index=False):
            view.add_row(*("" if v is None else escape(str(v)) for v in row))
        console.print(view)
        console.print(f"{len(frame):,} rows")
        return
    if out_format == "json":
        body = frame.to_json(orient="records", force_ascii=False, date_format="iso", indent=2)
    else:  # csv (and `table` written to a file)
        buffer = io.StringIO()
        frame.map(safe_cell).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
        body = buffer.getvalue()
    if output:
        output.write_text(body, encoding="utf-8")
        console.print(f"wrote {len(frame):,} rows to {escape(str(output))}")
    else:
        click.echo(body, nl=False)
