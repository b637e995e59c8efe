"""A legislative election from members' files: a dapil list, the regions of each dapil,
party results per region and a candidate list; what the warehouse derives from them."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from odc_pipeline.defs.automation import PROCESS_JOB, PULL_JOB
from odc_pipeline.defs.build import ALL_ASSETS_JOB, build_definitions
from odc_pipeline.registry import load_registry
from odc_pipeline.releases.store import ReleaseStore
from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline.warehouse.export import export_open_data
from odc_pipeline_tests.conftest import make_settings, run_all, write_registry

FILES = {
    "dapil.csv": "kode,nama,kursi,provinsi\nJB-I,JAWA BARAT I,3,32\nJB-II,JAWA BARAT II,2,32\n",
    "wilayah.csv": "kab_kota,dapil\nKota Bandung,JB-I\nKota Cimahi,JB-I\nKab. Bandung,JB-II\n"
    "Kab. Ciamis,JB-II\n",
    # Per kecamatan; the bridge lists kabupaten/kota. Bogor is in no dapil of this list.
    "hasil.csv": "kode_wilayah,partai,suara\n"
    "32.73.01,PDI Perjuangan,100\n32.73.01,Gerindra,50\n32.73.02,PDIP,40\n"
    "32.77.01,3,80\n32.04.05,Partai Golkar,70\n32.01.01,PKB,30\n32.18.01,PKB,9\n",
    # Votes per candidate, with the party beside: names as the candidate list writes them
    # (in any case) get the list's candidate_id; a name the list does not hold is kept as is.
    "suara_caleg.csv": "kode_wilayah,partai,nama,suara\n"
    "32.73.01,PDIP,ani,300\n32.73.01,PDIP,Budi Santoso,10\n32.04.05,Gerindra,DODI,5\n",
    "caleg.csv": "provinsi,dapil,partai,urut,nama,jk,suara,terpilih\n"
    "32,JB-I,PDIP,1,ANI,P,900,ya\n32,JB-I,PDIP,2,BUDI,L,1200,ya\n32,JB-I,PDIP,3,CICI,L,100,tidak\n"
    "32,JB-I,Gerindra,1,DODI,L,700,ya\n32,JB-I,Gerindra,2,EKO,L,300,tidak\n"
    "32,JB-I,PKB,1,FAJAR,L,50,tidak\n",
}


def _entry(source_id: str, kind: str, location: str, columns: dict, regions: list) -> dict:
    return {
        "id": source_id,
        "organization": "jsn",
        "kind": kind,
        "format": "csv",
        "location": location,
        "columns": columns,
        "constants": {"election": "pemilu", "year": 2019, "contest": "dpr"},
        "regions": regions,
        "licence": "CC-BY-4.0",
        "sharing": "public",
    }


#: Party results in every kecamatan of Kota Bandung, so the five files above are a small
#: share of what is published (a night after one of them changed patches the live file).
BULK = "kode_wilayah,partai,suara\n" + "".join(
    f"32.73.{k:02d},{party},{k * 10 + n}\n"
    for k in range(1, 31)
    for n, party in enumerate(["PKB", "Gerindra", "PDIP", "Partai Golkar"])
)


def _write_sources(folder: Path, bulk: bool = False) -> Path:
    """The four files and their registry in `folder` (with `bulk`, `BULK` too); the
    registry's path."""
    for name, content in {**FILES, **({"massal.csv": BULK} if bulk else {})}.items():
        (folder / name).write_text(content, encoding="utf-8")
    province = [{"column": "provinsi", "level": "provinsi", "system": "kemendagri"}]
    document = {
        "organizations": {"jsn": {"name": "Jaga Suara Nusantara"}},
        "sources": [
            _entry(
                "jsn_dapil",
                "electoral_districts",
                "dapil.csv",
                {"kode": "dapil", "nama": "dapil_name", "kursi": "seats", "provinsi": "provinsi"},
                province,
            ),
            _entry(
                "jsn_wilayah",
                "dapil_regions",
                "wilayah.csv",
                {"kab_kota": "kabupaten_kota", "dapil": "dapil"},
                [{"column": "kabupaten_kota", "level": "kabupaten_kota", "system": "name"}],
            ),
            _entry(
                "jsn_hasil",
                "election_results",
                "hasil.csv",
                {"kode_wilayah": "region", "partai": "candidate", "suara": "votes"},
                [{"column": "region", "level": "kecamatan", "system": "kemendagri"}],
            ),
            _entry(
                "jsn_suara_caleg",
                "election_results",
                "suara_caleg.csv",
                {
                    "kode_wilayah": "region",
                    "partai": "party",
                    "nama": "candidate",
                    "suara": "votes",
                },
                [{"column": "region", "level": "kecamatan", "system": "kemendagri"}],
            ),
            _entry(
                "jsn_caleg",
                "candidate_lists",
                "caleg.csv",
                {
                    "dapil": "dapil",
                    "partai": "party",
                    "urut": "list_position",
                    "nama": "name",
                    "jk": "sex",
                    "suara": "votes",
                    "terpilih": "elected",
                    "provinsi": "provinsi",
                },
                province,
            ),
        ],
    }
    if bulk:
        hasil = next(e for e in document["sources"] if e["id"] == "jsn_hasil")
        document["sources"].append({**hasil, "id": "jsn_massal", "location": "massal.csv"})
    return write_registry(folder, document, copy_demo_files=False)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("dapil")
    settings = make_settings(folder, _write_sources(folder))
    result = run_all(settings, load_registry(settings.registry_path))
    assert result.success
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _rows(connection, sql: str) -> list[tuple]:
    return [tuple(row) for row in connection.execute(sa.text(sql))]


