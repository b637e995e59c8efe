"""`odc sources`: the registry, from a terminal."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from odc_pipeline.cli.common import console, pairs, registry, settings, typed, unknown_source
from odc_pipeline.kinds import KINDS
from odc_pipeline.pulling import PullError, SnapshotStore, pull_source
from odc_pipeline.reading import MissingColumnsError, SourceReadError, read_source
from odc_pipeline.reading.headers import apply_column_mapping
from odc_pipeline.registry.model import LEVELS
from odc_pipeline.registry.writing import RegistryWriteError, add_entry


@click.group()
def sources() -> None:
    """List, add and test the registry's sources (ODC_SOURCES, default data/sources.yaml)."""


@sources.command("list")
def list_sources() -> None:
    """Every source: who shares it, what it is, where from, who may see it."""
    found = registry()
    table = Table(title=str(settings().registry_path))
    table.add_column("id", no_wrap=True)
    for column in ("organisation", "kind", "format", "location", "sharing", "licence"):
        table.add_column(column)
    for entry in found.sources:
        table.add_row(
            entry.id,
            escape(found.organization_name(entry.organization)),
            entry.kind,
            entry.format,
            escape(entry.location),
            entry.sharing,
            escape(entry.licence),
        )
    for broken in found.broken:
        table.add_row(
            escape(broken.source_id or "?"),
            escape(found.organization_name(broken.organization) if broken.organization else ""),
            "[red]held back[/red]",
            "",
            escape("; ".join(broken.problems)),
            "",
            "",
        )
    console.print(table)


def _region(value: str) -> dict:
    parts = value.split(":")
    if len(parts) != 3 or parts[1] not in LEVELS:
        raise click.BadParameter(
            f"{value!r}: write COLUMN:LEVEL:SYSTEM, e.g. region:kabupaten_kota:kemendagri",
            param_hint="--region",
        )
    return {"column": parts[0], "level": parts[1], "system": parts[2]}


@sources.command()
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--id", "source_id", help="The source's id (lowercase letters, digits, _).")
@click.option("--organization", help="The organisation's id in the registry.")
@click.option("--organization-name", help="Its name, when the organisation is new.")
@click.option("--kind", type=click.Choice(sorted(KINDS)))
@click.option("--format", "file_format", type=click.Choice(["csv", "xlsx", "xls", "json", "jsonl"]))
@click.option("--location", help="Without FILE: path relative to the registry, folder or URL.")
@click.option("--column", "columns", multiple=True, help="HEADER=column; repeat.")
@click.option(
    "--region",
    "regions_",
    multiple=True,
    help="With FILE: HEADER:LEVEL[:SYSTEM]; without: COLUMN:LEVEL:SYSTEM. Repeat, top first.",
)
@click.option(
    "--level",
    type=click.Choice(sorted(LEVELS, key=LEVELS.get)),
    default="kabupaten_kota",
    help="Level of a region column neither its header nor its values tell.",
)
@click.option("--set", "constants", multiple=True, help="column=value the file lacks; repeat.")
@click.option(
    "--recode",
    "recodes",
    multiple=True,
    help="With FILE: COLUMN:THEIR VALUE=OUR VALUE, e.g. 'category:Dugaan Politik Uang=politik_uang'.",
)
@click.option("--untyped", multiple=True, help="LEVEL=kabupaten|kota: what bare names mean.")
@click.option(
    "--blank-means-parent", multiple=True, help="LEVEL: an empty cell means the region above."
)
@click.option(
    "--read",
    "read_options",
    multiple=True,
    help="KEY=VALUE: sheet, header_row, delimiter, encoding, locale, totals_label, records_path.",
)
@click.option("--years", help="2014,2019: one file per year (the year in FILE's name varies).")
@click.option("--max-rejected-share", type=float, help="Hold the file back above this share (0-1).")
@click.option("--licence")
@click.option("--sharing", type=click.Choice(["public", "members", "private"]))
@click.option("--description", help="One line for the UI and the catalogue.")
@click.option(
    "--replace",
    is_flag=True,
    help="With FILE: put the entry in place of the one with the same id (its comments kept).",
)
def add(file: Path | None, **given) -> None:
    """Add a source to the registry, checked before anything is written.

    With FILE (recommended): the entry is proposed from the file's headers and values as
    `odc check` does, the headers are shown beside the kind's columns, only what the file
    cannot tell is asked, and the new source is tested. Without FILE, every key is asked.
    """
    if file is not None:
        from odc_pipeline.cli.sources_add import add_from_file

        sys.exit(add_from_file(file, given))
    _add_by_hand(**given)


