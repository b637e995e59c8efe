"""The benchmark workload and the whole-pipeline benchmark, run small but for real."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from odc_pipeline.bench import pipeline as bench_pipeline
from odc_pipeline.bench.cpu import CpuSampler
from odc_pipeline.bench.workload import PLANS, _grid, generate
from odc_pipeline.registry import load_registry

SMALL = 12_000


@pytest.fixture(scope="module")
def small_workload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(SMALL, 3, tmp_path_factory.mktemp("workload"))


def _xlsx_cells(path: Path) -> list[tuple]:
    workbook = load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def test_workload_is_ten_sources_of_every_format_and_region_style(small_workload: Path):
    registry = load_registry(small_workload)
    manifest = json.loads((small_workload.parent / "workload.json").read_text())
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
    assert abs(manifest["total_rows"] - SMALL) <= len(PLANS)
    for source in manifest["sources"].values():
        assert 0.003 <= source["bad_rows"] / source["rows"] <= 0.03
    papua = pd.read_json(small_workload.parent / "papua_tps_presiden.json", dtype=False)
    codes = pd.DataFrame(papua["data"].tolist())["kode_desa_lama"]
    assert codes.str.startswith(("91.", "92.")).mean() > 0.95  # Papua's codes before 2022
    tps = pd.read_csv(small_workload.parent / "kawal_tps_presiden.csv", dtype=str)
    assert tps["kode_desa"].str.fullmatch(r"\d{10}").mean() > 0.99  # undotted village codes


def test_same_seed_same_bytes_other_seed_other_rows(small_workload: Path, tmp_path: Path):
    again = generate(SMALL, 3, tmp_path / "again").parent
    other = generate(SMALL, 4, tmp_path / "other").parent
    for plan in PLANS:
        first, second = small_workload.parent / plan.file, again / plan.file
        if plan.file.endswith(".xlsx"):  # the workbook's own timestamp differs
            assert _xlsx_cells(first) == _xlsx_cells(second)
        else:
            assert first.read_bytes() == second.read_bytes(), plan.file
    assert (other / "kawal_tps_presiden.csv").read_bytes() != (
        small_workload.parent / "kawal_tps_presiden.csv"
    ).read_bytes()


def test_grid_reaches_every_village_before_a_second_station():
    villages, candidates = 83_762, 3
    place, station, item = _grid(villages * candidates, villages, candidates)
    assert len(np.unique(place)) == villages and station.max() == 0
    place, station, item = _grid(800_000, villages, candidates)
    keys = place.astype(np.int64) * 100 * candidates + station * candidates + item
    assert len(np.unique(keys)) == 800_000  # no natural key twice


def test_pipeline_benchmark_on_sqlite_and_postgresql(small_workload: Path, tmp_path: Path):
    folder = tmp_path / f"workload-{SMALL}-3"
    folder.symlink_to(small_workload.parent, target_is_directory=True)
    manifest = json.loads((folder / "workload.json").read_text())
    result = bench_pipeline.run(
        SMALL,
        3,
        ["sqlite", "postgres"],
        bench_pipeline.DEFAULT_POSTGRES,
        scales=[],
        root=tmp_path,
    )
    saved = json.loads((tmp_path / "results.json").read_text())["pipeline"]
    assert saved["rows"] == manifest["total_rows"]
    planted = sum(s["bad_rows"] for s in manifest["sources"].values())
    for kind in ("sqlite", "postgres"):
        measured = result["warehouses"][kind]
        pipeline, floor = measured["pipeline"], measured["floor"]
        assert pipeline["rows_in"] == manifest["total_rows"]
        assert pipeline["rows_published"] + pipeline["rows_quarantined"] == pipeline["rows_in"]
        # Every planted bad row is set aside; the only others are regions left for review.
        assert planted <= pipeline["rows_quarantined"] <= planted * 1.5
        assert set(pipeline["stages"]) == set(bench_pipeline.STAGES)
        for stage in ("read", "validate", "harmonize", "publish", "quality checks"):
            assert pipeline["stages"][stage]["seconds"] > 0, stage
            assert pipeline["stages"][stage]["peak_rss_gib"] > 0, stage
        assert floor["rows"] == manifest["total_rows"]
        assert measured["pipeline_over_floor"] == round(
            pipeline["total_seconds"] / floor["total_seconds"], 2
        )
        # CPU counts every thread of the measuring process: never zero, and the ratio is
        # the one the table prints. The stages' CPU is part of the run's.
        assert pipeline["cpu_seconds"] > 0 and floor["cpu_seconds"] > 0
        stage_cpu = [s["cpu_seconds"] for s in pipeline["stages"].values()]
        assert pipeline["stages"]["publish"]["cpu_seconds"] > 0
        assert sum(stage_cpu) <= pipeline["cpu_seconds"] + 0.05
        assert measured["cpu_over_floor_cpu"] == round(
            pipeline["cpu_seconds"] / floor["cpu_seconds"], 2
        )
        assert saved["warehouses"][kind]["pipeline"]["rows_in"] == pipeline["rows_in"]
    table = (tmp_path / "results-pipeline.md").read_text()
    assert "| harmonize |" in table and "pipeline / floor" in table
    sqlite = result["warehouses"]["sqlite"]["pipeline"]
    busy = round(sqlite["cpu_seconds"] / sqlite["total_seconds"], 2)
    assert f"| **{sqlite['total_seconds']}** | {sqlite['cpu_seconds']} ({busy}) |" in table
    ratio = result["warehouses"]["sqlite"]["cpu_over_floor_cpu"]
    assert f"pipeline / floor in CPU = {ratio}x" in table
    assert table.count("The server's own CPU is not counted.") == 1


def test_linearity_fit_over_two_sizes(tmp_path: Path):
    # In this process: the fresh interpreter per size that `make bench` uses adds nothing
    # to what is checked here, only half a minute of imports.
    fit = bench_pipeline.linearity(
        5, [3_000, 9_000], root=tmp_path, measure=bench_pipeline.run_pipeline
    )
    rows = [p["rows"] for p in fit["points"]]
    assert rows[1] > rows[0]
    assert fit["seconds_per_million_rows"] != 0
    assert all(p["microseconds_per_row"] > 0 for p in fit["points"])


def test_the_fastest_of_several_runs_is_kept_and_every_run_is_listed():
    totals = iter([12.0, 9.5, 11.0])
    fastest, seen = bench_pipeline._fastest(lambda: {"total_seconds": next(totals)}, 3)
    assert fastest == {"total_seconds": 9.5}
    assert seen == [12.0, 9.5, 11.0]


def test_repeated_measurements_each_start_from_nothing(small_workload: Path, monkeypatch):
    """Every repeat of the floor loads a new, empty file (loading the same tables twice into
    one file fails), and every repeat of the pipeline gets a folder no run has used. The
    pipeline itself is measured for real by the test above; here it only records its folder."""
    folders: list[Path] = []

    def record(registry_path: Path, scratch: Path, warehouse_url, *_args) -> dict:
        assert not any(scratch.iterdir()), "a repeat found an earlier run's files"
        (scratch / "warehouse.sqlite").write_bytes(b"taken")
        folders.append(scratch)
        return {"total_seconds": float(len(folders)), "cpu_seconds": 1.5}

    monkeypatch.setattr(bench_pipeline, "run_pipeline_alone", record)
    measured = bench_pipeline._one_warehouse(
        small_workload, "sqlite", bench_pipeline.DEFAULT_POSTGRES, repeat=2
    )
    assert len(set(folders)) == 2
    runs = measured["runs"]
    assert runs["pipeline_seconds"] == [1.0, 2.0]
    assert measured["pipeline"] == {"total_seconds": 1.0, "cpu_seconds": 1.5}
    assert len(runs["floor_seconds"]) == 2
    assert measured["floor"]["total_seconds"] == min(runs["floor_seconds"])
    manifest = json.loads((small_workload.parent / "workload.json").read_text())
    assert measured["floor"]["rows"] == manifest["total_rows"]


def test_the_executor_benchmark_runs_the_night_as_a_server_does(tmp_path: Path):
    """One real night of the demo registry on the project's default executor, timed from
    launch to exit, its steps read from the run's event log."""
    from odc_pipeline.bench import executor as bench_executor
    from odc_pipeline_tests.conftest import DEMO_REGISTRY

    night = bench_executor.run_night(DEMO_REGISTRY, "forkserver")
    # The demo's 2024 night: 4 sources x 4 steps, the region list, the publish, its balance
    # check, 2 quality suites, the open data package and 4 freshness checks.
    assert night["steps"] == 26
    assert night["step_seconds"] > 0
    # At most one step per core at a time (the executor's default max_concurrent).
    assert night["seconds"] >= night["step_seconds"] / (os.cpu_count() or 1)
    # The run process, the forkserver and the steps: Dagster and pandas alone are 0.2 GiB.
    assert 0.2 <= night["peak_pss_gib"] < 3


