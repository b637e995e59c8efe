"""The whole nightly pipeline over the generated workload, stage by stage, against a floor.

    python -m benchmarks pipeline [--rows 2000000] [--seed 7] [--warehouse sqlite,postgres]
                                          [--scales 500000,1000000,2000000,4000000]

For each warehouse, the `materialize_all` job runs in this process over the workload of
`bench generate` (pull, read, validate, harmonize, publish, quality checks). Each stage's
seconds come from Dagster's own step events; its peak memory from samples of this process's
resident size taken while its steps ran.

The floor is measured in the same run, on the same files and the same warehouse: each file
read by the fastest reader the project has (Arrow for CSV and JSON Lines, the standard library
for JSON, openpyxl for XLSX) and bulk-loaded as it was read (ADBC on SQLite, COPY on
PostgreSQL), and nothing else. `pipeline / floor` is the price of everything the pipeline adds:
checking every cell, harmonizing every region, provenance, quarantine, indexes and audiences.
Each stage, the pipeline and the floor also report the CPU seconds of the measuring process,
every thread counted: on a 2-core machine, CPU over wall says how much of the second core the
work used.

With `--scales`, the SQLite pipeline is also run at each size and the cost per row fitted:
seconds = a + b x rows; linear when the seconds per row stay flat.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import dagster as dg
import numpy as np

from benchmarks.cpu import CpuSampler
from benchmarks.floor import measure_floor
from benchmarks.memory import MemorySampler, peak_rss_bytes
from benchmarks.results import RESULTS_DIR, save
from benchmarks.workload import DEFAULT_ROWS, DEFAULT_SEED, generate
from odc_pipeline.defs.execution import execute_here
from odc_pipeline.defs.warehouse import OPEN_DATA_ASSET, PUBLISH_STEP
from odc_pipeline.settings import ROLE_PREFIX_VARIABLE, WAREHOUSE_URL_VARIABLE
from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline.warehouse.summary import run_summary
from odc_pipeline_tests.scratch import (
    POSTGRES_ADMIN_URL,
    drop_roles,
    scratch_environment,
    scratch_settings,
    temporary_database,
)

STAGES = ("pull", "read", "validate", "harmonize", "publish", "quality checks")
#: Step key prefixes (or whole keys) of each stage; everything else counts as quality checks.
_STAGE_OF_STEP = {
    "pull_": "pull",
    "raw_": "read",
    "validate_": "validate",
    "harmonized_": "harmonize",
    "region_reference": "harmonize",
    PUBLISH_STEP: "publish",
    OPEN_DATA_ASSET: "publish",
}
GIB = 1024**3
#: Dagster's console logger at WARNING: a line per event would be measured too.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def stage_of(step_key: str) -> str:
    for prefix, stage in _STAGE_OF_STEP.items():
        if step_key.startswith(prefix):
            return stage
    return "quality checks"


def new_dagster_home(env: dict[str, str]) -> None:
    """The empty Dagster home a measured `odc run` or `dagster` command gets: telemetry off,
    so no night is timed with a network attempt in it."""
    home = Path(env["DAGSTER_HOME"])
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")


def workload_folder(rows: int, seed: int, root: Path = RESULTS_DIR) -> Path:
    """The generated workload for (rows, seed), generated once and reused by later runs."""
    folder = root / f"workload-{rows}-{seed}"
    manifest = folder / "workload.json"
    if not manifest.exists():
        generate(rows, seed, folder)
    return folder


@contextmanager
def _environment(**values: str | None) -> Iterator[None]:
    """Set (or, for None, remove) variables for the duration; all are restored after."""
    with mock.patch.dict(os.environ):
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield


def step_windows(instance: dg.DagsterInstance, run_id: str) -> list[tuple[str, float, float]]:
    """(step key, start, end) of every step of the run, from its event log."""
    starts: dict[str, float] = {}
    windows = []
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or not event.step_key:
            continue
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = record.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            windows.append((event.step_key, starts[event.step_key], record.timestamp))
    return windows


#: Set by `--profile`: the measured runs (in their own processes) profile themselves.
PROFILE_VARIABLE = "ODC_BENCH_PROFILE"


@contextmanager
def _profiled(warehouse_url: str | None):
    """Profile the block with pyinstrument when PROFILE_VARIABLE names a folder: the call tree
    goes to profile-pipeline-<warehouse>.html and .txt there."""
    folder = os.environ.get(PROFILE_VARIABLE)
    if not folder:
        yield
        return
    from pyinstrument import Profiler

    name = "postgresql" if warehouse_url else "sqlite"
    profiler = Profiler(interval=0.01)
    with profiler:
        yield
    out = Path(folder) / f"profile-pipeline-{name}"
    out.with_suffix(".html").write_text(profiler.output_html(), encoding="utf-8")
    out.with_suffix(".txt").write_text(
        profiler.output_text(color=False, unicode=False), encoding="utf-8"
    )


def run_pipeline_alone(*args) -> dict:
    """`run_pipeline` in a fresh process: its memory and caches are its own, so a second
    measurement (PostgreSQL after SQLite, 4M rows after 2M) starts from nothing, as a nightly
    run does."""
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(1)
    try:
        return pool.apply(run_pipeline, args)
    finally:
        pool.close()  # let the worker exit by itself: terminate() would interrupt it
        pool.join()


def run_pipeline(
    registry_path: Path,
    scratch: Path,
    warehouse_url: str | None,
    role_prefix: str = "odc",
) -> dict:
    """One full night over the workload; seconds, rows/s and peak memory per stage."""
    settings = scratch_settings(scratch, registry_path)
    gc.collect()
    scratch_env = scratch_environment(scratch, registry_path)
    paths = {
        k: scratch_env[k]
        for k in ("ODC_SOURCES", "ODC_WAREHOUSE_DIR", "ODC_STORAGE_DIR", "ODC_SNAPSHOT_DIR")
    }
    with _environment(
        **paths, **{WAREHOUSE_URL_VARIABLE: warehouse_url, ROLE_PREFIX_VARIABLE: role_prefix}
    ):
        # As `make run` runs it: the job rebuilt from these settings, in this process.
        instance = dg.DagsterInstance.ephemeral()
        with MemorySampler() as memory, CpuSampler() as cpu, _profiled(warehouse_url):
            cpu_start = time.process_time()
            start = time.time()
            result = execute_here(instance=instance, run_config=QUIET)
            total = time.time() - start
            cpu_seconds = time.process_time() - cpu_start
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        raise RuntimeError(f"the benchmark run failed in steps {failed}")
    seconds: dict[str, float] = defaultdict(float)
    cpu_by_stage: dict[str, float] = defaultdict(float)
    peaks: dict[str, int] = defaultdict(int)
    for step, begin, end in step_windows(instance, result.run_id):
        stage = stage_of(step)
        seconds[stage] += end - begin
        cpu_by_stage[stage] += cpu.seconds_between(begin, end)
        peaks[stage] = max(peaks[stage], memory.peak_between(begin, end))
    rows_in, published, quarantined = _audit(
        warehouse_url or settings.default_warehouse_url, result.run_id
    )
    stages = {
        stage: {
            "seconds": round(seconds[stage], 2),
            "cpu_seconds": round(cpu_by_stage[stage], 2),
            "rows_per_second": round(rows_in / seconds[stage]) if seconds[stage] else None,
            "peak_rss_gib": round(peaks[stage] / GIB, 2),
            "share_of_total": round(seconds[stage] / total, 3),
        }
        for stage in STAGES
    }
    return {
        "stages": stages,
        "total_seconds": round(total, 2),
        # Every thread of this process; a PostgreSQL server's own work is not in it.
        "cpu_seconds": round(cpu_seconds, 2),
        "overhead_seconds": round(total - sum(seconds.values()), 2),
        "rows_in": rows_in,
        "rows_published": published,
        "rows_quarantined": quarantined,
        "rows_per_second": round(rows_in / total),
        "peak_rss_gib": round(max(s for _, s in memory.samples) / GIB, 2),
    }


def _audit(url: str, run_id: str) -> tuple[int, int, int]:
    """Rows in, published and quarantined by the run, from the warehouse's load_audit."""
    engine = make_engine(url)
    try:
        lines = run_summary(engine, run_id)
    finally:
        engine.dispose()
    return (
        sum(line.rows_in for line in lines),
        sum(line.rows_published for line in lines),
        sum(line.rows_quarantined for line in lines),
    )