def _add_by_hand(
    source_id,
    organization,
    kind,
    file_format,
    location,
    columns,
    regions_,
    constants,
    licence,
    sharing,
    description,
    **_,
) -> None:
    description = description or ""
    source_id = source_id or click.prompt("Source id (lowercase, digits, _)")
    organization = organization or click.prompt("Organisation id (from the registry)")
    kind = kind or click.prompt("Kind", type=click.Choice(sorted(KINDS)))
    file_format = file_format or click.prompt(
        "Format", type=click.Choice(["csv", "xlsx", "xls", "json", "jsonl"])
    )
    location = location or click.prompt("Location (path relative to the registry, folder or URL)")
    licence = licence or click.prompt("Licence")
    sharing = sharing or click.prompt(
        "Sharing", type=click.Choice(["public", "members", "private"])
    )
    if not columns:
        columns = tuple(click.prompt("Column mapping, HEADER=column, comma-separated").split(","))
    if not regions_:
        regions_ = (click.prompt("Region column as COLUMN:LEVEL:SYSTEM"),)
    entry = {
        "id": source_id,
        "organization": organization,
        "kind": kind,
        "description": description,
        "format": file_format,
        "location": location,
        "columns": pairs(columns, "--column"),
        "constants": {k: typed(v) for k, v in pairs(constants, "--set").items()},
        "regions": [_region(r) for r in regions_],
        "licence": licence,
        "sharing": sharing,
    }
    if not entry["constants"]:
        del entry["constants"]
    path = settings().registry_path
    try:
        add_entry(path, entry)
    except RegistryWriteError as error:
        problems = "\n".join(f"  - {p}" for p in error.problems)
        raise click.ClickException(f"the entry was not added:\n{problems}") from None
    console.print(
        f"added {source_id} to {escape(str(path))}; try it with: odc sources test {source_id}"
    )


@sources.command()
@click.argument("source_id")
def test(source_id: str) -> None:
    """Pull SOURCE_ID's file and read it as the registry says; nothing is published.

    Exit code 0 when it can be pulled and read and its headers fit, 2 otherwise.
    """
    sys.exit(test_source(source_id))


def test_source(source_id: str) -> int:
    """`odc sources test`, returning its exit code (`odc sources add` ends with it)."""
    found = registry()
    try:
        entry = found.source(source_id)
    except KeyError:
        console.print(f"[red]{escape(unknown_source(found, source_id))}[/red]")
        return 2
    if entry.partitioned:
        entry = entry.for_year(max(entry.years))
    with tempfile.TemporaryDirectory() as scratch:
        store = SnapshotStore(Path(scratch) / "snapshots")
        try:
            pulled = pull_source(entry, found.base_dir, store)
            frame = read_source(pulled.path, entry.format, entry.read, list(entry.columns))
            mapped = apply_column_mapping(frame, entry.columns)
        except (PullError, SourceReadError, MissingColumnsError) as error:
            console.print(f"[red]{source_id}: cannot use the file:[/red] {escape(str(error))}")
            return 2
    console.print(
        f"[green]{source_id}[/green]: pulled {pulled.snapshot.size:,} bytes from "
        f"{escape(pulled.snapshot.origin)}; read {len(frame):,} rows; mapped columns: "
        f"{', '.join(c for c in mapped.columns if not c.startswith('_'))}"
    )
    return 0
