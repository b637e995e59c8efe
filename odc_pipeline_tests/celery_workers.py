"""Celery workers for tests and benchmarks: started as `celery` processes of their own on the
machine's broker, each run in an environment of its own (two fresh PostgreSQL databases)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from odc_pipeline.settings import CELERY_BROKER_VARIABLE, EXECUTOR_VARIABLE, PROJECT_ROOT
from odc_pipeline_tests.scratch import drop_roles, scratch_environment, temporary_database

BIN = Path(sys.executable).parent
WORKER_APP = "odc_pipeline.celery_worker"


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
                CELERY_BROKER_VARIABLE: broker,
            }
            purge_queue(env)
            yield env
    finally:
        drop_roles(prefix, postgres_admin)
