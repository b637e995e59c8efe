"""`odc releases`: the kept releases, and what one holds."""

from __future__ import annotations

import click
import pandas as pd
from rich.markup import escape

from odc_pipeline.cli.common import console, settings
from odc_pipeline.cli.output import FORMATS, show_frame
from odc_pipeline.releases.store import ReleaseNotFound, ReleaseStore


def store() -> ReleaseStore:
    return ReleaseStore(settings().releases_dir)


def manifest_of(releases: ReleaseStore, release_id: str) -> dict:
    try:
        return releases.manifest(release_id)
    except ReleaseNotFound as error:
        raise click.ClickException(str(error)) from None


@click.group()
def releases() -> None:
    """The releases every publish makes: list them, or show what one holds.

    A release (such as 2026.12.02-1) is Parquet per audience and table, and a manifest of its
    run, sources, reference tables and files."""


@releases.command("list")
@click.option("--format", "out_format", type=click.Choice(FORMATS), default="auto")
def list_releases(out_format: str) -> None:
    """The kept releases, newest first, with what changed in each."""
    kept = store()
    rows = []
    for release_id in reversed(kept.release_ids()):
        manifest = kept.manifest(release_id)
        changes = manifest.get("changes", {})
        rows.append(
            {
                "release": release_id,
                "created": manifest["created"],
                "run": manifest["run_id"][:8],
                "sources": len(manifest["sources"]),
                "previous": manifest["previous"] or "",
                "added": changes.get("added", 0),
                "removed": changes.get("removed", 0),
                "changed": changes.get("changed", 0),
            }
        )
    if not rows:
        console.print(f"No release yet in {escape(str(kept.root))}: `odc run` makes the first.")
        return
    show_frame(pd.DataFrame(rows), out_format, None, prefer_table=True)


@releases.command()
@click.argument("release_id")
def show(release_id: str) -> None:
    """What RELEASE_ID holds: its sources with their files, the reference tables, its tables
    per audience, and how to read them."""
    kept = store()
    manifest = manifest_of(kept, release_id)
    folder = kept.folder(release_id)
    console.print(
        f"[bold]Release {escape(release_id)}[/bold], made {escape(manifest['created'])} by run "
        f"{escape(manifest['run_id'])}; previous: {escape(manifest['previous'] or 'none')}."
    )
    sources = pd.DataFrame(
        [
            {
                "source": s["source_id"],
                "organisation": s["organization_id"],
                "sharing": s["sharing"],
                "licence": s["licence"],
                "status": s["status"],
                "file sha256": (s["file_hash"] or "")[:16],
                # The rows of its kind's table (facts, candidates, dapil): not its row in
                # dim_load, nor the seats and lists derived from its rows.
                "rows published": _published(s),
            }
            for s in manifest["sources"]
        ]
    )
    show_frame(sources, "table", None)
    tables = pd.DataFrame(
        [
            {"audience": a, "table": p["table"], "rows": p["rows"]}
            for p in manifest["parts"]
            for a in p["audiences"]
        ]
    )
    if len(tables):
        summed = tables.groupby(["audience", "table"], as_index=False)["rows"].sum()
        show_frame(summed, "table", None)
    reference = ", ".join(f"{name} {digest[:12]}" for name, digest in manifest["reference"].items())
    console.print(f"Reference tables: {escape(reference)}", soft_wrap=True)
    console.print(
        f"{len(manifest['files'])} files, each checksummed in {escape(str(folder / 'manifest.json'))}.\n"
        "Read a table in one line, e.g. in DuckDB:\n"
        f"  FROM read_parquet('{escape(str(folder))}/public/fact_election_results/**/*.parquet')\n"
        f"or in pandas: pd.read_parquet('{escape(str(folder))}/public/fact_election_results')",
        soft_wrap=True,
    )


def _published(source: dict) -> int:
    """A release manifest's source: the rows it published, in its kind's own table."""
    from odc_pipeline.kinds import KINDS

    kind = KINDS.get(source.get("kind", ""))
    return source.get("rows", {}).get(kind.fact_table, 0) if kind else 0
