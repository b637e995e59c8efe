"""`odc report`: the HTML page of a run (the latest by default)."""

from __future__ import annotations

import click
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from odc_pipeline.cli.common import console, settings
from odc_pipeline.releases.store import ReleaseStore
from odc_pipeline.releases.writing import release_made_by
from odc_pipeline.reporting import write_run_report
from odc_pipeline.warehouse.readonly import QueryRefused, read_only_engine
from odc_pipeline.warehouse.schema import load_audit


@click.command()
@click.argument("run_id", required=False)
def report(run_id: str | None) -> None:
    """Write the run report of RUN_ID (default: the latest run) and print where it is."""
    config = settings()
    try:  # the report only reads: the same read-only connection as `odc query`
        engine = read_only_engine(config.warehouse)
    except QueryRefused as error:
        raise click.ClickException(str(error)) from None
    try:
        with engine.connect() as connection:
            known = (
                connection.execute(
                    select(load_audit.c.run_id)
                    .group_by(load_audit.c.run_id)
                    .order_by(func.max(load_audit.c.loaded_at).desc())
                )
                .scalars()
                .all()
            )
        if not known:
            raise click.ClickException("no run has published yet: run `odc run` first")
        if run_id is None:
            run_id = known[0]
        matches = [r for r in known if r.startswith(run_id)]
        if not matches:
            latest = ", ".join(r[:8] for r in known[:3])
            raise click.ClickException(
                f"no published run's id starts with {run_id!r}; the latest: {latest} "
                "(odc report with no id reports the latest)"
            )
        if len(matches) > 1:
            raise click.ClickException(f"{run_id!r} names {len(matches)} runs; give more of its id")
        release = release_made_by(ReleaseStore(config.releases_dir), matches[0])
        path = write_run_report(
            engine, matches[0], config.warehouse_dir, release, config.map_source
        )
    except SQLAlchemyError as error:
        raise click.ClickException(
            f"the warehouse cannot be read: {str(error).splitlines()[0]}"
        ) from None
    finally:
        engine.dispose()
    console.print(str(path))
