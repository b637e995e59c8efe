"""`odc sources add FILE`: from a steward's file to a tested registry entry.

It starts from the entry `odc check` proposes for the file, shows the file's headers beside
the kind's columns, lets the steward correct the proposal at a prompt with the same options
the command takes (columns, region levels, constants, recodes, read options, years, …), asks
only for what cannot be read from the file (id, organisation, licence, sharing), writes the
entry if the registry accepts it (`--replace`: in place of the entry with the same id), and
ends by testing it. When something does not fit, every answer given so far is printed back
as one command to run again once the problem is fixed: nothing typed is lost.
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
    options: list[tuple[str, str | None]] = field(default_factory=list)

    def add(self, option: str, value: object) -> None:
        if value not in (None, ""):
            self.options.append((option, str(value)))

    def flag(self, option: str) -> None:
        self.options.append((option, None))

    def command(self) -> str:
        words = ["odc", "sources", "add", str(self.file)]
        for option, value in self.options:
            words += [option] if value is None else [option, value]
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


#: Options a steward may type at the prompt to correct the proposal, and the `given` key each
#: adds to; those marked True are said again in the command at the point they are typed
#: (the others are said with the rest of the entry's settings, by `_more`).
CORRECTIONS = {
    "--column": ("columns", True),
    "--region": ("regions_", True),
    "--set": ("constants", True),
    "--read": ("read_options", True),
    "--recode": ("recodes", True),
    "--untyped": ("untyped", False),
    "--blank-means-parent": ("blank_means_parent", False),
    "--years": ("years", False),
    "--max-rejected-share": ("max_rejected_share", False),
}
#: What the steward is asked for when it is not given as an option: if any is missing, the
#: session is interactive and the proposal may be corrected at the prompt.
IDENTITY = ("source_id", "organization", "licence", "sharing")
CORRECTION_PROMPT = (
    "Anything to change? Type it as on the command line, e.g. --column 'Jumlah Suara=votes', "
    "--region 'Kab/Kota:kabupaten_kota', --set year=2014, --recode 'category:Their word=our_word', "
    "--read header_row=3, --untyped kabupaten_kota=kabupaten, --blank-means-parent provinsi, "
    "--years 2014,2019, --max-rejected-share 0.6 (Enter: go on)"
)


def _corrections(given: dict) -> dict:
    """The options that correct a proposal, parsed: a mistyped one raises BadParameter (or
    ProposalError for a recode) naming it."""
    return {
        "columns": pairs(given["columns"], "--column"),
        "regions": region_headers(given["regions_"]),
        "constants": {k: typed(v) for k, v in pairs(given["constants"], "--set").items()},
        "read": ReadOptions(**read_options_of(given["read_options"])),
        "recodes": parse_recodes(given["recodes"]),
    }


def _proposal(file: Path, kind: str, given: dict) -> Proposal:
    """The entry `odc check` proposes for `file`, with every correction given so far."""
    parsed = _corrections(given)
    return propose_for_file(
        file,
        kind,
        given["file_format"] or file_format_of(file),
        given["level"],
        parsed["columns"],
        parsed["regions"],
        parsed["constants"],
        parsed["read"],
        parsed["recodes"],
    )


def _corrected(text: str, given: dict) -> tuple[dict, list[tuple[str, str]]]:
    """`given` with one line typed at the prompt (options as on the command line), and the
    options to say again in the command; BadParameter if the line cannot be used."""
    try:
        words = shlex.split(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: a quote is not closed") from None
    if len(words) % 2:
        raise click.BadParameter(f"{text!r}: write an option and its value, e.g. --set year=2014")
    for option in words[::2]:
        if option not in CORRECTIONS:
            raise click.BadParameter(f"{option!r}: one of {', '.join(CORRECTIONS)}")
    corrected, said = dict(given), []
    for option, value in zip(words[::2], words[1::2], strict=True):
        key, said_now = CORRECTIONS[option]
        if key == "max_rejected_share":
            share = value.replace(",", ".")
            if not re.fullmatch(r"0(\.\d+)?|1(\.0*)?", share):
                raise click.BadParameter(f"{value!r}: write a share from 0 to 1, e.g. 0.6")
            corrected[key] = float(share)
        elif key == "years":
            corrected[key] = value
        else:
            corrected[key] = (*corrected[key], value)
        if said_now:
            said.append((option, value))
    try:
        _corrections(corrected)
    except ProposalError as error:
        raise click.BadParameter(str(error), param_hint="--recode") from None
    return corrected, said


def _said(error: click.BadParameter) -> str:
    """A refused option in the steward's words: the option, then what to write."""
    hint = error.param_hint if isinstance(error.param_hint, str) else None
    return f"{hint}: {error.message}" if hint else error.message


