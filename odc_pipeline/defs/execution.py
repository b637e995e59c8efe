"""Running a job of this code location: in this process (`make run`, `odc run`), or as a
server does, with `dagster job execute` in a process of its own.

In this process the job is executed with `dagster.execute_job`, which hands frames between
steps through the IO manager only: unlike `execute_in_process`, it keeps no step's output in
memory, so a night of millions of rows holds one step's frames at a time. The job is
rebuilt from the environment's settings by `in_process_job` (a reconstructable target),
with the in-process executor whatever `ODC_EXECUTOR` says.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

#: The run tag that names a run's partition (Dagster's own).
PARTITION_TAG = "dagster/partition"
#: The logger a run in this process reports to (see `terminal_logger`).
TERMINAL_LOGGER = "terminal"
#: The Python logger behind it: whoever watches the run attaches a handler to it.
TERMINAL_LOG = "odc_pipeline.terminal"


@dg.logger(
    description="Hands a run's events to whoever runs it in this process (make run, odc run)"
)
def terminal_logger(_init_context) -> logging.Logger:
    log = logging.getLogger(TERMINAL_LOG)
    log.setLevel(logging.DEBUG)  # Dagster's step events arrive at DEBUG
    log.propagate = False
    return log


def job_command(job: str, partition: str | None = None) -> list[str]:
    """`dagster job execute` of one job of this code location, with the installed `dagster`:
    a run in a process of its own, as a server's run coordinator starts one. `partition`
    is the year, for a registry with sources partitioned by year."""
    dagster = Path(sys.executable).parent / "dagster"
    command = [str(dagster), "job", "execute", "-m", "odc_pipeline.definitions", "-j", job]
    if partition is not None:
        command += ["--tags", json.dumps({PARTITION_TAG: partition})]
    return command


@functools.lru_cache(maxsize=1)
def in_process_job(run_key: str = "") -> dg.JobDefinition:
    """Every asset of the registry the environment names, run step after step in this
    process (the target `execute_here` reconstructs).

    `run_key` is not read; it is new for each run. While it executes one run, Dagster
    reconstructs the job several times (to check the arguments, to plan, for the selection
    it runs), and would build every source's assets each time: with the run's key those
    share one build. No other run reuses it, as Dagster would for an equal target: its
    settings, registry or reference files may differ (another registry or warehouse, as in
    tests)."""
    from odc_pipeline.defs.build import ALL_ASSETS_JOB, build_definitions

    return build_definitions(in_process=True).resolve_job_def(ALL_ASSETS_JOB)


def execute_here(
    *,
    instance: dg.DagsterInstance,
    run_config: dict | None = None,
    asset_selection: Sequence[dg.AssetKey] | None = None,
    partition_key: str | None = None,
) -> dg.JobExecutionResult:
    """Run `in_process_job` in this process, reporting to the terminal logger."""
    config = {"loggers": {TERMINAL_LOGGER: {}}, **(run_config or {})}
    job = dg.build_reconstructable_job(
        __name__,
        in_process_job.__name__,
        reconstructable_kwargs={"run_key": uuid.uuid4().hex},
    )
    return dg.execute_job(
        job,
        instance=instance,
        run_config=config,
        tags={PARTITION_TAG: partition_key} if partition_key else None,
        asset_selection=list(asset_selection) if asset_selection else None,
    )
