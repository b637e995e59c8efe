"""What a source says beyond its kind: columns the kind does not know are kept in
`attributes`, a steward's recodes map their values to the kind's vocabulary with the value as
written kept beside, and an unmapped value is reported with the recode that would fit."""

from __future__ import annotations

import json
from textwrap import dedent

import pytest
import sqlalchemy as sa

from odc_pipeline.reading import read_source
from odc_pipeline.registry import SourceEntry, load_registry
from odc_pipeline.validation.validate import validate_source
from odc_pipeline_tests.conftest import logged_text, make_settings, run_all, write_registry

REPORTS = dedent(
    """\
    no,tanggal,kabupaten,jenis,uraian,jenis_kelamin_pelapor,catatan
    L-1,2019-04-14,Kota Bandung,Dugaan Politik Uang,Amplop dibagikan,P,NIK 3204051204900001
    L-2,2019-04-15,Kota Bandung,Politik Uang,Amplop lagi,L,
    L-3,2019-04-16,Kota Bandung,Dugaan Pelanggaran Pidana,Ancaman,,
    """
)


def _entry(location: str) -> dict:
    return {
        "id": "pantau_insiden",
        "organization": "pantau",
        "kind": "incident_reports",
        "format": "csv",
        "location": location,
        "columns": {
            "no": "report_id",
            "tanggal": "date",
            "kabupaten": "region",
            "jenis": "category",
            "uraian": "description",
            "jenis_kelamin_pelapor": "reporter_sex",
            "catatan": "note",
        },
        "values": {"category": {"dugaan politik uang": "politik_uang"}},
        "constants": {"election": "pemilu", "year": 2019},
        "regions": [{"column": "region", "level": "kabupaten_kota", "system": "name"}],
        "licence": "CC-BY-4.0",
        "sharing": "public",
        "max_rejected_share": 1.0,
    }


def test_recodes_and_unknown_columns_are_kept_with_the_row(tmp_path):
    path = tmp_path / "laporan.csv"
    path.write_text(REPORTS, encoding="utf-8")
    entry = SourceEntry.model_validate(_entry(str(path)))
    raw = read_source(path, "csv", entry.read, list(entry.columns))
    outcome = validate_source(raw, entry)
    assert list(outcome.valid["category"]) == ["politik_uang", "politik_uang"]
    attributes = [json.loads(a) for a in outcome.valid["attributes"]]
    assert attributes == [
        {
            "category_as_written": "Dugaan Politik Uang",
            "note": "NIK 3204051204900001",
            "reporter_sex": "P",
        },
        # Only case and spacing differ from the vocabulary: recoded without being asked.
        {"category_as_written": "Politik Uang", "reporter_sex": "L"},
    ]
    (reason,) = outcome.quarantine["reason"]
    assert reason.endswith(
        "if it means one of them, recode it in the registry entry: values: {category: "
        "{'Dugaan Pelanggaran Pidana': <one of them>}}"
    )


@pytest.mark.slow
def test_attributes_are_published_with_identifiers_masked(tmp_path):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "laporan.csv").write_text(REPORTS, encoding="utf-8")
    document = {
        "organizations": {"pantau": {"name": "Pantau"}},
        "sources": [_entry("demo/laporan.csv")],
    }
    path = write_registry(tmp_path, document, copy_demo_files=False)
    settings = make_settings(tmp_path, path)
    result = run_all(settings, load_registry(path))
    assert result.success
    assert "3204051204900001" not in logged_text(result)  # nor in the UI's previews
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select category, attributes from fact_incident_reports order by source_row")
        ).all()
    engine.dispose()
    assert [r[0] for r in rows] == ["politik_uang", "politik_uang"]
    first = json.loads(rows[0][1])
    assert first["category_as_written"] == "Dugaan Politik Uang"
    assert "3204051204900001" not in rows[0][1] and first["reporter_sex"] == "P"
    for shared in (settings.warehouse_dir / "shared").glob("*.sqlite"):
        assert b"3204051204900001" not in shared.read_bytes(), shared.name


def test_an_incident_keeps_its_time_of_day(tmp_path):
    """A time written after the date (or in its own column) is kept as HH:MM, not dropped."""
    path = tmp_path / "waktu.csv"
    path.write_text(
        "tgl,jam,kategori,uraian,kab\n"
        "2019-04-17 14:30,,lainnya,a,Kota Bandung\n"
        "17/04/2019,10.15,lainnya,b,Kota Bandung\n"
        "18 April 2019 pukul 9.05 WIB,,lainnya,c,Kota Bandung\n"
        "2019-04-18,26:00,lainnya,d,Kota Bandung\n",
        encoding="utf-8",
    )
    entry = SourceEntry.model_validate(
        {
            **_entry(str(path)),
            "columns": {
                "tgl": "date",
                "jam": "time",
                "kategori": "category",
                "uraian": "description",
                "kab": "region",
            },
            "values": {},
        }
    )
    outcome = validate_source(read_source(path, "csv", entry.read, list(entry.columns)), entry)
    assert [
        (str(d)[:10], t) for d, t in zip(outcome.valid["date"], outcome.valid["time"], strict=True)
    ] == [
        ("2019-04-17", "14:30"),
        ("2019-04-17", "10:15"),
        ("2019-04-18", "09:05"),
    ]
    (reason,) = outcome.quarantine["reason"]
    assert reason == "time: '26:00' is not a time of day: 26:00 does not exist"
