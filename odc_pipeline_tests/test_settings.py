"""Every setting is read in one place and documented in one table."""

from __future__ import annotations

import re

from odc_pipeline.settings import PROJECT_ROOT, VARIABLES, load_settings, markdown, read

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