def test_every_result_row_lies_in_the_dapil_of_its_region(warehouse):
    assert _rows(
        warehouse,
        "select region_code, party_id, dapil_code from fact_election_results "
        "where source_id = 'jsn_hasil' order by 1, 2",
    ) == [
        ("32.01.01", "pkb", None),  # Bogor is in no dapil of this list
        ("32.04.05", "golkar", "JB-II"),
        ("32.18.01", "pkb", "JB-II"),  # Pangandaran, made from Ciamis since
        ("32.73.01", "gerindra", "JB-I"),
        ("32.73.01", "pdip", "JB-I"),
        ("32.73.02", "pdip", "JB-I"),
        ("32.77.01", "pdip", "JB-I"),  # ballot number 3 of 2019
    ]


def test_candidates_in_results_are_the_lists_candidates(warehouse):
    assert _rows(
        warehouse,
        "select candidate, party_id, dapil_code, candidate_id from fact_election_results "
        "where source_id = 'jsn_suara_caleg' order by 1",
    ) == [
        ("Budi Santoso", "pdip", "JB-I", None),  # no such candidate on the list
        ("DODI", "gerindra", "JB-II", None),  # he stood in JB-I, not here
        ("ani", "pdip", "JB-I", "dpr_2019_JB-I_pdip_1"),
    ]
    assert _rows(warehouse, "select candidate_id from dim_candidate where name = 'ANI'") == [
        ("dpr_2019_JB-I_pdip_1",)
    ]


def test_party_results_per_dapil(warehouse):
    assert _rows(
        warehouse,
        "select dapil_code, dapil_name, seats, party_id, source_id, votes, regions_reported "
        "from party_results_by_dapil order by 1, 4, 5",
    ) == [
        ("JB-I", "JAWA BARAT I", 3, "gerindra", "jsn_hasil", 50, 1),
        ("JB-I", "JAWA BARAT I", 3, "pdip", "jsn_hasil", 220, 3),
        ("JB-I", "JAWA BARAT I", 3, "pdip", "jsn_suara_caleg", 310, 1),
        ("JB-II", "JAWA BARAT II", 2, "gerindra", "jsn_suara_caleg", 5, 1),
        ("JB-II", "JAWA BARAT II", 2, "golkar", "jsn_hasil", 70, 1),
        ("JB-II", "JAWA BARAT II", 2, "pkb", "jsn_hasil", 9, 1),
    ]


def test_a_regency_made_since_lies_in_the_dapil_of_the_one_it_came_from(warehouse):
    assert _rows(
        warehouse,
        "select region_code, region_name, dapil_code, split_from from dapil_regions "
        "where dapil_code = 'JB-II' order by 1",
    ) == [
        ("32.04", "Kabupaten Bandung", "JB-II", None),
        ("32.07", "Kabupaten Ciamis", "JB-II", None),
        ("32.18", "Kabupaten Pangandaran", "JB-II", "32.07"),
    ]


def test_seats_by_sainte_lague_over_the_threshold_then_to_the_most_voted(warehouse):
    # National votes: PDI-P 2,200, Gerindra 1,000, PKB 50 (1.5%, under 4%: no seat).
    # Sainte-Laguë for 3 seats: 2,200, 1,000, 733 (2,200 / 3): PDI-P 2, Gerindra 1.
    assert _rows(
        warehouse,
        "select party_id, votes, qualifies, seats, seats_listed from dapil_seats order by 1",
    ) == [("gerindra", 1000, 1, 1, 1), ("pdip", 2200, 1, 2, 2), ("pkb", 50, 0, 0, 0)]
    assert _rows(
        warehouse,
        "select name, elected_computed, elected_listed from seat_winners order by votes desc",
    ) == [("BUDI", 1, 1), ("ANI", 1, 1), ("DODI", 1, 1)]


