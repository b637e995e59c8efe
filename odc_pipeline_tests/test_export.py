"""The open data export holds only public rows, is safe to open in a spreadsheet, and validates."""

from __future__ import annotations

import csv

import frictionless
import sqlalchemy as sa

from odc_pipeline.warehouse.cells import safe_cell
from odc_pipeline.warehouse.export import export_open_data


def test_open_data_package_validates_and_holds_only_public_sources(demo_run, tmp_path):
    descriptor = export_open_data(demo_run.engine, tmp_path)
    report = frictionless.validate(str(descriptor))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # It validated with its keys: every fact's region, source and organisation is in the
    # package's own reference tables.
    keyed = frictionless.Package(str(descriptor))
    assert keyed.get_resource("dim_region").schema.primary_key == ["region_code"]
    facts = keyed.get_resource("fact_election_results").schema.foreign_keys
    assert {f["fields"][0] for f in facts} == {
        "region_code",
        "source_id",
        "organization_id",
        "load_id",
    }
    with open(tmp_path / "fact_election_results.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    # FPPJB shares its recap with members only: none of its rows may be in the public package.
    assert {r["source_id"] for r in rows} == {"jsn_pilpres2024_kabkota", "ldw_suara_pilpres2024"}
    assert len(rows) == 77 + 26
    with open(tmp_path / "dim_source.csv", newline="", encoding="utf-8") as handle:
        sources = list(csv.DictReader(handle))
    assert sorted(s["source_id"] for s in sources) == [
        "jsn_pilpres2024_kabkota",
        "ldw_dpt_kabkota",
        "ldw_suara_pilpres2024",
    ]
    assert "location" not in sources[0]
    # Each row names its own file and run through dim_load.csv, as in the warehouse.
    with open(tmp_path / "dim_load.csv", newline="", encoding="utf-8") as handle:
        loads = {r["load_id"]: r for r in csv.DictReader(handle)}
    given = {
        (r["source_id"], loads[r["load_id"]]["file_hash"], loads[r["load_id"]]["run_id"])
        for r in rows
    }
    assert all(loads[r["load_id"]]["source_id"] == r["source_id"] for r in rows)
    # A spreadsheet reads a key as a number of 15 significant digits: it is still the key.
    assert all(int(float(f"{float(k):.15g}")) == int(k) for k in loads)
    with demo_run.engine.connect() as connection:
        loaded = set(
            connection.execute(
                sa.text(
                    "SELECT DISTINCT f.source_id, l.file_hash, l.run_id "
                    "FROM fact_election_results f JOIN dim_load l USING (source_id, load_id) "
                    "WHERE f.source_id IN ('jsn_pilpres2024_kabkota', 'ldw_suara_pilpres2024')"
                )
            ).all()
        )
    assert len(given) == 2 and given == loaded
    # Only the public sources' files: none of FPPJB's.
    assert {r["source_id"] for r in loads.values()} == {s["source_id"] for s in sources}
    package = frictionless.Package(str(descriptor))
    assert sorted(r.name for r in package.resources) == [
        "dim_load",
        "dim_organization",
        "dim_region",
        "dim_source",
        "fact_election_results",
        "fact_voter_counts",
    ]
    assert sorted(lic["name"] for lic in package.to_dict()["licenses"]) == ["CC-BY-4.0", "ODbL-1.0"]


def test_the_run_writes_the_package(demo_run):
    event = next(
        e
        for e in demo_run.result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "open_data_package"
    )
    path = event.materialization.metadata["datapackage"].value
    assert path == str(demo_run.settings.warehouse_dir / "open_data" / "datapackage.json")
    assert frictionless.validate(path).valid


def test_cells_that_a_spreadsheet_would_run_are_neutralised():
    assert safe_cell('=HYPERLINK("http://x","a")') == '\'=HYPERLINK("http://x","a")'
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-5") == "-5"
    assert safe_cell("+62 812") == "'+62 812"
    assert safe_cell("Kabupaten Bandung") == "Kabupaten Bandung"
    assert safe_cell(42) == 42


def test_exported_text_columns_are_neutralised_once_per_distinct_value():
    """The export prepares whole Arrow columns: every copy of a formula-like value is fixed,
    numbers and ordinary text are kept, and integers stay integers where one is missing."""
    import pyarrow as pa

    from odc_pipeline.warehouse.export import _csv_ready
    from odc_pipeline.warehouse.schema import fact_tables

    fact_election_results = fact_tables()["election_results"]

    rows = pa.table(
        {
            "candidate": ["=SUM(A1)", "01", "-5", None, "=SUM(A1)", "@x"],
            "region_value": ["Kab. Bandung"] * 6,
            "votes": pa.array([1.0, 2.0, None, 4.0, 5.0, 6.0]),
        }
    )
    schema = pa.schema(
        [("candidate", pa.string()), ("region_value", pa.string()), ("votes", pa.int64())]
    )
    ready = _csv_ready(rows, fact_election_results, schema)
    assert ready.column("candidate").to_pylist() == [
        "'=SUM(A1)",
        "01",
        "-5",
        None,
        "'=SUM(A1)",
        "'@x",
    ]
    assert ready.column("region_value").to_pylist() == ["Kab. Bandung"] * 6
    assert ready.column("votes").to_pylist() == [1, 2, None, 4, 5, 6]


def test_a_source_written_a_batch_at_a_time_gives_the_same_file(tmp_path):
    """The export writes each source as PostgreSQL streams it, in batches: the file (and its
    hash) is the same as from the rows in one piece, a source's rows written as a chunk
    (noted for the next export to copy) included."""
    import pyarrow as pa

    from odc_pipeline.warehouse.csv_chunks import CsvChunks
    from odc_pipeline.warehouse.export import _write
    from odc_pipeline.warehouse.schema import fact_tables

    table = fact_tables()["election_results"]
    columns = ["candidate", "region_value", "votes", "year"]
    rows = pa.table(
        {
            "candidate": ["=SUM(A1)", "01", "-5", None, "@x", "02", "03"],
            "region_value": ["Kab. Bandung", "Kota, Bandung", "x", "y", "z", "a", 'b "q"'],
            "votes": pa.array([1, 2, None, 4, 5, 6, 7], pa.int64()),
            "year": pa.array([2024] * 7, pa.int64()),
        }
    )
    written = {}
    for name, read in {
        "whole": lambda: [rows],
        "batches": lambda: rows.to_batches(max_chunksize=2),
    }.items():
        chunks = CsvChunks(tmp_path / f"chunks-{name}")
        parts = [(None, read), ({"run": "r1"}, read)]  # the second as a chunk
        path = tmp_path / f"{name}.csv"
        digest = _write(parts, table, columns, path, chunks)
        written[name] = (path.read_bytes(), digest)
    assert len(rows.to_batches(max_chunksize=2)) == 4
    assert written["batches"] == written["whole"]
    lines = written["whole"][0].decode().splitlines()
    assert lines[0] == '"candidate","region_value","votes","year"'
    assert len(lines) == 1 + 2 * 7 and lines[1] == '"\'=SUM(A1)","Kab. Bandung",1,2024'


def test_an_unchanged_source_is_copied_from_the_live_file_not_kept_twice(tmp_path):
    """A source's rows made from what they were made from at the export before are copied
    from the live version's file, with no second copy of them kept on disk; a note of
    another version (an export killed between its switch and its note), or of a file
    changed since, is not trusted."""
    import json
    import os

    import pyarrow as pa

    from odc_pipeline.warehouse.csv_chunks import CsvChunks
    from odc_pipeline.warehouse.export import _write
    from odc_pipeline.warehouse.schema import fact_tables
    from odc_pipeline.warehouse.versions import new_version

    table = fact_tables()["election_results"]
    columns = ["candidate", "votes", "year"]
    rows = {
        source: pa.table(
            {
                "candidate": [f"{source}-{n}" for n in range(5)],
                "votes": pa.array(range(5), pa.int64()),
                "year": pa.array([2024] * 5, pa.int64()),
            }
        )
        for source in ("a", "b", "c")
    }
    read: list[str] = []

    def reading(source: str):
        def batches():
            read.append(source)
            return rows[source].to_batches(max_chunksize=2)

        return batches

    live = tmp_path / "open_data"
    former_cache = tmp_path / ".open_data.chunks"
    former_cache.mkdir()
    (former_cache / "0123.csv").write_text("a chunk kept twice\n")

    def export(made_from: dict[str, str]) -> bytes:
        chunks = CsvChunks(live)
        with new_version(live, keep_previous=True, after_switch=chunks.note) as building:
            chunks.read_live()
            parts = [({"source": s, "run": made_from[s]}, reading(s)) for s in sorted(made_from)]
            _write(parts, table, columns, building / "fact.csv", chunks)
        return (live / "fact.csv").read_bytes()

    first = export({"a": "r1", "b": "r1", "c": "r1"})
    assert read == ["a", "b", "c"] and not former_cache.exists()
    # b's rows were published again: only they are read; a's and c's are copied as bytes.
    read.clear()
    rows["b"] = rows["b"].set_column(1, "votes", pa.array([9] * 5, pa.int64()))
    second = export({"a": "r1", "b": "r2", "c": "r1"})
    assert read == ["b"]
    lines = second.decode().splitlines()
    assert lines[:2] == ['"candidate","votes","year"', '"a-0",0,2024']
    assert lines[6:8] == ['"b-0",9,2024', '"b-1",9,2024'] and lines[-1] == '"c-4",4,2024'
    before = first.decode().splitlines()
    assert len(lines) == len(before) == 16
    assert lines[1:6] == before[1:6] and lines[11:] == before[11:] and lines[6:11] != before[6:11]
    noted = json.loads((tmp_path / ".open_data.ranges.json").read_text())
    version = live.resolve().name
    assert noted["version"] == version
    assert sorted(r["written_in"] == version for r in noted["ranges"].values()) == [
        False,
        False,
        True,
    ]
    # Only the package's own versions are on disk: the live one and the one before.
    assert len(list((tmp_path / "open_data.versions").iterdir())) == 2

    # A file changed since its export (opened and saved by hand): its sources are read
    # again, and the file is as writing every row makes it.
    os.utime(live / "fact.csv", ns=(1, 1))
    read.clear()
    assert export({"a": "r1", "b": "r2", "c": "r1"}) == second
    assert read == ["a", "b", "c"]
    noted = json.loads((tmp_path / ".open_data.ranges.json").read_text())

    # A note that names another version than the live one: every source is read again,
    # and the file is the same.
    noted["version"] = "another"
    (tmp_path / ".open_data.ranges.json").write_text(json.dumps(noted))
    read.clear()
    assert export({"a": "r1", "b": "r2", "c": "r1"}) == second
    assert read == ["a", "b", "c"]
