"""A Great Expectations suite per fact table, run on what was just published.

It checks what an analyst relies on: the table holds exactly the rows `load_audit` says were
published, each source row appears once, every region code is well formed and present in
`dim_region`, and every value meets its kind's declaration (ranges, allowed values, and the
relations between columns such as votes within valid ballots). Results are rendered as Data
Docs (HTML) under the warehouse folder so a steward can read them without any tool.
"""

from __future__ import annotations

import gc
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, Table, func, select

from odc_pipeline.kinds import KINDS, DatasetKind
from odc_pipeline.settings import no_usage_statistics
from odc_pipeline.warehouse.frames import read_columns, read_rows
from odc_pipeline.warehouse.schema import dim_region, fact_table
from odc_pipeline.warehouse.summary import published_rows_by_source

no_usage_statistics()

#: Text columns with a handful of distinct values per table (the sources, a closed
#: vocabulary), handed to the suite as categories: Great Expectations filters the
#: whole frame for each expectation, and a column of category codes is far cheaper to filter
#: than one of strings. `region_code` stays text: its 83,000 values would be turned back
#: into strings for the pattern check.
FEW_VALUED_TEXT = ("source_id",)
#: How much Great Expectations works out about the failures: counts and up to 20 example
#: values (what the steward reads in the metadata and Data Docs), not the index and query of
#: every failing row ("SUMMARY", its default), which it computes even when nothing fails.
RESULT_FORMAT = "BASIC"

_DOTTED = r"\d{2}(?:\.\d{2}){0,2}(?:\.\d{4})?"
#: A dotted Kemendagri code, or a region as it was before a split (`91+93+94+95`).
CODE_PATTERN = rf"^{_DOTTED}(?:\+{_DOTTED})*$"
#: Columns every fact table has, that the common expectations look at.
COMMON_COLUMNS = (
    "source_id",
    "load_id",
    "source_row",
    "region_code",
    "region_level",
    "region_score",
)


#: The computed column of a relation: `<relation name>_holds`.
RELATION_SUFFIX = "_holds"

#: Each expectation of the suite in a steward's words ({column}: the column it checks).
PLAIN_EXPECTATIONS = {
    "expect_table_row_count_to_equal": "the table holds as many rows as load_audit published",
    "expect_compound_columns_to_be_unique": "each row of a source's file appears once",
    "expect_column_values_to_not_be_null": "{column} is never empty",
    "expect_column_values_to_match_regex": "{column} is written as a Kemendagri code",
    "expect_column_values_to_be_in_set": "{column} holds only the values it may",
    "expect_column_values_to_be_between": "{column} stays within its declared range",
}


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    unexpected: int | None
    observed: str

    @property
    def text(self) -> str:
        """The expectation in plain words, for the UI and messages."""
        if self.column == "region_code_in_dim_region":
            return "every region_code is in dim_region"
        if self.column and self.column.endswith(RELATION_SUFFIX):  # a relation's own column
            return f"every row keeps the rule {self.column.removesuffix(RELATION_SUFFIX)}"
        template = PLAIN_EXPECTATIONS.get(self.expectation)
        if template is None:
            return f"{self.expectation.removeprefix('expect_').replace('_', ' ')} ({self.column})"
        return template.format(column=self.column or "the value")


@dataclass(frozen=True)
class SuiteOutcome:
    table: str
    success: bool
    outcomes: list[ExpectationOutcome]
    data_docs: Path | None
    #: Sources whose rows were checked, of those with rows in the table or the audit.
    sources_checked: int = 0
    sources_in_table: int = 0


def _relation_column(name: str) -> str:
    """The computed column saying, per row, whether a relation holds."""
    return f"{name}{RELATION_SUFFIX}"


def _checked_columns(kind: DatasetKind) -> list[str]:
    """The kind's columns whose values the suite checks: a range, allowed values, or a part
    in a relation."""
    in_relations = {c for relation in kind.relations for c in relation.columns}
    return [
        column.name
        for column in kind.columns
        if column.minimum is not None
        or column.maximum is not None
        or column.allowed
        or column.name in in_relations
    ]


