"""`odc check`: what would happen to a file if it were shared tonight, without publishing it.

The file is read, validated and harmonized by exactly the code the pipeline runs, with the
registry entry it belongs to (or one proposed from its headers and values, see `proposal`), and the outcome is summed up
for a person: problems by rule with example rows, the region match rate, the region names
that did not match and what they might be, and the parties or pairs no rule decides. Nothing
is written anywhere.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from odc_pipeline.elections.contestants import cached_contestant_index
from odc_pipeline.elections.harmonize import harmonize_contestants
from odc_pipeline.elections.review import contestant_review_items
from odc_pipeline.kinds import KINDS
from odc_pipeline.proposal import (
    ANY_LEVEL_WORDS,
    HEADER_WORDS,
    REGION_WORDS,
    Proposal,
    ProposalError,
    entry_document,
    propose,
)
from odc_pipeline.pulling.bundle import BundleError, bundle_folder
from odc_pipeline.reading import MissingColumnsError, SourceReadError, read_source
from odc_pipeline.reading.encodings import READ_NOTES
from odc_pipeline.reading.headers import SOURCE_ROW
from odc_pipeline.regions import cached_region_tables, harmonize_regions, load_region_list
from odc_pipeline.regions.review import review_items
from odc_pipeline.regions.vintage import (
    VINTAGE_METHOD,
    cached_splits,
    mark_vintage,
    vintage_hint,
)
from odc_pipeline.registry.loader import entry_problems
from odc_pipeline.registry.model import LEVELS, ReadOptions, SourceEntry
from odc_pipeline.validation.rule_names import plain_rule
from odc_pipeline.validation.validate import validate_source

EXAMPLES = 5


class CheckError(ValueError):
    """The file cannot be checked as asked (it cannot be read, or does not fit the kind)."""


@dataclass
class RuleProblems:
    rule: str
    rows: int
    example_rows: list[int]
    example_reason: str
    #: The rule in plain words ("votes must be 0 or more"); `rule` is its machine name.
    text: str = ""


@dataclass
class UnmatchedRegion:
    value: str
    rows: int
    example_rows: str
    reason: str
    suggestions: str


@dataclass
class UndecidedContestant:
    """A party or pair value no rule decided: published as written, listed for review."""

    column: str
    year: int | None
    value: str
    rows: int
    example_rows: str
    reason: str
    suggestions: str


@dataclass
class CheckReport:
    file: str
    source_id: str
    kind: str
    rows_in: int = 0
    rows_valid: int = 0
    rows_quarantined: int = 0
    rows_region_matched: int = 0
    problems: list[RuleProblems] = field(default_factory=list)
    unmatched_regions: list[UnmatchedRegion] = field(default_factory=list)
    undecided_contestants: list[UndecidedContestant] = field(default_factory=list)
    held_back: str | None = None
    #: How the file was read, where the steward should look (lines in another encoding).
    notes: list[str] = field(default_factory=list)
    #: Regions that were larger in the source's code vintage, as the rows are marked.
    larger_then: list[str] = field(default_factory=list)

    @property
    def match_rate(self) -> float:
        return self.rows_region_matched / self.rows_valid if self.rows_valid else 1.0

    @property
    def clean(self) -> bool:
        """Nothing set aside, nothing held back and nothing to look at."""
        return (
            self.rows_quarantined == 0
            and self.held_back is None
            and not self.notes
            and not self.undecided_contestants
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "match_rate": round(self.match_rate, 4), "clean": self.clean}


def propose_for_file(
    path: Path,
    kind: str,
    file_format: str,
    level: str = "kabupaten_kota",
    columns: dict[str, str] | None = None,
    regions: list[tuple[str, str, str | None]] | None = None,
    constants: dict[str, str | int] | None = None,
    read: ReadOptions | None = None,
    recodes: dict[str, dict[str, str]] | None = None,
) -> Proposal:
    """How the file's headers and values would map to the kind's columns (see `proposal`)."""
    # The header row is the first one naming any column or region by one of its words.
    wanted = [
        *KINDS[kind].canonical_columns,
        *(w for words in HEADER_WORDS.values() for w in words),
        *(w for words in REGION_WORDS.values() for w in words),
        *ANY_LEVEL_WORDS,
        *(columns or {}),
        *(header for header, _, _ in regions or []),
    ]
    try:
        preview = read_source(path, file_format, read or ReadOptions(), wanted)
    except SourceReadError as error:
        raise CheckError(f"cannot read {path.name}: {_without_mapping(error)}") from None
    try:
        return propose(
            preview,
            kind,
            path.name,
            default_level=level,
            columns=columns,
            regions=regions,
            constants=constants,
            recodes=recodes,
        )
    except ProposalError as error:
        raise CheckError(str(error)) from None


def _without_mapping(error: SourceReadError) -> str:
    """The reader's message for a file read without a registry entry: there is no mapping
    yet, so a header it cannot find is one whose words it does not know."""
    text = str(error)
    if not text.startswith("no header row found"):
        return text
    first = text.partition("(first row: ")[2].partition(")")[0]
    return (
        "no header row found: no cell of the first rows is a column name the pipeline knows"
        + (f" (the first row holds: {first})" if first else "")
        + ". Say which row holds the headers with --read header_row=N, and if the columns are "
        "separated by ';' or a TAB, --read 'delimiter=;'"
    )


def entry_for_proposal(
    proposal: Proposal, path: Path, file_format: str, read: dict | None = None
) -> SourceEntry:
    """The entry `check_file` reads the file with: the proposal, with nothing held back
    (every row is judged) and nothing shared."""
    if proposal.missing or not proposal.regions:
        raise CheckError(_what_is_missing(proposal, path))
    document = entry_document(proposal, str(path), file_format, "checked_file")
    if read:
        document["read"] = {**document.get("read", {}), **read}
    document.update(organization="steward", max_rejected_share=1.0)
    problems = entry_problems(document, path.name)
    if problems:
        raise CheckError("; ".join(problems))
    return SourceEntry.model_validate(document)


def _what_is_missing(proposal: Proposal, path: Path) -> str:
    kind = KINDS[proposal.kind]
    lines = [f"{path.name} does not fit {proposal.kind} yet."]
    for column in proposal.missing:
        declared = kind.column(column)
        lines.append(
            f"No header gives {column} ({declared.description}): name the header with "
            f"--column HEADER={column}, or give one value for every row with --set "
            f"{column}=VALUE."
        )
    if not proposal.regions:
        lines.append(
            "No region column was found: name the header that says where each row is with "
            f"--region HEADER:LEVEL (levels: {', '.join(LEVELS)}), or give one region for "
            "every row with --set provinsi=NAME (or another level)."
        )
    if proposal.unused:
        lines.append(f"Headers not used: {', '.join(proposal.unused)}.")
    return " ".join(lines)


@contextmanager
def _readable(path: Path, entry: SourceEntry) -> Iterator[Path]:
    """The file to read: `path` itself, or for a bundle source (pull.bundle) its folder's
    matching files gathered as the pull would gather them."""
    if not path.is_dir():
        yield path
        return
    if not entry.pull.bundle:
        raise CheckError(f"{path} is a folder; give one file (only bundle sources read folders)")
    with tempfile.TemporaryDirectory() as scratch:
        bundle = Path(scratch) / "bundle.json"
        try:
            bundle_folder(path, entry.folder_pattern, bundle, entry.pull.max_bytes)
        except BundleError as error:
            raise CheckError(str(error)) from None
        yield bundle


def check_file(path: Path, entry: SourceEntry, reference_dir: Path) -> CheckReport:
    """Read, validate and harmonize `path` as `entry` describes; nothing is published."""
    report = CheckReport(file=str(path), source_id=entry.id, kind=entry.kind)
    try:
        with _readable(path, entry) as readable:
            raw = read_source(readable, entry.format, entry.read, list(entry.columns))
        outcome = validate_source(raw, entry)
    except SourceReadError as error:
        raise CheckError(f"cannot read {path.name}: {error}") from None
    except MissingColumnsError as error:
        raise CheckError(f"the column mapping does not fit {path.name}: {error}") from None
    report.notes = list(raw.attrs.get(READ_NOTES, []))
    report.rows_in = outcome.rows_in
    report.rows_valid = len(outcome.valid)
    report.held_back = outcome.error
    quarantine = outcome.quarantine
    specs = entry.region_specs()
    quarantined_rows = set(quarantine["source_row"].dropna().astype(int))
    if len(outcome.valid):
        tables = cached_region_tables(load_region_list(), reference_dir)
        harmonized = harmonize_regions(outcome.valid, specs, tables, source_id=entry.id)
        splits = cached_splits(reference_dir)
        hint = vintage_hint(harmonized, entry.code_vintage, splits)
        if hint:
            report.notes.append(hint)
        harmonized = mark_vintage(harmonized, entry.code_vintage, splits)
        report.larger_then = _vintage_notes(harmonized)
        unmatched = harmonized["region_code"].isna()
        report.rows_region_matched = int((~unmatched).sum())
        quarantined_rows |= set(harmonized.loc[unmatched, SOURCE_ROW].astype(int))
        report.undecided_contestants = _undecided_contestants(harmonized, entry, reference_dir)
        items = review_items(harmonized, entry.id, specs)
        items = items.loc[items["status"] == "decide"].sort_values("rows", ascending=False)
        report.unmatched_regions = [
            UnmatchedRegion(
                value=str(row.value),
                rows=int(row.rows),
                example_rows=str(row.example_rows),
                reason=row.reason if isinstance(row.reason, str) else "",
                suggestions=row.suggestions if isinstance(row.suggestions, str) else "",
            )
            for row in items.itertuples()
        ]
        if report.unmatched_regions:
            region_rows = harmonized.loc[unmatched, SOURCE_ROW].astype(int).sort_values()
            report.problems.append(
                RuleProblems(
                    "region_unmatched",
                    len(region_rows),
                    region_rows.head(EXAMPLES).tolist(),
                    report.unmatched_regions[0].reason,
                    plain_rule("region_unmatched"),
                )
            )
    report.rows_quarantined = len(quarantined_rows)
    for (rule, column), group in quarantine.groupby(
        ["rule", "column_name"], sort=False, dropna=False
    ):
        rows = group["source_row"].astype(int).drop_duplicates().sort_values()
        named = column if isinstance(column, str) and column else None
        report.problems.append(
            RuleProblems(
                str(rule),
                len(rows),
                rows.head(EXAMPLES).tolist(),
                str(group["reason"].iloc[0]),
                plain_rule(str(rule), named),
            )
        )
    report.problems.sort(key=lambda p: (-p.rows, p.rule))
    return report


def _vintage_notes(harmonized: pd.DataFrame) -> list[str]:
    """One note per region the source's code vintage makes larger than today's."""
    marked = harmonized.loc[harmonized["region_method"].astype(object) == VINTAGE_METHOD]
    return [
        f"{len(rows):,} rows: {rule}" for rule, rows in marked.groupby("region_rule", sort=True)
    ]


def _undecided_contestants(
    harmonized: pd.DataFrame, entry: SourceEntry, reference_dir: Path
) -> list[UndecidedContestant]:
    """Party and pair values no rule decides, as the night would list them for review."""
    kind = KINDS[entry.kind]
    columns = [c for c in kind.contestants if c in harmonized.columns]
    if not columns:
        return []
    index = cached_contestant_index(reference_dir)
    matched = harmonize_contestants(harmonized, columns, index, entry.contestants, entry.id)
    items = contestant_review_items(matched, entry.id).sort_values("rows", ascending=False)
    return [
        UndecidedContestant(
            column=str(row.column_name),
            year=None if pd.isna(row.year) else int(row.year),
            value=str(row.value),
            rows=int(row.rows),
            example_rows=str(row.example_rows),
            reason=str(row.reason),
            suggestions=row.suggestions if isinstance(row.suggestions, str) else "",
        )
        for row in items.itertuples()
    ]


def file_format_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("csv", "tsv", "txt"):
        return "csv"
    if suffix in ("xlsx", "xls", "json", "jsonl"):
        return suffix
    raise CheckError(f"{path.name}: cannot tell the format from its name; give --format")
