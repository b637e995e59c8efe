"""`python -m odc_pipeline.run` (what `make run` calls) prints progress and a summary."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline_tests.conftest import isolated_environment


def test_run_command_prints_summary_and_where_the_warehouse_is(tmp_path):
    env = {**isolated_environment(tmp_path), "COLUMNS": "160"}
    completed = subprocess.run(
        [sys.executable, "-m", "odc_pipeline.run"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = completed.stdout
    assert completed.returncode == 0, output + completed.stderr
    assert "▶ raw_jsn_pilpres2024_kabkota" in output
    assert "jsn_pilpres2024_kabkota: read 81 rows from jsn_pilpres2024_kabkota.csv" in output
    assert "fppjb_rekap_pilpres2024: regions matched for 22 of 24 rows (91.7%)" in output
    assert "check load_audit_balances: balanced for every source" in output
    summary_line = next(line for line in output.splitlines() if "jsn_pilpres2024_kabkota │" in line)
    assert [cell.strip() for cell in summary_line.split("│")[1:-1]] == [
        "jsn_pilpres2024_kabkota",
        "jsn",
        "published",
        "81",
        "77",
        "4",
        "98.7%",
        "yes",
    ]
    warehouse = tmp_path / "warehouse" / "odc.sqlite"
    assert f"Warehouse: sqlite:///{warehouse}" in output
    with sqlite3.connect(warehouse) as connection:
        assert connection.execute("select count(*) from fact_election_results").fetchone() == (125,)
    # The run was recorded in DAGSTER_HOME, so the UI shows it.
    assert any((tmp_path / "dagster_home").rglob("*.db"))


def test_run_command_explains_a_broken_registry(tmp_path):
    registry = tmp_path / "sources.yaml"
    registry.write_text("organizations: {}\nsources:\n  - id: x\n", encoding="utf-8")
    env = {**os.environ, "ODC_SOURCES": str(registry), "ODC_WAREHOUSE_DIR": str(tmp_path / "w")}
    completed = subprocess.run(
        [sys.executable, "-m", "odc_pipeline.run"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 2
    assert "source #1 ('x'): organization: is required but missing" in completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr
