"""`make run`: materialize every asset in this process, show progress, then a summary.

`python -m odc_pipeline.run` runs the same definitions the Dagster UI shows. When
`DAGSTER_HOME` is set (the Makefile sets it), the run is recorded there and appears in the UI.

A failed step is two lines here: the step and what went wrong underneath (a Failure's own
words, else the innermost error's class and message, such as `sqlite3.OperationalError:
database or disk is full`), then where the traceback is. Nothing printed here is longer than
`TERMINAL_LIMIT`: a message may quote a file's content.
"""

from __future__ import annotations

import logging
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from odc_pipeline.defs.automation import source_chain, warehouse_keys
from odc_pipeline.defs.build import build_definitions
from odc_pipeline.defs.every_year import execute_every_year
from odc_pipeline.defs.execution import TERMINAL_LOG, execute_here
from odc_pipeline.quoting import capped
from odc_pipeline.registry import RegistryError, load_registry
from odc_pipeline.releases.store import ReleaseStore
from odc_pipeline.releases.writing import release_made_by
from odc_pipeline.reporting import report_path
from odc_pipeline.settings import (
    WAREHOUSE_URL_VARIABLE,
    Settings,
    SettingsError,
    dagster_home_is_set,
    load_settings,
    prepare_dagster_home,
    role_prefix,
)
from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline.warehouse.summary import SourceSummary, run_summary

EXAMPLE_QUERY = (
    "select r.name, f.candidate, f.source_id, f.votes from fact_election_results f "
    "join dim_region r using (region_code) where f.region_code = '32.04' order by 2, 3"
)

# A terminal's own width (120 at least); output to a file or a CI log as wide as the summary
# table of a registry of long names, so that they are not wrapped over several lines.
_detected = Console()
console = Console(
    highlight=False, width=max(_detected.width, 120) if _detected.is_terminal else 160
)


#: Characters of one message printed here; the full text is in the run's event log.
TERMINAL_LIMIT = 1_000

#: How a log line of each level is marked.
_MARKS = {logging.ERROR: "[red]✗[/red]", logging.WARNING: "[yellow]![/yellow]"}


