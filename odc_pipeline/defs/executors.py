"""Which executor runs a job's steps: one setting, `ODC_EXECUTOR`.

- unset or `multiprocess`: Dagster's default, each step in its own process on this machine,
  forked from a server process that has imported the code location and the heavy libraries
  once per run (see `preloading_multiprocess_executor`). Run config can still choose
  `in_process`, or `start_method: {spawn: {}}` to start every step afresh.
- `celery`: each step is a task on a Celery broker (RabbitMQ or Redis), run by whichever
  worker takes it, on this machine or another (README, "More than one machine"). Workers
  start with `celery -A odc_pipeline.celery_worker worker -Q dagster`. The broker URL comes from
  `ODC_CELERY_BROKER` through Dagster's `env` config, so its password is never written into
  a run's configuration.

The files steps hand each other must then be on a path every worker sees
(`ODC_STORAGE_DIR`), and runs, events and schedules in PostgreSQL
(`deploy/dagster-postgres.yaml`): every worker writes its steps' events there.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg

EXECUTOR_VARIABLE = "ODC_EXECUTOR"
BROKER_VARIABLE = "ODC_CELERY_BROKER"
BACKEND_VARIABLE = "ODC_CELERY_BACKEND"
#: The machine's RabbitMQ, as a development default for workers (never for the executor,
#: which reads the variable so that a production password stays in the environment).
DEFAULT_BROKER = "pyamqp://guest:guest@127.0.0.1:5672//"
DEFAULT_BACKEND = "rpc://"
#: What the step processes' server imports once per run: the code location, and the libraries
#: steps import when they run (Great Expectations for the quality suites, the ADBC driver and
#: Arrow for the publisher). Without it, Dagster spawns a fresh interpreter per step, which
#: imports them all again: about 2 s of a core per step; the 26 steps of the demo night took
#: 59-65 s that way against 20-24 s with this.
#: Each step process also opens the Dagster instance, whose storage classes import Alembic
#: and Dagster's SQL storage: 0.17-0.2 s per step when not preloaded, 0.05 s when they are
#: (an internal module of Dagster: the test imports every name here, so an upgrade that
#: moves it fails CI instead of silently slowing every step). So do the modules Dagster
#: imports in each step process on its way to the step (universal_pathlib for its state
#: storage, the compute log manager, config and code-pointer helpers, pandera's pandas
#: backends), found with py-spy over the 2M-row night. The server then resolves the jobs
#: once (`warm_preloaded`), and freezes what it made for the garbage collector, so that no
#: step's collector walks it.
PRELOAD_MODULES = (
    "odc_pipeline.definitions",
    "great_expectations",
    "adbc_driver_sqlite.dbapi",
    "pyarrow.feather",
    "dagster._core.storage.base_storage",
    "dagster._core.storage.local_compute_log_manager",
    "dagster._core.system_config.composite_descent",
    "dagster._core.workspace.autodiscovery",
    "dagster._utils.test.definitions",
    "upath.implementations.local",
    "pandera.backends.pandas.register",
    "odc_pipeline.defs.warm_preloaded",
    # Last: freezes what the modules above made (see its docstring).
    "odc_pipeline.defs.freeze_preloaded",
)


class ExecutorSettingError(ValueError):
    """ODC_EXECUTOR names no executor this project has."""


def executor_from_environment(
    environ: Mapping[str, str] | None = None,
) -> dg.ExecutorDefinition | None:
    """The executor ODC_EXECUTOR asks for; None keeps Dagster's default."""
    env = os.environ if environ is None else environ
    name = env.get(EXECUTOR_VARIABLE, "").strip().lower()
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
            "broker": {"env": BROKER_VARIABLE},
            "backend": env.get(BACKEND_VARIABLE, DEFAULT_BACKEND),
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
    `PRELOAD_MODULES`. None, Dagster's plain default, where there is no forkserver (Windows).

    The server is started by each run and reads the registry and settings as the run does,
    so every step of a run sees the same registry."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    base = dg.multi_or_in_process_executor
    return base.configured(
        _start_from_preloaded_server, name=base.name, config_schema=base.config_schema.as_field()
    )
