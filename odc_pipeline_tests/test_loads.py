"""Fact rows carry a load key into dim_load instead of their file's hash and run's id."""

from __future__ import annotations

import pandas as pd
import pytest

from odc_pipeline.warehouse.loads import keyed_by_load, load_key

OLD, NEW = "a" * 64, "b" * 64


@pytest.mark.parametrize("dtype", ["object", "category"])
def test_each_row_takes_the_key_of_its_own_file(dtype):
    facts = pd.DataFrame(
        {"votes": [1, 2, 3, 4], "file_hash": pd.Series([OLD, NEW, NEW, OLD], dtype=dtype)}
    )
    keyed, loads = keyed_by_load(facts, "ldw_dpt", "run-7")
    assert sorted(loads["file_hash"]) == [OLD, NEW]
    assert list(keyed.columns) == ["votes", "load_id"]
    old, new = load_key("ldw_dpt", OLD), load_key("ldw_dpt", NEW)
    assert keyed["load_id"].tolist() == [old, new, new, old]
    assert keyed["votes"].tolist() == [1, 2, 3, 4]
    # The same file of another source is another load.
    assert load_key("jsn_dpt", OLD) != old


def test_a_key_survives_a_spreadsheet_and_a_browser():
    """A spreadsheet keeps 15 significant digits and reads a number as a double, as does a
    browser's JavaScript: every key must come back from both exactly."""
    keys = [load_key(f"src_{n}", f"{n:064x}") for n in range(20_000)]
    assert len(set(keys)) == len(keys)
    assert all(0 <= k < 10**15 for k in keys)
    assert all(int(float(f"{k:.15g}")) == k for k in keys)
    # The keys use the width they have: the largest of 20,000 has 15 digits.
    assert len(str(max(keys))) == 15


def test_dim_load_holds_each_file_once_with_its_run():
    facts = pd.DataFrame({"votes": [1, 2, 3], "file_hash": [NEW, OLD, NEW]})
    _, loads = keyed_by_load(facts, "ldw_dpt", "run-7")
    assert loads.sort_values("file_hash").to_dict("records") == [
        {
            "load_id": load_key("ldw_dpt", OLD),
            "source_id": "ldw_dpt",
            "file_hash": OLD,
            "run_id": "run-7",
        },
        {
            "load_id": load_key("ldw_dpt", NEW),
            "source_id": "ldw_dpt",
            "file_hash": NEW,
            "run_id": "run-7",
        },
    ]


def test_a_row_without_its_file_is_refused_not_keyed_to_another():
    facts = pd.DataFrame({"votes": [1, 2], "file_hash": [OLD, None]})
    with pytest.raises(ValueError, match="rows of ldw_dpt without the hash of the file"):
        keyed_by_load(facts, "ldw_dpt", "run-7")


def test_no_rows_give_no_files():
    empty = pd.DataFrame({"votes": [], "file_hash": []})
    keyed, loads = keyed_by_load(empty, "ldw_dpt", "run-7")
    assert len(loads) == 0 and len(keyed) == 0 and "load_id" in keyed