class _ProgressHandler(logging.Handler):
    """Prints the lines a person follows: steps starting, what each step did, failures."""

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        if event is None:
            if record.levelno >= logging.INFO and step:
                console.print(f"  {marked_line(record)}")
            return
        if event.event_type_value == "STEP_START":
            console.print(f"[bold]▶ {step}[/bold]")
        elif event.event_type_value == "STEP_FAILURE":
            console.print(f"  {step_failure_lines(step, event, meta.get('run_id'))}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            mark = "[green]✓[/green]" if data.passed else "[red]✗[/red]"
            console.print(f"  {mark} check {data.check_name}: {_shown(data.description or '')}")


def marked_line(record: logging.LogRecord) -> str:
    """A step's own log line as printed: ✓, ! (a warning) or ✗ (an error), then the message."""
    meta = getattr(record, "dagster_meta", None) or {}
    mark = next((m for level, m in _MARKS.items() if record.levelno >= level), None)
    message = meta.get("orig_message", record.getMessage())
    return f"{mark or '[green]✓[/green]'} {_shown(message)}"


def _shown(text: str) -> str:
    """Text for the terminal: capped, and never read as rich markup (a file's `[b]`)."""
    return escape(capped(text, TERMINAL_LIMIT))


def step_failure_lines(step: str, event: dg.DagsterEvent, run_id: str | None) -> str:
    """A failed step in two lines: what went wrong underneath, then where the rest is (the
    steward cannot act on "Error occurred while executing op"; the traceback is for later)."""
    if dagster_home_is_set():
        where = f"Dagster UI (make ui) → Runs → {run_id}" if run_id else "the Dagster UI"
    else:
        where = "not kept: DAGSTER_HOME is not set (make run sets it for the Dagster UI)"
    return (
        f"[red]✗ {step} failed:[/red] {_shown(_failure_text(event))}\n"
        f"    [dim]full error and traceback: {where}[/dim]"
    )


def _failure_text(event: dg.DagsterEvent) -> str:
    """A Failure's description, else the error's message (its first line: the rest, such as
    the SQL a database error quotes, is in the event log)."""
    data = event.step_failure_data
    if data is None:
        return ""
    if data.user_failure_data and data.user_failure_data.description:
        return data.user_failure_data.description
    error = data.error
    if error is None:
        return ""
    # Below Dagster's own wrappers is the error the step raised: the project's own errors
    # are written for stewards and shown as they are (their class name left out); a
    # library's error is shown down to its innermost cause, the one that names the problem.
    while error.cause is not None and error.cls_name.startswith("Dagster"):
        error = error.cause
    ours = error.message.startswith("odc_pipeline.")
    while not ours and error.cause is not None:
        error = error.cause
    lines = [line for line in error.message.splitlines() if line.strip()]
    first = lines[0].strip() if lines else error.cls_name
    return first.split(": ", 1)[-1] if ours else first


def _exception_text(error: BaseException) -> str:
    """The innermost cause of a live exception, as `_failure_text` shows a step's."""
    while error.__cause__ is not None:
        error = error.__cause__
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    first = next((line for line in str(error).splitlines() if line.strip()), "")
    return f"{name}: {first.strip()}" if first else name


@contextmanager
def reporting_to(handler: logging.Handler) -> Iterator[None]:
    """The runs started in this process report their events to `handler` meanwhile."""
    log = logging.getLogger(TERMINAL_LOG)
    log.addHandler(handler)
    try:
        yield
    finally:
        log.removeHandler(handler)


def _odc_command(settings: Settings) -> str:
    """The installed `odc` by its full path, so the example works from any folder, after the
    warehouse this run wrote when it is not the default (a real-data run's): typed without
    it, the example would read another warehouse."""
    odc = shlex.quote(str(Path(sys.executable).parent / "odc"))
    if settings.warehouse_url and settings.warehouse_url.startswith("sqlite"):  # no password
        return f"{WAREHOUSE_URL_VARIABLE}={shlex.quote(settings.warehouse_url)} {odc}"
    if settings.warehouse_dir == load_settings({}).warehouse_dir:
        return odc
    return f"ODC_WAREHOUSE_DIR={shlex.quote(str(settings.warehouse_dir))} {odc}"


def _instance() -> dg.DagsterInstance:
    if not dagster_home_is_set():
        return dg.DagsterInstance.ephemeral()
    return dg.DagsterInstance.from_config(str(prepare_dagster_home()))


def print_summary(
    lines: list[SourceSummary],
    settings: Settings,
    warehouse_display: str,
    organisations: dict[str, str] | None = None,
) -> None:
    """The run's table, organisations by name (`organisations`: id → name)."""
    organisations = organisations or {}
    if not lines:
        console.print(
            "[red]Nothing was published in this run[/red]: the warehouse keeps the version it "
            f"had ({warehouse_display}). The cause is above."
        )
        return
    table = Table(title="Run summary")
    headers = ("source", "organisation", "status", "rows in", "published", "quarantined")
    for header in (*headers, "regions matched", "balanced"):
        # Ids stay whole (a steward copies them into commands); names may wrap.
        table.add_column(
            header,
            justify="left" if header in headers[:3] else "right",
            no_wrap=header == "source",
        )
    for line in lines:
        table.add_row(
            line.source_id,
            organisations.get(line.organization_id, line.organization_id),
            "[red]held back[/red]" if line.held_back else line.status,
            f"{line.rows_in:,}",
            f"{line.rows_published:,}",
            f"{line.rows_quarantined:,}",
            "" if line.held_back else f"{line.region_match_rate:.1%}",
            line.balance if line.balance == "yes" else f"[red]{line.balance}[/red]",
        )
    table.add_row(
        "[bold]total[/bold]",
        "",
        "",
        f"{sum(s.rows_in for s in lines):,}",
        f"{sum(s.rows_published for s in lines):,}",
        f"{sum(s.rows_quarantined for s in lines):,}",
        "",
        "",
    )
    console.print(table)
    for line in lines:
        if line.message:
            console.print(
                f"[red]{line.source_id} was held back[/red] (its last good load stays published): "
                f"{_shown(line.message)}",
                soft_wrap=True,
            )
    console.print(f"Warehouse: [bold]{warehouse_display}[/bold]")
    if warehouse_display.startswith("sqlite:///"):
        console.print(
            "Query it with any SQLite client, DuckDB or Datasette, or with odc:\n"
            f"  {_odc_command(settings)} query --tables\n"
            f'  {_odc_command(settings)} query "{EXAMPLE_QUERY}"\n'
            "Tables: dim_region, fact_* (one per dataset kind), quarantine (rows set aside, with "
            "reasons), region_review (region values to decide), load_audit.\n"
            f"Quality report (Great Expectations Data Docs): {settings.warehouse_dir / 'quality'}\n"
            f"This file holds everything; to share, use the per-audience files in "
            f"{settings.warehouse_dir / 'shared'} (public.sqlite, members.sqlite, "
            "private_<organisation>.sqlite).",
            soft_wrap=True,
        )
    else:
        prefix = role_prefix()
        console.print(
            f"Readers query the schemas of their audience: public_data (role {prefix}_analyst), "
            f"members_data ({prefix}_member), private_<organisation> "
            f"({prefix}_org_<organisation>); a login's search_path names its schema "
            "(docs/warehouse.md).",
            soft_wrap=True,
        )


def run_pipeline(
    source_ids: list[str] | None = None, handler: logging.Handler | None = None
) -> int:
    """Materialize every asset (or the named sources and the warehouse) and print a summary.

    Exit code 0 when every source of the run was published, 1 when the run failed or held a
    source back, 2 when the registry cannot be used.
    """
    settings = load_settings()
    try:
        # An entry that cannot be used, or whose file is missing, fails alone: the others run.
        registry = load_registry(settings.registry_path, check_files=False, keep_broken=True)
    except RegistryError as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        return 2
    for broken in registry.broken:
        console.print(
            f"[red]{escape(broken.label)} is held back[/red] (its last good load stays "
            f"published): {escape('; '.join(broken.problems))}",
            soft_wrap=True,
        )
    if not registry.sources:
        console.print("[red]No source of the registry can be used; fix the entries above.[/red]")
        return 2
    held_back = {b.source_id for b in registry.broken} & set(source_ids or [])
    if held_back:
        console.print(
            f"[red]{', '.join(sorted(held_back))}: the registry entry cannot be used[/red]; fix "
            "it first (the problems are above)"
        )
        return 2
    unknown = sorted(set(source_ids or []) - {e.id for e in registry.sources})
    if unknown:
        console.print(
            f"[red]unknown source(s) {', '.join(unknown)}[/red]; known: "
            + ", ".join(e.id for e in registry.sources)
        )
        return 2
    console.print(f"Registry: {settings.registry_path} ({len(registry.sources)} sources)")
    selection = None
    if source_ids:
        defs = build_definitions(settings, registry, in_process=True)
        selection = [
            *(key for s in source_ids for key in source_chain(s, with_pull=True)),
            *warehouse_keys(defs.assets),
        ]
    instance = _instance()
    with reporting_to(handler or _ProgressHandler()):
        past, result = execute_every_year(
            registry,
            lambda **run: execute_here(instance=instance, **run),
            source_ids=source_ids,
            asset_selection=selection,
            announce=console.print,
        )
    for year, year_run in past.items():
        if not year_run.success:
            console.print(f"[red]The run for {year} did not finish cleanly; see above.[/red]")
    lines = _summary(
        settings, result.run_id, {k: o.name for k, o in registry.organizations.items()}
    )
    _release_line(settings, result.run_id)
    report = report_path(settings.warehouse_dir, result.run_id)
    if report.exists():
        console.print(f"Run report: {report}")
    if not result.success:
        console.print("[red]The run did not finish cleanly; see the failures above.[/red]")
        return 1
    if registry.broken:
        return 1
    return 1 if lines is None or any(line.status != "published" for line in lines) else 0


def _release_line(settings: Settings, run_id: str) -> None:
    """The release the run made, and what changed since the one before."""
    release = release_made_by(ReleaseStore(settings.releases_dir), run_id)
    if release is None:
        return
    made = release.release_id
    counts = release.counts
    since = (
        f"since {release.previous}: {counts['added']:,} rows added, {counts['removed']:,} "
        f"removed, {counts['changed']:,} changed (odc diff {release.previous} {made})"
        if release.previous
        else "the first release"
    )
    console.print(f"Release: [bold]{made}[/bold] in {release.folder}; {since}", soft_wrap=True)


def _summary(
    settings: Settings, run_id: str, organisations: dict[str, str]
) -> list[SourceSummary] | None:
    """Print the run's summary; None when the warehouse cannot be read, which a run that
    failed before its first publish leaves behind (the cause is printed, not a traceback)."""
    engine = make_engine(settings.warehouse)
    try:
        lines = run_summary(engine, run_id)
    except SQLAlchemyError as error:
        console.print(
            f"[red]No summary: the warehouse cannot be read:[/red] {_shown(_exception_text(error))}"
        )
        return None
    finally:
        engine.dispose()
    print_summary(lines, settings, engine.url.render_as_string(hide_password=True), organisations)
    return lines


def main() -> int:
    try:
        return run_pipeline()
    except SettingsError as error:
        console.print(f"[red]A setting cannot be used:[/red] {_shown(str(error))}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
