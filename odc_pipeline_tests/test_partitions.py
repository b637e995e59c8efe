"""Sources with one file per election year: each year a partition, a backfill for past
years, a nightly run that touches only the current year, and a warehouse with every year."""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from odc_pipeline.defs.automation import PROCESS_JOB, PULL_JOB, YEARS_JOB
from odc_pipeline.defs.build import ALL_ASSETS_JOB, build_definitions
from odc_pipeline.defs.partitions import current_year, past_years
from odc_pipeline.demo.generate import JABAR
from odc_pipeline.registry import RegistryError, load_registry
from odc_pipeline.run import run_pipeline
from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline_tests.conftest import (
    DATA_DIR,
    demo_registry_document,
    isolated_environment,
    make_settings,
    write_registry,
)

LDW_DPT, JSN_DPT, JSN_RESULTS = "ldw_dpt_kabkota", "jsn_dpt_kabkota", "jsn_pilpres_kabkota"
#: The presidential pairs on the ballot each year (two in 2019, three in 2024).
PAIRS = {2019: ("01", "02"), 2024: ("01", "02", "03")}
#: Registered voters per kabupaten/kota relative to 2024's (DPT grows between elections).
GROWTH = {2019: 0.93, 2024: 1.0}


def dpt_entry(source_id: str, organization: str, years: list[int]) -> dict:
    return {
        "id": source_id,
        "organization": organization,
        "kind": "voter_counts",
        "description": "Registered voters (DPT) per kabupaten/kota, one file per election.",
        "format": "csv",
        "location": f"dpt/{source_id}_{{year}}.csv",
        "years": years,
        "columns": {
            "kode": "region",
            "laki_laki": "registered_male",
            "perempuan": "registered_female",
            "jumlah": "registered_total",
        },
        "constants": {"election": "pemilu"},
        "regions": [{"column": "region", "level": "kabupaten_kota", "system": "kemendagri"}],
        "licence": "CC-BY-4.0",
        "sharing": "public",
    }


def write_dpt(path: Path, year: int, regions=JABAR) -> None:
    """One year's DPT file: every kabupaten/kota of Jawa Barat, male and female."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kode", "laki_laki", "perempuan", "jumlah"])
        for code, _, ballots in regions:
            total = int(ballots * 1.3 * GROWTH[year])
            male = total // 2
            writer.writerow([code, male, total - male, total])


def results_entry() -> dict:
    """JSN's presidential results per kabupaten/kota, one file per election."""
    return {
        "id": JSN_RESULTS,
        "organization": "jsn",
        "kind": "election_results",
        "format": "csv",
        "location": f"hasil/{JSN_RESULTS}_{{year}}.csv",
        "years": [2019, 2024],
        "columns": {
            "kode_wilayah": "region",
            "paslon": "candidate",
            "suara": "votes",
            "suara_sah": "valid_ballots",
        },
        "constants": {"election": "pemilu", "contest": "presiden"},
        "regions": [{"column": "region", "level": "kabupaten_kota", "system": "kemendagri"}],
        "licence": "CC-BY-4.0",
        "sharing": "public",
    }


