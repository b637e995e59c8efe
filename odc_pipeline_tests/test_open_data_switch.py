"""The open data package is switched whole: an export killed or out of disk part-way leaves the
live package as it was, and each export holds exactly what is public now, nothing older."""

from __future__ import annotations

import errno
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import frictionless
import pytest

from odc_pipeline.regions.reference import load_reference
from odc_pipeline.warehouse import export
from odc_pipeline.warehouse.catalog import Catalog, OrganizationInfo
from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline.warehouse.export import export_open_data
from odc_pipeline.warehouse.publish import publish
from odc_pipeline.warehouse.versions import BUILDING_MARK, versions_folder
from odc_pipeline_tests.publish_worker import CATALOG, batch

#: Two public sources of election results, one per organisation (`results_a` as the worker's).
SOURCES = {"results_a": "org_a", "results_b": "org_b"}


class SmallWarehouse:
    """A SQLite warehouse of the two sources, republished with whatever sharing a test sets."""

    def __init__(self, folder: Path) -> None:
        self.url = f"sqlite:///{folder / 'odc.sqlite'}"
        self.engine = make_engine(self.url)
        self.open_data = folder / "open_data"
        self.runs = 0
        batches = [
            replace(batch(60, seed=n), source_id=s, organization_id=o)
            for n, (s, o) in enumerate(SOURCES.items())
        ]
        self._publish(load_reference(), batches, results_a="public", results_b="public")

    def share(self, **sharing: str) -> None:
        """Publish the next version with these sharing levels; the rows are carried forward."""
        self._publish(None, [], **sharing)

    def _publish(self, regions, batches, **sharing: str) -> None:
        template = CATALOG.sources[0]
        catalog = Catalog(
            organizations=[OrganizationInfo(o, f"Organisation {o}") for o in SOURCES.values()],
            sources=[
                replace(template, source_id=s, organization_id=o, sharing=sharing[s])
                for s, o in SOURCES.items()
            ],
        )
        self.runs += 1
        publish(self.engine, regions, batches, f"run_{self.runs}", catalog)


@pytest.fixture
def warehouse(tmp_path: Path):
    small = SmallWarehouse(tmp_path)
    yield small
    small.engine.dispose()


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file a reader of `folder` sees, with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def assert_valid(descriptor: Path) -> None:
    report = frictionless.validate(str(descriptor))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "type", "note"])


def building_folders(live: Path) -> list[str]:
    return [p.name for p in versions_folder(live).iterdir() if p.name.startswith(BUILDING_MARK)]