def _fastest(measure: Callable[[], dict], repeat: int) -> tuple[dict, list[float]]:
    """The fastest of `repeat` measurements, and every one's total seconds.

    A shared machine slows some runs by a fifth or more; the fastest run is the one least
    disturbed, and the list shows how far apart they were."""
    runs = [measure() for _ in range(repeat)]
    return min(runs, key=lambda r: r["total_seconds"]), [r["total_seconds"] for r in runs]


def _one_warehouse(registry_path: Path, kind: str, postgres_admin: str, repeat: int = 1) -> dict:
    with tempfile.TemporaryDirectory(prefix="odc-bench-") as scratch:
        if kind == "sqlite":

            def floor_once() -> dict:
                floor_file = Path(scratch) / "floor.sqlite"
                floor_file.unlink(missing_ok=True)  # each measurement loads an empty file
                return measure_floor(registry_path, f"sqlite:///{floor_file}")

            def pipeline_once() -> dict:
                # A folder of its own: every measured night starts from no warehouse.
                return run_pipeline_alone(registry_path, Path(tempfile.mkdtemp(dir=scratch)), None)

        else:

            def floor_once() -> dict:
                with temporary_database(postgres_admin, prefix="odc_bench") as url:
                    return measure_floor(registry_path, url)

            def pipeline_once() -> dict:
                # Reader roles are server-wide: a prefix of its own, dropped after the database.
                prefix = f"bench{uuid.uuid4().hex[:8]}"
                try:
                    with temporary_database(postgres_admin, prefix="odc_bench") as url:
                        return run_pipeline_alone(
                            registry_path, Path(tempfile.mkdtemp(dir=scratch)), url, prefix
                        )
                finally:
                    drop_roles(prefix, postgres_admin)

        floor, floor_totals = _fastest(floor_once, repeat)
        pipeline, pipeline_totals = _fastest(pipeline_once, repeat)
    return {
        "pipeline": pipeline,
        "floor": floor,
        "pipeline_over_floor": round(pipeline["total_seconds"] / floor["total_seconds"], 2),
        "cpu_over_floor_cpu": round(pipeline["cpu_seconds"] / floor["cpu_seconds"], 2),
        "runs": {"pipeline_seconds": pipeline_totals, "floor_seconds": floor_totals},
    }


