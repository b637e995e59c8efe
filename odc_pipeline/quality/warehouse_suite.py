"""A Great Expectations suite per fact table, run on what was just published.

It checks what an analyst relies on: the table holds exactly the rows `load_audit` says were
published, each source row appears once, every region code is well formed and present in
`dim_region`, and the numbers are in their ranges. Results are rendered as Data Docs (HTML)
under the warehouse folder so a steward can read them without any tool.
"""

from __future__ import annotations

import gc
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine

from odc_pipeline.validation.models import (
    FIRST_ELECTION_YEAR,
    INCIDENT_CATEGORIES,
    LAST_PLAUSIBLE_YEAR,
)
from odc_pipeline.warehouse.frames import read_columns
from odc_pipeline.warehouse.schema import FACT_TABLES, dim_region
from odc_pipeline.warehouse.summary import published_rows_by_source

# No usage statistics leave the machine (and there is no network to send them to).
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

#: Text columns with a handful of distinct values per table (ten sources, their files, the
#: incident categories), handed to the suite as categories. Great Expectations filters the
#: whole frame for each expectation it checks; filtering a column of 1.45M strings copies them
#: every time, a column of category codes copies small integers: about a third of the
#: validation's time on the election results. `region_code` stays text: its 83,000 values
#: would be turned back into strings for the pattern check.
FEW_VALUED_TEXT = ("source_id", "file_hash", "category")
#: How much Great Expectations works out about the failures: counts and up to 20 example
#: values (what the steward reads in the metadata and Data Docs), not the index and query of
#: every failing row ("SUMMARY", its default), which it computes even when nothing fails.
RESULT_FORMAT = "BASIC"

CODE_PATTERN = r"^\d{2}(?:\.\d{2}){0,2}(?:\.\d{4})?$"
# Non-negative counts per kind, with an upper bound where the law sets one.
RANGES: dict[str, list[tuple[str, int | None, int | None]]] = {
    "election_results": [
        ("votes", 0, None),
        ("valid_ballots", 0, None),
        ("invalid_ballots", 0, None),
    ],
    "voter_counts": [
        ("registered_male", 0, None),
        ("registered_female", 0, None),
        ("registered_total", 0, None),
    ],
    "polling_stations": [("registered_voters", 0, 1000)],
    "incident_reports": [],
    "region_statistics": [],
}


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    unexpected: int | None
    observed: str


@dataclass(frozen=True)
class SuiteOutcome:
    table: str
    success: bool
    outcomes: list[ExpectationOutcome]
    data_docs: Path | None


