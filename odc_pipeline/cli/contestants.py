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
    default=None,
    help="What the value should name (unset: a party and a pair both tried, as a file's "
    "contest decides: a pair in presiden, a party in a parliament's race).",
)
def match(value: str, year: int, subject: str | None) -> None:
    """What VALUE names in the election of YEAR, by key, ballot number or name; or why not.

    Exit code 0 when it matched, 1 when a person has to decide."""
    from odc_pipeline.elections.contestants import cached_contestant_index
    from odc_pipeline.settings import load_settings

    index = cached_contestant_index(load_settings().reference_dir)
    tried = [subject] if subject else ["pair", "party"]
    found = {s: index.match(value, s, year) for s in tried}
    named = {s: f for s, f in found.items() if f.contestant_id}
    for s, f in named.items():
        said = f" as a {s} ({_CONTEST_OF[s]})" if len(tried) > 1 else ""
        click.echo(f"{value} → {f.contestant_id}{said} (by {f.method})")
    if named:
        return
    for f in found.values():
        click.echo(f"{value}: {f.problem}")
        if f.suggestions:
            click.echo(f"closest: {f.suggestions}")
    sys.exit(1)


#: Where a file's value names each subject: the contest of its rows decides.
_CONTEST_OF = {"pair": "in a presidential race", "party": "in a parliament's race"}


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
    from odc_pipeline.quoting import counted
    from odc_pipeline.review_queue import ReviewImportError
    from odc_pipeline.settings import load_settings

    folder = load_settings().reference_dir
    try:
        report = import_contestant_decisions(file, folder, cached_contestant_index(folder).tables)
    except ReviewImportError as error:
        click.echo(str(error))
        sys.exit(1)
    click.echo(
        f"added {counted(report.added, 'alias', 'aliases')} to {folder / ALIASES_FILE} "
        f"({report.already_known} "
        f"already known, {report.undecided} rows without a decision)"
    )
