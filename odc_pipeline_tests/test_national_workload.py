"""The national polling-station workload (`python -m benchmarks national`): files per province
as members send them, read through the whole pipeline with every planted bad row set aside
and every other row published."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from benchmarks.national import (
    CANDIDATE_FILE_BYTES,
    CANDIDATE_FILE_ROWS,
    DAPIL_SEATS,
    PARTY_FIELDS,
    STATIONS_FILE,
    generate,
    rows_per_station,
    stations,
)
from odc_pipeline.regions import load_reference
from odc_pipeline.registry import load_registry
from odc_pipeline.releases.store import ReleaseStore
from odc_pipeline_tests.conftest import make_settings, run_all

pytestmark = pytest.mark.skipif(
    not STATIONS_FILE.is_file(), reason=f"the 2024 station list is not at {STATIONS_FILE}"
)


def test_the_real_station_list_gives_every_2024_polling_station():
    every = stations()
    assert len(every) == 818_339
    assert every["kode_desa"].nunique() == 83_731
    jakarta = stations(["31"])
    assert set(jakarta["kode_desa"].str[:2]) == {"31"} and jakarta["tps"].min() == 1


def test_a_small_national_night_sets_aside_exactly_the_planted_rows(tmp_path):
    registry_path = generate(
        30_000, seed=3, out=tmp_path / "national", provinces=["31", "65"], recount=["31"],
        dprd=True, candidates=True,
    )  # fmt: skip
    manifest = json.loads((tmp_path / "national" / "workload.json").read_text())
    assert sorted(manifest["files"]) == [
        "dpr/31", "dpr/65", "dprd_kabupaten_kota_caleg/31", "dprd_kabupaten_kota_caleg/65",
        "dprd_provinsi/31", "dprd_provinsi/65", "presiden/31", "presiden/65",
        "presiden_recount/31",
    ]  # fmt: skip
    assert rows_per_station(dprd=True, candidates=True) == 39 + 135
    assert manifest["stations"] == 30_000 // 174
    document = json.loads((tmp_path / "national" / "dpr" / "65.json").read_text())
    assert document["name"] == "KALIMANTAN UTARA"
    assert set(PARTY_FIELDS) < set(document["tps"][0])
    header = (tmp_path / "national" / "presiden" / "31.csv").read_text().split("\n")[0]
    assert header == "kode_desa;no_tps;paslon;suara"

    settings = make_settings(tmp_path / "run", registry_path)
    assert run_all(settings, load_registry(registry_path)).success
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        published = dict(
            connection.execute(
                sa.text("SELECT source_id, COUNT(*) FROM fact_election_results GROUP BY 1")
            ).all()
        )
        # Rows, not problems: a repeated row with a negative count is listed once per problem.
        set_aside = dict(
            connection.execute(
                sa.text("SELECT source_id, COUNT(DISTINCT source_row) FROM quarantine GROUP BY 1")
            ).all()
        )
        parties = dict(
            connection.execute(
                sa.text(
                    "SELECT contest, COUNT(DISTINCT party_id) FROM fact_election_results "
                    "WHERE contest <> 'presiden' GROUP BY 1"
                )
            ).all()
        )
        parts = dict(connection.execute(sa.text("SELECT source_id, part_of FROM dim_source")).all())
        sharing = dict(connection.execute(sa.text("SELECT part_of, sharing FROM dim_source")).all())
        # Per station and party, the candidates a party lists in the station's dapil.
        listed = pd.read_sql(
            sa.text(
                "SELECT region_code, station_number, party_id, COUNT(*) AS n "
                "FROM fact_election_results WHERE contest = 'dprd_kabupaten_kota' "
                "GROUP BY 1, 2, 3"
            ),
            connection,
        )
        disagree = connection.execute(
            sa.text(
                "SELECT source_a, source_b, region_code, station_number, candidate, votes_a, "
                "votes_b FROM source_discrepancies WHERE region_code >= '31' AND region_code < '32'"
            )
        ).all()
    files = manifest["files"]
    entries = {
        "presiden": "kawal_tps_presiden",
        "dpr": "rekap_tps_dpr",
        "dprd_provinsi": "jaga_tps_dprd_provinsi",
        "dprd_kabupaten_kota_caleg": "saksi_tps_dprd_kabkota_caleg",
    }
    recount = "pantau_tps_presiden"
    assert parts == {
        **{f"{e}_{province}": e for e in entries.values() for province in ("31", "65")},
        f"{recount}_31": recount,
    }
    for file, counts in files.items():
        contest, province = file.split("/")
        source = f"{entries.get(contest, recount)}_{province}"
        assert set_aside.get(source, 0) == counts["bad_rows"], source
        assert published[source] == counts["rows"] - counts["bad_rows"], source
    # Candidates' votes are shared with members only, as the club's real candidate lists are,
    # and a province's file may be larger than the registry's default limits.
    candidates = next(s for s in load_registry(registry_path).sources if s.id.startswith("saksi_"))
    assert (candidates.pull.max_bytes, candidates.read.max_rows) == (
        CANDIDATE_FILE_BYTES,
        CANDIDATE_FILE_ROWS,
    )
    assert sharing == {
        **{e: "public" for e in (*entries.values(), recount)},
        "saksi_tps_dprd_kabkota_caleg": "members",
    }
    assert files["presiden_recount/31"]["bad_rows"] == 0 < files["presiden/31"]["bad_rows"]

    # The recount differs from KawalPemilu's in about 1% of the counts: the discrepancy view
    # lists exactly the stations and pairs where both files were read and the counts differ.
    kawal = pd.read_csv(tmp_path / "national" / "presiden" / "31.csv", sep=";", dtype=str)
    again = pd.read_csv(tmp_path / "national" / "presiden_recount" / "31.csv", dtype=str)
    key = ["kode_desa", "no_tps", "paslon"]
    kawal = kawal[~kawal.duplicated(key, keep=False)]  # planted repeats are set aside
    villages = load_reference().query("level == 4")["region_code"].str.replace(".", "")
    kawal = kawal[kawal["kode_desa"].isin(set(villages))]  # the 2025 list's villages only
    both = kawal.merge(again, on=key, suffixes=("_a", "_b"))
    a = pd.to_numeric(both["suara_a"].str.replace(".", ""), errors="coerce")
    b = pd.to_numeric(both["suara_b"])
    expected = sorted(
        (
            f"{k[:2]}.{k[2:4]}.{k[4:6]}.{k[6:]}",
            station,
            pair,
            int(x),
            int(y),
        )
        for k, station, pair, x, y in zip(
            both["kode_desa"], both["no_tps"], both["paslon"], a, b, strict=True
        )
        if pd.notna(x) and x >= 0 and x != y  # unreadable and negative counts set aside
    )
    assert 0.005 < len(expected) / len(again) < 0.02
    assert (
        sorted(
            (region, station, candidate, votes_a, votes_b)
            for source_a, source_b, region, station, candidate, votes_a, votes_b in disagree
            if (source_a, source_b) == ("kawal_tps_presiden_31", "pantau_tps_presiden_31")
        )
        == expected
    )
    assert len(disagree) == len(expected)
    # The release's discrepancies, computed a province at a time, are the warehouse's.
    store = ReleaseStore(settings.releases_dir)
    released = duckdb.execute(
        "SELECT source_a, source_b, region_code, station_number, candidate, votes_a, votes_b "
        "FROM read_parquet(?)",
        [f"{store.folder(store.release_ids()[-1])}/public/source_discrepancies/**/*.parquet"],
    ).fetchall()
    assert sorted(released) == sorted(tuple(row) for row in disagree)
    # Partai Ummat is ballot 24, not Aceh's 18, under KawalPemilu's key and KPU's short name.
    assert parties == {
        "dpr": len(PARTY_FIELDS),
        "dprd_provinsi": len(PARTY_FIELDS),
        "dprd_kabupaten_kota": len(PARTY_FIELDS),
    }
    # Every candidate's party is known. At a station no planted bad row touched, every
    # party lists as many candidates as its kecamatan's dapil has seats, 3 to 12, the same
    # in the whole kecamatan; the warehouse holds each of them.
    assert listed["party_id"].notna().all()
    assert listed["party_id"].nunique() == len(PARTY_FIELDS)
    caleg = pd.concat(
        pd.read_csv(tmp_path / "national" / "dprd_kabupaten_kota_caleg" / f"{p}.csv", dtype=str)
        for p in ("31", "65")
    )
    caleg["clean"] = pd.to_numeric(caleg["suara"], errors="coerce").ge(0) & ~caleg.duplicated(
        ["kode_desa", "no_tps", "nama_caleg"], keep=False
    )
    per_party = caleg.groupby(["kode_desa", "no_tps", "no_partai"]).agg(
        n=("suara", "size"), clean=("clean", "all")
    )
    in_file = per_party.groupby(level=[0, 1]).agg(
        fewest=("n", "min"), most=("n", "max"), parties=("n", "size"), clean=("clean", "all")
    )
    untouched = in_file[
        (in_file["fewest"] == in_file["most"]) & (in_file["parties"] == 18) & in_file["clean"]
    ].reset_index()
    untouched = untouched[untouched["kode_desa"].isin(set(villages))]
    assert len(untouched) > manifest["stations"] / 3
    seats = untouched["fewest"]
    assert seats.between(*DAPIL_SEATS).all() and seats.nunique() > 3
    assert untouched.groupby(untouched["kode_desa"].str[:6])["fewest"].nunique().max() == 1
    held = listed.groupby(["region_code", "station_number"])["n"].agg(["min", "max", "size"])
    for code, station, n in zip(
        untouched["kode_desa"], untouched["no_tps"], untouched["fewest"], strict=True
    ):
        dotted = f"{code[:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}"
        assert tuple(held.loc[(dotted, station)]) == (n, n, 18), (dotted, station)
