"""The Kubernetes values are this project's real settings, not a sketch: the same code
location, the same run queue limits as the tested PostgreSQL profile, variables the code
reads, secrets kept out of the file, and folders on the shared volume.

No cluster runs here; what can be checked without one is checked against the code."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from odc_pipeline.defs.automation import PUBLISH_TAG
from odc_pipeline.settings import (
    HASH_SALT_VARIABLE,
    PROJECT_ROOT,
    WAREHOUSE_URL_VARIABLE,
    load_settings,
)

DEPLOY = PROJECT_ROOT / "deploy"
VALUES = yaml.safe_load((DEPLOY / "kubernetes" / "values.yaml").read_text(encoding="utf-8"))
(CODE,) = VALUES["dagster-user-deployments"]["deployments"]
ENV = {item["name"]: item["value"] for item in CODE["env"]}


def _pinned(package: str) -> str:
    text = (PROJECT_ROOT / "constraints.txt").read_text(encoding="utf-8")
    return re.search(rf"^{re.escape(package)}==(\S+)$", text, re.MULTILINE).group(1)


def test_the_code_location_is_the_one_the_ui_and_daemon_load_here():
    workspace = yaml.safe_load((PROJECT_ROOT / "workspace.yaml").read_text(encoding="utf-8"))
    module = workspace["load_from"][0]["python_module"]["module_name"]
    assert CODE["dagsterApiGrpcArgs"] == ["--module-name", module]
    assert CODE["includeConfigInLaunchedRuns"] == {"enabled": True}


def test_the_run_queue_matches_the_postgresql_profile():
    instance = yaml.safe_load((DEPLOY / "dagster-postgres.yaml").read_text(encoding="utf-8"))
    runs = instance["concurrency"]["runs"]
    coordinator = VALUES["dagsterDaemon"]["runCoordinator"]
    assert coordinator["type"] == "QueuedRunCoordinator"
    queued = coordinator["config"]["queuedRunCoordinator"]
    assert queued["maxConcurrentRuns"] == runs["max_concurrent_runs"]
    assert queued["tagConcurrencyLimits"] == runs["tag_concurrency_limits"]
    ((key, _),) = PUBLISH_TAG.items()
    assert queued["tagConcurrencyLimits"] == [{"key": key, "limit": 1}]


def test_every_variable_is_one_the_code_reads_and_no_secret_is_in_the_file():
    source = "\n".join(
        path.read_text(encoding="utf-8") for path in (PROJECT_ROOT / "odc_pipeline").rglob("*.py")
    )
    unknown = [name for name in ENV if f'"{name}"' not in source]
    assert not unknown, f"variables no code reads: {unknown}"
    for secret in (WAREHOUSE_URL_VARIABLE, HASH_SALT_VARIABLE):
        assert secret not in ENV
    secret_sources = [s["name"] for s in CODE["envSecrets"]]
    launcher = VALUES["runLauncher"]["config"]["k8sRunLauncher"]
    assert [s["name"] for s in launcher["envSecrets"]] == secret_sources == ["odc-secrets"]
    assert VALUES["generatePostgresqlPasswordSecret"] is False
    assert "postgresqlPassword" not in VALUES["postgresql"]


def test_every_folder_the_pipeline_writes_is_on_the_shared_volume():
    settings = load_settings(ENV)
    (mount,) = CODE["volumeMounts"]
    shared = Path(mount["mountPath"])
    for folder in (settings.storage_dir, settings.snapshot_dir, settings.warehouse_dir):
        assert folder.is_relative_to(shared), folder
    (volume,) = CODE["volumes"]
    assert volume["name"] == mount["name"]
    assert settings.registry_path == Path("/opt/odc/data/sources.yaml")


def test_versions_follow_the_pinned_dagster():
    dagster, libraries = _pinned("dagster"), _pinned("dagster-postgres")
    dockerfile = (DEPLOY / "kubernetes" / "Dockerfile").read_text(encoding="utf-8")
    assert f"dagster-k8s=={libraries}" in dockerfile
    values_text = (DEPLOY / "kubernetes" / "values.yaml").read_text(encoding="utf-8")
    guide = (PROJECT_ROOT / "docs" / "kubernetes.md").read_text(encoding="utf-8")
    for text in (values_text, guide):
        versions = set(re.findall(r"--version (\S+)", text))
        assert versions == {dagster}, versions
