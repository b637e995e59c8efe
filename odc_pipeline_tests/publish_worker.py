"""A publisher in its own process, for tests that kill it with SIGKILL part-way.

`python -m odc_pipeline_tests.publish_worker URL RUN_ID ROWS [PAUSE_STAGE]` publishes ROWS
election-result rows of one public source as run RUN_ID, printing each stage as it starts.
With PAUSE_STAGE it stops there (sleeps) so the test can kill it at exactly that point.
"""

from __future__ import annotations

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

CATALOG = Catalog(
    organizations=[OrganizationInfo("org_a", "Organisation A")],
    sources=[
        SourceInfo(
            source_id="results_a",
            organization_id="org_a",
            kind="election_results",
            description="test source",
            format="csv",
            location="results_a.csv",
            licence="CC-BY-4.0",
            sharing="public",
        )
    ],
)


def batch(rows: int, seed: int) -> SourceBatch:
    return SourceBatch(
        source_id="results_a",
        organization_id="org_a",
        kind="election_results",
        file_hash="0" * 64,
        rows_in=rows,
        facts=fact_frame(rows, seed=seed),
        quarantine=empty_quarantine(),
        review=pd.DataFrame(),
    )


def main(argv: list[str]) -> int:
    url, run_id, rows = argv[1], argv[2], int(argv[3])
    pause_at = argv[4] if len(argv) > 4 else None

    def stage(name: str) -> None:
        print(name, flush=True)
        if pause_at and name.startswith(pause_at):
            time.sleep(600)  # the test kills us here

    engine = make_engine(url)
    publish(engine, load_reference(), [batch(rows, seed=len(run_id))], run_id, CATALOG, stage=stage)
    engine.dispose()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
