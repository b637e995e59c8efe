"""A publisher in its own process, for tests that kill it with SIGKILL part-way.

`python -m odc_pipeline_tests.publish_worker URL RUN_ID ROWS [PAUSE_STAGE] [--others N]
[--load-others]` publishes ROWS election-result rows of one public source, `results_a`, as run
RUN_ID, printing each stage as it starts. With PAUSE_STAGE it stops there (sleeps) so the test
can kill it at exactly that point. With `--others N` the catalogue names N more sources of
ROWS rows each, which `--load-others` loads in this run too (else they are carried forward).
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from odc_pipeline.regions.reference import load_reference
from odc_pipeline.validation.quarantine import empty_quarantine
from odc_pipeline.warehouse.batches import SourceBatch
from odc_pipeline.warehouse.catalog import Catalog, OrganizationInfo, SourceInfo
from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline.warehouse.publish import publish
from odc_pipeline_tests.scratch import fact_frame


def catalog(source_ids: list[str]) -> Catalog:
    """One organisation's public result sources."""
    return Catalog(
        organizations=[OrganizationInfo("org_a", "Organisation A")],
        sources=[
            SourceInfo(
                source_id=source_id,
                organization_id="org_a",
                kind="election_results",
                description="test source",
                format="csv",
                location=f"{source_id}.csv",
                licence="CC-BY-4.0",
                sharing="public",
            )
            for source_id in source_ids
        ],
    )


CATALOG = catalog(["results_a"])


def batch(rows: int, seed: int, source_id: str = "results_a") -> SourceBatch:
    return SourceBatch(
        source_id=source_id,
        organization_id="org_a",
        kind="election_results",
        file_hash=f"{seed:064d}",
        rows_in=rows,
        facts=fact_frame(rows, seed=seed),
        quarantine=empty_quarantine(),
        review=pd.DataFrame(),
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("run_id")
    parser.add_argument("rows", type=int)
    parser.add_argument("pause_at", nargs="?")
    parser.add_argument("--others", type=int, default=0)
    parser.add_argument("--load-others", action="store_true")
    arguments = parser.parse_args(argv[1:])
    others = [f"results_other_{n}" for n in range(arguments.others)]

    def stage(name: str) -> None:
        print(name, flush=True)
        if arguments.pause_at and name.startswith(arguments.pause_at):
            time.sleep(600)  # the test kills us here

    batches = [batch(arguments.rows, seed=len(arguments.run_id))]
    if arguments.load_others:
        batches += [batch(arguments.rows, n, source_id) for n, source_id in enumerate(others)]
    engine = make_engine(arguments.url)
    publish(
        engine,
        load_reference(),
        batches,
        arguments.run_id,
        catalog(["results_a", *others]),
        stage=stage,
    )
    engine.dispose()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
