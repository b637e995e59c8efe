"""`odc sources`: the registry, from a terminal."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
import yaml
from rich.markup import escape
from rich.table import Table

from odc_pipeline.cli.common import console, registry, settings, unknown_source
from odc_pipeline.kinds import KINDS
from odc_pipeline.pulling import PullError, SnapshotStore, pull_source
from odc_pipeline.reading import MissingColumnsError, SourceReadError, read_source
from odc_pipeline.reading.headers import apply_column_mapping
from odc_pipeline.registry import RegistryError, load_registry
from odc_pipeline.registry.model import LEVELS


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


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        left, sep, right = value.partition("=")
        if not sep:
            raise click.BadParameter(f"{value!r}: write left=right", param_hint=option)
        pairs[left.strip()] = right.strip()
    return pairs


def _region(value: str) -> dict:
    parts = value.split(":")
    if len(parts) != 3 or parts[1] not in LEVELS:
        raise click.BadParameter(
            f"{value!r}: write COLUMN:LEVEL:SYSTEM, e.g. region:kabupaten_kota:kemendagri",
            param_hint="--region",
        )
    return {"column": parts[0], "level": parts[1], "system": parts[2]}


@sources.command()
@click.option("--id", "source_id", prompt="Source id (lowercase, digits, _)")
@click.option("--organization", prompt="Organisation id (from the registry)")
@click.option("--kind", type=click.Choice(sorted(KINDS)), prompt=True)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "xlsx", "xls", "json", "jsonl"]),
    prompt=True,
)
@click.option("--location", prompt="Location (path relative to the registry, folder or URL)")
@click.option("--column", "columns", multiple=True, help="HEADER=canonical column; repeat.")
@click.option(
    "--region", "regions_", multiple=True, help="COLUMN:LEVEL:SYSTEM; repeat, top level first."
)
@click.option("--set", "constants", multiple=True, help="column=value the file lacks; repeat.")
@click.option("--licence", prompt=True)
@click.option("--sharing", type=click.Choice(["public", "members", "private"]), prompt=True)
@click.option("--description", default="", help="One line for the UI and the catalogue.")
def add(
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
) -> None:
    """Add a source to the registry, checked before anything is written."""
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
        "columns": _pairs(columns, "--column"),
        "constants": {
            k: int(v) if v.isdigit() else v for k, v in _pairs(constants, "--set").items()
        },
        "regions": [_region(r) for r in regions_],
        "licence": licence,
        "sharing": sharing,
    }
    if not entry["constants"]:
        del entry["constants"]
    path = settings().registry_path
    text = path.read_text(encoding="utf-8")
    block = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True)
    block = "\n" + "\n".join(("  " + line) if line else line for line in block.splitlines()) + "\n"
    candidate = text.rstrip("\n") + "\n" + block
    # Check the registry as it would be, in a scratch copy beside it (locations resolve the same).
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".yaml", delete=False) as scratch:
        scratch.write(candidate)
    try:
        # Only the new entry (the last one) must be right: another entry's problem is
        # another steward's to fix, and holds back that source alone.
        checked = load_registry(Path(scratch.name), check_files=False, keep_broken=True)
        position = len(checked.sources) + len(checked.broken)
        new = [b for b in checked.broken if b.label.split(" (")[0] == f"source #{position}"]
        if new:
            raise RegistryError(path, new[0].problems)
    except RegistryError as error:
        problems = "\n".join(f"  - {p}" for p in error.problems)
        raise click.ClickException(f"the entry was not added:\n{problems}") from None
    finally:
        Path(scratch.name).unlink()
    path.write_text(candidate, encoding="utf-8")
    console.print(
        f"added {source_id} to {escape(str(path))}; try it with: odc sources test {source_id}"
    )


@sources.command()
@click.argument("source_id")
def test(source_id: str) -> None:
    """Pull SOURCE_ID's file and read it as the registry says; nothing is published.

    Exit code 0 when it can be pulled and read and its headers fit, 2 otherwise.
    """
    found = registry()
    try:
        entry = found.source(source_id)
    except KeyError:
        console.print(f"[red]{escape(unknown_source(found, source_id))}[/red]")
        sys.exit(2)
    with tempfile.TemporaryDirectory() as scratch:
        store = SnapshotStore(Path(scratch) / "snapshots")
        try:
            pulled = pull_source(entry, found.base_dir, store)
            frame = read_source(pulled.path, entry.format, entry.read, list(entry.columns))
            mapped = apply_column_mapping(frame, entry.columns)
        except (PullError, SourceReadError, MissingColumnsError) as error:
            console.print(f"[red]{source_id}: cannot use the file:[/red] {escape(str(error))}")
            sys.exit(2)
    console.print(
        f"[green]{source_id}[/green]: pulled {pulled.snapshot.size:,} bytes from "
        f"{escape(pulled.snapshot.origin)}; read {len(frame):,} rows; mapped columns: "
        f"{', '.join(c for c in mapped.columns if not c.startswith('_'))}"
    )
