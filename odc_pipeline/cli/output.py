"""Tables for a terminal or a file: what `odc query`, `odc diff` and `odc releases` print."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click
import pandas as pd
from rich.markup import escape
from rich.table import Table

from odc_pipeline.cli.common import console
from odc_pipeline.warehouse.cells import safe_cell

#: --format choices: auto picks a table, or one block per row when a table would not fit.
FORMATS = ["auto", "table", "vertical", "csv", "json"]


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


def show_frame(
    frame: pd.DataFrame, out_format: str, output: Path | None, prefer_table: bool = False
) -> None:
    """`frame` in the terminal (a table, or one block per row) or as CSV or JSON, to the
    terminal or to `output`. CSV cells a spreadsheet would run as a formula are quoted."""
    if out_format in ("auto", "table", "vertical") and not output:
        fits = prefer_table or _width(frame) <= console.width
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
