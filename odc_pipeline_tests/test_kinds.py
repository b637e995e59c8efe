"""Every dataset kind goes from a member's file to its fact table, with its own rules."""

from __future__ import annotations

import shutil
import textwrap

import pytest
import sqlalchemy as sa

from odc_pipeline.registry import load_registry
from odc_pipeline_tests.conftest import logged_text, make_settings, run_all, write_registry

PHONE = "0812-3456-7890"

INCIDENTS = textwrap.dedent(
    f"""\
    no_laporan;tanggal;kabupaten;jenis;uraian;kontak_pelapor
    L-001;17 April 2019;Kab. Bandung;politik_uang;Pembagian amplop di dekat TPS 12;{PHONE}
    L-002;14-04-2019;KOTA BANDUNG;intimidasi;Saksi Pak Joko Susilo (NIK 3204051708900001, hp 0857-1234-5678) diusir dari TPS;0813 1111 2222
    L-003;31-02-2019;Kab. Garut;intimidasi;Tanggal mustahil, korban NIK 3205011203850002;0813 1111 3333
    L-004;17 April 2016;Kab. Garut;kekerasan;Di luar masa pemilu;-
    L-005;18 Apr 2019;Kab. Garut;serangan_fajar;Kategori tidak dikenal;0813 1111 4444
    L-001;17 April 2019;Kab. Bandung;politik_uang;Laporan ganda;0813 1111 5555
    """
)

VOTERS = textwrap.dedent(
    """\
    kode,laki,perempuan,total
    3204,"1.312.448","1.289.111","2.601.559"
    3273,"1.001","1.002","2.004"
    3205,-5,10,5
    """
)

STATIONS = textwrap.dedent(
    """\
    kode_desa,tps,dpt
    3204052001,001,280
    3204052001,002,291
    3204052001,002,291
    3204052002,001,satu
    """
)


@pytest.fixture(scope="module")
def kinds_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kinds")
    (folder / "demo").mkdir()
    (folder / "demo" / "incidents.csv").write_text(INCIDENTS, encoding="utf-8")
    (folder / "demo" / "voters.csv").write_text(VOTERS, encoding="utf-8")
    (folder / "demo" / "stations.csv").write_text(STATIONS, encoding="utf-8")
    constants = {"election": "pemilu", "year": 2019}
    document = {
        "organizations": {"pantau": {"name": "Pantau"}},
        "sources": [
            {
                "id": "pantau_insiden",
                "organization": "pantau",
                "kind": "incident_reports",
                "format": "csv",
                "location": "demo/incidents.csv",
                "columns": {
                    "no_laporan": "report_id",
                    "tanggal": "date",
                    "kabupaten": "region",
                    "jenis": "category",
                    "uraian": "description",
                    "kontak_pelapor": "reporter_contact",
                },
                "constants": constants,
                "regions": [{"column": "region", "level": "kabupaten_kota", "system": "name"}],
                "licence": "proprietary",
                "sharing": "private",
                "max_rejected_share": 1.0,  # these small files are mostly bad rows on purpose
            },
            {
                "id": "pantau_dpt",
                "organization": "pantau",
                "kind": "voter_counts",
                "format": "csv",
                "location": "demo/voters.csv",
                "columns": {
                    "kode": "region",
                    "laki": "registered_male",
                    "perempuan": "registered_female",
                    "total": "registered_total",
                },
                "constants": constants,
                "regions": [
                    {"column": "region", "level": "kabupaten_kota", "system": "kemendagri"}
                ],
                "licence": "CC-BY-4.0",
                "sharing": "public",
                "max_rejected_share": 1.0,
            },
            {
                "id": "pantau_tps",
                "organization": "pantau",
                "kind": "polling_stations",
                "format": "csv",
                "location": "demo/stations.csv",
                "columns": {
                    "kode_desa": "region",
                    "tps": "station_number",
                    "dpt": "registered_voters",
                },
                "constants": constants,
                "regions": [{"column": "region", "level": "desa", "system": "kemendagri"}],
                "licence": "CC-BY-4.0",
                "sharing": "public",
                "max_rejected_share": 1.0,
            },
        ],
    }
    path = write_registry(folder, document, copy_demo_files=False)
    settings = make_settings(folder, path)
    result = run_all(settings, load_registry(path))
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)
    yield result, engine
    engine.dispose()


def _rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.text(sql))]


def test_incident_reports(kinds_run):
    result, engine = kinds_run
    assert result.success
    published = _rows(
        engine,
        "select report_id, date, region_code, category from fact_incident_reports order by report_id",
    )
    assert [(r[0], str(r[1])[:10], r[2], r[3]) for r in published] == [
        ("L-002", "2019-04-14", "32.73", "intimidasi")
    ]
    rules = _rows(
        engine,
        "select source_row, rule from quarantine where source_id = 'pantau_insiden' order by source_row, rule",
    )
    assert rules == [
        (2, "duplicate_key"),
        (4, "date_format"),
        (5, "date_in_election_period"),
        (
            6,
            "isin(['politik_uang', 'intimidasi', 'kekerasan', 'netralitas_asn', 'kampanye_di_luar_jadwal', 'kampanye_hitam', 'pelanggaran_administrasi', 'manipulasi_suara', 'lainnya'])",
        ),
        (7, "duplicate_key"),
    ]
    reasons = dict(
        _rows(
            engine, "select source_row, reason from quarantine where source_id = 'pantau_insiden'"
        )
    )
    assert (
        reasons[5]
        == "date 2016-04-17 is outside the period of the 2019 election (2018-01-01 to 2019-12-31)"
    )
    assert reasons[6].startswith(
        "category 'serangan_fajar' is not one of: politik_uang, intimidasi"
    )
    assert reasons[2].startswith("rows 2, 7 have the same report_id, region")


