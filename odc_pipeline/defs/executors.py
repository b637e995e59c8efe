"""Which executor runs a job's steps: one setting, `ODC_EXECUTOR`.

- unset or `multiprocess`: Dagster's multiprocess executor, each step in its own process on
  this machine, forked from a server process that imports the code location and the
  libraries steps use once per run (Dagster's `forkserver` start method with
  `preload_modules`), instead of a fresh interpreter importing them for every step. Run config can still choose
  `in_process`, or `start_method: {spawn: {}}`.
- `celery`: each step is a task on a Celery broker (RabbitMQ or Redis), run by whichever
  worker takes it, on this machine or another (docs/operations.md). Workers start with
  `celery -A odc_pipeline.celery_worker worker -Q dagster`. The broker URL comes from
  `ODC_CELERY_BROKER` through Dagster's `env` config, so its password is never written into
  a run's configuration.

The files steps hand each other must then be on a path every worker sees
(`ODC_STORAGE_DIR`), and runs, events and schedules in PostgreSQL
(`deploy/dagster-postgres.yaml`): every worker writes its steps' events there.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping
from typing import Any

import dagster as dg

from odc_pipeline.settings import (
    CELERY_BROKER_VARIABLE,
    EXECUTOR_VARIABLE,
    celery_backend,
    executor_name,
)

#: What the step processes' server imports once per run: the code location (Dagster, pandas,
#: pandera, the registry), and what steps import when they run: Great Expectations for the
#: quality checks, the ADBC driver for the SQLite publisher.
PRELOAD_MODULES = ("odc_pipeline.definitions", "great_expectations", "adbc_driver_sqlite.dbapi")


class ExecutorSettingError(ValueError):
    """ODC_EXECUTOR names no executor this project has."""


def executor_from_environment(
    environ: Mapping[str, str] | None = None,
) -> dg.ExecutorDefinition | None:
    """The executor ODC_EXECUTOR asks for; None keeps Dagster's default."""
    name = executor_name(environ)
    if name in ("", "multiprocess"):
        return preloading_multiprocess_executor()
    if name != "celery":
        raise ExecutorSettingError(
            f"{EXECUTOR_VARIABLE}={name!r} is not an executor of this project; use "
            "multiprocess (the default) or celery"
        )
    from dagster_celery import celery_executor

    return celery_executor.configured(
        {
            "broker": {"env": CELERY_BROKER_VARIABLE},
            "backend": celery_backend(environ),
            # A failed step (a worker killed mid-step) is retried once on another worker.
            "retries": {"enabled": {}},
        },
        name="celery",
    )


def _start_from_preloaded_server(config: Mapping[str, Any]) -> dict[str, Any]:
    """Dagster's executor config, with the forkserver as the start method unless the run's
    config names one."""
    mode = dict(config)
    if "multiprocess" in mode:
        settings = dict(mode["multiprocess"] or {})
        settings.setdefault(
            "start_method", {"forkserver": {"preload_modules": list(PRELOAD_MODULES)}}
        )
        mode["multiprocess"] = settings
    return mode


def preloading_multiprocess_executor() -> dg.ExecutorDefinition | None:
    """Dagster's default executor (multiprocess, or in process by run config) under its own
    name and config, whose step processes are forked from a server that preloaded
    `PRELOAD_MODULES`. None, Dagster's plain default, where there is no forkserver (Windows)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    base = dg.multi_or_in_process_executor
    return base.configured(
        _start_from_preloaded_server, name=base.name, config_schema=base.config_schema.as_field()
    )
