"""`odc check FILE`: what a steward runs before sharing a file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import yaml
from rich.markup import escape
from rich.table import Table

from odc_pipeline.checking import (
    CheckError,
    check_file,
    entry_for_proposal,
    file_format_of,
    propose_for_file,
)
from odc_pipeline.cli.common import (
    console,
    headers_table,
    pairs,
    read_options_of,
    region_headers,
    registry,
    settings,
    typed,
    unknown_source,
)
from odc_pipeline.kinds import KINDS
from odc_pipeline.proposal import ProposalError, entry_document, parse_recodes, source_id_for
from odc_pipeline.registry.model import LEVELS, ReadOptions

EXIT_CLEAN, EXIT_QUARANTINE, EXIT_UNREADABLE = 0, 1, 2


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(sorted(KINDS)), help="What the file holds.")
@click.option("--source", "source_id", help="Check it as this registry entry would read it.")
@click.option("--format", "file_format", type=click.Choice(["csv", "xlsx", "xls", "json", "jsonl"]))
@click.option(
    "--level",
    type=click.Choice(sorted(LEVELS, key=LEVELS.get)),
    default="kabupaten_kota",
    show_default=True,
    help="Level of a region column neither its header nor its values tell (without --source).",
)
@click.option(
    "--column", "columns", multiple=True, help="HEADER=column: use this header as the column."
)
@click.option(
    "--region",
    "regions",
    multiple=True,
    help="HEADER:LEVEL[:SYSTEM]: this header is a region column (SYSTEM: kemendagri, bps or "
    "name; found from the values when left out).",
)
@click.option("--set", "fixed", multiple=True, help="A column the file lacks: election=pemilu.")
@click.option(
    "--recode",
    "recodes",
    multiple=True,
    help="COLUMN:THEIR VALUE=OUR VALUE, e.g. 'category:Dugaan Politik Uang=politik_uang'.",
)
@click.option(
    "--read",
    "read_options",
    multiple=True,
    help="KEY=VALUE: sheet, header_row, delimiter, encoding, locale, totals_label, records_path.",
)
@click.option(
    "--year", type=int, help="The year of the file, for a --source with one file per year."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check(
    file,
    kind,
    source_id,
    file_format,
    level,
    columns,
    regions,
    fixed,
    recodes,
    read_options,
    year,
    as_json,
) -> None:
    """Read, validate and harmonize FILE exactly as the pipeline would, without publishing.

    Without --source, the registry entry is proposed from the file's headers and values
    (correct it with --column, --region and --set) and printed as YAML to paste into the
    registry. FILE may be a folder for a source that pulls a bundle of files (pull.bundle).

    Exit code 0: the file would publish cleanly; 1: some rows would be set aside
    (quarantined); 2: the file cannot be read or does not fit.
    """
    proposal, read = None, {}
    try:
        if source_id:
            known = registry()
            try:
                entry = known.source(source_id)
            except KeyError:
                raise CheckError(unknown_source(known, source_id)) from None
            if kind and kind != entry.kind:
                raise CheckError(f"source {source_id!r} is of kind {entry.kind!r}, not {kind!r}")
            if file_format and file_format != entry.format:
                entry = entry.model_copy(update={"format": file_format})
            entry = _for_year(entry, year)
        else:
            if not kind:
                raise click.UsageError("give --kind (or --source with a registry entry)")
            file_format = file_format or file_format_of(file)
            read = read_options_of(read_options)
            proposal = propose_for_file(
                file,
                kind,
                file_format,
                level,
                pairs(columns, "--column"),
                region_headers(regions),
                {k: typed(v) for k, v in pairs(fixed, "--set").items()},
                recodes=parse_recodes(recodes),
                read=ReadOptions(**read),
            )
            if not as_json:
                _print_proposal(proposal)
            entry = entry_for_proposal(proposal, file, file_format, read)
        report = check_file(file, entry, settings().reference_dir)
    except (CheckError, ProposalError) as error:
        message = str(error)
        if as_json:
            click.echo(json.dumps({"file": str(file), "readable": False, "error": message}))
        else:
            console.print(f"[red]Cannot check {escape(str(file))}:[/red] {escape(message)}")
        sys.exit(EXIT_UNREADABLE)
    registry_entry = None
    if proposal is not None:
        registry_entry = entry_document(
            proposal, _location(file), entry.format, source_id_for(file.name)
        )
        if read:
            registry_entry["read"] = {**registry_entry.get("read", {}), **read}
    if as_json:
        document = report.as_dict()
        if registry_entry is not None:
            document["registry_entry"] = registry_entry
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        _print(report)
        if registry_entry is not None:
            _print_entry(registry_entry)
    sys.exit(EXIT_CLEAN if report.clean else EXIT_QUARANTINE)


def _location(file: Path) -> str:
    """The file as the registry would name it: relative to the registry's folder when the
    file is under it."""
    folder = settings().registry_path.resolve().parent
    try:
        return str(file.resolve().relative_to(folder))
    except ValueError:
        return str(file.resolve())


def _print_proposal(proposal) -> None:
    table = headers_table(
        proposal, f"How the file's headers are read, as {proposal.kind}", "header", "(not used)"
    )
    for name, value in proposal.constants.items():
        table.add_row(
            "[dim](every row)[/dim]", escape(f"{name} = {value}"), escape(proposal.reasons[name])
        )
    console.print(table)
    for column, recodes in proposal.values.items():
        shown = ", ".join(f"{theirs!r} → {ours}" for theirs, ours in recodes.items())
        console.print(f"Recoded {column}: {escape(shown)}")
    for column, values in proposal.unrecoded.items():
        allowed = ", ".join(KINDS[proposal.kind].column(column).allowed)
        console.print(
            f"[yellow]{column}: no value of {allowed} is close to "
            f"{escape(', '.join(map(repr, values)))}[/yellow]; say which each means with "
            f"--recode '{column}:{escape(values[0])}=VALUE' (VALUE one of {allowed}), or rows "
            "with it are set aside",
            soft_wrap=True,
        )
    given = {*proposal.columns.values(), *proposal.constants}
    kind = KINDS[proposal.kind]
    needed = [
        c for c in kind.canonical_columns if c not in given and c not in kind.withheld_columns
    ]
    if needed:
        console.print(
            f"[dim]Columns of {proposal.kind} no header gives: {', '.join(needed)}. Correct "
            "any line with --column HEADER=column, --region HEADER:LEVEL or --set "
            "column=value.[/dim]"
        )


def _print_entry(document: dict) -> None:
    block = yaml.safe_dump([document], sort_keys=False, allow_unicode=True)
    indented = "\n".join(("  " + line) if line else line for line in block.splitlines())
    console.print(
        "\nThe registry entry for this file, to paste under [bold]sources:[/bold] in the "
        "registry (set organization, licence, sharing and description first; or run "
        "[bold]odc sources add[/bold] with the same options):"
    )
    console.print(escape(indented), highlight=False, soft_wrap=True)


def _for_year(entry, year: int | None):
    """A source with one file per year is checked as that year's file (the year fills it)."""
    if not entry.partitioned:
        return entry
    covered = ", ".join(str(y) for y in entry.years)
    if year is None:
        raise CheckError(f"source {entry.id!r} keeps one file per year ({covered}): give --year")
    if year not in entry.years:
        raise CheckError(f"source {entry.id!r} has no file for {year}; it covers {covered}")
    return entry.for_year(year)