def cut_while_writing(table_name: str, stop: Callable[[], None]):
    """`export._write` that writes half of `table_name`'s file, then `stop`s the export."""
    real_write = export._write

    def write(parts, table, columns, path: Path, chunks) -> None:
        real_write(parts, table, columns, path, chunks)
        if table.name == table_name:
            written = path.read_bytes()
            path.write_bytes(written[: len(written) // 2])
            stop()

    return write


def no_space_left() -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def export_killed_while_writing_regions(url: str, live: str) -> None:
    """In a process of its own: an export killed (SIGKILL, no clean-up at all) halfway through
    `dim_region.csv`, as the issue saw it happen."""
    export._write = cut_while_writing("dim_region", lambda: os.kill(os.getpid(), signal.SIGKILL))
    export_open_data(make_engine(url), Path(live))


def legacy_folder(live: Path) -> dict[str, bytes]:
    """Make `live` a real folder holding a complete package, as the export before versions
    left it; the files it holds."""
    if live.is_symlink():
        package = Path(os.path.realpath(live))
        live.unlink()
        shutil.copytree(package, live)
    return files_of(live)


def fingerprint(package: Path) -> dict[str, str]:
    """The SHA-256 of the descriptor of `package` and of every file it lists."""
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    names = ["datapackage.json", *(r["path"] for r in descriptor["resources"])]
    return {name: hashlib.sha256((package / name).read_bytes()).hexdigest() for name in names}


@pytest.mark.parametrize("layout", ["versions", "before versions"])
def test_an_export_out_of_disk_leaves_the_live_package_as_it_was(warehouse, monkeypatch, layout):
    export_open_data(warehouse.engine, warehouse.open_data)
    before = (
        legacy_folder(warehouse.open_data)
        if layout == "before versions"
        else files_of(warehouse.open_data)
    )
    link_before = os.readlink(warehouse.open_data) if warehouse.open_data.is_symlink() else None

    monkeypatch.setattr(export, "_write", cut_while_writing("dim_region", no_space_left))
    with pytest.raises(OSError, match="No space left"):
        export_open_data(warehouse.engine, warehouse.open_data)

    assert files_of(warehouse.open_data) == before
    if layout == "versions":
        assert os.readlink(warehouse.open_data) == link_before
    else:
        assert not warehouse.open_data.is_symlink()
    assert building_folders(warehouse.open_data) == [], "a full disk gets its space back at once"
    monkeypatch.undo()
    assert_valid(export_open_data(warehouse.engine, warehouse.open_data))


@pytest.mark.slow
def test_a_killed_export_leaves_the_live_package_and_the_next_one_cleans_up(warehouse):
    export_open_data(warehouse.engine, warehouse.open_data)
    before, version_before = files_of(warehouse.open_data), os.path.realpath(warehouse.open_data)

    process = multiprocessing.get_context("spawn").Process(
        target=export_killed_while_writing_regions, args=(warehouse.url, str(warehouse.open_data))
    )
    process.start()
    process.join(timeout=120)
    assert process.exitcode == -signal.SIGKILL

    assert files_of(warehouse.open_data) == before
    assert os.path.realpath(warehouse.open_data) == version_before
    assert len(building_folders(warehouse.open_data)) == 1, "the killed run's half version"

    descriptor = export_open_data(warehouse.engine, warehouse.open_data)
    assert_valid(descriptor)
    assert building_folders(warehouse.open_data) == []
    # The live version and the one before it (readers may still be on it), nothing else.
    assert len(list(versions_folder(warehouse.open_data).iterdir())) == 2


def test_a_source_made_private_leaves_no_trace_in_the_package(warehouse):
    export_open_data(warehouse.engine, warehouse.open_data)
    assert b"results_b" in files_of(warehouse.open_data)["fact_election_results.csv"]

    warehouse.share(results_a="public", results_b="private")
    descriptor = export_open_data(warehouse.engine, warehouse.open_data)

    assert_valid(descriptor)
    for name, data in files_of(warehouse.open_data).items():
        assert b"results_b" not in data, name
        assert b"org_b" not in data, name
    # The export leaves it out, not the warehouse: its rows are still there for members.
    with warehouse.engine.connect() as connection:
        kept = connection.exec_driver_sql(
            "select count(*) from fact_election_results where source_id = 'results_b'"
        ).scalar_one()
    assert kept == 60


def test_a_table_without_public_rows_has_no_file_and_no_resource(warehouse):
    export_open_data(warehouse.engine, warehouse.open_data)

    warehouse.share(results_a="members", results_b="private")
    descriptor = export_open_data(warehouse.engine, warehouse.open_data)

    assert_valid(descriptor)
    # The regions are public reference data; nothing else is public any more.
    assert sorted(files_of(warehouse.open_data)) == ["datapackage.json", "dim_region.csv"]
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    assert [r["name"] for r in package["resources"]] == ["dim_region"]
    assert package["sources"] == []


def test_the_folder_of_an_older_release_is_replaced_by_the_link(warehouse):
    export_open_data(warehouse.engine, warehouse.open_data)
    legacy_folder(warehouse.open_data)
    (warehouse.open_data / "fact_voter_counts.csv").write_text("source_id\nresults_b\n")

    descriptor = export_open_data(warehouse.engine, warehouse.open_data)

    assert warehouse.open_data.is_symlink()
    assert descriptor == warehouse.open_data / "datapackage.json"
    assert "fact_voter_counts.csv" not in files_of(warehouse.open_data)
    assert_valid(descriptor)


def test_readers_of_the_live_path_always_find_a_whole_package(warehouse):
    """A reader opening `open_data/datapackage.json` while exports of two different contents
    follow each other always finds the descriptor, and every file it lists as one of the
    exports wrote it: never a file cut short, never files of two exports mixed."""
    export_open_data(warehouse.engine, warehouse.open_data)
    exported = [fingerprint(warehouse.open_data)]
    seen: list[dict[str, str]] = []
    problems: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                # One version: resolve the link once, read every file from there.
                seen.append(fingerprint(Path(os.path.realpath(warehouse.open_data))))
            except (OSError, ValueError, KeyError) as error:
                problems.append(repr(error))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for round_ in range(6):
            sharing = "private" if round_ % 2 else "public"
            warehouse.share(results_a="public", results_b=sharing)
            export_open_data(warehouse.engine, warehouse.open_data)
            exported.append(fingerprint(warehouse.open_data))
    finally:
        stop.set()
        reader.join()
    assert problems == []
    assert [s for s in seen if s not in exported] == [], "a package no export wrote"
    assert len({json.dumps(s, sort_keys=True) for s in seen}) == 2, "both contents were read"
