"""`odc sources add FILE`: from a steward's file to a tested registry entry.

It starts from the entry `odc check` proposes for the file, shows the file's headers beside
the kind's columns, asks only for what cannot be read from the file (id, organisation,
licence, sharing), writes the entry if the registry accepts it, and ends by testing it. When
something does not fit, every answer given so far is printed back as one command to run
again once the problem is fixed: nothing typed is lost.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from odc_pipeline.checking import CheckError, file_format_of, propose_for_file
from odc_pipeline.cli.common import (
    console,
    headers_table,
    pairs,
    read_options_of,
    region_headers,
    registry,
    settings,
    typed,
)
from odc_pipeline.kinds import KINDS
from odc_pipeline.proposal import (
    Proposal,
    ProposalError,
    entry_document,
    parse_recodes,
    source_id_for,
)
from odc_pipeline.registry.model import LEVELS, ReadOptions
from odc_pipeline.registry.writing import RegistryWriteError, add_entry


@dataclass
class Answers:
    """Everything the steward said, as the options that say it again."""

    file: Path
    options: list[tuple[str, str]] = field(default_factory=list)

    def add(self, option: str, value: object) -> None:
        if value not in (None, ""):
            self.options.append((option, str(value)))

    def command(self) -> str:
        words = ["odc", "sources", "add", str(self.file)]
        for option, value in self.options:
            words += [option, value]
        return shlex.join(words)


def _show_columns(proposal: Proposal) -> None:
    """The file's headers beside the kind's columns: what each header becomes, and which of
    the kind's columns are given, by what, or still missing."""
    console.print(
        headers_table(
            proposal,
            f"Your file's headers and the columns of {proposal.kind}",
            "header in the file",
            "(kept out)",
        )
    )
    kind = KINDS[proposal.kind]
    given = {column: header for header, column in proposal.columns.items()}
    columns = Table(title=f"Columns of {proposal.kind}")
    for column in ("column", "needed", "what it holds", "given by"):
        columns.add_column(column)
    for declared in kind.columns:
        if declared.withheld:
            continue
        source = (
            f"header {given[declared.name]!r}"
            if declared.name in given
            else f"every row: {proposal.constants[declared.name]}"
            if declared.name in proposal.constants
            else "[red]missing[/red]"
            if declared.required
            else ""
        )
        columns.add_row(
            declared.name, "yes" if declared.required else "", escape(declared.description), source
        )
    console.print(columns)


def _ask(value, text: str, answers: Answers, option: str, **prompt) -> str:
    if value in (None, ""):
        value = click.prompt(text, **prompt)
    answers.add(option, value)
    return value


def _location(file: Path, registry_folder: Path, years: list[int]) -> str:
    try:
        location = str(file.resolve().relative_to(registry_folder.resolve()))
    except ValueError:
        location = str(file.resolve())
    if years:
        named = [y for y in years if str(y) in file.name]
        if not named:
            raise CheckError(
                f"--years: the file's name {file.name!r} has none of the years "
                f"{', '.join(map(str, years))}, so the other years' files cannot be named; "
                "rename the files with their year in the name"
            )
        location = location[: -len(file.name)] + file.name.replace(str(named[0]), "{year}")
    return location


