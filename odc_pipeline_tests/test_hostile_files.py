"""Hostile or broken files: each limit, when exceeded, fails that source alone with a message
naming the limit; XML entity bombs inside XLSX are refused."""

from __future__ import annotations

import json
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa

from odc_pipeline.pulling import PullError, SnapshotStore, pull_source
from odc_pipeline.reading import SourceReadError, read_source
from odc_pipeline.reading.readers import _json_depth
from odc_pipeline.registry import load_registry
from odc_pipeline.registry.model import ReadOptions, SourceEntry
from odc_pipeline_tests.conftest import (
    demo_registry_document,
    make_settings,
    run_all,
    write_registry,
)

HEADER = "kode,paslon,suara\n"


def _read(path, file_format="csv", **options):
    return read_source(path, file_format, ReadOptions(**options), ["kode", "paslon", "suara"])


def test_too_many_rows(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(HEADER + "32.04,01,1\n" * 11, encoding="utf-8")
    assert len(_read(path, max_rows=11)) == 11
    with pytest.raises(
        SourceReadError, match=r"11 data rows, over this source's limit of 10 \(read.max_rows\)"
    ):
        _read(path, max_rows=10)


def test_too_many_columns(tmp_path):
    path = tmp_path / "wide.csv"
    extra = ",".join(f"c{i}" for i in range(600))
    path.write_text(f"kode,paslon,suara,{extra}\n32.04,01,1{',' * 600}\n", encoding="utf-8")
    with pytest.raises(
        SourceReadError, match=r"603 columns, over this source's limit of 500 \(read.max_columns\)"
    ):
        _read(path)


def test_json_nested_too_deep(tmp_path):
    deep = tmp_path / "deep.json"
    document: object = [{"kode": "32.04", "paslon": "01", "suara": 1}]
    for _ in range(40):
        document = {"x": document}
    deep.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(
        SourceReadError, match=r"nests 42 levels deep, over this source's limit of 32"
    ):
        _read(deep, "json")
    abyss = tmp_path / "abyss.json"
    abyss.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    with pytest.raises(SourceReadError, match=r"read.max_json_depth"):
        _read(abyss, "json")


def test_an_entity_bomb_in_an_xlsx_is_refused(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["kode", "paslon", "suara"])
    sheet.append(["32.04", "01", 1])
    clean = tmp_path / "clean.xlsx"
    workbook.save(clean)
    bomb = tmp_path / "bomb.xlsx"
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    with zipfile.ZipFile(clean) as source, zipfile.ZipFile(bomb, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = text.replace(
                    "<worksheet", f"<!DOCTYPE worksheet [{entities}]><worksheet", 1
                ).replace("<v>1</v>", "<v>&l9;</v>")
                data = text.encode()
            target.writestr(item, data)
    assert len(_read(clean, "xlsx")) == 1
    with pytest.raises(
        SourceReadError, match=r"refused: the workbook's XML declares entities or a DTD"
    ):
        _read(bomb, "xlsx")


def test_a_local_file_over_the_byte_limit_is_not_pulled(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "32.04,01,1\n" * 100, encoding="utf-8")
    entry = SourceEntry(
        id="big",
        organization="o",
        kind="election_results",
        format="csv",
        location="big.csv",
        columns={"kode": "region", "paslon": "candidate", "suara": "votes"},
        constants={"election": "pemilu", "year": 2024, "contest": "presiden"},
        regions=[{"column": "region", "level": "kabupaten_kota", "system": "kemendagri"}],
        licence="x",
        sharing="public",
        pull={"max_bytes": 500},
    )
    with pytest.raises(
        PullError, match=r"big.csv is 1,118 bytes, over this source's limit of 500 \(pull.max_bytes"
    ):
        pull_source(entry, tmp_path, SnapshotStore(tmp_path / "snapshots"))


def test_a_source_over_a_limit_fails_alone(tmp_path):
    document = demo_registry_document()
    for entry in document["sources"]:
        if entry["id"] == "jsn_pilpres2024_kabkota":
            entry["read"] = {"max_rows": 10}
    path = write_registry(tmp_path / "registry", document)
    settings = make_settings(tmp_path, path)
    assert run_all(settings, load_registry(path)).success
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        audit = dict(
            connection.execute(
                sa.text("select source_id, coalesce(message, status) from load_audit")
            ).all()
        )
    engine.dispose()
    assert "over this source's limit of 10 (read.max_rows)" in audit["jsn_pilpres2024_kabkota"]
    assert audit["fppjb_rekap_pilpres2024"] == "published"
    assert audit["ldw_suara_pilpres2024"] == "published"


@pytest.mark.parametrize(
    ("document", "depth"),
    [
        (5, 0),
        ("text", 0),
        ([], 1),
        ({"a": 1, "b": "x"}, 1),
        ([{"a": 1}, {"b": 2}], 2),
        ([{"a": 1}, {"b": {"c": [1, [2]]}}, []], 5),
        ({"x": [], "y": {"z": {}}}, 3),
    ],
)
def test_json_depth_counts_the_deepest_branch(document, depth):
    assert _json_depth(document) == depth
