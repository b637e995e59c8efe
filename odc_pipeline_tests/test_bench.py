"""`make bench`'s benchmarks work: run small but for real, through their entry point
(`python -m benchmarks`), into a results folder of their own. Only their arithmetic on
figures (targets, a run's phases) is imported, and checked on figures made up here."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.peers import targets
from benchmarks.step_times import phases
from odc_pipeline.demo.generate import workbook_cells
from odc_pipeline.registry import load_registry
from odc_pipeline_tests.benchmarking import bench

pytestmark = pytest.mark.slow

SMALL = 12_000
STAGES = {"pull", "read", "validate", "harmonize", "publish", "quality checks"}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder holding the small workload, generated once by the benchmark."""
    folder = tmp_path_factory.mktemp("bench")
    workload = folder / f"workload-{SMALL}-3"
    bench(folder, "generate", "--rows", str(SMALL), "--seed", "3", "--out", str(workload))
    return folder


def test_workload_is_ten_sources_of_every_format_and_region_style(results: Path):
    folder = results / f"workload-{SMALL}-3"
    registry = load_registry(folder / "sources.yaml")
    manifest = json.loads((folder / "workload.json").read_text())
    assert len(registry.sources) == 10
    assert len({s.organization for s in registry.sources}) == 5
    assert {s.format for s in registry.sources} == {"csv", "json", "jsonl", "xlsx"}
    assert {r.system for s in registry.sources for r in s.regions} == {"kemendagri", "bps", "name"}
    assert {s.kind for s in registry.sources} == {
        "election_results",
        "voter_counts",
        "polling_stations",
        "incident_reports",
    }
    # The requested rows, all but the fixed-size spreadsheet spread by share.
    assert abs(manifest["total_rows"] - SMALL) <= len(registry.sources)
    for source in manifest["sources"].values():
        assert 0.003 <= source["bad_rows"] / source["rows"] <= 0.03
    papua = pd.read_json(folder / "papua_tps_presiden.json", dtype=False)
    codes = pd.DataFrame(papua["data"].tolist())["kode_desa_lama"]
    assert codes.str.startswith(("91.", "92.")).mean() > 0.95  # Papua's codes before 2022
    tps = pd.read_csv(folder / "kawal_tps_presiden.csv", dtype=str)
    assert tps["kode_desa"].str.fullmatch(r"\d{10}").mean() > 0.99  # undotted village codes


def test_same_seed_same_bytes_other_seed_other_rows(results: Path, tmp_path: Path):
    first = results / f"workload-{SMALL}-3"
    bench(tmp_path, "generate", "--rows", str(SMALL), "--seed", "3", "--out", str(tmp_path / "a"))
    bench(tmp_path, "generate", "--rows", str(SMALL), "--seed", "4", "--out", str(tmp_path / "b"))
    for path in sorted(first.iterdir()):
        again = tmp_path / "a" / path.name
        if path.suffix == ".xlsx":  # the workbook's own timestamp differs
            assert workbook_cells(path) == workbook_cells(again)
        else:
            assert path.read_bytes() == again.read_bytes(), path.name
    other = (tmp_path / "b" / "kawal_tps_presiden.csv").read_bytes()
    assert other != (first / "kawal_tps_presiden.csv").read_bytes()


def test_pipeline_benchmark_on_sqlite_and_postgresql(results: Path):
    table = bench(
        results, "pipeline", "--rows", str(SMALL), "--seed", "3", "--warehouse", "sqlite,postgres"
    )
    manifest = json.loads((results / f"workload-{SMALL}-3" / "workload.json").read_text())
    result = json.loads((results / "results.json").read_text())["pipeline"]
    assert result["rows"] == manifest["total_rows"]
    planted = sum(s["bad_rows"] for s in manifest["sources"].values())
    for kind in ("sqlite", "postgres"):
        measured = result["warehouses"][kind]
        pipeline, floor = measured["pipeline"], measured["floor"]
        assert pipeline["rows_in"] == manifest["total_rows"]
        assert pipeline["rows_published"] + pipeline["rows_quarantined"] == pipeline["rows_in"]
        # Every planted bad row is set aside; the only others are regions left for review.
        assert planted <= pipeline["rows_quarantined"] <= planted * 1.5
        assert set(pipeline["stages"]) == STAGES
        for stage in STAGES - {"pull"}:
            assert pipeline["stages"][stage]["seconds"] > 0, stage
            assert pipeline["stages"][stage]["peak_rss_gib"] > 0, stage
        assert floor["rows"] == manifest["total_rows"]
        assert measured["pipeline_over_floor"] == round(
            pipeline["total_seconds"] / floor["total_seconds"], 2
        )
        # CPU counts every thread of the measuring process; the stages' CPU is part of it.
        assert pipeline["cpu_seconds"] > 0 and floor["cpu_seconds"] > 0
        stage_cpu = [s["cpu_seconds"] for s in pipeline["stages"].values()]
        assert sum(stage_cpu) <= pipeline["cpu_seconds"] + 0.05
    assert "| harmonize |" in table and "pipeline / floor" in table
    assert table.strip() == (results / "results-pipeline.md").read_text().strip()
    assert table.count("The server's own CPU is not counted.") == 1


