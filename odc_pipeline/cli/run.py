"""`odc run`: materialize now, in this process, with a progress bar per source."""

from __future__ import annotations

import logging
import sys

import click
from rich.progress import BarColumn, Progress, TextColumn

from odc_pipeline.run import console, marked_line, run_pipeline, step_failure_lines

#: The stages a source goes through, and the asset that closes each one.
STAGES = (("raw_", "read"), ("validated_", "validated"), ("harmonized_", "harmonized"))


class _SourceBars(logging.Handler):
    """One bar per source: read, validated, harmonized, published, with the row counts."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress
        self.tasks: dict[str, int] = {}
        self.counts: dict[str, list[str]] = {}

    def _task(self, source: str) -> int:
        if source not in self.tasks:
            self.tasks[source] = self.progress.add_task(source, total=4, detail="pulling")
            self.counts[source] = []
        return self.tasks[source]

    def emit(self, record: logging.LogRecord) -> None:
        """Show the event; a display that cannot show it never fails the run's step."""
        try:
            self._show(record)
        except Exception as error:  # the record reaches the event log regardless
            console.print(f"[dim](the progress display skipped an event: {error})[/dim]")

    def _show(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            # What a step warns of (a file read in two encodings, codes split since, an
            # analyst's tables kept) or gives up on: the bars cannot say it.
            if record.levelno >= logging.WARNING and meta.get("step_key"):
                console.print(marked_line(record))
            return
        if event.event_type_value == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            name = materialization.asset_key.path[-1]
            rows = materialization.metadata.get("dagster/row_count")
            for prefix, label in STAGES:
                if name.startswith(prefix):
                    source = name.removeprefix(prefix)
                    task = self._task(source)
                    count = f"{rows.value:,}" if rows is not None else "?"
                    self.counts[source].append(f"{label} {count}")
                    self.progress.update(task, advance=1, detail=", ".join(self.counts[source]))
            if name == "load_audit":
                for source, task in self.tasks.items():
                    self.progress.update(
                        task, advance=1, detail=", ".join([*self.counts[source], "published"])
                    )
        elif event.event_type_value == "STEP_FAILURE":
            step = meta.get("step_key") or ""
            console.print(step_failure_lines(step, event, meta.get("run_id")))


@click.command()
@click.option(
    "--source", "source_ids", multiple=True, help="Only this source (repeat); default all."
)
def run(source_ids: tuple[str, ...]) -> None:
    """Pull, read, validate, harmonize and publish now; then the same summary as `make run`.

    Sources not named keep their published rows as they are.
    """
    progress = Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        console=console,
    )
    with progress:
        code = run_pipeline(list(source_ids) or None, handler=_SourceBars(progress))
    sys.exit(code)
