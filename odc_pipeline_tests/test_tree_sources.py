"""Tree-shaped JSON sources, bundles of files, unpivoting, and the region rules real files need.

Synthetic files in KawalPemilu's shape, so these run without ../shared; test_real_data.py
runs the real files end to end.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from odc_pipeline.pulling.pull import PullError, pull_source
from odc_pipeline.pulling.snapshots import SnapshotStore
from odc_pipeline.reading.readers import SourceReadError, read_source
from odc_pipeline.regions import Spec, harmonize_regions, load_region_list, load_region_tables
from odc_pipeline.registry import RegistryError, load_registry
from odc_pipeline.registry.model import ReadOptions
from odc_pipeline.validation.numbers import parse_whole_number
from odc_pipeline.validation.validate import validate_source
from odc_pipeline_tests.conftest import DATA_DIR

TREE = {
    "children": "children",
    "child_fields": ["kpu_id", "wilayah", "tps"],
    "child_key": "kpu_id",
    "counts": "rekap",
    "parts": [
        {"where": {"depth": 1}, "document_fields": {"name": "provinsi"}},
        {"where": {"depth": 0}, "only_children": [-99], "rename": {"wilayah": "provinsi"}},
    ],
}
PAIRS = {"columns": {"pas1": "01", "pas2": "02"}, "name": "paslon", "value": "suara"}


def _province(doc_id: int, name: str, children: list[tuple[int, str, int, int]]) -> dict:
    return {
        "id": doc_id,
        "name": name,
        "depth": 1,
        "children": [[cid, cname, 10] for cid, cname, _, _ in children],
        "rekap": {str(cid): {"pas1": p1, "pas2": p2} for cid, _, p1, p2 in children},
    }


NATIONAL = {
    "id": 0,
    "name": "IDN",
    "depth": 0,
    "children": [[26141, "JAWA BARAT", 1], [-99, "LUAR NEGERI", 2]],
    "rekap": {"26141": {"pas1": 999, "pas2": 999}, "-99": {"pas1": 7, "pas2": 3}},
}


@pytest.fixture(scope="module")
def tables():
    return load_region_tables(load_region_list(), DATA_DIR / "reference")


def _write_tree(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "0.json").write_text(json.dumps(NATIONAL))
    west_java = _province(
        26141, "JAWA BARAT", [(27407, "BANDUNG", 100, 50), (1, "KOTA BANDUNG", 40, 60)]
    )
    (folder / "26141.json").write_text(json.dumps(west_java))
    dki = _province(25823, "DKI JAKARTA", [(2, "JAKARTA PUSAT", 5, 4)])
    (folder / "25823.json").write_text(json.dumps(dki))
    (folder / "-99.json").write_text(json.dumps({"id": -99, "depth": 1, "name": "Luar Negeri"}))
    (folder / "99999.json").write_text('{"id": 99999, "depth": 1, "children": [')  # cut off


def _registry(folder: Path) -> dict:
    return {
        "data_folder": {"variable": "ODC_TEST_TREE_DIR", "default": "files"},
        "x-shared": {"note": "anchors only"},
        "organizations": {"kp": {"name": "Kawal"}},
        "sources": [
            {
                "id": "kp_rekap",
                "organization": "kp",
                "kind": "election_results",
                "format": "json",
                "location": "c",
                "pull": {"bundle": True, "pattern": "[0-9]*.json"},
                "read": {"tree": TREE, "unpivot": PAIRS},
                "columns": {
                    "provinsi": "provinsi",
                    "wilayah": "kabupaten_kota",
                    "paslon": "candidate",
                    "suara": "votes",
                },
                "constants": {"election": "pemilu", "year": 2019, "contest": "presiden"},
                "regions": [
                    {"column": "provinsi", "level": "provinsi", "system": "name"},
                    {
                        "column": "kabupaten_kota",
                        "level": "kabupaten_kota",
                        "system": "name",
                        "untyped": "kabupaten",
                        "blank_means_parent": True,
                    },
                ],
                "licence": "none stated",
                "sharing": "members",
            }
        ],
    }


@pytest.fixture
def tree_source(tmp_path, monkeypatch):
    monkeypatch.delenv("ODC_TEST_TREE_DIR", raising=False)
    _write_tree(tmp_path / "files" / "c")
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(_registry(tmp_path)))
    registry = load_registry(path)
    entry = registry.sources[0]
    pulled = pull_source(entry, registry.base_dir, SnapshotStore(tmp_path / "snapshots"))
    frame = read_source(pulled.path, entry.format, entry.read, list(entry.columns))
    return registry, entry, frame


def test_a_bundle_of_region_documents_reads_as_one_row_per_child_and_pair(tree_source):
    registry, _, frame = tree_source
    assert registry.base_dir == (registry.base_dir.parent / "files").resolve()
    readable = frame[frame["_read_error"].isna()]
    rows = sorted(
        zip(
            readable["provinsi"],
            readable["wilayah"].fillna("-"),
            readable["paslon"],
            readable["suara"],
            strict=True,
        )
    )
    assert rows == [
        ("DKI JAKARTA", "JAKARTA PUSAT", "01", "5"),
        ("DKI JAKARTA", "JAKARTA PUSAT", "02", "4"),
        ("JAWA BARAT", "BANDUNG", "01", "100"),
        ("JAWA BARAT", "BANDUNG", "02", "50"),
        ("JAWA BARAT", "KOTA BANDUNG", "01", "40"),
        ("JAWA BARAT", "KOTA BANDUNG", "02", "60"),
        ("LUAR NEGERI", "-", "01", "7"),
        ("LUAR NEGERI", "-", "02", "3"),
    ]
    # Unpivoted rows get their own numbers: one number, one published row.
    assert frame["_source_row"].is_unique
    # The cut-off file is one row with its name and reason; the others are read.
    errors = frame["_read_error"].dropna().tolist()
    assert len(errors) == 1 and errors[0].startswith("99999.json: not valid JSON")


def test_bare_names_overseas_votes_and_dki_cities_are_placed(tree_source, tables):
    _, entry, frame = tree_source
    outcome = validate_source(frame, entry)
    valid = outcome.valid
    out = harmonize_regions(valid, entry.region_specs(), tables, entry.id)
    placed = dict(zip(out["region_value"], out["region_code"], strict=True))
    assert placed == {
        "BANDUNG": "32.04",  # the source says bare names are kabupaten
        "KOTA BANDUNG": "32.73",
        "JAKARTA PUSAT": "31.71",  # no kabupaten of that name: the one kota that has it
        "LUAR NEGERI": "99",  # empty kabupaten_kota: the row is about the "province" above
    }
    assert set(out.loc[out["region_code"] == "99", "region_level"]) == {1}
    unreadable = outcome.quarantine[outcome.quarantine["rule"] == "unreadable_row"]
    assert len(unreadable) == 1 and "99999.json" in unreadable["reason"].iloc[0]


def test_empty_region_still_refused_where_the_registry_does_not_allow_it(tree_source):
    _, entry, frame = tree_source
    strict = entry.model_copy(
        update={
            "regions": [
                entry.regions[0],
                entry.regions[1].model_copy(update={"blank_means_parent": False}),
            ]
        }
    )
    quarantine = validate_source(frame, strict).quarantine
    missing = quarantine[quarantine["rule"] == "region_missing"]
    assert len(missing) == 2 and set(missing["column_name"]) == {"kabupaten_kota"}


def test_data_folder_moves_with_its_variable_and_a_missing_one_is_named(tmp_path, monkeypatch):
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(_registry(tmp_path)))
    elsewhere = tmp_path / "elsewhere"
    _write_tree(elsewhere / "c")
    monkeypatch.setenv("ODC_TEST_TREE_DIR", str(elsewhere))
    assert load_registry(path).base_dir == elsewhere.resolve()
    monkeypatch.setenv("ODC_TEST_TREE_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert "nowhere does not exist; set ODC_TEST_TREE_DIR" in str(error.value)


def test_a_bundle_with_no_matching_file_fails_the_pull_with_the_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("ODC_TEST_TREE_DIR", raising=False)
    (tmp_path / "files" / "c").mkdir(parents=True)
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(_registry(tmp_path)))
    registry = load_registry(path)
    with pytest.raises(PullError, match=r"has no file matching \[0-9\]\*\.json"):
        pull_source(registry.sources[0], registry.base_dir, SnapshotStore(tmp_path / "s"))


def test_bundles_and_trees_are_for_json_only(tmp_path):
    document = _registry(tmp_path)
    document["sources"][0]["format"] = "csv"
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(RegistryError, match="read.tree, pull.bundle only apply to format json"):
        load_registry(path, check_files=False)


def test_records_keyed_by_id_become_rows(tmp_path):
    path = tmp_path / "tps.json"
    path.write_text(
        json.dumps({"tps": {"3204052001": [12], "3273011001": [7, 901, 902], "x": "?"}})
    )
    options = ReadOptions(records_path="tps", records_keyed_by="kode", record_fields=["jumlah"])
    frame = read_source(path, "json", options, ["kode", "jumlah"])
    assert frame[["kode", "jumlah"]].values.tolist() == [
        ["3204052001", "12"],
        ["3273011001", "7"],
        ["x", "?"],
    ]
    path.write_text(json.dumps({"tps": [1, 2]}))
    with pytest.raises(SourceReadError, match="expects an object keyed by id"):
        read_source(path, "json", options, ["kode"])


def test_unpivot_names_a_missing_column(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("wilayah,pas1\nBANDUNG,5\n")
    options = ReadOptions(unpivot=PAIRS)
    with pytest.raises(SourceReadError, match="read.unpivot: the file has no column 'pas2'"):
        read_source(path, "csv", options, ["wilayah"])


def test_a_code_and_a_name_that_disagree_go_to_review(tables):
    specs = [Spec("kode", 2, "kemendagri"), Spec("nama", 2, "name")]
    frame = pd.DataFrame({"kode": ["3273", "3271"], "nama": ["KOTA BANDUNG", "KOTA CIMAHI"]})
    out = harmonize_regions(frame, specs, tables)
    assert out.loc[0, "region_code"] == "32.73"
    assert pd.isna(out.loc[1, "region_code"])
    assert out.loc[1, "region_problem"] == (
        "nama 'KOTA CIMAHI' is Kota Cimahi (32.77), but kode says Kota Bogor (32.71); "
        "the two columns disagree"
    )


def test_float_exports_of_whole_numbers_are_read_only_when_unambiguous():
    assert parse_whole_number("2019.0", "en") == (2019, None)
    assert parse_whole_number("2019,0", "id") == (2019, None)
    assert parse_whole_number("2019.0", "id")[0] is None
    assert parse_whole_number("1.000", "en")[0] is None  # one point zero, or a thousand?


def test_odc_check_reads_a_bundle_source_from_its_folder(tmp_path, monkeypatch, tables):
    from odc_pipeline.checking import CheckError, check_file

    monkeypatch.delenv("ODC_TEST_TREE_DIR", raising=False)
    _write_tree(tmp_path / "files" / "c")
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(_registry(tmp_path)))
    entry = load_registry(path).sources[0]
    report = check_file(tmp_path / "files" / "c", entry, DATA_DIR / "reference")
    # Four regions and two pairs read, and the cut-off file set aside as one row.
    assert (report.rows_in, report.rows_valid) == (9, 8)
    plain = entry.model_copy(update={"pull": entry.pull.model_copy(update={"bundle": False})})
    with pytest.raises(CheckError, match="is a folder; give one file"):
        check_file(tmp_path / "files" / "c", plain, DATA_DIR / "reference")


def test_a_bundle_of_record_documents_reads_every_file_and_names_the_one_it_cannot(tmp_path):
    """One document per province, the stations under `tps`: read as one source, numbered on
    from file to file; a document without `tps` is one problem row naming its file."""
    from odc_pipeline.pulling.bundle import write_bundle

    folder = tmp_path / "dpr"
    folder.mkdir()
    for name, document in (
        ("31.json", {"id": "31", "tps": [{"kode": "3171011001", "tps": 1, "pkb": 3}]}),
        ("32.json", {"id": "32", "stations": []}),
        ("36.json", {"id": "36", "tps": [{"kode": "3601011001", "tps": 1, "pkb": 4}] * 2 + [7]}),
    ):
        (folder / name).write_text(json.dumps(document), encoding="utf-8")
    bundle = tmp_path / "bundle.json"
    write_bundle(sorted(folder.iterdir()), bundle, 10_000)
    frame = read_source(bundle, "json", ReadOptions(records_path="tps"), ["kode", "tps", "pkb"])
    assert frame["_source_row"].tolist() == [1, 2, 3, 4, 5]
    assert (
        frame["kode"].tolist()[:1] + frame["kode"].tolist()[2:4]
        == ["3171011001"] + ["3601011001"] * 2
    )
    assert frame["_read_error"].tolist()[1] == "32.json: read.records_path 'tps': no key 'tps'"
    assert (
        frame["_read_error"].tolist()[4]
        == "36.json: record 3 is a number (7), not an object with named fields"
    )
    assert frame["_read_error"].drop(index=[1, 4]).isna().all()