def _print(report) -> None:
    console.print(f"[bold]{escape(report.file)}[/bold] as {report.kind} ({report.source_id})")
    matched = (
        f"regions matched {report.match_rate:.1%} of valid rows"
        if report.rows_valid
        else "no row is valid, so no region was matched"
    )
    console.print(
        f"rows read {report.rows_in:,}; would publish {report.rows_in - report.rows_quarantined:,}; "
        f"would set aside {report.rows_quarantined:,}; {matched}"
    )
    for note in report.notes:
        console.print(f"[yellow]Note:[/yellow] {escape(note)}")
    for line in report.larger_then:
        console.print(f"Region of its time (code_vintage): {escape(line)}")
    if report.held_back:
        console.print(f"[red]The whole file would be held back:[/red] {escape(report.held_back)}")
    if report.problems:
        table = Table(title="Problems by rule")
        for column in ("rule", "rows", "example rows", "for example"):
            table.add_column(column)
        for problem in report.problems:
            table.add_row(
                escape(problem.text),
                f"{problem.rows:,}",
                ", ".join(str(r) for r in problem.example_rows),
                escape(problem.example_reason),
            )
        console.print(table)
    if report.unmatched_regions:
        table = Table(title="Regions that did not match")
        for column in ("value", "rows", "example rows", "why", "closest official regions"):
            table.add_column(column)
        for item in report.unmatched_regions:
            table.add_row(
                *(escape(v) for v in (item.value, str(item.rows), item.example_rows)),
                escape(item.reason),
                escape(item.suggestions),
            )
        console.print(table)
    if report.undecided_contestants:
        table = Table(title="Parties and pairs no rule decides (published as written)")
        for column in ("column", "election", "value", "rows", "example rows", "closest"):
            table.add_column(column)
        for item in report.undecided_contestants:
            table.add_row(
                item.column,
                str(item.year or ""),
                *(escape(v) for v in (item.value, str(item.rows), item.example_rows)),
                escape(item.suggestions),
            )
        console.print(table)
    if report.clean:
        console.print("[green]The file would publish cleanly.[/green]")
