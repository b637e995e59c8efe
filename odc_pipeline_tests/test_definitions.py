"""The Dagster definitions load, follow the registry, and fail one source with a clear message."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from odc_pipeline.defs.build import build_definitions
from odc_pipeline.defs.resources import WarehouseResource
from odc_pipeline.registry import load_registry
from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline_tests.conftest import (
    demo_registry_document,
    isolated_environment,
    make_settings,
    write_registry,
)


def _dagster_cli() -> str:
    return str(Path(sys.executable).parent / "dagster")


@pytest.mark.slow
def test_dagster_definitions_validate_passes(tmp_path):
    env = isolated_environment(tmp_path)
    completed = subprocess.run(
        [_dagster_cli(), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Validation successful" in completed.stdout + completed.stderr


def test_adding_a_yaml_entry_adds_its_assets(tmp_path):
    document = copy.deepcopy(demo_registry_document())
    extra = copy.deepcopy(document["sources"][0])
    extra.update(id="jsn_copy_for_test", description="A second JSN dataset")
    document["sources"].append(extra)
    registry = load_registry(write_registry(tmp_path, document))
    defs = build_definitions(make_settings(tmp_path), registry)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    for stage in ("pull", "raw", "validated", "quarantine", "harmonized"):
        assert f"{stage}_jsn_copy_for_test" in keys
    spec = defs.resolve_asset_graph().get(dg.AssetKey("raw_jsn_copy_for_test"))
    assert spec.group_name == "jaga_suara_nusantara"
    assert spec.tags["sharing"] == "public"
    assert spec.owners == ["team:jsn"]
    # Five stages per source; the region reference, eight tables, three views, the release and
    # the export; the election reference, its five dimensions and the contestant review table.
    assert len(keys) == 5 * 5 + 14 + 7


def test_warehouse_url_password_never_shows(monkeypatch):
    resource = WarehouseResource(url="postgresql+psycopg://odc:s3cret-Pa55@db.example:5432/odc")
    assert "s3cret-Pa55" not in resource.display_name
    assert resource.display_name == "postgresql+psycopg://odc:***@db.example:5432/odc"


def test_warehouse_url_comes_from_the_environment_through_envvar(monkeypatch, tmp_path):
    monkeypatch.setenv("ODC_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'from_env.sqlite'}")
    defs = build_definitions(make_settings(tmp_path))
    resource = defs.resources["warehouse"]
    assert isinstance(resource.url, dg.EnvVar)
    assert resource.url.env_var_name == "ODC_WAREHOUSE_URL"


def test_the_executor_setting_selects_celery_and_refuses_unknown_names():
    from odc_pipeline.defs.executors import ExecutorSettingError, executor_from_environment

    for default in ({}, {"ODC_EXECUTOR": "multiprocess"}):
        assert executor_from_environment(default).name == "multi_or_in_process_executor"
    celery = executor_from_environment({"ODC_EXECUTOR": "Celery"})
    assert celery is not None and celery.name == "celery"
    with pytest.raises(ExecutorSettingError, match="ODC_EXECUTOR='dask' is not an executor"):
        executor_from_environment({"ODC_EXECUTOR": "dask"})


def test_steps_are_forked_from_a_server_that_imported_the_code_once(tmp_path):
    """By default a run's steps start from a forkserver that preloaded the code location and
    the heavy libraries; a run's config can still ask for in-process or spawned steps."""
    import importlib

    from odc_pipeline.defs.build import ALL_ASSETS_JOB
    from odc_pipeline.defs.executors import PRELOAD_MODULES

    job = build_definitions(make_settings(tmp_path)).resolve_job_def(ALL_ASSETS_JOB)

    def execution(run_config: dict) -> dict:
        resolved = dg.validate_run_config(job, run_config)["execution"]
        return resolved["multi_or_in_process_executor"]

    assert execution({})["multiprocess"]["start_method"] == {
        "forkserver": {"preload_modules": list(PRELOAD_MODULES)}
    }
    spawn = {"multiprocess": {"start_method": {"spawn": {}}, "max_concurrent": 1}}
    chosen = execution({"execution": {"config": spawn}})["multiprocess"]
    assert (chosen["start_method"], chosen["max_concurrent"]) == ({"spawn": {}}, 1)
    assert "multiprocess" not in execution({"execution": {"config": {"in_process": {}}}})
    # The forkserver skips a module it cannot import, silently: each must import.
    for module in PRELOAD_MODULES:
        importlib.import_module(module)