def linearity(
    seed: int,
    scales: list[int],
    root: Path = RESULTS_DIR,
    measure: Callable[..., dict] = run_pipeline_alone,
) -> dict:
    """The SQLite pipeline at each size, and the straight line through (rows, seconds).

    `measure` runs one night; a fresh process each (the default) keeps one size's memory out
    of the next one's figures.
    """
    points = []
    for rows in scales:
        registry = workload_folder(rows, seed, root) / "sources.yaml"
        with tempfile.TemporaryDirectory(prefix="odc-bench-") as scratch:
            measured = measure(registry, Path(scratch), None)
        points.append(
            {
                "rows": measured["rows_in"],
                "seconds": measured["total_seconds"],
                "microseconds_per_row": round(
                    measured["total_seconds"] / measured["rows_in"] * 1e6, 2
                ),
                "peak_rss_gib": measured["peak_rss_gib"],
            }
        )
    rows = np.array([p["rows"] for p in points], dtype=float)
    seconds = np.array([p["seconds"] for p in points])
    slope, intercept = np.polyfit(rows, seconds, 1)
    fitted = slope * rows + intercept
    spread = float(np.sum((seconds - seconds.mean()) ** 2)) or 1.0
    return {
        "points": points,
        "seconds_per_million_rows": round(slope * 1e6, 2),
        "fixed_seconds": round(intercept, 2),
        "r_squared": round(1 - float(np.sum((seconds - fitted) ** 2)) / spread, 4),
    }


def _cpu_cell(cpu_seconds: float, wall_seconds: float) -> str:
    """CPU seconds, and over wall seconds how many of the machine's cores the work kept busy."""
    busy = round(cpu_seconds / wall_seconds, 2) if wall_seconds else 0.0
    return f"{cpu_seconds} ({busy})"