def test_executor_benchmark_runs_the_night_as_a_server_does(results: Path):
    """The night on the project's default executor (spawning every step afresh, the other
    start method `make bench` measures, takes minutes even on a small workload)."""
    table = bench(
        results, "executor", "--rows", str(SMALL), "--seed", "3", "--start-methods", "forkserver"
    )
    result = json.loads((results / "results.json").read_text())["executor"]
    night = result["start_methods"]["forkserver"]
    # 10 sources x 4 steps, the region list, the election reference and its 2 checks, the
    # publish, its balance check, the release, 4 quality suites, the open data package and 10
    # freshness checks.
    assert night["steps"] == 62
    # At most one step per core at a time (the executor's default max_concurrent).
    assert night["seconds"] >= night["step_seconds"] / (os.cpu_count() or 1)
    # The run process, the server and the steps: Dagster and pandas alone are 0.2 GiB.
    assert 0.2 <= night["peak_pss_gib"] < 3
    assert "| forkserver |" in table and "spawn" not in result["start_methods"]


def test_the_night_is_measured_against_a_pandas_and_a_duckdb_peer(results: Path):
    """`peers`: the pipeline, the pandas script and the DuckDB query over the same files
    publish the same rows of every source, so their times compare the same work; every
    target is written with whether it was met."""
    table = bench(results, "peers", "--rows", str(SMALL), "--seed", "3")
    result = json.loads((results / "results.json").read_text())["peers"]
    (size,) = result["sizes"]
    manifest = json.loads((results / f"workload-{SMALL}-3" / "workload.json").read_text())
    pipeline = size["pipeline"]
    assert pipeline["rows_in"] == manifest["total_rows"]
    assert 0 < pipeline["published"] < pipeline["rows_in"]  # the planted bad rows set aside
    for peer in ("pandas", "duckdb"):
        assert size[peer]["per_source"] == pipeline["per_source"], peer
        assert size[peer]["match_rate"] == pipeline["match_rate"] and size[peer]["seconds"] > 0
    targets = result["targets"]
    assert sorted(targets) == sorted(
        [
            f"at {SMALL:,} rows at most 1.5x the pandas script",  # a small night's target
            "publishes at least the share of rows the pandas peer does",
            "publishes at least the share of rows the duckdb peer does",
        ]
    )
    assert all(isinstance(t["met"], bool) for t in targets.values())
    share = targets["publishes at least the share of rows the duckdb peer does"]
    assert share["met"]
    assert share["measured"] == f"{pipeline['match_rate']:.2%} against {pipeline['match_rate']:.2%}"
    assert f"| {SMALL:,} | duckdb | {size['duckdb']['seconds']} |" in table


def _size(rows: int, pipeline: float, pandas: float, duckdb: float) -> dict:
    """A size's nights as `peers.one_size` saves them: seconds and match rate."""
    nights = {"pipeline": pipeline, "pandas": pandas, "duckdb": duckdb}
    return {"rows": rows} | {n: {"seconds": s, "match_rate": 0.99} for n, s in nights.items()}


def test_each_peer_ratio_is_held_to_the_size_it_is_stated_for():
    """The issue states 1.0x pandas and 2x DuckDB for a large night and 1.5x pandas for a
    small one: one size gets only its own targets, two get both and the cost per million."""
    two = targets([_size(2_000_000, 30.0, 24.0, 20.0), _size(8_000_000, 120.0, 100.0, 50.0)])
    assert {name: t["measured"] for name, t in two.items() if "share" not in name} == {
        "at 8,000,000 rows no slower than the pandas script": 1.2,
        "at 8,000,000 rows at most 2x the DuckDB query": 2.4,
        "at 2,000,000 rows at most 1.5x the pandas script": 1.25,
        "each extra million rows at most 6 s": 15.0,
    }
    assert [t["met"] for t in two.values()] == [False, False, True, False, True, True]
    large = targets([_size(8_000_000, 90.0, 100.0, 50.0)])
    assert [name for name in large if "share" not in name] == [
        "at 8,000,000 rows no slower than the pandas script",
        "at 8,000,000 rows at most 2x the DuckDB query",
    ]
    assert large["publishes at least the share of rows the pandas peer does"] == {
        "measured": "99.00% against 99.00%",
        "met": True,
    }


def test_a_celery_runs_time_is_split_at_the_publish():
    """The Celery benchmark's bound on what workers gain: launching (to the first step), the
    sources' steps (to the publish's start) and the warehouse's steps (from it to the end)."""
    starts = {"pull_a": 112.0, "validate_a": 130.0, "publish_warehouse": 226.5, "release": 250.0}
    assert phases(starts, launched=100.0, ended=281.5) == {
        "launch_seconds": 12.0,
        "source_steps_seconds": 114.5,
        "warehouse_steps_seconds": 55.0,
    }