def test_women_on_each_list(warehouse):
    assert _rows(
        warehouse,
        "select party_id, candidates, women, at_least_30_percent, one_in_every_three, "
        "meets_rule, women_elected from women_representation order by 1",
    ) == [
        ("gerindra", 2, 0, 0, 1, 0, 0),
        ("pdip", 3, 1, 1, 1, 1, 1),
        ("pkb", 1, 0, 0, 1, 0, 0),
    ]


COMPARED = (
    "select region_code, party_id, dapil_code, candidate_id from fact_election_results "
    "order by 1, 2, coalesce(candidate_id, '')",
    "select dapil_code, party_id, source_id, votes from party_results_by_dapil order by 1, 2, 3",
    "select party_id, votes, seats from dapil_seats order by 1",
    "select party_id, women, meets_rule from women_representation order by 1",
)


def _as_sqlite_answers(rows: list[tuple]) -> list[tuple]:
    """PostgreSQL's rows as SQLite gives them: true/false as 1/0."""
    return [tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows]


def test_postgresql_derives_the_same(warehouse, postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ODC_WAREHOUSE_URL", postgres_url)
    settings = make_settings(tmp_path, _write_sources(tmp_path))
    assert run_all(settings, load_registry(settings.registry_path)).success
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            for sql in COMPARED:
                assert _as_sqlite_answers(_rows(connection, sql)) == _rows(warehouse, sql), sql
    finally:
        engine.dispose()


def _night_after(defs: dg.Definitions, instance: dg.DagsterInstance, changed: str) -> list[str]:
    """Pull every source, process those whose file changed (`changed` alone), as the nightly
    sensor does; what the publish step said it did."""
    assert defs.resolve_job_def(PULL_JOB).execute_in_process(instance=instance).success
    request = defs.get_sensor_def("process_changed_sources")(
        dg.build_sensor_context(instance=instance, definitions=defs)
    )
    assert isinstance(request, dg.RunRequest), request
    assert {k.path[0] for k in request.asset_selection if k.path[0].startswith("raw_")} == {
        f"raw_{changed}"
    }
    night = defs.resolve_job_def(PROCESS_JOB).execute_in_process(
        instance=instance, asset_selection=request.asset_selection
    )
    assert night.success
    return [e.message for e in instance.all_logs(night.run_id) if e.message.startswith("publish:")]


#: The result row naming Budi, whose candidate the changed list decides.
BUDI = (
    "select candidate_id from fact_election_results "
    "where source_id = 'jsn_suara_caleg' and candidate = 'Budi Santoso'"
)


def _first_night(folder: Path, bulk: bool = True):
    """Every source of the registry (the bulk one: a night of one small file then patches)
    in `folder` run once: its settings, registry, definitions and instance, for the nights
    after."""
    folder.mkdir()
    settings = make_settings(folder, _write_sources(folder, bulk=bulk))
    registry = load_registry(settings.registry_path)
    defs = build_definitions(settings, registry)
    instance = dg.DagsterInstance.ephemeral()
    assert defs.resolve_job_def(ALL_ASSETS_JOB).execute_in_process(instance=instance).success
    return settings, registry, defs, instance


def _name_budi_in_full(folder: Path) -> None:
    """The candidate list now writes Budi's full name, as the result file does."""
    caleg = folder / "caleg.csv"
    caleg.write_text(caleg.read_text().replace("2,BUDI,L", "2,Budi Santoso,L"))


def test_nights_after_one_file_changed_derive_what_a_rebuild_does(tmp_path):
    """A changed candidate list gives a carried-forward result row its candidate; a changed
    result file alone leaves the other rows' answers as they were. Both nights patch the live
    file, and end where a build from the same files does."""
    folder = tmp_path / "nights"
    settings, registry, defs, instance = _first_night(folder)
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)

    # The list now writes Budi's full name: the result row naming him gets his candidate.
    _name_budi_in_full(folder)
    said = _night_after(defs, instance, "jsn_caleg")
    assert "publish: copying the live file" in said and "publish: indexing" not in said
    with engine.connect() as connection:
        assert _rows(connection, BUDI) == [("dpr_2019_JB-I_pdip_2",)]
    # The release of that night holds the carried-forward row as the warehouse now does.
    store = ReleaseStore(settings.releases_dir)
    released = store.folder(store.latest()) / "public" / "fact_election_results"
    (part,) = released.glob("year=2019/jsn_suara_caleg.parquet")
    names = pq.read_table(part, columns=["candidate", "candidate_id"]).to_pylist()
    assert {"candidate": "Budi Santoso", "candidate_id": "dpr_2019_JB-I_pdip_2"} in names

    suara = folder / "suara_caleg.csv"
    suara.write_text(suara.read_text().replace("ani,300", "ani,301"))
    said = _night_after(defs, instance, "jsn_suara_caleg")
    assert "publish: copying the live file" in said
    # The open data wrote the changed source's rows again and copied every other source's
    # from the live file (one chunk per source and table); the files are what writing every
    # row gives.
    noted = json.loads((settings.warehouse_dir / ".open_data.ranges.json").read_text())
    version = (settings.warehouse_dir / "open_data").resolve().name
    assert noted["version"] == version and len(noted["ranges"]) == 6
    assert sum(r["written_in"] == version for r in noted["ranges"].values()) == 1
    whole = export_open_data(engine, tmp_path / "whole" / "open_data").parent
    live = settings.warehouse_dir / "open_data"
    for table in ("fact_election_results", "dim_candidate", "dim_dapil", "bridge_dapil_region"):
        assert (live / f"{table}.csv").read_bytes() == (whole / f"{table}.csv").read_bytes()

    rebuilt = make_settings(tmp_path / "rebuilt", settings.registry_path)
    assert run_all(rebuilt, registry).success
    fresh = sa.create_engine(rebuilt.default_warehouse_url, poolclass=sa.pool.NullPool)
    with engine.connect() as patched, fresh.connect() as built:
        for sql in (*COMPARED, "select * from seat_winners order by 1, 2, 3, 4, 5, 6"):
            assert _rows(patched, sql) == _rows(built, sql), sql
        assert _rows(patched, BUDI) == [("dpr_2019_JB-I_pdip_2",)]
        assert _rows(patched, "select sum(votes) from region_totals where level = 1") == _rows(
            built, "select sum(votes) from region_totals where level = 1"
        )


