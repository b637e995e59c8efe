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
    assert spec.group_name == "jsn"
    assert spec.tags["sharing"] == "public"
    assert spec.owners == ["team:jsn"]
    assert (
        len(keys) == 5 * 5 + 12
    )  # five stages per source, reference, eight tables, two views, export


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
    import importlib.util

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
    # The forkserver skips a module it cannot import, silently: each must import (the last
    # only in the server, as it freezes the importing process's objects; see the next test).
    *imported, freezing = PRELOAD_MODULES
    assert freezing == "odc_pipeline.defs.freeze_preloaded"
    assert importlib.util.find_spec(freezing) is not None
    for module in imported:
        importlib.import_module(module)


_FORKED_STEP = """
import gc, multiprocessing, sys
from odc_pipeline.defs.executors import PRELOAD_MODULES
context = multiprocessing.get_context("forkserver")
context.set_forkserver_preload(list(PRELOAD_MODULES))
with context.Pool(1) as pool:
    child = pool.apply(gc.get_freeze_count)
print(gc.get_freeze_count(), child, "great_expectations" in sys.modules)
"""


def test_the_step_server_freezes_what_it_preloaded():
    """A process forked from the step server (as Dagster's steps are) starts with the server's
    preloaded objects frozen, out of its garbage collector's way; the process that asked for
    the server froze nothing of its own."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _FORKED_STEP], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    parent, child, parent_has_gx = done.stdout.split()
    assert int(parent) == 0 and parent_has_gx == "False"
    # Dagster, pandas and Great Expectations alone are far more than 100,000 objects.
    assert int(child) > 100_000


_WARMED_STEP = """
import json, multiprocessing, sys

def arrive():
    # What a step process finds on arrival, then what Dagster's way to its step (the job
    # from the code pointer, its run config checked) builds anew, counted.
    found = {m: m in sys.modules for m in ("odc_pipeline.defs.warm_preloaded", "upath")}
    import dagster._core.definitions.job_definition as job_definition
    from dagster._core.definitions.reconstruct import ReconstructableRepository
    from dagster._core.system_config.objects import ResolvedRunConfig

    schemas = []
    build = job_definition._create_run_config_schema
    job_definition._create_run_config_schema = lambda job: schemas.append(job.name) or build(job)
    repository = ReconstructableRepository.for_module("odc_pipeline.definitions", "defs")
    job = repository.get_reconstructable_job("materialize_all").get_definition()
    ResolvedRunConfig.build(job, {})
    built = list(schemas)
    from odc_pipeline.defs.warm_preloaded import WARMED_JOBS  # resolves them here if cold

    return json.dumps({**found, "schemas": built, "same": job is WARMED_JOBS[job.name]})

if __name__ == "__main__":
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(sys.argv[1:]))
    with context.Pool(1) as pool:
        print(pool.apply(arrive))
"""


def test_the_step_server_resolves_the_jobs_before_any_step(tmp_path):
    """A step process forked from the server finds the code location's jobs resolved, with
    their run config schema, and the modules Dagster imports on its way to a step already
    imported: Dagster's own path to the step builds nothing again. Without the warming
    module in the server's list, the same path builds the job and its schema in the step."""
    import json
    import subprocess
    import sys

    from odc_pipeline.defs.executors import PRELOAD_MODULES

    script = tmp_path / "warmed_step.py"
    script.write_text(_WARMED_STEP, encoding="utf-8")

    def arrival(modules) -> dict:
        done = subprocess.run(
            [sys.executable, str(script), *modules], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout.splitlines()[-1])

    warmed = arrival(PRELOAD_MODULES)
    assert warmed == {
        "odc_pipeline.defs.warm_preloaded": True,
        "upath": True,
        "schemas": [],
        "same": True,
    }
    cold = arrival([m for m in PRELOAD_MODULES if m != "odc_pipeline.defs.warm_preloaded"])
    assert cold["odc_pipeline.defs.warm_preloaded"] is False
    assert cold["schemas"] == ["materialize_all"]