def add_from_file(file: Path, given: dict) -> int:
    """The whole flow; returns the exit code (0: added and tested, 2: not added)."""
    answers = Answers(file)
    found = registry()
    path = settings().registry_path
    kind = _ask(given["kind"], "Kind", answers, "--kind", type=click.Choice(sorted(KINDS)))
    file_format = given["file_format"] or file_format_of(file)
    read = read_options_of(given["read_options"])
    columns = pairs(given["columns"], "--column")
    regions = region_headers(given["regions_"])
    constants = {k: typed(v) for k, v in pairs(given["constants"], "--set").items()}
    for option, values in (("--column", given["columns"]), ("--region", given["regions_"])):
        for value in values:
            answers.add(option, value)
    for value in given["constants"]:
        answers.add("--set", value)
    for value in given["read_options"]:
        answers.add("--read", value)
    for value in given["recodes"]:
        answers.add("--recode", value)
    try:
        proposal = propose_for_file(
            file,
            kind,
            file_format,
            given["level"],
            columns,
            regions,
            constants,
            ReadOptions(**read),
            parse_recodes(given["recodes"]),
        )
    except (CheckError, ProposalError) as error:
        console.print(f"[red]Not added:[/red] {escape(str(error))}", soft_wrap=True)
        return 2
    _show_columns(proposal)
    if proposal.missing or not proposal.regions:
        missing = ", ".join(proposal.missing) or "a region column"
        console.print(
            f"[red]Not added yet: {escape(missing)} is missing.[/red] Give it with --column "
            "HEADER=column, --region HEADER:LEVEL or --set column=value, then run:\n"
            f"  {escape(answers.command())}",
            soft_wrap=True,
        )
        return 2
    source_id = _ask(
        given["source_id"], "Source id", answers, "--id", default=source_id_for(file.name)
    )
    known = ", ".join(found.organizations) or "none yet"
    organization = _ask(
        given["organization"], f"Organisation id (known: {known})", answers, "--organization"
    )
    new_organization = None
    if organization not in found.organizations:
        name = _ask(
            given["organization_name"],
            f"{organization!r} is new: the organisation's name",
            answers,
            "--organization-name",
        )
        new_organization = (organization, name)
    licence = _ask(given["licence"], "Licence (e.g. CC-BY-4.0)", answers, "--licence")
    sharing = _ask(
        given["sharing"],
        "Who may see it",
        answers,
        "--sharing",
        type=click.Choice(["public", "members", "private"]),
        default="private",
    )
    description = _ask(
        given["description"],
        "One line saying what it is (for the UI and the catalogue)",
        answers,
        "--description",
        default="",
        show_default=False,
    )
    years = [int(y) for y in re.findall(r"\d{4}", given["years"] or "")]
    answers.add("--years", given["years"])
    try:
        location = _location(file, found.base_dir, years)
    except CheckError as error:
        console.print(f"[red]Not added:[/red] {escape(str(error))}")
        return 2
    entry = entry_document(proposal, location, file_format, source_id)
    entry.update(
        organization=organization, licence=licence, sharing=sharing, description=description
    )
    _more(entry, given, read, years, answers)
    try:
        add_entry(path, entry, new_organization)
    except RegistryWriteError as error:
        problems = "\n".join(f"  - {escape(p)}" for p in error.problems)
        console.print(
            f"[red]Not added:[/red]\n{problems}\nYour answers are kept; fix the option the "
            f"problem names and run:\n  {escape(answers.command())}",
            soft_wrap=True,
        )
        return 2
    console.print(f"Added {source_id} to {escape(str(path))}. Testing it:")
    from odc_pipeline.cli.sources import test_source

    return test_source(source_id)


def _more(entry: dict, given: dict, read: dict, years: list[int], answers: Answers) -> None:
    """The options a real file needed beyond the columns: per-level region settings, read
    options, years and the rejection limit."""
    for level, meaning in pairs(given["untyped"], "--untyped").items():
        _region_setting(entry, level, "untyped", meaning, "--untyped")
        answers.add("--untyped", f"{level}={meaning}")
    for level in given["blank_means_parent"]:
        _region_setting(entry, level, "blank_means_parent", True, "--blank-means-parent")
        answers.add("--blank-means-parent", level)
    if read:
        entry["read"] = {**entry.get("read", {}), **read}
    if years:
        entry["years"] = years
        entry.get("constants", {}).pop("year", None)
        if "constants" in entry and not entry["constants"]:
            del entry["constants"]
    if given["max_rejected_share"] is not None:
        entry["max_rejected_share"] = given["max_rejected_share"]
        answers.add("--max-rejected-share", given["max_rejected_share"])


def _region_setting(entry: dict, level: str, key: str, value, option: str) -> None:
    if level not in LEVELS:
        raise click.BadParameter(f"{level!r}: one of {', '.join(LEVELS)}", param_hint=option)
    for region in entry["regions"]:
        if region["level"] == level:
            region[key] = value
            return
    raise click.BadParameter(f"the file has no {level} column", param_hint=option)
