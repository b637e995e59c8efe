"""`python -m odc_pipeline.run` (what `make run` calls) prints progress and a summary."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline_tests.conftest import isolated_environment

#: Slow: `make run`'s command in a subprocess.
pytestmark = pytest.mark.slow


def test_run_command_prints_summary_and_where_the_warehouse_is(tmp_path):
    env = {**isolated_environment(tmp_path), "COLUMNS": "160"}
    # Relative, as the README's `export DAGSTER_HOME=.dagster`: the folder where odc runs.
    env["DAGSTER_HOME"] = os.path.relpath(tmp_path / "dagster_home", PROJECT_ROOT)
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
        "Jaga Suara Nusantara",
        "published",
        "81",
        "77",
        "4",
        "98.7%",
        "yes",
    ]
    warehouse = tmp_path / "warehouse" / "odc.sqlite"
    assert f"Warehouse: sqlite:///{warehouse}" in output
    (release,) = [p.name for p in (tmp_path / "warehouse" / "releases").glob("20*")]
    assert f"Release: {release} in {tmp_path / 'warehouse' / 'releases' / release}" in output
    with sqlite3.connect(warehouse) as connection:
        assert connection.execute("select count(*) from fact_election_results").fetchone() == (125,)
    # The run was recorded in DAGSTER_HOME, so the UI shows it.
    assert any((tmp_path / "dagster_home").rglob("*.db"))
    # With the project's instance settings, so Dagster prints neither its notice of a
    # missing dagster.yaml nor its telemetry notice.
    assert (tmp_path / "dagster_home" / "dagster.yaml").exists()
    said = (output + completed.stderr).lower()
    assert "no dagster instance configuration" not in said and "telemetry" not in said
    # The example query the summary prints works as printed, from another folder, and
    # names this run's warehouse folder (not the default one): the environment it runs in
    # lacks ODC_WAREHOUSE_DIR.
    example = next(line.strip() for line in output.splitlines() if 'query "select' in line)
    assert example.startswith(f"ODC_WAREHOUSE_DIR={tmp_path / 'warehouse'} ")
    bare = {k: v for k, v in env.items() if k != "ODC_WAREHOUSE_DIR"}
    answer = subprocess.run(
        example, shell=True, cwd=tmp_path, env=bare, capture_output=True, text=True, timeout=120
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "Kabupaten Bandung" in answer.stdout and "jsn_pilpres2024_kabkota" in answer.stdout


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


def _readme_warehouse_url() -> str:
    """The PostgreSQL URL the README tells a newcomer to export before `make run`."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    (url,) = re.findall(r"^export ODC_WAREHOUSE_URL=(\S+)$", readme, flags=re.MULTILINE)
    return url


def _make_run(tmp_path, warehouse_url: str) -> subprocess.CompletedProcess:
    """`make run` as the README gives it, with `ODC_WAREHOUSE_URL` exported; everything else
    it writes goes under `tmp_path`."""
    env = {**isolated_environment(tmp_path), "COLUMNS": "160"}
    env["ODC_WAREHOUSE_URL"] = warehouse_url
    return subprocess.run(
        ["make", "--no-print-directory", "run"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_make_run_publishes_to_the_postgresql_the_readme_names(tmp_path, postgres_url):
    readme_url = sa.engine.make_url(_readme_warehouse_url())
    ours = sa.engine.make_url(postgres_url)
    # The README's URL, with the test's own database in place of `odc`.
    url = readme_url.set(database=ours.database).render_as_string(hide_password=False)
    assert readme_url.drivername == ours.drivername == "postgresql+psycopg"
    completed = _make_run(tmp_path, url)
    output = completed.stdout
    assert completed.returncode == 0, output[-3000:] + completed.stderr[-3000:]
    assert "Traceback" not in output + completed.stderr
    assert f"Warehouse: {url}" in output
    prefix = os.environ["ODC_ROLE_PREFIX"]  # the test's own, not the default odc
    assert (
        f"Readers query the schemas of their audience: public_data (role {prefix}_analyst), "
        f"members_data ({prefix}_member)" in output
    )
    summary_line = next(line for line in output.splitlines() if "│ ldw_dpt_kabkota " in line)
    assert [cell.strip() for cell in summary_line.split("│")[1:-1]][2:6] == [
        "published",
        "54",
        "54",
        "0",
    ]
    engine = make_engine(url)
    with engine.connect() as connection:
        facts = connection.execute(sa.text("select count(*) from fact_election_results"))
        assert facts.scalar_one() == 125
    engine.dispose()
    assert not (tmp_path / "warehouse" / "odc.sqlite").exists()


def test_make_run_publishes_to_a_sqlite_url(tmp_path):
    database = tmp_path / "elsewhere" / "mine.sqlite"
    database.parent.mkdir()
    completed = _make_run(tmp_path, f"sqlite:///{database}")
    output = completed.stdout
    assert completed.returncode == 0, output[-3000:] + completed.stderr[-3000:]
    assert "Traceback" not in output + completed.stderr
    assert f"Warehouse: sqlite:///{database}" in output
    with sqlite3.connect(database) as connection:
        assert connection.execute("select count(*) from fact_election_results").fetchone() == (125,)
    assert (database.parent / "shared" / "public.sqlite").exists()


def test_the_printed_examples_name_the_warehouse_the_run_wrote(tmp_path):
    """The default warehouse needs no setting; another folder or a SQLite URL is named."""
    from odc_pipeline.run import _odc_command
    from odc_pipeline.settings import load_settings

    odc = str(Path(sys.executable).parent / "odc")
    assert _odc_command(load_settings({})) == odc
    folder = load_settings({"ODC_WAREHOUSE_DIR": str(tmp_path)})
    assert _odc_command(folder) == f"ODC_WAREHOUSE_DIR={tmp_path} {odc}"
    url = load_settings({"ODC_WAREHOUSE_URL": f"sqlite:///{tmp_path}/w.sqlite"})
    assert _odc_command(url) == f"ODC_WAREHOUSE_URL=sqlite:///{tmp_path}/w.sqlite {odc}"