def results_votes(year: int, ballots: int) -> list[int]:
    """Each pair's votes: the first pair a third, the rest shared by the others."""
    pairs = PAIRS[year]
    first = ballots // 3
    others = [(ballots - first) // (len(pairs) - 1)] * (len(pairs) - 1)
    others[0] += ballots - first - sum(others)
    return [first, *others]


def write_results(path: Path, year: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kode_wilayah", "paslon", "suara", "suara_sah"])
        for code, _, ballots in JABAR:
            valid = int(ballots * GROWTH[year])
            for pair, votes in zip(PAIRS[year], results_votes(year, valid), strict=True):
                writer.writerow([code, pair, votes, valid])


def partitioned_registry(folder: Path) -> Path:
    """The demo registry (LDW's DPT for 2019 and 2024 among it) plus JSN's results for 2019
    and 2024 and JSN's DPT for 2024 only."""
    document = demo_registry_document()
    document["sources"] += [results_entry(), dpt_entry(JSN_DPT, "jsn", [2024])]
    path = write_registry(folder, document)
    for year in (2019, 2024):
        write_results(folder / "hasil" / f"{JSN_RESULTS}_{year}.csv", year)
    write_dpt(folder / "dpt" / f"{JSN_DPT}_2024.csv", 2024, JABAR[:5])
    return path


def ldw_file(folder: Path, year: int) -> Path:
    """LDW's DPT file of a year, as the demo ships it (copied beside the registry)."""
    return folder / "demo" / f"{LDW_DPT}_{year}.csv"


def ldw_rows(year: int, folder: Path = DATA_DIR) -> list[tuple[str, int]]:
    """(code, registered voters) per line of LDW's file: Indonesian thousands, semicolons."""
    with ldw_file(folder, year).open(encoding="utf-8") as handle:
        return [
            (row["kode_wilayah"], int(row["jumlah"].replace(".", "")))
            for row in csv.DictReader(handle, delimiter=";")
        ]


class Years:
    """A partitioned registry, one instance and one warehouse, run step by step."""

    def __init__(self, tmp_path: Path):
        self.path = partitioned_registry(tmp_path / "registry")
        self.settings = make_settings(tmp_path, self.path)
        self.registry = load_registry(self.path)
        self.defs = build_definitions(self.settings, self.registry)
        self.instance = dg.DagsterInstance.ephemeral()
        self.engine = sa.create_engine(
            self.settings.default_warehouse_url, poolclass=sa.pool.NullPool
        )

    def run(self, job: str, partition: str | None, selection=None) -> dg.ExecuteInProcessResult:
        return self.defs.resolve_job_def(job).execute_in_process(
            instance=self.instance,
            partition_key=partition,
            asset_selection=selection,
            raise_on_error=False,
        )

    def rows(self, sql: str, **params) -> list[tuple]:
        with self.engine.connect() as connection:
            return [tuple(r) for r in connection.execute(sa.text(sql), params)]

    def pulls(self, source_id: str, partition: str) -> int:
        return len(
            self.instance.fetch_materializations(
                dg.AssetRecordsFilter(
                    asset_key=dg.AssetKey(f"pull_{source_id}"), asset_partitions=[partition]
                ),
                limit=100,
            ).records
        )

    def totals_by_year(self) -> dict[tuple[str, int], tuple[int, int]]:
        return {
            (source, year): (rows, total)
            for source, year, rows, total in self.rows(
                "select source_id, year, count(*), sum(registered_total) from fact_voter_counts "
                "group by 1, 2"
            )
        }


def expected_votes(year: int) -> int:
    return sum(int(ballots * GROWTH[year]) for _, _, ballots in JABAR)


def expected_total(year: int, regions=JABAR) -> int:
    """JSN's DPT total, as write_dpt writes it."""
    return sum(int(ballots * 1.3 * GROWTH[year]) for _, _, ballots in regions)


def ldw_total(year: int, folder: Path = DATA_DIR, drop_last: bool = False) -> int:
    rows = ldw_rows(year, folder)
    return sum(total for _, total in (rows[:-1] if drop_last else rows))


# --- the registry -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"location": "dpt/ldw.csv"}, "the location has no {year}"),
        (
            {"years": [], "constants": {"election": "pemilu", "year": 2024}},
            "the location has {year} but no years are given",
        ),
        ({"constants": {"election": "pemilu", "year": 2024}}, "year is given under constants"),
        ({"years": [2019, 2019]}, "years: 2019 is listed twice"),
        ({"years": [19]}, "are not election years"),
    ],
)
def test_years_must_fit_the_location(tmp_path, change, message):
    document = demo_registry_document()
    (entry,) = [e for e in document["sources"] if e["id"] == LDW_DPT]
    entry.update(change)
    path = write_registry(tmp_path, document)
    with pytest.raises(RegistryError, match=message):
        load_registry(path, check_files=False)


def test_each_years_file_is_checked_and_the_year_fills_the_column(tmp_path):
    path = partitioned_registry(tmp_path)
    ldw_file(tmp_path, 2019).unlink()
    with pytest.raises(RegistryError, match=rf"{LDW_DPT}.*not found: .*{LDW_DPT}_2019\.csv"):
        load_registry(path)
    entry = load_registry(path, check_files=False).source(LDW_DPT)
    located = entry.for_year(2019)
    assert (located.location, located.constants["year"]) == (f"demo/{LDW_DPT}_2019.csv", 2019)
    assert [e.location for e in entry.located_entries()] == [
        f"demo/{LDW_DPT}_2019.csv",
        f"demo/{LDW_DPT}_2024.csv",
    ]


@pytest.mark.slow
def test_odc_check_reads_one_years_file(tmp_path):
    path = partitioned_registry(tmp_path)
    env = {**os.environ, "ODC_SOURCES": str(path)}
    odc = [str(Path(sys.executable).parent / "odc")]
    file = ldw_file(tmp_path, 2019)

    def check(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*odc, "check", str(file), "--source", LDW_DPT, *args],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    missing = check()
    assert missing.returncode == 2
    assert "keeps one file per year (2019, 2024): give --year" in missing.stdout
    assert "no file for 2014" in check("--year", "2014").stdout
    good = check("--year", "2019", "--json")
    assert good.returncode == 0, good.stdout + good.stderr
    assert '"rows_in": 27' in good.stdout