def _expectations(gx, kind: DatasetKind, expected_rows: int) -> list:
    e = gx.expectations
    items = [
        e.ExpectTableRowCountToEqual(value=expected_rows),
        # A row is its file and its row number: a source with one file per year repeats numbers.
        e.ExpectCompoundColumnsToBeUnique(column_list=["source_id", "load_id", "source_row"]),
        e.ExpectColumnValuesToNotBeNull(column="region_code"),
        e.ExpectColumnValuesToMatchRegex(column="region_code", regex=CODE_PATTERN),
        # Membership in dim_region is computed as a column: a 91,600-value set inside the
        # suite would make every Data Docs page megabytes long.
        e.ExpectColumnValuesToBeInSet(column="region_code_in_dim_region", value_set=[True]),
        e.ExpectColumnValuesToBeBetween(column="region_level", min_value=1, max_value=4),
        e.ExpectColumnValuesToBeBetween(column="region_score", min_value=0, max_value=100),
    ]
    for column in kind.columns:
        if column.minimum is not None or column.maximum is not None:
            items.append(
                e.ExpectColumnValuesToBeBetween(
                    column=column.name, min_value=column.minimum, max_value=column.maximum
                )
            )
        if column.allowed:
            items.append(
                e.ExpectColumnValuesToBeInSet(column=column.name, value_set=list(column.allowed))
            )
    for relation in kind.relations:
        items.append(
            e.ExpectColumnValuesToBeInSet(
                column=_relation_column(relation.name),
                value_set=[True],
                meta={"notes": relation.description},
            )
        )
    return items


def _as_categories(rows: pa.Table, columns: tuple[str, ...]) -> pa.Table:
    """`rows` with the named text columns (those it has) dictionary-encoded: pandas then reads
    them as categories."""
    for name in columns:
        index = rows.schema.get_field_index(name)
        if index >= 0 and pa.types.is_string(rows.schema.field(index).type):
            rows = rows.set_column(index, name, pc.dictionary_encode(rows.column(index)))
    return rows


