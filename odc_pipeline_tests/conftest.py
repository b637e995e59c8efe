"""Shared fixtures: isolated settings, a registry writer, and one demo run reused by many tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml
from pytest_httpserver import HTTPServer

from odc_pipeline.defs.build import ALL_ASSETS_JOB, build_definitions
from odc_pipeline.defs.every_year import execute_every_year
from odc_pipeline.defs.execution import job_command
from odc_pipeline.defs.partitions import current_year
from odc_pipeline.registry import Registry, load_registry
from odc_pipeline.settings import PROJECT_ROOT, Settings
from odc_pipeline_tests.scratch import (
    POSTGRES_ADMIN_URL,
    scratch_environment,
    scratch_settings,
    temporary_database,
)
from odc_pipeline_tests.scratch import drop_roles as drop_server_roles

DATA_DIR = PROJECT_ROOT / "data"
DEMO_REGISTRY = DATA_DIR / "sources.yaml"
#: Rows of a published dim_region: the 91,601 of the official list with 99 and 00, and the 18
#: regions as they were before a split that data/reference/*_splits.csv name.
PUBLISHED_REGIONS = 91_619


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses the live PostgreSQL server is slow (left out by `make test-fast`)."""
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def free_port() -> int:
    """A TCP port nobody listens on right now, on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def local_http_server() -> Iterator[HTTPServer]:
    """A real HTTP server on 127.0.0.1 (members' file servers, webhooks), stopped afterwards."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def isolated_environment(tmp: Path) -> dict[str, str]:
    """Environment for a subprocess that writes only under `tmp` and uses the SQLite warehouse."""
    (tmp / "dagster_home").mkdir(parents=True, exist_ok=True)
    return scratch_environment(tmp)


def execute_demo_job(job: str, env: dict[str, str], *options: str) -> subprocess.CompletedProcess:
    """`dagster job execute` of `job` for the demo registry's current year (LDW's DPT has
    years), in a process of its own as a server runs it; it must succeed."""
    completed = subprocess.run(
        [*job_command(job, current_year(load_registry(DEMO_REGISTRY))), *options],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed


def make_settings(tmp: Path, registry_path: Path = DEMO_REGISTRY) -> Settings:
    """Settings that read the project's data but write only under `tmp`."""
    return scratch_settings(tmp, registry_path)


def demo_registry_document() -> dict:
    return yaml.safe_load(DEMO_REGISTRY.read_text(encoding="utf-8"))


def write_registry(folder: Path, document: dict, copy_demo_files: bool = True) -> Path:
    """Write a registry into `folder`, with the demo files beside it so locations resolve."""
    folder.mkdir(parents=True, exist_ok=True)
    if copy_demo_files:
        shutil.copytree(DATA_DIR / "demo", folder / "demo", dirs_exist_ok=True)
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@dataclass
class DemoRun:
    """A finished run over the demo registry, and the warehouse it published to."""

    result: dg.ExecuteInProcessResult
    engine: sa.Engine
    settings: Settings
    registry: Registry

    def scalar(self, sql: str, **params) -> object:
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar_one()

    def rows(self, sql: str, **params) -> list[tuple]:
        with self.engine.connect() as connection:
            return [tuple(r) for r in connection.execute(sa.text(sql), params)]


def logged_text(result: dg.ExecuteInProcessResult) -> str:
    """Every message and metadata value of a run, as a Dagster UI user could read them."""
    logged = []
    for event in result.all_events:
        logged.append(str(event.message or ""))
        data = event.event_specific_data
        for holder in (getattr(data, "materialization", None), data):
            metadata = getattr(holder, "metadata", None) or {}
            logged += [str(getattr(value, "value", value)) for value in metadata.values()]
    return "\n".join(logged)


def results_entry(location: str, **changes) -> dict:
    """A CSV of kabupaten/kota results as members write them (kode_wilayah, paslon, suara):
    the registry entry many tests need, with `changes` on top."""
    return {
        "id": "jsn_hasil",
        "organization": "jsn",
        "kind": "election_results",
        "format": "csv",
        "location": location,
        "columns": {"kode_wilayah": "region", "paslon": "candidate", "suara": "votes"},
        "constants": {"election": "pemilu", "year": 2024, "contest": "presiden"},
        "regions": [{"column": "region", "level": "kabupaten_kota", "system": "kemendagri"}],
        "licence": "CC-BY-4.0",
        "sharing": "public",
        **changes,
    }


def execute_capturing(job: dg.JobDefinition, **arguments) -> dg.ExecuteInProcessResult:
    """Dagster's own in-process execution, outputs kept (some tests read them back)."""
    return job.execute_in_process(raise_on_error=False, **arguments)


def run_all(settings: Settings, registry: Registry | None = None) -> dg.ExecuteInProcessResult:
    """The whole night as `make run` runs it (past years first), outputs kept so tests can
    read them back; the night's result."""
    registry = registry or load_registry(settings.registry_path)
    job = build_definitions(settings, registry).resolve_job_def(ALL_ASSETS_JOB)
    instance = dg.DagsterInstance.ephemeral()
    _, night = execute_every_year(
        registry, lambda **run: execute_capturing(job, instance=instance, **run)
    )
    return night


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    tmp = tmp_path_factory.mktemp("demo_run")
    settings = make_settings(tmp)
    registry = load_registry(settings.registry_path)
    result = run_all(settings, registry)
    # No pool: each query opens the file anew, so it reads the version published last.
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)
    yield DemoRun(result, engine, settings, registry)
    engine.dispose()


@pytest.fixture
def postgres_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database on the live PostgreSQL server, dropped afterwards.

    Roles are server-wide, so each test gets its own role prefix (ODC_ROLE_PREFIX) and the
    roles a publish created are dropped with the database.
    """
    prefix = f"t{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("ODC_ROLE_PREFIX", prefix)
    try:
        with temporary_database(POSTGRES_ADMIN_URL, prefix="odc_test") as url:
            yield url
    except sa.exc.OperationalError as error:  # pragma: no cover - only when the server is down
        pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is required for this test: {error}")
    finally:
        drop_roles(prefix)


def drop_roles(prefix: str) -> None:
    """Drop the test's reader roles (and any login users a test made under the prefix)."""
    drop_server_roles(prefix, POSTGRES_ADMIN_URL)
