"""Where a run's time went, from each step's start and end in Dagster's event log.

    python -m benchmarks.step_times LAUNCHED ENDED

Run with the run's own environment (its DAGSTER_HOME and storage), it reads the latest run
and prints, as JSON, the seconds from launch to the first step, from there to the publish's
start (the sources' steps, which workers share), and from the publish's start to the end
(the whole warehouse's steps, which wait for every source). The Celery benchmark asks it
once per run: the first and last parts bound what more workers can gain.
"""

from __future__ import annotations

import json
import sys

import dagster as dg

from odc_pipeline.defs.warehouse import PUBLISH_STEP


def phases(starts: dict[str, float], launched: float, ended: float) -> dict[str, float]:
    """Seconds launching, in the sources' steps and in the warehouse's, from each step's
    start time (Unix seconds) and the run's launch and end."""
    first = min(starts.values())
    publish = starts[PUBLISH_STEP]
    return {
        "launch_seconds": round(first - launched, 1),
        "source_steps_seconds": round(publish - first, 1),
        "warehouse_steps_seconds": round(ended - publish, 1),
    }


def main(argv: list[str]) -> int:
    launched, ended = float(argv[0]), float(argv[1])
    instance = dg.DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    starts = {
        s.step_key: s.start_time
        for s in instance.get_run_step_stats(run.run_id)
        if s.start_time is not None
    }
    print(json.dumps(phases(starts, launched, ended)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