def test_the_executor_benchmark_keeps_the_fastest_night_of_each_start_method(
    small_workload: Path, tmp_path: Path, monkeypatch
):
    from odc_pipeline.bench import executor as bench_executor

    folder = tmp_path / f"workload-{SMALL}-3"
    folder.symlink_to(small_workload.parent, target_is_directory=True)
    seconds = iter([90.0, 30.0, 80.0, 40.0])  # spawn, forkserver, spawn, forkserver
    monkeypatch.setattr(
        bench_executor,
        "run_night",
        lambda registry, method: {
            "seconds": next(seconds),
            "steps": 58,
            "step_seconds": 1.0,
            "peak_pss_gib": 1.5,
        },
    )
    result = bench_executor.run(SMALL, 3, repeat=2, root=tmp_path)
    assert result["runs_seconds"] == {"spawn": [90.0, 80.0], "forkserver": [30.0, 40.0]}
    assert result["forkserver_over_spawn"] == 0.38  # 30 / 80
    saved = json.loads((tmp_path / "results.json").read_text())["executor"]
    assert saved["start_methods"]["spawn"]["seconds"] == 80.0
    assert "forkserver / spawn: **0.38x**" in (tmp_path / "results-executor.md").read_text()


def test_a_process_trees_memory_counts_its_children(tmp_path: Path):
    """What `bench executor` samples: a child holding 200 MB shows in its parent's tree."""
    import subprocess
    import sys
    import time

    from odc_pipeline.bench.memory import _descendants, tree_pss_bytes

    before = tree_pss_bytes(os.getpid())
    ready = tmp_path / "ready"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import pathlib, sys, time; block = bytearray(200 * 2**20); "
            "pathlib.Path(sys.argv[1]).touch(); time.sleep(60)",
            str(ready),
        ]
    )
    try:
        while not ready.exists():
            assert child.poll() is None
            time.sleep(0.01)
        assert child.pid in _descendants(os.getpid())
        assert tree_pss_bytes(os.getpid()) - before >= 180 * 2**20
        assert tree_pss_bytes(child.pid) >= 200 * 2**20
    finally:
        child.kill()
        child.wait()


def test_cpu_sampler_reads_a_stages_cpu_seconds_off_its_wall_clock_window():
    """A busy loop of 0.3 CPU seconds between two wall-clock moments reads as about 0.3 s;
    a window while the process sleeps reads as nearly nothing."""
    with CpuSampler(interval=0.01) as cpu:
        begin = time.time()
        spent = time.process_time() + 0.3
        while time.process_time() < spent:
            pass
        busy_end = time.time()
        time.sleep(0.3)
        idle_end = time.time()
    assert 0.25 <= cpu.seconds_between(begin, busy_end) <= 0.45
    assert cpu.seconds_between(busy_end, idle_end) < 0.1
    assert CpuSampler().seconds_between(0, 1) == 0.0