def test_quality_suite_flags_a_category_outside_the_list(kinds_run, tmp_path):
    """The incident suite checks categories as the suite receives them (as pandas
    categories): a published row edited to an unknown category is named, with its count."""
    from odc_pipeline.quality.warehouse_suite import run_suite

    _, engine = kinds_run
    copy = tmp_path / "odc.sqlite"
    shutil.copy(engine.url.database, copy)
    edited = sa.create_engine(f"sqlite:///{copy}", poolclass=sa.pool.NullPool)
    passing = run_suite(edited, "incident_reports", ["pantau_insiden"], tmp_path / "docs")
    assert passing.success
    with edited.begin() as connection:
        connection.execute(sa.text("update fact_incident_reports set category = 'serangan_fajar'"))
    outcome = run_suite(edited, "incident_reports", ["pantau_insiden"], tmp_path / "docs")
    failed = [(o.expectation, o.column, o.unexpected) for o in outcome.outcomes if not o.success]
    assert failed == [("expect_column_values_to_be_in_set", "category", 1)]
    edited.dispose()


def test_reporter_contacts_never_reach_the_warehouse(kinds_run):
    _, engine = kinds_run
    digits = PHONE.replace("-", "")
    with engine.connect() as connection:
        for table in ("fact_incident_reports", "quarantine", "region_review", "load_audit"):
            for row in connection.execute(sa.text(f"select * from {table}")):  # noqa: S608 - fixed names
                text = " ".join(str(v) for v in row)
                assert PHONE not in text and digits not in text and "0813" not in text, table
    # Personal data typed into free text is masked too, in facts and in quarantine.
    with engine.connect() as connection:
        for table in ("fact_incident_reports", "quarantine"):
            for row in connection.execute(sa.text(f"select * from {table}")):  # noqa: S608 - fixed names
                text = " ".join(str(v) for v in row)
                for planted in (
                    "3204051708900001",
                    "3205011203850002",
                    "0857-1234-5678",
                    "Joko Susilo",
                ):
                    assert planted not in text, (table, planted)
    description = _rows(engine, "select description from fact_incident_reports")[0][0]
    assert description.startswith("Saksi Pak [NAME_1] (NIK [NIK_1], hp [PHONE_1]) diusir dari TPS")
    # Without ODC_HASH_SALT not even a hash is kept.
    assert _rows(engine, "select reporter_contact_hash from fact_incident_reports") == [(None,)]
    masked = _rows(
        engine,
        "select row_data from quarantine where source_id = 'pantau_insiden' and source_row = 2",
    )
    assert '"reporter_contact": "[personal data removed]"' in masked[0][0]


def test_personal_data_stays_out_of_the_dagster_event_log(kinds_run):
    result, _ = kinds_run
    text = logged_text(result)
    assert "Joko Susilo" not in text  # the raw preview would show it without scrubbing
    for planted in (PHONE, "3204051708900001", "0857-1234-5678", "0813 1111 2222"):
        assert planted not in text, planted
    assert "[personal data removed]" in text  # the previews did show the column, masked


def test_voter_counts(kinds_run):
    _, engine = kinds_run
    assert _rows(
        engine,
        "select region_code, registered_male, registered_female, registered_total from fact_voter_counts order by 1",
    ) == [
        ("32.04", 1312448, 1289111, 2601559),
    ]
    assert _rows(
        engine, "select source_row, rule from quarantine where source_id = 'pantau_dpt' order by 1"
    ) == [
        (3, "total_is_male_plus_female"),
        (4, "in_range(0, 10000000000)"),
    ]


def test_polling_stations(kinds_run):
    _, engine = kinds_run
    assert _rows(
        engine,
        "select region_code, station_number, registered_voters from fact_polling_stations order by 2",
    ) == [
        ("32.04.05.2001", "001", 280),
    ]
    assert _rows(
        engine,
        "select source_row, rule from quarantine where source_id = 'pantau_tps' order by 1, 2",
    ) == [
        (3, "duplicate_key"),
        (4, "duplicate_key"),
        (5, "number_format"),
    ]
    audit = _rows(
        engine,
        "select source_id, rows_in, rows_published, rows_quarantined from load_audit order by 1",
    )
    assert audit == [("pantau_dpt", 3, 1, 2), ("pantau_insiden", 6, 1, 5), ("pantau_tps", 4, 1, 3)]


def test_pseudonymized_contacts_with_a_salt(tmp_path, monkeypatch):
    import pandas as pd

    from odc_pipeline.warehouse.batches import pseudonymize

    hashed = pseudonymize(pd.Series([PHONE, "0812 3456 7890", None]), "s3cret-salt")
    assert hashed[0] is not None and len(hashed[0]) == 64
    assert hashed[0] != pseudonymize(pd.Series([PHONE]), "other-salt")[0]
    assert hashed[2] is None