def _shown_proposal(file: Path, kind: str, given: dict) -> tuple[Proposal | None, str | None]:
    """The proposal with the corrections so far, shown beside the kind's columns, and what
    still keeps it from being added (None: nothing)."""
    try:
        proposal = _proposal(file, kind, given)
    except (CheckError, ProposalError) as error:
        problem = str(error)
    except click.BadParameter as error:
        problem = _said(error)
    else:
        _show_columns(proposal)
        if not (proposal.missing or not proposal.regions):
            return proposal, None
        missing = ", ".join(proposal.missing) or "a region column"
        problem = (
            f"{missing} is missing: give it with --column HEADER=column, --region HEADER:LEVEL "
            "or --set column=value"
        )
    console.print(f"[red]Not added yet:[/red] {escape(problem)}", soft_wrap=True)
    return None, problem


def _settled_proposal(file: Path, kind: str, given: dict, answers: Answers) -> Proposal | None:
    """The proposal the steward accepts: shown, and in an interactive session corrected at
    the prompt until it is complete and they press Enter. None (with the reason and the
    command that says every answer again printed) if it cannot be used."""
    interactive = any(given[key] in (None, "") for key in IDENTITY)
    proposal, problem = _shown_proposal(file, kind, given)
    while interactive:
        correction = click.prompt(CORRECTION_PROMPT, default="", show_default=False).strip()
        if not correction:
            break
        try:
            corrected, said = _corrected(correction, given)
        except click.BadParameter as error:
            console.print(f"[red]Not taken:[/red] {escape(_said(error))}", soft_wrap=True)
            continue
        given.update(corrected)
        for option, value in said:
            answers.add(option, value)
        proposal, problem = _shown_proposal(file, kind, given)
    if problem:
        console.print(
            f"Your answers are kept; once it is fixed, run:\n  {escape(answers.command())}",
            soft_wrap=True,
        )
        return None
    return proposal


def add_from_file(file: Path, given: dict) -> int:
    """The whole flow; returns the exit code (0: added and tested, 2: not added)."""
    answers = Answers(file)
    found = registry()
    path = settings().registry_path
    kind = _ask(given["kind"], "Kind", answers, "--kind", type=click.Choice(sorted(KINDS)))
    file_format = given["file_format"] or file_format_of(file)
    for option, (key, said_now) in CORRECTIONS.items():
        for value in given[key] if said_now else ():
            answers.add(option, value)
    proposal = _settled_proposal(file, kind, given, answers)
    if proposal is None:
        return 2
    read = read_options_of(given["read_options"])
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
    replace = bool(given.get("replace"))
    taken = any(e.id == source_id for e in found.sources) or any(
        b.source_id == source_id for b in found.broken
    )
    if taken and not replace:
        console.print(
            f"[red]Not added:[/red] the registry already has a source {source_id!r}. To put "
            "this entry in its place (the comments around it are kept), run:\n  "
            f"{escape(answers.command())} --replace\nor choose another id with --id.",
            soft_wrap=True,
        )
        return 2
    if replace:
        answers.flag("--replace")
    try:
        add_entry(path, entry, new_organization, replace)
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
