"""One Celery worker against two, on the benchmark workload.

    python -m odc_pipeline.bench celery [--rows N] [--seed S]

Each measurement starts its workers as separate `celery` processes (one task at a time each),
a fresh PostgreSQL database for Dagster's storage and one for the warehouse, launches
`materialize_all` with `dagster job execute` under ODC_EXECUTOR=celery, and times the run from
launch to end. Sources are independent branches, so two workers can run two of them at once;
on a 2-core machine the coordinator, the workers and PostgreSQL share the cores, so the gain
is reported as measured.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from odc_pipeline.bench.pipeline import DEFAULT_POSTGRES, workload_folder
from odc_pipeline.bench.results import RESULTS_DIR, save
from odc_pipeline.bench.workload import DEFAULT_SEED
from odc_pipeline.defs.build import ALL_ASSETS_JOB
from odc_pipeline.defs.execution import job_command
from odc_pipeline.defs.executors import BROKER_VARIABLE, DEFAULT_BROKER, EXECUTOR_VARIABLE
from odc_pipeline.settings import PROJECT_ROOT, scratch_environment
from odc_pipeline.warehouse.scratch import drop_roles, temporary_database

BIN = Path(sys.executable).parent
WORKER_APP = "odc_pipeline.celery_worker"
DEFAULT_ROWS = 500_000


def start_worker(name: str, env: Mapping[str, str], logs: Path) -> subprocess.Popen:
    """A Celery worker in its own process group (so it dies with its pool), once ready."""
    log = logs / f"{name}.log"
    process = subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            WORKER_APP,
            "worker",
            "-Q",
            "dagster",
            "-n",
            f"{name}@%h",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
        ],
        cwd=PROJECT_ROOT,
        env=dict(env),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while "ready." not in log.read_text():
        if process.poll() is not None or time.time() > deadline:
            raise RuntimeError(f"worker {name} did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    return process


def stop_workers(workers: Mapping[str, subprocess.Popen]) -> None:
    for process in workers.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def purge_queue(env: Mapping[str, str]) -> None:
    """The broker is shared by the machine: start from an empty queue."""
    subprocess.run(
        [str(BIN / "celery"), "-A", WORKER_APP, "purge", "-f", "-Q", "dagster"],
        env=dict(env),
        capture_output=True,
        timeout=60,
    )


@contextmanager
def celery_environment(
    folder: Path, registry: Path, postgres_admin: str, broker: str
) -> Iterator[dict[str, str]]:
    """Environment of a Celery run writing only under `folder` and into two fresh databases."""
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    try:
        with (
            temporary_database(postgres_admin, prefix="odc_dagster") as dagster_url,
            temporary_database(postgres_admin, prefix="odc_bench") as warehouse_url,
        ):
            home = folder / "dagster_home"
            home.mkdir(parents=True, exist_ok=True)
            shutil.copy(PROJECT_ROOT / "deploy" / "dagster-postgres.yaml", home / "dagster.yaml")
            env = {
                **scratch_environment(folder, registry),
                "ODC_DAGSTER_PG_URL": sa.engine.make_url(dagster_url)
                .set(drivername="postgresql+psycopg2")
                .render_as_string(hide_password=False),
                "ODC_WAREHOUSE_URL": warehouse_url,
                "ODC_ROLE_PREFIX": prefix,
                EXECUTOR_VARIABLE: "celery",
                BROKER_VARIABLE: broker,
            }
            purge_queue(env)
            yield env
    finally:
        drop_roles(postgres_admin, prefix)


def run_with_workers(registry: Path, workers: int, postgres_admin: str, broker: str) -> float:
    """Seconds from launching `materialize_all` to its end, with `workers` workers."""
    with tempfile.TemporaryDirectory(prefix="odc-celery-") as scratch:
        folder = Path(scratch)
        with celery_environment(folder, registry, postgres_admin, broker) as env:
            running = {}
            try:
                for number in range(1, workers + 1):
                    running[f"w{number}"] = start_worker(f"w{number}", env, folder)
                start = time.time()
                completed = subprocess.run(
                    job_command(ALL_ASSETS_JOB),
                    cwd=PROJECT_ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=3600,
                )
                seconds = time.time() - start
            finally:
                stop_workers(running)
            if completed.returncode != 0:
                raise RuntimeError(
                    f"the Celery run failed:\n{(completed.stdout + completed.stderr)[-4000:]}"
                )
    return seconds


def run(
    rows: int,
    seed: int,
    postgres_admin: str = DEFAULT_POSTGRES,
    broker: str = DEFAULT_BROKER,
    root: Path = RESULTS_DIR,
) -> dict:
    registry = workload_folder(rows, seed, root) / "sources.yaml"
    one = run_with_workers(registry, 1, postgres_admin, broker)
    two = run_with_workers(registry, 2, postgres_admin, broker)
    result = {
        "rows": rows,
        "seed": seed,
        "one_worker_seconds": round(one, 2),
        "two_workers_seconds": round(two, 2),
        "speedup": round(one / two, 2),
    }
    text = "\n".join(
        [
            f"# Celery executor: one worker against two ({rows:,} rows, seed {seed})",
            "",
            "| workers | seconds |",
            "|---:|---:|",
            f"| 1 | {one:.1f} |",
            f"| 2 | {two:.1f} |",
            "",
            f"One worker / two workers: **{one / two:.2f}x** (on {os.cpu_count()} cores; the "
            "coordinator, the workers and PostgreSQL share them).",
        ]
    )
    save("celery", result, text, root)
    print(text)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m odc_pipeline.bench celery")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin URL")
    parser.add_argument("--broker", default=os.environ.get(BROKER_VARIABLE, DEFAULT_BROKER))
    args = parser.parse_args(argv)
    run(args.rows, args.seed, args.postgres, args.broker)
    return 0
