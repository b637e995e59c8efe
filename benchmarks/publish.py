"""Publishing benchmark: N fact rows into SQLite and PostgreSQL, against `DataFrame.to_sql`.

    python -m benchmarks publish [--rows N] [--postgres URL]

For each engine, in the same run: the project's whole publish of one source with N
election-result rows (a new version built beside the live one, loaded with COPY on PostgreSQL
and executemany on SQLite, indexed, then switched in), and `to_sql` loading the same frame into
a scratch table (its defaults, except `index=False`, which spares it the extra index column).
PostgreSQL runs in a database created for the benchmark and dropped afterwards.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmarks.results import save
from odc_pipeline.regions import load_reference
from odc_pipeline.validation.quarantine import empty_quarantine
from odc_pipeline.warehouse.batches import SourceBatch
from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline.warehouse.publish import publish
from odc_pipeline_tests.scratch import POSTGRES_ADMIN_URL, fact_frame, temporary_database


def _measure(url: str, facts: pd.DataFrame, regions: pd.DataFrame) -> dict:
    engine = make_engine(url)
    batch = SourceBatch(
        source_id="bench",
        organization_id="bench",
        kind="election_results",
        file_hash="0" * 64,
        rows_in=len(facts),
        facts=facts,
        quarantine=empty_quarantine(),
        review=pd.DataFrame(),
    )
    publish(engine, regions, [], "warmup")  # a first version with dim_region, outside the timing
    start = time.perf_counter()
    publish(engine, None, [batch], "bench")  # dim_region carried forward, as on a nightly run
    publish_seconds = time.perf_counter() - start
    frame = facts.assign(organization_id="bench", source_id="bench", run_id="bench")
    start = time.perf_counter()
    frame.to_sql("bench_to_sql", engine, index=False)
    to_sql_seconds = time.perf_counter() - start
    engine.dispose()
    return {
        "rows": len(facts),
        "publish_seconds": round(publish_seconds, 2),
        "publish_rows_per_second": round(len(facts) / publish_seconds),
        "to_sql_seconds": round(to_sql_seconds, 2),
        "to_sql_rows_per_second": round(len(facts) / to_sql_seconds),
        "speedup_vs_to_sql": round(to_sql_seconds / publish_seconds, 2),
    }


def run(rows: int, postgres_admin: str | None) -> dict:
    facts = fact_frame(rows)
    regions = load_reference()
    result: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        result["sqlite"] = _measure(f"sqlite:///{Path(folder) / 'bench.sqlite'}", facts, regions)
    if postgres_admin:
        with temporary_database(postgres_admin, prefix="odc_bench") as url:
            result["postgresql"] = _measure(url, facts, regions)
    lines = [
        "# Publishing benchmark",
        "",
        "| engine | rows | publish rows/s | to_sql rows/s | publish / to_sql speed |",
        "|---|---:|---:|---:|---:|",
    ]
    for engine_name, r in result.items():
        lines.append(
            f"| {engine_name} | {r['rows']:,} | {r['publish_rows_per_second']:,} | {r['to_sql_rows_per_second']:,} | **{r['speedup_vs_to_sql']}x** |"
        )
    markdown = "\n".join(lines)
    save("publish", result, markdown)
    print(markdown)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks publish")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres", default=POSTGRES_ADMIN_URL, help="admin URL; empty to skip PostgreSQL"
    )
    args = parser.parse_args(argv)
    run(args.rows, args.postgres or None)
    return 0
