"""The real public files of ../shared/data/real, through the whole pipeline (data/sources.real.yaml).

Expected figures are computed here from the files themselves (read with plain json and pandas,
not with the pipeline's readers), except the official 2019 national result, which is public
record. Skipped, with the reason, where the folder is absent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from odc_pipeline.registry import load_registry
from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline_tests.conftest import DATA_DIR, DemoRun, make_settings, run_all

REAL = Path(os.environ.get("ODC_REAL_DATA_DIR") or PROJECT_ROOT.parent / "shared" / "data" / "real")
pytestmark = pytest.mark.skipif(
    not (REAL / "PROVENANCE.md").is_file(),
    reason=f"the real data folder is not at {REAL} (set ODC_REAL_DATA_DIR to where it is)",
)
KP2019 = REAL / "kawalpemilu2019" / "c"
SOURCES = ("kawalpemilu2019_kpu", "kawalpemilu2019_relawan", "kawalpemilu2019_rekap")
#: The official 2019 presidential result (KPU decree 987/PL.01.8-Kpt/06/KPU/V/2019).
NATIONAL_RESULT = {"01": 85_607_362, "02": 68_650_239}


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    settings = make_settings(tmp_path_factory.mktemp("real_run"), DATA_DIR / "sources.real.yaml")
    registry = load_registry(settings.registry_path)
    result = run_all(settings, registry)
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)
    yield DemoRun(result, engine, settings, registry)
    engine.dispose()


def _documents() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(KP2019.glob("*.json"))]


def _kabupaten_counts(counts: str) -> dict[tuple[int, str], int | None]:
    """(KPU id, pair) -> votes, for every kabupaten/kota child of the province documents."""
    found = {}
    for document in _documents():
        if document["depth"] != 1 or document["id"] == -99:
            continue
        for child in document["children"]:
            value = document.get(counts, {}).get(str(child[0]))
            value = (value or {}).get("sum", value) if counts == "data" else value
            for key, pair in (("pas1", "01"), ("pas2", "02")):
                found[(child[0], pair)] = (value or {}).get(key)
    return found


def test_the_run_publishes_every_source(real_run):
    assert real_run.result.success
    statuses = dict(real_run.rows("select source_id, status from load_audit"))
    assert statuses == {entry.id: "published" for entry in real_run.registry.sources}
    unbalanced = real_run.rows(
        "select source_id from load_audit where rows_in != rows_published + rows_quarantined"
    )
    assert unbalanced == []


def test_every_kawalpemilu_2019_kabupaten_is_on_a_current_code(real_run):
    for source, key in zip(SOURCES, ("kpu", "data", "rekap"), strict=True):
        regions = real_run.rows(
            "select distinct f.region_code, r.level from fact_election_results f "
            "join dim_region r using (region_code) where source_id = :s and f.region_level = 2",
            s=source,
        )
        assert {level for _, level in regions} == {2}
        # A kabupaten is missing only where the file has no count for it at all.
        counts = _kabupaten_counts(key)
        uncounted = {kpu_id for (kpu_id, _), votes in counts.items() if votes is None}
        counted = {kpu_id for (kpu_id, _), votes in counts.items() if votes is not None}
        assert len(regions) == len(counted) == 514 - len(uncounted - counted)
        # No region value is waiting for a steward: every row is placed or set aside for its numbers.
        waiting = real_run.scalar(
            "select count(*) from region_review where source_id = :s", s=source
        )
        assert waiting == 0
    assert len(_kabupaten_counts("rekap")) == 2 * 514
    rekap = real_run.rows(
        "select substr(region_code, 1, 2), count(distinct region_code) from fact_election_results "
        "where source_id = 'kawalpemilu2019_rekap' and region_level = 2 group by 1"
    )
    per_province = dict(rekap)
    assert sum(per_province.values()) == 514
    # Papua's 29 and Papua Barat's 13 regencies of 2019, on their 2022 provinces.
    assert per_province["91"] + per_province["93"] + per_province["94"] + per_province["95"] == 29
    assert per_province["92"] + per_province["96"] == 13
    assert min(per_province[p] for p in ("93", "94", "95", "96")) > 0
    merauke = real_run.rows(
        "select region_code, region_method, region_value from fact_election_results "
        "where source_id = 'kawalpemilu2019_rekap' and region_value = 'MERAUKE' and candidate = '01'"
    )
    assert merauke == [("93.01", "name", "MERAUKE")]


def test_official_totals_are_reproduced_exactly(real_run):
    def total(level: int, pair: str) -> int:
        return real_run.scalar(
            "select sum(votes) from fact_election_results where source_id = "
            "'kawalpemilu2019_rekap' and region_level = :level and candidate = :pair",
            level=level,
            pair=pair,
        )

    assert (total(2, "01"), total(2, "02")) == (85_036_828, 68_442_493)
    national = json.loads((KP2019 / "0.json").read_text())
    abroad = national["rekap"]["-99"]
    assert (
        (total(1, "01"), total(1, "02")) == (abroad["pas1"], abroad["pas2"]) == (570_534, 207_746)
    )
    overseas_rows = real_run.rows(
        "select distinct region_code from fact_election_results where region_level = 1"
    )
    assert overseas_rows == [("99",)]
    assert {pair: total(1, pair) + total(2, pair) for pair in ("01", "02")} == NATIONAL_RESULT
    # The kabupaten rows of each province add up to the province's own recap in 0.json.
    sums = dict(
        real_run.rows(
            "select region_value || '|' || candidate, sum(votes) from ("
            "  select p.name as region_value, f.candidate, f.votes from fact_election_results f"
            "  join dim_region k on k.region_code = f.region_code"
            "  join dim_region p on p.region_code = k.province_code"
            "  where f.source_id = 'kawalpemilu2019_rekap' and f.region_level = 2"
            ") group by 1"
        )
    )
    west_java = national["rekap"]["26141"]
    assert (sums["Jawa Barat|01"], sums["Jawa Barat|02"]) == (west_java["pas1"], west_java["pas2"])


def test_the_discrepancy_view_lists_where_the_three_counts_differ(real_run):
    counts = {
        source: _kabupaten_counts(key)
        for source, key in zip(SOURCES, ("kpu", "data", "rekap"), strict=True)
    }
    ids = {child[1]: child[0] for d in _documents() if d["depth"] == 1 for child in d["children"]}
    bandung = ids["BANDUNG"]
    shown = dict(
        real_run.rows(
            "select source_a || '>' || source_b || '|' || candidate, difference "
            "from source_discrepancies where region_code = '32.04'"
        )
    )
    for a, b in (
        ("kawalpemilu2019_kpu", "kawalpemilu2019_rekap"),
        ("kawalpemilu2019_rekap", "kawalpemilu2019_relawan"),
    ):
        for pair in ("01", "02"):
            expected = counts[a][(bandung, pair)] - counts[b][(bandung, pair)]
            key = f"{a}>{b}|{pair}" if f"{a}>{b}|{pair}" in shown else f"{b}>{a}|{pair}"
            assert abs(shown[key]) == abs(expected) != 0
    # As many KPU-vs-recap differences as the files hold, among rows both published.
    published = {
        (code, pair)
        for code, pair in real_run.rows(
            "select source_row, candidate from fact_election_results where source_id = 'kawalpemilu2019_kpu'"
        )
    }
    differing = real_run.scalar(
        "select count(*) from source_discrepancies where region_level = 2 and "
        "((source_a = 'kawalpemilu2019_kpu' and source_b = 'kawalpemilu2019_rekap') or "
        " (source_a = 'kawalpemilu2019_rekap' and source_b = 'kawalpemilu2019_kpu'))"
    )
    in_files = sum(
        1
        for key, votes in counts["kawalpemilu2019_kpu"].items()
        if votes is not None and counts["kawalpemilu2019_rekap"][key] != votes
    )
    quarantined_kpu = real_run.scalar(
        "select count(distinct source_row) from quarantine where source_id = 'kawalpemilu2019_kpu'"
    )
    assert published and in_files - quarantined_kpu <= differing <= in_files
    assert differing > 900


def test_bps_codes_never_land_on_the_kemendagri_region_with_the_same_digits(real_run):
    file = pd.read_csv(
        REAL / "opendata-jabar" / "dpmdes-idm_sts_kejadian_pencemaran_air__des_kel_data.csv",
        dtype=str,
    )
    expected = dict(zip(file.index + 2, file["kemendagri_kode_desa_kelurahan"], strict=True))
    published = real_run.rows(
        "select source_row, region_code from fact_region_statistics where source_id = 'jabar_pencemaran_air'"
    )
    assert (
        len(published)
        + real_run.scalar(
            "select count(distinct source_row) from quarantine where source_id = 'jabar_pencemaran_air'"
        )
        == len(file)
        == 15_936
    )
    wrong = [(row, code) for row, code in published if expected[row] != code]
    assert wrong == []
    # The BPS village code, read as a Kemendagri code, would often name another village.
    bps_as_kemendagri = {
        f"{c[:2]}.{c[2:4]}.{c[4:6]}.{c[6:10]}" for c in file["bps_kode_desa_kelurahan"].str[:10]
    }
    assert bps_as_kemendagri - set(file["kemendagri_kode_desa_kelurahan"])
    assert not {code for _, code in published} & (bps_as_kemendagri - set(expected.values()))


def test_jawa_barat_statistics_join_election_results_kota_and_kabupaten_apart(real_run):
    joined = real_run.rows(
        "select s.region_code, r.name, s.value, e.votes from fact_region_statistics s "
        "join dim_region r using (region_code) "
        "join fact_election_results e on e.region_code = s.region_code "
        "  and e.source_id = 'kawalpemilu2019_rekap' and e.candidate = '01' "
        "where s.source_id = 'jabar_penduduk' and s.year = 2019 and s.category = 'LAKI-LAKI'"
    )
    assert len(joined) == 27
    by_name = {name: (code, value) for code, name, value, _ in joined}
    population = pd.read_csv(
        REAL / "opendata-jabar" / "jumlah_penduduk_berdasarkan_jenis_kelamin_data.csv", dtype=str
    )
    in_file = population[
        (population["tahun"] == "2019") & (population["jenis_kelamin"] == "LAKI-LAKI")
    ]
    value_of = dict(
        zip(
            in_file["nama_kabupaten_kota"].str.strip(),
            in_file["jumlah_penduduk"].astype(float),
            strict=True,
        )
    )
    assert by_name["Kabupaten Bandung"] == ("32.04", value_of["KABUPATEN BANDUNG"])
    assert by_name["Kota Bandung"] == ("32.73", value_of["KOTA BANDUNG"])
    assert by_name["Kabupaten Bogor"][0] != by_name["Kota Bogor"][0]
    # 2013's shuffled city codes are set aside, each with both regions named.
    disagreements = real_run.rows(
        "select distinct value from quarantine where source_id = 'jabar_penduduk' and reason like '%disagree%'"
    )
    assert len(disagreements) == 7
    assert (
        real_run.scalar(
            "select count(*) from fact_region_statistics where source_id = 'jabar_penduduk' and year = 2013"
        )
        == 52 - 14
    )


def test_polling_stations_of_2024_per_village(real_run):
    tps = json.loads((REAL / "kawalpemilu2024-kp24" / "tps.json").read_text())["tps"]
    codes = {c for (c,) in real_run.rows("select region_code from dim_region where level = 4")}
    dotted = {k: f"{k[:2]}.{k[2:4]}.{k[4:6]}.{k[6:]}" for k in tps}
    known = {k for k, d in dotted.items() if d in codes}
    assert real_run.scalar(
        "select count(*) from fact_region_statistics where source_id = 'kawalpemilu2024_tps'"
    ) == len(known)
    assert real_run.scalar(
        "select sum(value) from fact_region_statistics where source_id = 'kawalpemilu2024_tps'"
    ) == sum(tps[k][0] for k in known)
    assert sum(v[0] for v in tps.values()) == 818_339
    assert (
        real_run.scalar(
            "select count(*) from region_review where source_id = 'kawalpemilu2024_tps'"
        )
        == len(tps) - len(known)
        > 0
    )


def test_unlicensed_files_stay_out_of_the_public_audience(real_run):
    shared = real_run.settings.warehouse_dir / "shared"
    for audience, expected_rows in (("public", 0), ("members", None)):
        engine = sa.create_engine(f"sqlite:///{shared / f'{audience}.sqlite'}")
        with engine.connect() as connection:
            facts = (
                connection.execute(
                    sa.text("select count(*) from fact_election_results")
                ).scalar_one()
                + connection.execute(
                    sa.text("select count(*) from fact_region_statistics")
                ).scalar_one()
            )
        engine.dispose()
        if expected_rows == 0:
            assert facts == 0
        else:
            assert facts == real_run.scalar(
                "select (select count(*) from fact_election_results) + "
                "(select count(*) from fact_region_statistics)"
            )
    exported = sorted(p.name for p in (real_run.settings.warehouse_dir / "open_data").iterdir())
    assert not [name for name in exported if name.startswith("fact_")]


# --- The 2014 legislative election (Perludem's API Pemilu files) --------------------------

PERLUDEM = REAL / "perludem-api-pemilu-2014"
#: The withheld columns of the candidate list (PROVENANCE.md calls them personal).
PERSONAL_HEADERS = (
    "tempat_lahir",
    "tanggal_lahir",
    "status_perkawinan",
    "nama_pasangan",
    "kelurahan_tinggal",
    "kecamatan_tinggal",
    "foto_url",
)


def _candidates() -> pd.DataFrame:
    return pd.read_csv(PERLUDEM / "calon-dpr.csv", dtype=str, keep_default_na=False)


def _party_of_ballot_2014() -> dict[str, str]:
    """2014 ballot number -> party_id, from the committed reference file read plainly."""
    ballots = pd.read_csv(PROJECT_ROOT / "data" / "reference" / "party_ballots.csv", dtype=str)
    ballots = ballots.loc[ballots["year"] == "2014"]
    return dict(zip(ballots["ballot_number"], ballots["party_id"], strict=True))


def test_the_2014_dpr_candidates_dapil_and_seats_are_published_whole(real_run):
    candidates = _candidates()
    dapil = pd.read_csv(PERLUDEM / "data_dapil.csv", dtype=str)
    assert len(candidates) == 6_606 == real_run.scalar("select count(*) from dim_candidate")
    assert (
        candidates["id_dapil"].nunique()
        == 77
        == real_run.scalar("select count(distinct dapil) from dim_candidate")
    )
    assert real_run.scalar("select count(*) from dim_dapil") == len(dapil) == 77
    assert (
        real_run.scalar("select sum(seats) from dim_dapil")
        == dapil["jumlah_kursi"].astype(int).sum()
        == 560
    )
    elected = candidates["terpilih"] == "true"
    assert (
        real_run.scalar("select count(*) from dim_candidate where elected") == elected.sum() == 560
    )


def test_elected_members_per_party_match_the_file_and_the_official_result(real_run):
    candidates = _candidates()
    by_ballot = _party_of_ballot_2014()
    expected = (
        candidates.loc[candidates["terpilih"] == "true", "id_partai"]
        .map(by_ballot)
        .value_counts()
        .to_dict()
    )
    published = dict(
        real_run.rows("select party_id, sum(elected) from dim_candidate group by party_id")
    )
    assert {p: n for p, n in published.items() if n} == expected
    official = {"pdip": 109, "golkar": 91, "gerindra": 73, "demokrat": 61, "pan": 49,
                "pkb": 47, "pks": 40, "ppp": 39, "nasdem": 35, "hanura": 16, "pbb": 0, "pkpi": 0}  # fmt: skip
    assert published == official
    # Every candidate's party was decided (the file writes "PARTAI NasDem", "PDI Perjuangan"…).
    assert real_run.scalar("select count(*) from dim_candidate where party_id is null") == 0


def test_women_on_the_2014_lists_and_the_lists_that_break_the_rule(real_run):
    candidates = _candidates()
    women = candidates["jenis_kelamin"] == "P"
    assert women.sum() == 2_467
    assert (women & (candidates["terpilih"] == "true")).sum() == 97
    assert real_run.rows(
        "select sum(women), sum(women_elected), count(*) from women_representation"
    ) == [(2_467, 97, candidates.groupby(["id_dapil", "id_partai"]).ngroups)]
    # The rule, computed plainly: 30% women, and a woman in positions 1-3, 4-6, …
    breaking = 0
    for _, one_list in candidates.groupby(["id_dapil", "id_partai"]):
        ordered = one_list.assign(position=one_list["urutan"].astype(int)).sort_values("position")
        is_woman = (ordered["jenis_kelamin"] == "P").tolist()
        share_ok = sum(is_woman) * 10 >= 3 * len(is_woman)
        groups_ok = all(any(is_woman[i : i + 3]) for i in range(0, len(is_woman) // 3 * 3, 3))
        breaking += not (share_ok and groups_ok)
    assert breaking > 0
    assert (
        real_run.scalar("select count(*) from women_representation where not meets_rule")
        == breaking
    )


def test_seats_per_dapil_follow_the_2014_rule_and_keep_every_dapils_total(real_run):
    totals = real_run.rows(
        "select s.dapil, sum(s.seats), d.seats from dapil_seats s "
        "join dim_dapil d on d.dapil = s.dapil group by s.dapil, d.seats"
    )
    assert len(totals) == 77
    assert all(computed == seats for _, computed, seats in totals)
    # Below the 3.5% threshold nationally, no seat (PBB, PKPI in 2014).
    assert real_run.rows(
        "select distinct party_id from dapil_seats where not qualifies order by 1"
    ) == [("pbb",), ("pkpi",)]
    assert real_run.scalar("select sum(seats) from dapil_seats where not qualifies") == 0
    # docs/elections.md: without party-only ballots, 880 of the 924 party rows (12 parties in
    # 77 dapil) get the seats KPU declared.
    agree = "select count(*), sum(seats = seats_listed) from dapil_seats where year = 2014"
    assert real_run.rows(f"{agree} and contest = 'dpr'") == [(924, 880)]


def test_every_2014_kabupaten_kota_lands_in_the_bridge_on_todays_codes(real_run):
    listed = pd.read_csv(PERLUDEM / "data_wilayah.csv", dtype=str)
    assert len(listed) == 497
    assert real_run.scalar("select count(distinct region_code) from bridge_dapil_region") == 497
    assert (
        real_run.scalar(
            "select count(*) from bridge_dapil_region b join dim_region r using (region_code) "
            "where r.level = 2"
        )
        == 497
    )
    # Regencies of 2014 Papua now in the provinces of 2022 (93 to 96), in their 2014 dapil.
    papua = real_run.rows(
        "select substr(region_code, 1, 2), count(*) from dapil_regions "
        "where dapil_code = '9101-00-0000' group by 1 order by 1"
    )
    assert [code for code, _ in papua] == ["91", "93", "94", "95"]
    # The 17 regencies made since (Pangandaran, Pulau Taliabu, …) lie in the dapil of the
    # one they came from: every kabupaten/kota of today is in a 2014 DPR dapil.
    today = real_run.scalar(
        "select count(*) from dim_region where level = 2 and region_code not like '99%' "
        "and type <> 'wilayah_lama'"
    )
    assert real_run.scalar("select count(distinct region_code) from dapil_regions") == today
    assert real_run.rows(
        "select dapil_name, split_from from dapil_regions where region_code = '32.18'"
    ) == [("Jawa Barat X", "32.07")]
    # Renamed since (Kab. Pontianak is Mempawah) and written otherwise (Kota Sawah Lunto).
    names = dict(real_run.rows("select region_value, region_code from bridge_dapil_region"))
    assert names["Kab. Pontianak"] == "61.02"
    assert names["Kota Sawah Lunto"] == "13.73"


def test_kawalpemilu_2019_pairs_and_party_keys_are_the_2019_contestants(real_run):
    totals = dict(
        real_run.rows(
            "select candidate_id, sum(votes) from fact_election_results "
            "where source_id = 'kawalpemilu2019_rekap' group by candidate_id"
        )
    )
    assert totals == {
        "paslon_2019_01": NATIONAL_RESULT["01"],
        "paslon_2019_02": NATIONAL_RESULT["02"],
    }
    standing_2019 = {
        row[0] for row in real_run.rows("select party_id from dim_party_ballot where year = 2019")
    }
    keyed = real_run.rows("select 1")  # the party keys are reference data:
    keys = pd.read_csv(PROJECT_ROOT / "data" / "reference" / "contestant_keys.csv", dtype=str)
    party_keys = keys.loc[(keys["subject"] == "party") & (keys["year"] == "2019")]
    assert keyed and len(party_keys) == len(standing_2019) == 20
    assert set(party_keys["contestant_id"]) == standing_2019


def test_perludems_party_list_names_the_2014_parties_by_number_and_name(real_run):
    from odc_pipeline.elections.contestants import cached_contestant_index

    index = cached_contestant_index(PROJECT_ROOT / "data" / "reference")
    parties = pd.read_csv(PERLUDEM / "parties.csv", dtype=str)
    for row in parties.itertuples():
        by_number = index.match(row.id, "party", 2014).contestant_id
        assert by_number is not None
        assert index.match(row.nama, "party", 2014).contestant_id == by_number
        assert index.match(row.nama_lengkap, "party", 2014).contestant_id == by_number


def test_no_private_detail_of_a_candidate_is_published_anywhere(real_run):
    candidates = _candidates()
    # A spouse who stood too (or shares a candidate's name) is named as a candidate: public.
    # "TIDAK ADA" (none) is a placeholder, not a name; other sources use it too.
    spouses = {s for s in candidates["nama_pasangan"] if len(s.strip()) > 3} - {
        *candidates["nama"],
        "TIDAK ADA",
    }
    assert len(spouses) > 1_000
    addresses = set(candidates["kecamatan_tinggal"]) - set(candidates["nama_dapil"])
    warehouse = real_run.settings.warehouse_dir
    files = [warehouse / "odc.sqlite", *sorted((warehouse / "shared").glob("*.sqlite"))]
    for path in files:
        engine = sa.create_engine(f"sqlite:///{path}")
        with engine.connect() as connection:
            for table in sa.inspect(connection).get_table_names():
                columns = [c["name"] for c in sa.inspect(connection).get_columns(table)]
                assert not {"spouse", "birth_date", "home_address", "photo_url"} & set(columns)
                rows = connection.execute(sa.text(f'select * from "{table}"')).fetchall()  # noqa: S608
                cells = {str(v) for row in rows for v in row if isinstance(v, str)}
                assert not cells & spouses, f"{path.name}:{table}"
                assert not any("apipemilu-caleg" in c and "/foto/" in c for c in cells)
        engine.dispose()
    for path in (warehouse / "open_data").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not any(spouse in text for spouse in list(spouses)[:500]), path.name
    # Nor in any release: every Parquet file of every audience, column names and text cells.
    import pyarrow.parquet as pq

    released = sorted((warehouse / "releases").glob("20*/*/**/*.parquet"))
    assert released
    for path in released:
        table = pq.read_table(path)
        assert not {"spouse", "birth_date", "home_address", "photo_url"} & set(table.column_names)
        cells = {
            v
            for column in table.columns
            if str(column.type) == "string"
            for v in column.to_pylist()
            if v is not None
        }
        assert not cells & spouses, path
    assert addresses  # the file does hold home addresses the tables must not


def test_seats_and_womens_share_per_party_as_infographics(real_run, tmp_path):
    from odc_pipeline_tests.charting import draw_chart

    png, described, svg = draw_chart(
        real_run.settings,
        tmp_path,
        "party-seats",
        "--year",
        "2014",
        "--contest",
        "dpr",
        "--audience",
        "members",
    )
    assert "Kursi per partai" in svg
    # Every party that took a seat in 2014 is a bar (ten; PBB and PKPI took none).
    assert svg.count(">Golkar<") + svg.count(">GOLKAR<") == 1, svg[:3000]
    assert "Perludem" in described and png.size[1] > 500
    png, described, svg = draw_chart(
        real_run.settings,
        tmp_path,
        "women-share",
        "--year",
        "2014",
        "--contest",
        "dpr",
        "--audience",
        "members",
        "--lang",
        "en",
    )
    assert "Women on the lists, per party" in svg and "made " in described


def test_a_release_shows_each_sources_published_rows(real_run, monkeypatch):
    """Candidates and dapil are published in dim_candidate and dim_dapil, not in a fact
    table: `odc releases show` counts them, and neither a source's dim_load row nor the
    seats and lists derived from its candidates."""
    from click.testing import CliRunner

    from odc_pipeline.cli import main
    from odc_pipeline.releases.store import ReleaseStore

    monkeypatch.setenv("ODC_WAREHOUSE_DIR", str(real_run.settings.warehouse_dir))
    monkeypatch.setenv("COLUMNS", "200")
    latest = ReleaseStore(real_run.settings.releases_dir).latest()
    shown = CliRunner().invoke(main, ["releases", "show", latest])
    assert shown.exit_code == 0, shown.output
    rows = {
        cells[0]: cells[-1]
        for line in shown.output.splitlines()
        if (cells := [c.strip() for c in line.strip("│ ").split("│")])[0].startswith("perludem_")
    }
    candidates = real_run.scalar("select count(*) from dim_candidate")
    assert rows["perludem_caleg_dpr_2014"] == str(candidates)
    assert rows["perludem_dapil_dpr_2014"] == "77"
