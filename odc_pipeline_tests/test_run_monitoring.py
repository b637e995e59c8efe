"""A publishing run killed with the daemon that launched it (its service or machine killed
mid-run) must not hold the one `odc/publishes` slot for ever: the shipped instance's run
monitoring fails it, and the publish waiting in the queue then runs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import yaml

from odc_pipeline.defs.automation import PUBLISH_TAG
from odc_pipeline.settings import PROJECT_ROOT

#: Slow: a real `dagster-daemon`, started twice, and runs in processes of their own.
pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent

#: A stand-in for a publishing job, with the project's publish tag: it naps for as long as
#: its run config says, so one run can be killed mid-step and another finish at once.
CODE_LOCATION = f"""
import time

import dagster as dg


@dg.op(config_schema={{"seconds": dg.Field(float, default_value=0.0)}})
def nap(context) -> None:
    time.sleep(context.op_config["seconds"])


@dg.job(tags={PUBLISH_TAG!r}, executor_def=dg.in_process_executor)
def publish_like():
    nap()


defs = dg.Definitions(jobs=[publish_like])
"""

#: Shorter than the shipped values so the test ends in a minute; everything else about
#: run monitoring is the shipped instance file's.
FAST_MONITORING = {"poll_interval_seconds": 2, "max_runtime_seconds": 45}


def _home(tmp_path: Path) -> Path:
    """A Dagster home holding deploy/dagster.yaml, run monitoring's clock shortened."""
    shipped = yaml.safe_load((PROJECT_ROOT / "deploy" / "dagster.yaml").read_text("utf-8"))
    monitoring = shipped.get("run_monitoring", {})
    assert monitoring.get("enabled") is True, "deploy/dagster.yaml must turn on run monitoring"
    assert monitoring.get("max_resume_run_attempts") == 0, "the default launcher cannot resume"
    assert monitoring.get("max_runtime_seconds", 0) > 0, "without it a dead STARTED run stays"
    shipped["run_monitoring"] = {**monitoring, **FAST_MONITORING}
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(shipped), encoding="utf-8")
    # Its SQLite files made now: the daemon and the first launch would race to make them.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs(limit=1)
    return home


@contextlib.contextmanager
def _daemon(folder: Path, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """`dagster-daemon run` in a session of its own (its code server and runs with it)."""
    with log.open("a") as out:
        daemon = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield daemon
        finally:
            _kill_session(daemon, signal.SIGTERM)


def _kill_session(daemon: subprocess.Popen, sig: signal.Signals) -> None:
    """Signal the daemon, its code server and the run processes they started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(daemon.pid, sig)
    daemon.wait(timeout=60)


def _launch(folder: Path, env: dict[str, str], seconds: float) -> str:
    """Submit a run to the queue as the UI or a sensor does; its run id."""
    before = {r.run_id for r in _runs(env)}
    launched = subprocess.run(
        [str(BIN / "dagster"), "job", "launch", "-w", "workspace.yaml", "-j", "publish_like"]
        + ["--config-json", f'{{"ops": {{"nap": {{"config": {{"seconds": {seconds}}}}}}}}}'],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert launched.returncode == 0, launched.stdout + launched.stderr
    (run_id,) = {r.run_id for r in _runs(env)} - before
    return run_id


def _runs(env: dict[str, str]) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        return list(instance.get_runs())


def _wait(
    env: dict[str, str], log: Path, timeout: float, statuses: dict[str, dg.DagsterRunStatus]
) -> None:
    """Poll the instance until every run named (run id: status) has its status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = {r.run_id: r.status for r in _runs(env)}
        if all(now.get(run_id) == status for run_id, status in statuses.items()):
            return
        time.sleep(1)
    raise AssertionError(f"runs are {now}, wanted {statuses}\n{log.read_text()[-3000:]}")


def _event_time(env: dict[str, str], run_id: str, event: dg.DagsterEventType) -> float:
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        (record,) = instance.all_logs(run_id, of_type=event)
    return record.timestamp


def test_a_killed_publish_is_failed_and_the_queued_publish_then_runs(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(_home(tmp_path))}
    (tmp_path / "publish_like.py").write_text(CODE_LOCATION, encoding="utf-8")
    (tmp_path / "workspace.yaml").write_text(
        "load_from:\n  - python_file:\n      relative_path: publish_like.py\n",
        encoding="utf-8",
    )
    log = tmp_path / "daemon.log"

    with _daemon(tmp_path, env, log) as daemon:
        killed = _launch(tmp_path, env, seconds=600)
        _wait(env, log, 120, {killed: dg.DagsterRunStatus.STARTED})
        waiting = _launch(tmp_path, env, seconds=0)
        time.sleep(2)  # the queue sees it, the first run holding the one publishing slot
        # The service killed mid-run: the daemon, its code server and the run's process at
        # once, so nothing is left to report the run's end (a run process killed alone is
        # reported failed by its code server, which outlives it).
        _kill_session(daemon, signal.SIGKILL)
    stuck = {killed: dg.DagsterRunStatus.STARTED, waiting: dg.DagsterRunStatus.QUEUED}
    assert {r.run_id: r.status for r in _runs(env)} == stuck, "a machine too slow to kill in time"

    with _daemon(tmp_path, env, log):
        wanted = {killed: dg.DagsterRunStatus.FAILURE, waiting: dg.DagsterRunStatus.SUCCESS}
        _wait(env, log, 180, wanted)
    # The queue held the second publish until the monitor failed the first.
    failed_at = _event_time(env, killed, dg.DagsterEventType.RUN_FAILURE)
    assert _event_time(env, waiting, dg.DagsterEventType.RUN_STARTING) >= failed_at