# --- runs ---------------------------------------------------------------------------------


def test_partitions_are_the_years_any_source_covers(tmp_path):
    years = Years(tmp_path)
    assert (past_years(years.registry), current_year(years.registry)) == (["2019"], "2024")
    for key in (f"pull_{LDW_DPT}", f"harmonized_{JSN_DPT}", f"validated_{JSN_RESULTS}"):
        partitions = years.defs.resolve_assets_def(key).partitions_def
        assert partitions.get_partition_keys() == ["2019", "2024"]
    # The demo's own sources and the warehouse keep one file each: not partitioned.
    assert years.defs.resolve_assets_def("pull_jsn_pilpres2024_kabkota").partitions_def is None
    assert years.defs.resolve_assets_def("fact_voter_counts").partitions_def is None
    backfill = years.defs.resolve_job_def(YEARS_JOB)
    keys = {k.to_user_string() for k in backfill.asset_layer.executable_asset_keys}
    assert keys == {"region_reference"} | {
        f"{stage}_{source}"
        for stage in ("pull", "raw", "validated", "quarantine", "harmonized")
        for source in (LDW_DPT, JSN_DPT, JSN_RESULTS)
    }


@pytest.mark.slow
def test_a_backfill_then_the_nightly_publish_every_year(tmp_path):
    years = Years(tmp_path)
    assert years.run(YEARS_JOB, "2019").success
    # The backfill publishes nothing by itself.
    assert not (years.settings.warehouse_dir / "odc.sqlite").exists()
    result = years.run(ALL_ASSETS_JOB, "2024")
    assert result.success
    assert years.totals_by_year() == {
        (LDW_DPT, 2019): (27, ldw_total(2019)),
        (LDW_DPT, 2024): (27, ldw_total(2024)),
        (JSN_DPT, 2024): (5, expected_total(2024, JABAR[:5])),
    }
    # The results of both elections, each with its own ballot, side by side in one table.
    results = years.rows(
        "select year, count(distinct candidate), count(*), sum(votes) from fact_election_results "
        "where source_id = :s group by year order by year",
        s=JSN_RESULTS,
    )
    assert results == [
        (year, len(PAIRS[year]), 27 * len(PAIRS[year]), expected_votes(year))
        for year in (2019, 2024)
    ]
    audit = dict(
        (source, (rows_in, published, status))
        for source, rows_in, published, status in years.rows(
            "select source_id, rows_in, rows_published, status from load_audit where run_id = :r",
            r=result.run_id,
        )
    )
    assert audit[LDW_DPT] == (54, 54, "published")
    assert audit[JSN_DPT] == (5, 5, "published")
    assert audit[JSN_RESULTS] == (135, 135, "published")
    # JSN has no 2019 file: its 2019 partition is empty, not a failure.
    no_file = years.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(f"pull_{JSN_DPT}"), asset_partitions=["2019"]),
        limit=1,
    ).records[0]
    metadata = no_file.event_log_entry.asset_materialization.metadata
    assert metadata["no_file"].value == f"{JSN_DPT} has no file for 2019 (it covers 2024)"
    checks = {
        (e.asset_key.to_user_string(), e.check_name): e.passed
        for e in result.get_asset_check_evaluations()
    }
    assert checks[("fact_voter_counts", "great_expectations_suite")] is True
    assert checks[("load_audit", "load_audit_balances")] is True
    # The open data names each year's rows' own file, not the source's latest one.
    open_data = years.settings.warehouse_dir / "open_data"
    loads = {r["load_id"]: r["file_hash"] for r in _csv_rows(open_data / "dim_load.csv")}
    files = {
        (r["year"], loads[r["load_id"]])
        for r in _csv_rows(open_data / "fact_voter_counts.csv")
        if r["source_id"] == LDW_DPT
    }
    folder = years.path.parent
    assert files == {
        (str(year), hashlib.sha256(ldw_file(folder, year).read_bytes()).hexdigest())
        for year in (2019, 2024)
    }


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_the_nightly_run_touches_only_the_current_year(tmp_path):
    years = Years(tmp_path)
    assert years.run(YEARS_JOB, "2019").success
    assert years.run(ALL_ASSETS_JOB, "2024").success
    # Both years' files change on disk; only 2024 is the night's business.
    folder = years.path.parent
    for year in (2019, 2024):
        path = ldw_file(folder, year)
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # one region fewer

    schedule = years.defs.get_schedule_def("nightly_pull")
    context = dg.build_schedule_context(
        instance=years.instance, repository_def=years.defs.get_repository_def()
    )
    (request,) = list(schedule.evaluate_tick(context).run_requests)
    assert request.partition_key == "2024"
    assert years.run(PULL_JOB, request.partition_key).success
    assert (years.pulls(LDW_DPT, "2019"), years.pulls(LDW_DPT, "2024")) == (1, 2)

    sensor = years.defs.get_sensor_def("process_changed_sources")
    request = sensor(dg.build_sensor_context(instance=years.instance, definitions=years.defs))
    assert isinstance(request, dg.RunRequest), request
    assert request.partition_key == "2024"
    selected = {k.to_user_string() for k in request.asset_selection}
    assert f"raw_{LDW_DPT}" in selected and f"raw_{JSN_DPT}" not in selected
    assert years.run(PROCESS_JOB, request.partition_key, request.asset_selection).success
    totals = years.totals_by_year()
    assert totals[(LDW_DPT, 2024)] == (26, ldw_total(2024, folder))
    # 2019 keeps the rows of its backfill: the changed 2019 file waits for the next backfill.
    assert totals[(LDW_DPT, 2019)] == (27, ldw_total(2019))