def test_postgresql_nights_after_a_changed_list_patch_to_what_a_rebuild_does(
    postgres_url, tmp_path, monkeypatch
):
    """On PostgreSQL the night after the candidate list changed patches the live schema in
    place, gives the carried-forward result row its candidate, and ends where a build from
    the same files does."""
    monkeypatch.setenv("ODC_WAREHOUSE_URL", postgres_url)
    folder = tmp_path / "nights"
    settings, registry, defs, instance = _first_night(folder)
    _name_budi_in_full(folder)
    said = _night_after(defs, instance, "jsn_caleg")
    assert "publish: replacing the changed sources' rows" in said
    assert "publish: indexing" not in said

    monkeypatch.delenv("ODC_WAREHOUSE_URL")
    rebuilt = make_settings(tmp_path / "rebuilt", settings.registry_path)
    assert run_all(rebuilt, registry).success
    patched = make_engine(postgres_url)
    fresh = sa.create_engine(rebuilt.default_warehouse_url, poolclass=sa.pool.NullPool)
    try:
        with patched.connect() as live, fresh.connect() as built:
            assert _rows(live, BUDI) == [("dpr_2019_JB-I_pdip_2",)]
            for sql in (*COMPARED, "select * from seat_winners order by 1, 2, 3, 4, 5, 6"):
                assert _as_sqlite_answers(_rows(live, sql)) == _rows(built, sql), sql
    finally:
        patched.dispose()
        fresh.dispose()


@pytest.mark.parametrize(
    ("bulk", "publish_said"),
    [(True, "publish: copying the live file"), (False, "publish: carrying forward")],
    ids=["patched", "built"],
)
def test_a_corrected_list_takes_a_candidate_away(tmp_path, monkeypatch, bulk, publish_said):
    """A candidate list corrected so that it no longer names a result row's candidate takes
    the candidate away from that row, in the warehouse and in the release, whether the night
    patches the live file or builds a new one; as a build from the same files does."""
    full_name = FILES["caleg.csv"].replace("2,BUDI,L", "2,Budi Santoso,L")
    monkeypatch.setitem(FILES, "caleg.csv", full_name)
    folder = tmp_path / "nights"
    settings, registry, defs, instance = _first_night(folder, bulk)
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        assert _rows(connection, BUDI) == [("dpr_2019_JB-I_pdip_2",)]

    (folder / "caleg.csv").write_text(full_name.replace("2,Budi Santoso,L", "2,BUDI,L"))
    said = _night_after(defs, instance, "jsn_caleg")
    assert publish_said in said
    with engine.connect() as connection:
        assert _rows(connection, BUDI) == [(None,)]
    store = ReleaseStore(settings.releases_dir)
    released = store.folder(store.latest()) / "public" / "fact_election_results"
    (part,) = released.glob("year=2019/jsn_suara_caleg.parquet")
    names = pq.read_table(part, columns=["candidate", "candidate_id"]).to_pylist()
    assert {"candidate": "Budi Santoso", "candidate_id": None} in names

    rebuilt = make_settings(tmp_path / "rebuilt", settings.registry_path)
    assert run_all(rebuilt, registry).success
    fresh = sa.create_engine(rebuilt.default_warehouse_url, poolclass=sa.pool.NullPool)
    with engine.connect() as kept, fresh.connect() as built:
        for sql in COMPARED:
            assert _rows(kept, sql) == _rows(built, sql), sql
