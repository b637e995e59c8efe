"""`odc contestants`: which party or presidential pair a value names, and the review queue of
values no rule decided, the same way `odc regions` does it for regions."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group()
def contestants() -> None:
    """Parties and presidential pairs: match a value, review undecided ones."""


@contestants.command()
@click.argument("value")
@click.option("--year", type=int, required=True, help="The election year, e.g. 2019.")
@click.option(
    "--subject",
    type=click.Choice(["party", "pair"]),
    default="party",
    show_default=True,
    help="What the value should name.",
)
def match(value: str, year: int, subject: str) -> None:
    """What VALUE names in the election of YEAR, by key, ballot number or name; or why not.

    Exit code 0 when it matched, 1 when a person has to decide."""
    from odc_pipeline.elections.contestants import cached_contestant_index
    from odc_pipeline.settings import load_settings

    found = cached_contestant_index(load_settings().reference_dir).match(value, subject, year)
    if found.contestant_id:
        click.echo(f"{value} → {found.contestant_id} (by {found.method})")
        return
    click.echo(f"{value}: {found.problem}")
    if found.suggestions:
        click.echo(f"closest: {found.suggestions}")
    sys.exit(1)


@contestants.group()
def review() -> None:
    """The review queue: party and pair values no rule decided."""


@review.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def review_export(file: Path) -> None:
    """Write the queue to FILE (CSV); fill decision_id and scope, then import it."""
    import pandas as pd

    from odc_pipeline.elections.review import write_contestant_review_csv
    from odc_pipeline.settings import load_settings
    from odc_pipeline.warehouse.engine import make_engine

    engine = make_engine(load_settings().warehouse)
    count = write_contestant_review_csv(pd.read_sql_table("contestant_review", engine), file)
    click.echo(
        f"wrote {count} values to review into {file}; fill decision_id (a party_id or pair_id) "
        "and scope (source or all)"
    )


@review.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def review_import(file: Path) -> None:
    """Check every decision in FILE and add them to data/reference/contestant_aliases.csv."""
    from odc_pipeline.elections.contestants import cached_contestant_index
    from odc_pipeline.elections.reference import ALIASES_FILE
    from odc_pipeline.elections.review import import_contestant_decisions
    from odc_pipeline.review_queue import ReviewImportError
    from odc_pipeline.settings import load_settings

    folder = load_settings().reference_dir
    try:
        report = import_contestant_decisions(file, folder, cached_contestant_index(folder).tables)
    except ReviewImportError as error:
        click.echo(str(error))
        sys.exit(1)
    click.echo(
        f"added {report.added} aliases to {folder / ALIASES_FILE} ({report.already_known} "
        f"already known, {report.undecided} rows without a decision)"
    )
