"""Every setting is read in one place and documented in one table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from odc_pipeline.settings import (
    PROJECT_ROOT,
    VARIABLES,
    SettingsError,
    load_settings,
    markdown,
    read,
)
from odc_pipeline_tests.conftest import isolated_environment

PACKAGE = PROJECT_ROOT / "odc_pipeline"


def test_only_the_settings_module_reads_the_environment():
    readers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "settings.py" and path.parent == PACKAGE:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"os\.environ|getenv|\benviron\s*\[|\benviron\.get\b", text):
            readers.append(str(path.relative_to(PROJECT_ROOT)))
    assert readers == []


def test_every_variable_the_code_names_is_declared_and_documented():
    declared = {v.name for v in VARIABLES}
    named = set()
    for path in PACKAGE.rglob("*.py"):
        named |= set(re.findall(r"\bODC_[A-Z][A-Z0-9_]*[A-Z0-9]\b", path.read_text("utf-8")))
    assert named - declared == set()
    committed = (PROJECT_ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert committed == markdown(), "run: python -m odc_pipeline.settings > docs/settings.md"
    for name in declared:
        assert f"`{name}`" in committed


def test_defaults_and_overrides(tmp_path):
    settings = load_settings({})
    assert settings.registry_path == PROJECT_ROOT / "data" / "sources.yaml"
    assert settings.warehouse == f"sqlite:///{PROJECT_ROOT / 'data' / 'warehouse' / 'odc.sqlite'}"
    moved = load_settings(
        {
            "ODC_DATA_DIR": str(tmp_path),
            "ODC_WAREHOUSE_URL": " postgresql+psycopg://u@h/db ",
            "ODC_STORAGE_DIR": str(tmp_path / "elsewhere"),
        }
    )
    assert moved.registry_path == tmp_path / "sources.yaml"
    assert moved.warehouse_dir == tmp_path / "warehouse"
    assert moved.storage_dir == tmp_path / "elsewhere"
    assert moved.warehouse == "postgresql+psycopg://u@h/db"
    assert read("ODC_NIGHTLY_AT", {}) == "02:00"
    assert read("ODC_NIGHTLY_AT", {"ODC_NIGHTLY_AT": " 03:30 "}) == "03:30"


@pytest.mark.parametrize(
    ("written", "taken"),
    [("", "512MB"), ("2GB", "2GB"), (" 1.5 gb ", "1.5GB"), ("768mib", "768MiB")],
)
def test_the_release_memory_is_an_amount_duckdb_takes(written, taken):
    assert load_settings({"ODC_RELEASE_MEMORY": written}).release_memory == taken


@pytest.mark.parametrize("written", ["2", "lots", "0MB", "-1GB", "2 GB RAM"])
def test_a_release_memory_that_is_no_amount_says_what_it_must_be(written):
    with pytest.raises(SettingsError) as refused:
        load_settings({"ODC_RELEASE_MEMORY": written})
    assert str(refused.value) == (
        f"ODC_RELEASE_MEMORY is {written!r}: it must be an amount of memory, a number above 0 "
        "and a unit, such as 512MB or 2GB (512MB when unset)"
    )


@pytest.mark.slow
def test_a_setting_that_cannot_be_used_is_told_without_a_traceback(tmp_path):
    env = {**isolated_environment(tmp_path), "ODC_RELEASES_KEEP": "abc"}
    odc = subprocess.run(
        [str(Path(sys.executable).parent / "odc"), "releases", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert odc.returncode == 1 and "Traceback" not in odc.stderr
    assert "ODC_RELEASES_KEEP is 'abc': it must be how many releases to keep" in odc.stderr
    env = {**env, "ODC_RELEASES_KEEP": "3", "ODC_NIGHTLY_AT": "25:99"}
    run = subprocess.run(
        [sys.executable, "-m", "odc_pipeline.run"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 2 and "Traceback" not in run.stdout + run.stderr
    assert "A setting cannot be used: ODC_NIGHTLY_AT must be HH:MM (24-hour), not '25:99'" in (
        run.stdout
    )
