"""From a file's text cells to typed, checked rows plus the rows set aside with their reasons.

All problems of a file are collected in one pass (pandera's lazy mode), so a steward fixes a
file once instead of once per error.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from odc_pipeline.distinct import empty_text, repeated_rows
from odc_pipeline.frame_handover import move_rows, take_columns
from odc_pipeline.kinds import KINDS
from odc_pipeline.privacy import scrub_identifiers_text
from odc_pipeline.quoting import first_of
from odc_pipeline.reading.headers import (
    PROVENANCE_COLUMNS,
    READ_ERROR,
    SOURCE_ROW,
    apply_column_mapping,
)
from odc_pipeline.registry.model import SourceEntry
from odc_pipeline.validation.attributes import with_attributes
from odc_pipeline.validation.lookalike import lookalike_cells, lookalike_reason
from odc_pipeline.validation.numbers import parse_whole_number_column
from odc_pipeline.validation.quarantine import Problem, quarantine_frame, rows_by_index
from odc_pipeline.validation.reasons import reason_for
from odc_pipeline.validation.schemas import schema_for
from odc_pipeline.validation.values import (
    parse_date,
    parse_decimal,
    parse_time,
    parse_yes_no,
    split_time,
)


@dataclass(frozen=True)
class ValidationOutcome:
    """Rows that passed, and one quarantine record per problem of the rows that did not."""

    valid: pd.DataFrame
    quarantine: pd.DataFrame
    rows_in: int
    #: Why the whole file is held back this run (too many rows rejected), or None.
    error: str | None = None

    @property
    def rows_quarantined(self) -> int:
        return self.quarantine["source_row"].nunique()

    @property
    def rows_duplicated(self) -> int:
        duplicates = self.quarantine[self.quarantine["rule"] == "duplicate_key"]
        return duplicates["source_row"].nunique()


def canonical_frame(raw: pd.DataFrame, entry: SourceEntry) -> pd.DataFrame:
    """Rename the file's headers to canonical columns and add the registry's constants.

    Withheld columns (a candidate's spouse, home address) are dropped here, before any check
    could quote them in a reason or keep them in a quarantined row."""
    kind = KINDS[entry.kind]
    frame = apply_column_mapping(raw, entry.columns)
    for column, value in entry.constants.items():
        frame[column] = str(value)
    frame = frame.drop(columns=[c for c in kind.withheld_columns if c in frame.columns])
    for column in kind.optional_columns:
        if column not in frame.columns and column not in kind.withheld_columns:
            frame[column] = None
    return with_attributes(frame, entry)


FORMULA_START = ("=", "@", "+", "\t=")
WHOLE_ROW_RULES = ("totals_row", "unreadable_row")


def _cell_problems(frame: pd.DataFrame, entry: SourceEntry) -> list[Problem]:
    """Cells no rule of any kind can accept: far too long, a spreadsheet formula, or digits
    that only look like 0-9 (see `lookalike`).

    A formula such as `=HYPERLINK(...)` is what an export left instead of a value, and opened
    in a spreadsheet again it would run: it is never published.
    """
    problems: list[Problem] = []
    limit = entry.read.max_cell_chars
    # Free text keeps what was written; a personal value is never quoted in a reason.
    as_written = {*KINDS[entry.kind].free_text_columns, *entry.personal_columns}
    for column in [c for c in frame.columns if c not in PROVENANCE_COLUMNS]:
        texts = frame[column].dropna().astype(str)
        if column not in as_written:
            for index, name in lookalike_cells(texts).items():
                text = texts[index]
                problems.append(
                    Problem(
                        index,
                        column,
                        text,
                        "lookalike_digits",
                        lookalike_reason(column, text, name),
                    )
                )
        for index, text in texts[texts.str.len() > limit].items():
            shown = text[:40] + "…"
            problems.append(
                Problem(
                    index,
                    column,
                    shown,
                    "cell_too_long",
                    f"{column} holds {len(text):,} characters, more than the {limit:,} allowed (read.max_cell_chars)",
                )
            )
        starts = texts[texts.str.startswith(FORMULA_START)]
        for index, text in starts[~starts.str.fullmatch(r"[+-]?[\d.,\s]+%?")].items():
            problems.append(
                Problem(
                    index,
                    column,
                    text,
                    "formula_like",
                    f"{column} is a spreadsheet formula ({text[:40]!r}), not a value; export the values, not the formulas",
                )
            )
    return problems


def _structural_problems(frame: pd.DataFrame, entry: SourceEntry) -> list[Problem]:
    """Unreadable rows, totals rows and rows without a region: caught before values are parsed."""
    problems: list[Problem] = []
    if READ_ERROR in frame.columns:
        for index, error in frame[READ_ERROR].dropna().items():
            problems.append(Problem(index, None, None, "unreadable_row", str(error)))
    unreadable = {p.index for p in problems}
    # The totals row's label stands in the first region column the file gives (a province
    # given under constants, the same on every row, holds no label).
    from_file = [r.column for r in entry.regions if r.column not in entry.constants]
    first_region = (from_file or [entry.regions[0].column])[0]
    label = entry.read.totals_label
    if label:
        is_total = (
            frame[first_region].fillna("").str.strip().str.casefold() == label.strip().casefold()
        )
        for index in frame.index[is_total]:
            value = frame.at[index, first_region]
            problems.append(
                Problem(
                    index,
                    first_region,
                    value,
                    "totals_row",
                    reason_for("totals_row", first_region, value, {}),
                )
            )
    for region in entry.regions:
        if region.blank_means_parent:
            # Empty means the region of the column above, checked there; or, for the top
            # column of a kind whose rows may name no place, no place (region 00).
            continue
        for index in frame.index[frame[region.column].isna() & ~frame.index.isin(unreadable)]:
            problems.append(
                Problem(
                    index,
                    region.column,
                    None,
                    "region_missing",
                    reason_for("region_missing", region.column, None, {}),
                )
            )
    return problems


def _duplicate_problems(frame: pd.DataFrame, entry: SourceEntry, skip: set) -> list[Problem]:
    """Rows that share a natural key: which one is right is for the steward to say."""
    kind = KINDS[entry.kind]
    key = [
        *kind.natural_key,
        *(c for c in kind.optional_key if c in entry.provided_columns),
        *(r.column for r in entry.regions),
    ]
    # Rows with an empty key part (an optional report_id, say) cannot be compared.
    comparable = ~frame.index.isin(skip) & frame[key].notna().all(axis=1).to_numpy()
    positions, group_of = repeated_rows(frame, key, comparable)
    if not len(positions):
        return []
    repeated = frame.index[positions]
    rows = frame[SOURCE_ROW].to_numpy()[positions]
    members: dict[int, list] = {}
    for group, row in zip(group_of.tolist(), rows.tolist(), strict=True):
        members.setdefault(group, []).append(row)
    reasons = {
        group: f"rows {_listed_rows(sorted(group_rows))} have the same {', '.join(key)}; "
        f"keep one row per {key[-1]} and remove or correct the others"
        for group, group_rows in members.items()
    }
    return [
        Problem(index, ", ".join(key), None, "duplicate_key", reasons[group])
        for index, group in zip(repeated, group_of.tolist(), strict=True)
    ]


#: Row numbers named in one duplicate's reason; a bigger group is summed up after them.
_LISTED_ROWS = 20


def _listed_rows(rows: list) -> str:
    """The group's row numbers ("2, 7"); of a large group the first 20 and "and 1,234 more":
    every row of the group carries the reason, so listing thousands in each would grow with
    their square."""
    return first_of([str(r) for r in rows], _LISTED_ROWS)


def _parse_values(frame: pd.DataFrame, entry: SourceEntry) -> tuple[pd.DataFrame, list[Problem]]:
    """Turn the kind's typed columns from text into numbers and dates, cell by cell problems."""
    problems: list[Problem] = []
    # Columns are replaced, never changed in place: pandas' copy-on-write keeps `frame` as it
    # was without copying every column first.
    typed = frame.copy(deep=False)
    kind = KINDS[entry.kind]
    locale = entry.read.locale
    for column in kind.integer_columns:
        values, cell_problems = parse_whole_number_column(frame[column], locale)
        typed[column] = values
        for index in frame.index[cell_problems.notna()]:
            text = frame.at[index, column]
            problems.append(
                Problem(index, column, text, "number_format", f"{column}: {cell_problems[index]}")
            )
    for column, parse in ((c, parse_decimal) for c in kind.decimal_columns):
        parsed = {t: parse(t, locale) for t in frame[column].dropna().unique()}
        typed[column] = pd.array(
            [parsed[t][0] if t in parsed else None for t in frame[column]], dtype="Float64"
        )
        for index, text in frame[column].items():
            if text in parsed and parsed[text][1]:
                problems.append(
                    Problem(index, column, text, "number_format", f"{column}: {parsed[text][1]}")
                )
    for column in kind.boolean_columns:
        parsed = {t: parse_yes_no(t) for t in frame[column].dropna().unique()}
        typed[column] = pd.array(
            [parsed[t][0] if t in parsed else None for t in frame[column]], dtype="boolean"
        )
        for index, text in frame[column].items():
            if text in parsed and parsed[text][1]:
                problems.append(
                    Problem(index, column, text, "yes_no_format", f"{column}: {parsed[text][1]}")
                )
    times = {c: frame[c] for c in kind.time_columns}
    for column in kind.date_columns:
        texts = frame[column]
        if times:  # a time written after the date fills the time column where it is empty
            split = {t: split_time(t) for t in texts.dropna().unique()}
            texts = texts.map({t: parts[0] for t, parts in split.items()})
            written = frame[column].map({t: parts[1] for t, parts in split.items()})
            first = kind.time_columns[0]
            times[first] = times[first].where(times[first].notna(), written)
        parsed = {t: parse_date(t) for t in texts.dropna().unique()}
        typed[column] = pd.to_datetime(
            pd.Series([parsed[t][0] if t in parsed else None for t in texts], index=frame.index)
        )
        for index, text in texts.items():
            if text in parsed and parsed[text][1]:
                problems.append(
                    Problem(index, column, text, "date_format", f"{column}: {parsed[text][1]}")
                )
    for column, texts in times.items():
        parsed = {t: parse_time(t) for t in texts.dropna().unique()}
        typed[column] = pd.Series(
            [parsed[t][0] if t in parsed else None for t in texts], index=frame.index, dtype=object
        )
        for index, text in texts.items():
            if text in parsed and parsed[text][1]:
                problems.append(
                    Problem(index, column, text, "time_format", f"{column}: {parsed[text][1]}")
                )
    return typed, problems


def _schema_problems(typed: pd.DataFrame, entry: SourceEntry) -> list[Problem]:
    """What the kind's pandera schema finds, one problem per row and rule."""
    try:
        # In place: the schema coerces nothing and adds no column, and the copy pandera would
        # otherwise make (every numeric column of a province's file) is the check's largest
        # cost.
        schema_for(entry.kind).validate(typed, lazy=True, inplace=True)
        return []
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    kind = KINDS[entry.kind]
    # A relation is reported on the column its declaration names for the steward.
    relation_columns = {r.name: r.column for r in kind.relations}
    problems: list[Problem] = []
    seen: set[tuple[object, str]] = set()
    # A schema-level failure has no row (e.g. a dtype); the rows carry their own.
    cases = cases[cases["index"].notna()]
    rows = rows_by_index(typed, list(dict.fromkeys(cases["index"])))
    for case in cases.itertuples(index=False):
        rule = str(case.check)
        column = relation_columns.get(rule, case.column)
        if (case.index, rule) in seen:
            continue  # relations report once per column; one problem per row is enough
        seen.add((case.index, rule))
        row = dict(rows[case.index])
        value = row.get(column)
        value = None if value is None or pd.isna(value) else value
        problems.append(
            Problem(case.index, column, value, rule, reason_for(rule, column, value, row, kind))
        )
    return problems


def _held_once(valid: pd.DataFrame, entry: SourceEntry) -> pd.DataFrame:
    """`valid` with its text columns that hold one value in every row (the registry's
    constants) or none (columns the source leaves empty) as categoricals: one byte a row in
    the frame handed on to harmonizing and the publish, instead of a string or an object per
    row, which for a province's file of millions of rows was a fifth of the frame."""
    if valid.empty:
        return valid
    for column in valid.columns:
        values = valid[column]
        if isinstance(values.dtype, pd.CategoricalDtype) or not (
            values.dtype == object or pd.api.types.is_string_dtype(values)
        ):
            continue
        if values.isna().all():
            valid[column] = empty_text(len(valid))
        elif column in entry.constants:
            valid[column] = values.astype("category")
    return valid


def validate_source(raw: pd.DataFrame, entry: SourceEntry) -> ValidationOutcome:
    """Map, parse and check one source's rows; nothing is dropped without a quarantine record.

    The outcome takes `raw` over: its columns move into the rows checked and then into the
    valid rows, so the step never holds the file's rows and the valid copy side by side.
    `raw` is left with its row count and `attrs`, without columns."""
    frame = canonical_frame(take_columns(raw), entry)
    problems = _structural_problems(frame, entry)
    # A totals row is set aside whole; its cells are not checked as if it were a region.
    problems += _cell_problems(frame, entry)
    totals = list({p.index for p in problems if p.rule in WHOLE_ROW_RULES})
    # `drop` copies every column, even when there is nothing to drop.
    checked = frame.drop(index=totals) if totals else frame
    typed, number_problems = _parse_values(checked, entry)
    problems += number_problems
    # A cell that could not be parsed is empty in `typed`; pandera would call it empty too.
    # One complaint per cell is enough, and the first one says what was really wrong.
    reported = {(p.index, p.column) for p in problems}
    problems += [p for p in _schema_problems(typed, entry) if (p.index, p.column) not in reported]
    problems += _duplicate_problems(frame, entry, skip=set(totals))
    quarantine = quarantine_frame(
        entry.id,
        frame,
        problems,
        personal=entry.personal_columns,
        free_text=KINDS[entry.kind].free_text_columns,
    )
    rows_in = len(frame)
    # `typed` shares the text columns with `frame`: let go of `frame` first, so that each
    # column is freed once its valid rows are moved out.
    del frame, checked
    rejected = {p.index for p in problems}
    valid = _held_once(move_rows(typed, ~typed.index.isin(rejected)).reset_index(drop=True), entry)
    del typed
    outcome = ValidationOutcome(valid=valid, quarantine=quarantine, rows_in=rows_in)
    share = outcome.rows_quarantined / rows_in if rows_in else 0.0
    if share > entry.max_rejected_share:
        # Logged and shown in the UI: a reason may quote a NIK typed where a count belongs.
        top = scrub_identifiers_text(quarantine["reason"].value_counts().index[0])
        error = (
            f"{outcome.rows_quarantined:,} of {rows_in:,} rows ({share:.0%}) were rejected, more than "
            f"the {entry.max_rejected_share:.0%} allowed (max_rejected_share), so the file is held back "
            f"and its last good load stays published. Most common problem: {top}"
        )
        return ValidationOutcome(
            valid=valid.iloc[0:0], quarantine=quarantine, rows_in=rows_in, error=error
        )
    return outcome