def markdown(result: dict) -> str:
    lines = [
        f"# Whole pipeline: {result['rows']:,} rows in {result['sources']} sources (seed {result['seed']})",
        "",
    ]
    for kind, measured in result["warehouses"].items():
        pipeline, floor = measured["pipeline"], measured["floor"]
        lines += [
            f"## {kind}",
            "",
            "| stage | seconds | CPU s (cores busy) | rows/s | peak RSS GiB | share |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for stage, figures in pipeline["stages"].items():
            rate = figures["rows_per_second"]
            lines.append(
                f"| {stage} | {figures['seconds']} "
                f"| {_cpu_cell(figures['cpu_seconds'], figures['seconds'])} "
                f"| {f'{rate:,}' if rate else '-'} "
                f"| {figures['peak_rss_gib']} | {figures['share_of_total']:.0%} |"
            )
        lines += [
            f"| Dagster between steps | {pipeline['overhead_seconds']} | | | | |",
            f"| **pipeline** | **{pipeline['total_seconds']}** "
            f"| {_cpu_cell(pipeline['cpu_seconds'], pipeline['total_seconds'])} "
            f"| {pipeline['rows_per_second']:,} "
            f"| {pipeline['peak_rss_gib']} | |",
            f"| floor: read | {floor['read_seconds']} | | | | |",
            f"| floor: bulk load | {floor['load_seconds']} | | | | |",
            f"| **floor** | **{floor['total_seconds']}** "
            f"| {_cpu_cell(floor['cpu_seconds'], floor['total_seconds'])} "
            f"| {floor['rows_per_second']:,} | | |",
            "",
            f"Rows in {pipeline['rows_in']:,}, published {pipeline['rows_published']:,}, "
            f"quarantined {pipeline['rows_quarantined']:,}. "
            f"**pipeline / floor = {measured['pipeline_over_floor']}x**",
            "",
        ]
        lines += [
            "CPU s: of the measuring process, every thread counted; in brackets, CPU over wall, "
            "the cores kept busy on average. "
            f"**pipeline / floor in CPU = {measured['cpu_over_floor_cpu']}x**."
            + (" The server's own CPU is not counted." if kind == "postgres" else ""),
            "",
        ]
        runs = measured.get("runs", {})
        if len(runs.get("pipeline_seconds", [])) > 1:
            lines += [
                f"Fastest of {len(runs['pipeline_seconds'])} runs each; pipeline runs took "
                f"{', '.join(map(str, runs['pipeline_seconds']))} s, floor runs "
                f"{', '.join(map(str, runs['floor_seconds']))} s.",
                "",
            ]
    if "linearity" in result:
        fit = result["linearity"]
        lines += [
            "## Cost against rows (SQLite)",
            "",
            "| rows | seconds | µs per row | peak RSS GiB |",
            "|---:|---:|---:|---:|",
            *(
                f"| {p['rows']:,} | {p['seconds']} | {p['microseconds_per_row']} | {p['peak_rss_gib']} |"
                for p in fit["points"]
            ),
            "",
            f"Fitted: {fit['fixed_seconds']} s + {fit['seconds_per_million_rows']} s per million "
            f"rows (R² {fit['r_squared']}).",
        ]
    return "\n".join(lines)


def run(
    rows: int,
    seed: int,
    warehouses: list[str],
    postgres_admin: str,
    scales: list[int],
    root: Path = RESULTS_DIR,
    repeat: int = 1,
) -> dict:
    """Measure, save `pipeline` in `root`/results.json and results-pipeline.md, and print."""
    folder = workload_folder(rows, seed, root)
    manifest = json.loads((folder / "workload.json").read_text(encoding="utf-8"))
    result: dict = {
        "rows": manifest["total_rows"],
        "seed": seed,
        "sources": len(manifest["sources"]),
        "warehouses": {},
    }
    for kind in warehouses:
        result["warehouses"][kind] = _one_warehouse(
            folder / "sources.yaml", kind, postgres_admin, repeat
        )
    if scales:
        result["linearity"] = linearity(seed, scales, root)
    result["process_peak_rss_gib"] = round(peak_rss_bytes() / GIB, 2)
    text = markdown(result)
    save("pipeline", result, text, root)
    print(text)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks pipeline")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--warehouse", default="sqlite,postgres")
    parser.add_argument("--postgres", default=POSTGRES_ADMIN_URL, help="admin URL")
    parser.add_argument(
        "--scales", default="", help="comma-separated row counts for the linearity fit"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure the pipeline and the floor this many times each and keep the fastest",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile each measured run with pyinstrument; call trees go to "
        "bench/profile-pipeline-<warehouse>.html and .txt",
    )
    args = parser.parse_args(argv)
    if args.profile:
        # The runs are measured in fresh processes: they read this and profile themselves.
        os.environ[PROFILE_VARIABLE] = str(RESULTS_DIR)
    run(
        args.rows,
        args.seed,
        [w for w in args.warehouse.split(",") if w],
        args.postgres,
        [int(s) for s in args.scales.split(",") if s],
        repeat=args.repeat,
    )
    if args.profile:
        print(f"profiles: {RESULTS_DIR}/profile-pipeline-*.html and .txt")
    return 0