def _context(docs_root: Path):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # A fresh project each time: GX's stored data sources cannot be reused across processes
    # for in-memory frames, and the Data Docs should show this publish, not a history.
    shutil.rmtree(docs_root / "gx", ignore_errors=True)
    docs_root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(docs_root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return gx, context


def _suite_frame(engine: Engine, kind: DatasetKind, part: Part, official: pa.Array) -> pd.DataFrame:
    """The rows of `part` with the columns the expectations look at (only those: the
    suite's memory is the frame's), the few-valued text as categories, membership in
    dim_region (`official`) and each relation as a column of its own."""
    table = fact_table(kind)
    checked = _checked_columns(kind)
    statement = select(*(table.c[c] for c in (*COMMON_COLUMNS, *checked))).where(
        table.c.source_id.in_(part.source_ids)
    )
    if part.first_row is not None:
        statement = statement.where(table.c.source_row >= part.first_row)
    if part.next_row is not None:
        statement = statement.where(table.c.source_row < part.next_row)
    rows = read_rows(engine, statement)
    # Membership in dim_region is one hash lookup per row in Arrow, not an index search per
    # row in the database.
    in_dim_region = pc.fill_null(pc.is_in(rows.column("region_code"), value_set=official), False)
    rows = rows.append_column("region_code_in_dim_region", in_dim_region)
    few_valued = (*FEW_VALUED_TEXT, *(c.name for c in kind.columns if c.allowed))
    frame = _as_categories(rows, few_valued).to_pandas(date_as_object=False)
    for relation in kind.relations:
        values = frame[list(relation.columns)].astype(
            {c: "float64" for c in relation.columns if c in kind.integer_columns}
        )
        frame[_relation_column(relation.name)] = relation.holds(values).to_numpy(dtype=bool)
    return frame


#: At most this many published rows are validated at once: the suite's memory is set by this,
#: not by the table or its largest source. Every expectation holds row by row or source by
#: source, so checking the table a group of sources at a time finds all that checking it whole
#: would; the row count, checked per group, is stricter (rows moved between two groups'
#: sources are found). A larger source is checked in parts, see `row_parts`.
ROWS_PER_CHECK = 1_000_000


@dataclass(frozen=True)
class Part:
    """Rows the suite validates together: whole sources, or the rows of one large source
    whose source_row is from `first_row` up to `next_row` (None: no bound), with the rows
    the row count expects of them."""

    source_ids: list[str]
    expected_rows: int
    first_row: int | None = None
    next_row: int | None = None


def row_parts(
    source_id: str, expected_rows: int, source_rows: np.ndarray, limit: int
) -> list[Part]:
    """One source's rows (their `source_row` numbers, as the table holds them) in parts of
    about `limit` rows, cut between row numbers.

    A row repeated in the table has the number of the row it repeats, so both fall in one
    part and the uniqueness check still finds them. The row count stays exact over the
    whole source: each part but the last expects the rows the table holds in it, and the
    last expects what load_audit published less those, so it fails exactly when the
    source's total is wrong (at 0 when the others already hold more than was published:
    the last part holds at least one row, so it fails then too)."""
    ordered = np.sort(source_rows)
    starts = np.unique(ordered[::limit])
    # Part k holds the numbers from starts[k] up to starts[k + 1]; the first has no lower
    # bound and the last no upper one, so every row is in exactly one part.
    edges: list[int | None] = [None, *(int(n) for n in starts[1:]), None]
    held = np.diff(np.searchsorted(ordered, starts)).tolist()  # in each part but the last
    expected = [*held, max(expected_rows - sum(held), 0)]
    return [Part([source_id], rows, edges[k], edges[k + 1]) for k, rows in enumerate(expected)]


def source_groups(rows_by_source: dict[str, int], limit: int | None = None) -> list[list[str]]:
    """The sources in groups of at most `limit` rows each (ROWS_PER_CHECK by default; a
    larger source alone), in order."""
    limit = ROWS_PER_CHECK if limit is None else limit
    groups: list[list[str]] = []
    total = limit  # the first source starts a group
    for source_id, rows in rows_by_source.items():
        if total + rows > limit:
            groups.append([])
            total = 0
        groups[-1].append(source_id)
        total += rows
    return groups


def run_suite(
    engine: Engine,
    kind: str,
    source_ids: list[str],
    docs_root: Path,
    only: list[str] | None = None,
) -> SuiteOutcome:
    """Validate one fact table as published, and rebuild the Data Docs.

    `only` limits the check to those sources' rows (the ones a run just published): a
    source's rows are copied unchanged from one version to the next, so they were checked
    when they were published, and a night that redid one province need not read the
    country again. Rows of a source with no published load are checked whatever `only` says:
    none should be there."""
    rows = 0
    try:
        outcome, rows = _validate(engine, KINDS[kind], source_ids, docs_root, only)
        return outcome
    finally:
        _let_go_of_the_frame(collect=rows >= COLLECT_AFTER_ROWS)


#: A validated frame this long is freed by a garbage collection when its suite ends; a
#: shorter one is left to the collector's own pace (a collection walks every object of the
#: process, which is worth it for a table of millions of rows, not for a small one).
COLLECT_AFTER_ROWS = 500_000


def _let_go_of_the_frame(collect: bool) -> None:
    """Free the frame the suite validated now, rather than at some later step.

    Great Expectations keeps the last context it made as "the project", and its context, data
    source and batch refer to each other in cycles that hold the validated frame. Without
    this, in a process that runs every step (`make run`, the benchmark) the largest table's
    frame outlived its suite into the steps after it.
    """
    from great_expectations.data_context import set_context

    set_context(None)
    if collect:
        gc.collect()


def _validate(
    engine: Engine,
    kind: DatasetKind,
    source_ids: list[str],
    docs_root: Path,
    only: list[str] | None,
) -> tuple[SuiteOutcome, int]:
    """The suite's outcome, and how many rows it validated at most at once."""
    expected = published_rows_by_source(engine, source_ids)
    table = fact_table(kind)
    with engine.connect() as connection:
        in_table = dict(
            connection.execute(
                select(table.c.source_id, func.count()).group_by(table.c.source_id)
            ).all()
        )
    # Rows of a source that has no published load (none should be there) are checked too,
    # against a count of 0: the table must hold exactly what load_audit says.
    rows_by_source = {s: expected.get(s, 0) for s in sorted(set(expected) | set(in_table))}
    sources_in_table = len(rows_by_source)
    if only is not None:
        rows_by_source = {s: n for s, n in rows_by_source.items() if s in only or s not in expected}
    name = kind.fact_table
    # One GX project per table: the suites of different tables may run at the same time (steps
    # in parallel processes, or on Celery workers), and each one starts its project afresh.
    project = docs_root / name
    gx, context = _context(project)
    source = next((d for d in context.data_sources.all().values() if d.name == "warehouse"), None)
    source = source or context.data_sources.add_pandas("warehouse")
    asset = next((a for a in source.assets if a.name == name), None) or source.add_dataframe_asset(
        name
    )
    batch = next((b for b in asset.batch_definitions if b.name == "published"), None)
    batch = batch or asset.add_batch_definition_whole_dataframe("published")
    official = read_columns(engine, dim_region, ["region_code"]).column("region_code")
    results, largest = [], 0
    for part in _parts(engine, table, rows_by_source, in_table):
        frame = _suite_frame(engine, kind, part, official)
        suite = context.suites.add_or_update(
            gx.ExpectationSuite(name=name, expectations=_expectations(gx, kind, part.expected_rows))
        )
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
        results.append(
            definition.run(batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)
        )
        largest = max(largest, len(frame))
        del frame
    context.build_data_docs()
    outcomes = [_combined(items) for items in zip(*(r.results for r in results), strict=True)]
    index = next(iter(project.rglob("local_site/index.html")), None)
    outcome = SuiteOutcome(
        table=name,
        success=all(bool(r.success) for r in results),
        outcomes=outcomes,
        data_docs=index,
        sources_checked=len(rows_by_source),
        sources_in_table=sources_in_table,
    )
    return outcome, largest


def _parts(
    engine: Engine, table: Table, rows_by_source: dict[str, int], in_table: dict[str, int]
) -> list[Part]:
    """The rows to check, in parts of about ROWS_PER_CHECK rows (as the table holds them,
    or as published where it holds fewer): groups of whole sources, and a larger source in
    parts of its own."""
    sizes = {s: max(n, in_table.get(s, 0)) for s, n in rows_by_source.items()}
    parts: list[Part] = []
    for group in source_groups(sizes) or [[]]:
        if len(group) == 1 and in_table.get(group[0], 0) > ROWS_PER_CHECK:
            (source_id,) = group
            numbers = read_rows(
                engine, select(table.c.source_row).where(table.c.source_id == source_id)
            ).column("source_row")
            parts += row_parts(
                source_id, rows_by_source[source_id], numbers.to_numpy(), ROWS_PER_CHECK
            )
        else:
            parts.append(Part(group, sum(rows_by_source.get(s, 0) for s in group)))
    return parts


def _combined(items) -> ExpectationOutcome:
    """One expectation's results over the groups of sources, as if on the whole table: met if
    met in every group, the failing rows added up, and the row count's observed values too."""
    config = items[0].expectation_config
    details = [item.result or {} for item in items]
    counts = [d.get("unexpected_count") for d in details if d.get("unexpected_count") is not None]
    observed_values = [
        d.get("observed_value") for d in details if d.get("observed_value") is not None
    ]
    if observed_values and all(isinstance(v, int) for v in observed_values):
        observed = str(sum(observed_values))
    else:
        failing = [
            d.get("observed_value") for d, i in zip(details, items, strict=True) if not i.success
        ]
        shown = (failing or observed_values or [None])[0]
        observed = "" if shown is None else str(shown)
    return ExpectationOutcome(
        expectation=config.type,
        column=config.kwargs.get("column")
        or ",".join(config.kwargs.get("column_list") or [])
        or None,
        success=all(bool(i.success) for i in items),
        unexpected=sum(counts) if counts else None,
        observed=observed,
    )
