"""`odc serve`: the public and members audience files as a web table (Datasette)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from rich.markup import escape

from odc_pipeline.cli.common import console, registry, settings
from odc_pipeline.serving.catalogue import SERVED, datasette_metadata


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, help="Port to listen on.")
@click.option(
    "--base-url", default="/", show_default=True, help="The path a proxy serves it under."
)
def serve(host: str, port: int, base_url: str) -> None:
    """Serve the public and members files read-only in a browser: filter and facet tables,
    open the club's canned questions, download CSV. No private source is served.

    Listens on 127.0.0.1 only; put it behind the same authenticating proxy as the Dagster UI
    before members reach it from elsewhere (docs/releases.md#a-web-table). Restart it after a
    publish to serve the new files.
    """
    config = settings()
    if config.warehouse_url:
        raise click.ClickException(
            "odc serve serves the SQLite audience files; with a PostgreSQL warehouse "
            "(ODC_WAREHOUSE_URL) readers use its audience schemas instead"
        )
    files = [config.warehouse_dir / "shared" / audience.file_name for audience in SERVED]
    missing = [f for f in files if not f.exists()]
    if missing:
        raise click.ClickException(
            f"{missing[0]} does not exist yet: run `make run` (or `odc run`) first"
        )
    licences = sorted({e.licence for e in registry().sources if e.sharing == "public"})
    metadata = config.warehouse_dir / "datasette" / "metadata.json"
    metadata.parent.mkdir(parents=True, exist_ok=True)
    metadata.write_text(
        json.dumps(datasette_metadata(licences), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    datasette = Path(sys.executable).parent / "datasette"
    console.print(
        f"Serving {', '.join(escape(str(f)) for f in files)} on http://{host}:{port}/ "
        "(Ctrl+C stops it)"
    )
    sys.stdout.flush()
    os.execv(
        datasette,
        [
            str(datasette),
            "serve",
            *(str(f) for f in files),
            "--host",
            host,
            "--port",
            str(port),
            "--metadata",
            str(metadata),
            "--setting",
            "default_page_size",
            "50",
            "--setting",
            "sql_time_limit_ms",
            "5000",
            # The whole file is not offered for download: tables and queries are, as CSV.
            "--setting",
            "allow_download",
            "off",
            "--setting",
            "base_url",
            base_url,
        ],
    )
