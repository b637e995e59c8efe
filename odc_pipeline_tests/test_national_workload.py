"""The national polling-station workload (`python -m benchmarks national`): files per province
as members send them, read through the whole pipeline with every planted bad row set aside
and every other row published."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from benchmarks.national import PARTY_FIELDS, STATIONS_FILE, generate, stations
from odc_pipeline.registry import load_registry
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
    registry_path = generate(30_000, seed=3, out=tmp_path / "national", provinces=["31", "65"])
    manifest = json.loads((tmp_path / "national" / "workload.json").read_text())
    assert sorted(manifest["files"]) == ["dpr/31", "dpr/65", "presiden/31", "presiden/65"]
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
        set_aside = dict(
            connection.execute(
                sa.text("SELECT source_id, COUNT(*) FROM quarantine GROUP BY 1")
            ).all()
        )
        parties = connection.execute(
            sa.text(
                "SELECT COUNT(DISTINCT party_id) FROM fact_election_results "
                "WHERE source_id LIKE 'rekap_tps_dpr_%'"
            )
        ).scalar_one()
        parts = dict(connection.execute(sa.text("SELECT source_id, part_of FROM dim_source")).all())
    files = manifest["files"]
    assert parts == {
        f"{entry}_{province}": entry
        for entry in ("kawal_tps_presiden", "rekap_tps_dpr")
        for province in ("31", "65")
    }
    for file, counts in files.items():
        contest, province = file.split("/")
        source = f"{'kawal_tps_presiden' if contest == 'presiden' else 'rekap_tps_dpr'}_{province}"
        assert set_aside[source] == counts["bad_rows"] > 0, source
        assert published[source] == counts["rows"] - counts["bad_rows"], source
    assert parties == len(PARTY_FIELDS)  # Partai Ummat is ballot 24, not Aceh's 18
