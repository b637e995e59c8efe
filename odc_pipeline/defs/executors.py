"""Which executor runs a job's steps: one setting, `ODC_EXECUTOR`.

- unset or `multiprocess`: Dagster's default, each step in its own process on this machine.
- `celery`: each step is a task on a Celery broker (RabbitMQ or Redis), run by whichever
  worker takes it, on this machine or another (README, "More than one machine"). Workers
  start with `celery -A odc_pipeline.celery_worker worker -Q dagster`. The broker URL comes from
  `ODC_CELERY_BROKER` through Dagster's `env` config, so its password is never written into
  a run's configuration.

Intermediate Parquet must then be on a path every worker sees (`ODC_STORAGE_DIR`), and runs,
events and schedules in PostgreSQL (`deploy/dagster-postgres.yaml`): every worker writes its
steps' events there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import dagster as dg

EXECUTOR_VARIABLE = "ODC_EXECUTOR"
BROKER_VARIABLE = "ODC_CELERY_BROKER"
BACKEND_VARIABLE = "ODC_CELERY_BACKEND"
#: The machine's RabbitMQ, as a development default for workers (never for the executor,
#: which reads the variable so that a production password stays in the environment).
DEFAULT_BROKER = "pyamqp://guest:guest@127.0.0.1:5672//"
DEFAULT_BACKEND = "rpc://"


class ExecutorSettingError(ValueError):
    """ODC_EXECUTOR names no executor this project has."""


def executor_from_environment(
    environ: Mapping[str, str] | None = None,
) -> dg.ExecutorDefinition | None:
    """The executor ODC_EXECUTOR asks for; None keeps Dagster's default."""
    env = os.environ if environ is None else environ
    name = env.get(EXECUTOR_VARIABLE, "").strip().lower()
    if name in ("", "multiprocess"):
        return None
    if name != "celery":
        raise ExecutorSettingError(
            f"{EXECUTOR_VARIABLE}={name!r} is not an executor of this project; use "
            "multiprocess (the default) or celery"
        )
    from dagster_celery import celery_executor

    return celery_executor.configured(
        {
            "broker": {"env": BROKER_VARIABLE},
            "backend": env.get(BACKEND_VARIABLE, DEFAULT_BACKEND),
            # A failed step (a worker killed mid-step) is retried once on another worker.
            "retries": {"enabled": {}},
        },
        name="celery",
    )
