"""The night as a server runs it: step processes forked from the preloading server (the
project's default) against step processes spawned afresh (Dagster's own default).

    python -m benchmarks executor [--rows 2000000] [--seed 7] [--repeat 1]

`bench pipeline` runs every step in one process, to time the stages alone. A server runs
`materialize_all` with `dagster job execute` (or the daemon's equivalent): a run process, and
a process per step from Dagster's multiprocess executor, two at a time on two cores. Each
measurement here is that command, on the SQLite warehouse and Dagster's SQLite storage under
a scratch folder, timed from launch to exit; the step count and the steps' own seconds come
from the run's event log. Memory is the peak, over samples every quarter second, of the whole
process tree's proportional set size (run process, forkserver, steps): shared pages once. Both start methods are measured in the same session, so their
ratio holds whatever the machine's speed that day.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import dagster as dg
import yaml

from benchmarks.memory import run_measured
from benchmarks.pipeline import GIB, QUIET, new_dagster_home, step_windows, workload_folder
from benchmarks.results import RESULTS_DIR, save
from benchmarks.workload import DEFAULT_ROWS, DEFAULT_SEED
from odc_pipeline.defs.build import ALL_ASSETS_JOB
from odc_pipeline.defs.execution import job_command
from odc_pipeline.defs.executors import EXECUTOR_VARIABLE
from odc_pipeline.defs.partitions import current_year
from odc_pipeline.registry import load_registry
from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline_tests.scratch import scratch_environment

#: Run config of each measured start method; `forkserver` adds nothing to the project's default.
START_METHODS = {
    "spawn": {"execution": {"config": {"multiprocess": {"start_method": {"spawn": {}}}}}},
    "forkserver": {},
}


def run_night(registry: Path, start_method: str) -> dict:
    """One `materialize_all` on the multiprocess executor; seconds from launch to exit."""
    with tempfile.TemporaryDirectory(prefix="odc-executor-") as scratch:
        folder = Path(scratch)
        env = scratch_environment(folder, registry)
        env.pop(EXECUTOR_VARIABLE, None)
        new_dagster_home(env)
        config = folder / "run_config.yaml"
        config.write_text(yaml.safe_dump({**QUIET, **START_METHODS[start_method]}))
        command = [
            *job_command(ALL_ASSETS_JOB, current_year(load_registry(registry))),
            "-c",
            str(config),
        ]
        night = run_measured(command, PROJECT_ROOT, env)
        if night["returncode"] != 0:
            raise RuntimeError(f"the {start_method} run failed:\n{night['output'][-4000:]}")
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            (run,) = instance.get_runs()
            windows = step_windows(instance, run.run_id)
    return {
        "seconds": round(night["seconds"], 2),
        "steps": len(windows),
        "step_seconds": round(sum(end - begin for _, begin, end in windows), 2),
        "peak_pss_gib": round(night["peak_pss_bytes"] / GIB, 2),
    }


def run(
    rows: int,
    seed: int,
    repeat: int = 1,
    root: Path = RESULTS_DIR,
    methods: tuple[str, ...] = tuple(START_METHODS),
) -> dict:
    """Measure the start methods (alternating, the fastest of `repeat` each) and save."""
    registry = workload_folder(rows, seed, root) / "sources.yaml"
    measured: dict[str, list[dict]] = {method: [] for method in methods}
    for _ in range(repeat):
        for method in methods:
            measured[method].append(run_night(registry, method))
    fastest = {m: min(runs, key=lambda r: r["seconds"]) for m, runs in measured.items()}
    manifest = json.loads((registry.parent / "workload.json").read_text(encoding="utf-8"))
    result = {
        "rows": manifest["total_rows"],
        "seed": seed,
        "cpus": os.cpu_count(),
        "start_methods": fastest,
        "runs_seconds": {m: [r["seconds"] for r in runs] for m, runs in measured.items()},
    }
    both = len(fastest) == len(START_METHODS)
    if both:
        ratio = fastest["forkserver"]["seconds"] / fastest["spawn"]["seconds"]
        result["forkserver_over_spawn"] = round(ratio, 2)
    lines = [
        f"# The night on the multiprocess executor ({result['rows']:,} rows, seed {seed}, "
        f"{result['cpus']} cores)",
        "",
        "| step processes | seconds, launch to exit | steps | steps' own seconds | peak memory GiB |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {m} | {r['seconds']} | {r['steps']} | {r['step_seconds']} | {r['peak_pss_gib']} |"
            for m, r in fastest.items()
        ),
        "",
        (f"forkserver / spawn: **{result['forkserver_over_spawn']}x** " if both else "")
        + f"(fastest of {repeat} each; runs: {json.dumps(result['runs_seconds'])})",
    ]
    text = "\n".join(lines)
    save("executor", result, text, root)
    print(text)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks executor")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--start-methods", default=",".join(START_METHODS), help="comma-separated: spawn,forkserver"
    )
    args = parser.parse_args(argv)
    methods = tuple(m for m in args.start_methods.split(",") if m)
    run(args.rows, args.seed, args.repeat, methods=methods)
    return 0
