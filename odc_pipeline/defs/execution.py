"""Run a job in this process without keeping every step's output in memory.

`JobDefinition.execute_in_process` captures each output value for `output_for_node`, so the
frames of every step of a night (millions of rows, several copies per source) stay alive
until the run ends: measured, more than 2 GiB of a 2-million-row night. Our outputs live in
Arrow files through the IO manager and nobody reads them back from the result, so `make run`
and the benchmarks run the same steps with capturing off.

This reaches into Dagster's execution module (the public method only differs by that one
flag); if a future Dagster moves it, the public method is used instead and only memory use
grows.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg

#: The run tag that names a run's partition (Dagster's own).
PARTITION_TAG = "dagster/partition"


def job_command(job: str, partition: str | None = None) -> list[str]:
    """`dagster job execute` of one job of this code location, with the installed `dagster`:
    a run in a process of its own, as a server's run coordinator starts one. `partition`
    is the year, for a registry with sources partitioned by year."""
    dagster = Path(sys.executable).parent / "dagster"
    command = [str(dagster), "job", "execute", "-m", "odc_pipeline.definitions", "-j", job]
    if partition is not None:
        command += ["--tags", json.dumps({PARTITION_TAG: partition})]
    return command


@contextmanager
def objects_before_the_run_frozen() -> Iterator[None]:
    """The objects made before the run (modules, Dagster's machinery, the definitions) set
    aside from the garbage collector while the run goes, and handed back after it.

    The collector's full passes walk every object it tracks. A night makes hundreds of
    thousands of containers (JSON records, per-region results) that set off a dozen or so
    full passes, each walking again the half million objects there before the run: 2.3 s
    of a 41 s night at 2M rows. Frozen, those are skipped. Unfrozen at the end, any garbage
    among them can still be collected, so a process that runs many jobs (the tests) does
    not keep it for ever."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def execute_without_capture(
    job: dg.JobDefinition,
    *,
    instance: dg.DagsterInstance,
    run_config: Mapping[str, Any] | None = None,
    asset_selection: Sequence[dg.AssetKey] | None = None,
    raise_on_error: bool = False,
    partition_key: str | None = None,
) -> dg.ExecuteInProcessResult:
    """`job.execute_in_process(...)`, with output capturing off."""
    try:
        from dagster._core.definitions.job_base import InMemoryJob
        from dagster._core.execution.execute_in_process import (
            core_execute_in_process,
            merge_run_tags,
            type_check_and_normalize_args,
        )
    except ImportError:  # pragma: no cover - only with a Dagster that moved them
        with objects_before_the_run_frozen():
            return job.execute_in_process(
                run_config=run_config,
                instance=instance,
                asset_selection=asset_selection,
                raise_on_error=raise_on_error,
                partition_key=partition_key,
            )
    run_config, _, asset_selection, resource_defs, _, input_values = type_check_and_normalize_args(
        run_config=run_config,
        partition_key=partition_key,
        op_selection=None,
        asset_selection=asset_selection,
        input_values=None,
        resources=None,
    )
    ephemeral = job.as_ephemeral_job(
        resource_defs=resource_defs,
        input_values=input_values,
        op_selection=None,
        asset_selection=asset_selection,
    )
    with objects_before_the_run_frozen():
        return core_execute_in_process(
            job=InMemoryJob(job_def=ephemeral),
            run_config=run_config,
            instance=instance,
            output_capturing_enabled=False,
            raise_on_error=raise_on_error,
            run_tags=merge_run_tags(
                job_def=job,
                partition_key=partition_key,
                tags=None,
                asset_selection=asset_selection,
                instance=instance,
                run_config=run_config,
            ),
            asset_selection=frozenset(asset_selection),
        )
