"""`odc diff A B`: what changed from one release to another, row by row, and why."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape

from odc_pipeline.cli.common import console
from odc_pipeline.cli.output import FORMATS, show_frame
from odc_pipeline.cli.releases import manifest_of, store
from odc_pipeline.quoting import changes_in_words
from odc_pipeline.releases.changes import changes_between
from odc_pipeline.releases.writing import count_changes


def _words(key: str) -> str:
    """`{"election": "pemilu", "candidate": "01"}` as `election pemilu, candidate 01`."""
    values = json.loads(key)
    return ", ".join(f"{name} {value}" for name, value in values.items() if value is not None)


@click.command()
@click.argument("old")
@click.argument("new")
@click.option("--source", "source_ids", multiple=True, help="Only this source; repeatable.")
@click.option("--format", "out_format", type=click.Choice(FORMATS), default="auto")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
def diff(old: str, new: str, source_ids: tuple[str, ...], out_format: str, output) -> None:
    """The rows added, removed and changed from release OLD to release NEW, per source,
    region and candidate or party, with old and new values and the cause the pipeline knows
    (a new file, a registry change, a review decision, a reference update).

    \b
    odc releases list
    odc diff 2026.12.01-1 2026.12.02-1
    odc diff 2026.12.01-1 2026.12.02-1 --source jsn_pilpres2024_kabkota --format csv
    """
    kept = store()
    before, after = manifest_of(kept, old), manifest_of(kept, new)
    known = {s["source_id"] for m in (before, after) for s in m["sources"]}
    unknown = sorted(set(source_ids) - known)
    if unknown:
        raise click.ClickException(
            f"{', '.join(unknown)}: no such source in {old} or {new}; they hold "
            + ", ".join(sorted(known))
        )
    changes = changes_between(kept, before, after, new)
    if source_ids:
        changes = changes.loc[changes["source_id"].isin(source_ids)]
    counts = count_changes(changes)
    terminal = out_format in ("auto", "table", "vertical") and not output
    if terminal and not len(changes):
        console.print(f"No row changed from {escape(old)} to {escape(new)}.")
        return
    # CSV and JSON are for programs: no change is a header alone, or [].
    shown = changes.drop(columns=["release", "previous_release"])
    if terminal:
        # In a terminal the key reads as words; CSV and JSON keep it as JSON for programs.
        shown = shown.assign(key=shown["key"].map(_words))
    show_frame(shown, out_format, output)
    if terminal:
        console.print(f"From {escape(old)} to {escape(new)}: {changes_in_words(counts)}.")