def _expectations(gx, kind: str, expected_rows: int) -> list:
    e = gx.expectations
    items = [
        e.ExpectTableRowCountToEqual(value=expected_rows),
        # A row is its file and its row number: a source with one file per year repeats numbers.
        e.ExpectCompoundColumnsToBeUnique(column_list=["source_id", "file_hash", "source_row"]),
        e.ExpectColumnValuesToNotBeNull(column="region_code"),
        e.ExpectColumnValuesToMatchRegex(column="region_code", regex=CODE_PATTERN),
        # Membership in dim_region is computed as a column: a 91,600-value set inside the
        # suite would make every Data Docs page megabytes long.
        e.ExpectColumnValuesToBeInSet(column="region_code_in_dim_region", value_set=[True]),
        e.ExpectColumnValuesToBeBetween(
            column="year", min_value=FIRST_ELECTION_YEAR, max_value=LAST_PLAUSIBLE_YEAR
        ),
        e.ExpectColumnValuesToBeBetween(column="region_level", min_value=1, max_value=4),
        e.ExpectColumnValuesToBeBetween(column="region_score", min_value=0, max_value=100),
    ]
    for column, low, high in RANGES[kind]:
        items.append(e.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high))
    if kind == "incident_reports":
        items.append(
            e.ExpectColumnValuesToBeInSet(column="category", value_set=list(INCIDENT_CATEGORIES))
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

    from odc_pipeline.quality.docs_views import with_shared_template_code

    # A fresh project each time: GX's stored data sources cannot be reused across processes
    # for in-memory frames, and the Data Docs should show this publish, not a history.
    shutil.rmtree(docs_root / "gx", ignore_errors=True)
    docs_root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(docs_root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    for name, site in context.list_data_docs_sites().items():
        context.update_data_docs_site(name, with_shared_template_code(site))
    return gx, context


def _suite_frame(engine: Engine, kind: str) -> pd.DataFrame:
    """The columns the expectations look at (only those: the suite's memory is the frame's),
    with the few-valued text as categories and membership in dim_region as a column."""
    table = FACT_TABLES[kind]
    wanted = [
        "source_id",
        "file_hash",
        "source_row",
        "region_code",
        "year",
        "region_level",
        "region_score",
        *(column for column, _, _ in RANGES[kind]),
        *(["category"] if kind == "incident_reports" else []),
    ]
    rows = read_columns(engine, table, wanted)
    # Membership in dim_region is one hash lookup per row in Arrow; asked of the database
    # (`IN (SELECT ...)`), it was an index search per row: 0.4 s of 1.6 s reading 1.6M rows.
    official = read_columns(engine, dim_region, ["region_code"]).column("region_code")
    in_dim_region = pc.fill_null(pc.is_in(rows.column("region_code"), value_set=official), False)
    rows = rows.append_column("region_code_in_dim_region", in_dim_region)
    return _as_categories(rows, FEW_VALUED_TEXT).to_pandas()


def run_suite(engine: Engine, kind: str, source_ids: list[str], docs_root: Path) -> SuiteOutcome:
    """Validate one fact table as published, and rebuild the Data Docs."""
    rows = 0
    try:
        outcome, rows = _validate(engine, kind, source_ids, docs_root)
        return outcome
    finally:
        _let_go_of_the_frame(collect=rows >= COLLECT_AFTER_ROWS)


#: A validated frame this long is freed by a garbage collection when its suite ends (see
#: `_let_go_of_the_frame`); a shorter one is left to the collector's own pace. A collection
#: walks every object of the process, 0.15-0.2 s in a 2M-row night run in one process, and
#: that is worth it for the election results' 1.45M rows (0.5 GiB of the night's peak), not
#: for a table of 200,000.
COLLECT_AFTER_ROWS = 500_000


def _let_go_of_the_frame(collect: bool) -> None:
    """Free the frame the suite validated, now rather than at some later step.

    Great Expectations keeps the last context it made as "the project", and its context, data
    source and batch refer to each other in cycles that hold the validated frame: without
    this, the frame outlived the suite until the next suite replaced the project and the
    garbage collector's next full pass found the cycle. In a process that runs every step
    (`make run`, the benchmark) that pass came after the open data export, so the election
    results' frame (0.5 GiB at 2M rows) was still held at the night's peak.
    """
    from great_expectations.data_context import set_context

    set_context(None)
    if collect:
        gc.collect()


def _validate(
    engine: Engine, kind: str, source_ids: list[str], docs_root: Path
) -> tuple[SuiteOutcome, int]:
    """The suite's outcome and how many rows it validated."""
    frame = _suite_frame(engine, kind)
    expected_rows = sum(published_rows_by_source(engine, source_ids).values())
    name = FACT_TABLES[kind].name
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
    suite = gx.ExpectationSuite(name=name, expectations=_expectations(gx, kind, expected_rows))
    suite = context.suites.add_or_update(suite)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )
    result = definition.run(batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)
    context.build_data_docs()
    outcomes = []
    for item in result.results:
        config = item.expectation_config
        details = item.result or {}
        observed = details.get("observed_value")
        outcomes.append(
            ExpectationOutcome(
                expectation=config.type,
                column=config.kwargs.get("column")
                or ",".join(config.kwargs.get("column_list") or [])
                or None,
                success=bool(item.success),
                unexpected=details.get("unexpected_count"),
                observed="" if observed is None else str(observed),
            )
        )
    index = next(iter(project.rglob("local_site/index.html")), None)
    outcome = SuiteOutcome(
        table=name, success=bool(result.success), outcomes=outcomes, data_docs=index
    )
    return outcome, len(frame)