def test_a_run_without_a_year_says_how_to_name_one(tmp_path):
    """`dagster job execute` without a partition: the source with years fails with a message
    giving the command line that works, not a traceback."""
    years = Years(tmp_path)
    result = years.run(ALL_ASSETS_JOB, None, [dg.AssetKey(f"pull_{LDW_DPT}")])
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == f"pull_{LDW_DPT}"
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith(f"source '{LDW_DPT}' keeps one file per year (2019, 2024)")
    assert """add --tags '{"dagster/partition": "2024"}' to `dagster job execute`""" in description


@pytest.mark.slow
def test_review_examples_name_the_year_of_their_file(tmp_path):
    """Each year's file numbers its rows from 1: a steward told "row 3" must know which
    file to open."""
    years = Years(tmp_path)
    folder = years.path.parent / "hasil"
    for year, number in ((2019, 4), (2024, 6)):  # line numbers, the header being line 1
        path = folder / f"{JSN_RESULTS}_{year}.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        line = lines[number - 1]
        lines[number - 1] = "32.98" + line[line.index(",") :]  # no such kabupaten
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert years.run(YEARS_JOB, "2019").success
    assert years.run(ALL_ASSETS_JOB, "2024").success
    review = years.rows(
        "select value, rows, example_rows from region_review where source_id = :s", s=JSN_RESULTS
    )
    assert review == [("32.98", 2, "4 (2019), 6 (2024)")]
    # A source with one file keeps bare row numbers.
    single = years.rows(
        "select example_rows from region_review where source_id <> :s", s=JSN_RESULTS
    )
    assert single and all("(" not in examples for (examples,) in single)


@pytest.mark.slow
def test_a_failed_year_holds_the_whole_source_back(tmp_path):
    years = Years(tmp_path)
    assert years.run(YEARS_JOB, "2019").success
    assert years.run(ALL_ASSETS_JOB, "2024").success
    before = years.totals_by_year()
    ldw_file(years.path.parent, 2019).write_bytes(b"")
    assert years.run(YEARS_JOB, "2019").success
    result = years.run(ALL_ASSETS_JOB, "2024")
    ((status, message),) = years.rows(
        "select status, message from load_audit where run_id = :r and source_id = :s",
        r=result.run_id,
        s=LDW_DPT,
    )
    assert status == "failed"
    assert message.startswith("2019: ") and "the file is empty (0 bytes)" in message
    # Nothing half-published: both years of the last good load stay, JSN is published anew.
    assert years.totals_by_year() == before
    assert years.rows(
        "select status from load_audit where run_id = :r and source_id = :s",
        r=result.run_id,
        s=JSN_DPT,
    ) == [("published",)]


@pytest.mark.slow
def test_make_runs_backfill_past_years_then_publishes(tmp_path, monkeypatch, capsys):
    path = partitioned_registry(tmp_path / "registry")
    for name, value in isolated_environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ODC_SOURCES", str(path))
    assert run_pipeline() == 0
    out = capsys.readouterr().out
    assert "Year 2019: the sources that keep one file per year" in out
    assert "Year 2024: every source, then the warehouse" in out
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'warehouse' / 'odc.sqlite'}")
    with engine.connect() as connection:
        years = connection.execute(
            sa.text("select year, count(*) from fact_voter_counts group by 1 order by 1")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in years] == [(2019, 27), (2024, 27 + 5)]
