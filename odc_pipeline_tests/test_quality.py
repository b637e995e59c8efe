"""Great Expectations on the published warehouse: passes on a good publish, names what broke."""

from __future__ import annotations

import gc
import shutil
import weakref

import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa

from odc_pipeline.quality.warehouse_suite import (
    ROWS_PER_CHECK,
    Part,
    row_parts,
    run_suite,
    source_groups,
)

DEMO_SOURCES = ["jsn_pilpres2024_kabkota", "fppjb_rekap_pilpres2024", "ldw_suara_pilpres2024"]


def test_suite_check_in_the_run_has_data_docs(demo_run):
    evaluation = next(
        e
        for e in demo_run.result.get_asset_check_evaluations()
        if e.check_name == "great_expectations_suite"
    )
    assert evaluation.passed
    docs = evaluation.metadata["data_docs"].value
    assert docs.endswith("local_site/index.html")
    assert docs.startswith(str(demo_run.settings.warehouse_dir))
    table = evaluation.metadata["expectations"].value
    assert "| every region_code is in dim_region | yes |" in table
    assert "expect_" not in table  # plain words, not Great Expectations' names


def _warehouse_copy(demo_run, tmp_path, monkeypatch, rows_per_check: int) -> sa.Engine:
    """A copy of the demo warehouse to break, checked `rows_per_check` rows at a time."""
    from odc_pipeline.quality import warehouse_suite

    monkeypatch.setattr(warehouse_suite, "ROWS_PER_CHECK", rows_per_check)
    copy = tmp_path / "odc.sqlite"
    shutil.copy(demo_run.settings.default_warehouse_path, copy)
    return sa.create_engine(f"sqlite:///{copy}")


@pytest.mark.parametrize("rows_per_check", [ROWS_PER_CHECK, 10])
def test_suite_names_each_broken_expectation(demo_run, tmp_path, monkeypatch, rows_per_check):
    """Whether the table is checked whole or each source in parts of about 10 rows, the
    suite finds the same broken rows."""
    engine = _warehouse_copy(demo_run, tmp_path, monkeypatch, rows_per_check)
    with engine.begin() as connection:
        # A row nobody published: an unknown region, a duplicated source row, negative votes.
        connection.execute(
            sa.text(
                "insert into fact_election_results (election, year, contest, candidate, votes, region_code, "
                "region_level, region_value, region_method, region_score, region_rule, organization_id, "
                "source_id, source_row, load_id) select election, year, contest, candidate, -5, "
                "'32.99', region_level, region_value, region_method, region_score, region_rule, "
                "organization_id, source_id, source_row, load_id from fact_election_results limit 1"
            )
        )
    outcome = run_suite(engine, "election_results", DEMO_SOURCES, tmp_path / "docs")
    failed = sorted((o.expectation, o.column) for o in outcome.outcomes if not o.success)
    assert not outcome.success
    assert failed == [
        ("expect_column_values_to_be_between", "votes"),
        ("expect_column_values_to_be_in_set", "region_code_in_dim_region"),
        ("expect_compound_columns_to_be_unique", "source_id,load_id,source_row"),
        ("expect_table_row_count_to_equal", None),
    ]
    unexpected = {o.column: o.unexpected for o in outcome.outcomes if not o.success}
    # Both rows of the repeated source row, the one unknown code, the one negative count.
    assert unexpected == {
        "votes": 1,
        "region_code_in_dim_region": 1,
        "source_id,load_id,source_row": 2,
        None: None,
    }
    assert sorted(o.text for o in outcome.outcomes if not o.success) == [
        "each row of a source's file appears once",
        "every region_code is in dim_region",
        "the table holds as many rows as load_audit published",
        "votes stays within its declared range",
    ]
    row_count = next(
        o for o in outcome.outcomes if o.expectation == "expect_table_row_count_to_equal"
    )
    assert row_count.observed == "126"
    assert outcome.data_docs is not None and outcome.data_docs.exists()
    engine.dispose()


def test_suite_lets_go_of_a_long_frame_it_validated(demo_run, tmp_path, monkeypatch):
    """Great Expectations holds the validated frame in reference cycles and as its current
    project; after a long table the suite frees it before returning, not at some later
    garbage collection. A short one is left to the collector (a collection costs more)."""
    from odc_pipeline.quality import warehouse_suite

    made = []

    def remembered(*args):
        frame = _suite_frame(*args)
        made.append(weakref.ref(frame))
        return frame

    _suite_frame = warehouse_suite._suite_frame
    monkeypatch.setattr(warehouse_suite, "_suite_frame", remembered)
    engine = sa.create_engine(f"sqlite:///{demo_run.settings.default_warehouse_path}")
    gc.collect()
    gc.disable()  # only the suite's own collection may free it
    try:
        assert run_suite(engine, "election_results", DEMO_SOURCES, tmp_path / "a").success
        first = made[0]()
        assert first is not None and 0 < len(first) < warehouse_suite.COLLECT_AFTER_ROWS
        monkeypatch.setattr(warehouse_suite, "COLLECT_AFTER_ROWS", len(first))  # now long
        del first
        assert run_suite(engine, "election_results", DEMO_SOURCES, tmp_path / "b").success
        assert len(made) == 2 and made[1]() is None
    finally:
        gc.enable()
        engine.dispose()


def test_sources_are_checked_in_groups_of_bounded_rows():
    rows = {"a": 400, "b": 500, "c": 200, "d": 1_500, "e": 100}
    assert source_groups(rows, limit=1_000) == [["a", "b"], ["c"], ["d"], ["e"]]
    assert source_groups({}, limit=1_000) == []


def test_a_large_source_is_cut_between_row_numbers_and_its_count_kept_whole():
    # Numbers as a two-year source holds them: each year's file counts from 1.
    numbers = np.array([1, 2, 3, 4, 5, 6, 1, 2, 3, 4])
    parts = row_parts("s", 10, numbers, limit=3)
    # In order 1 1 2 2 3 3 4 4 5 6: every third number starts a part.
    assert parts == [
        Part(["s"], 2, None, 2),
        Part(["s"], 4, 2, 4),
        Part(["s"], 3, 4, 6),
        Part(["s"], 1, 6, None),
    ]
    # Each row is in one part, and both rows with the same number in the same part.
    bounds = [(p.first_row or 0, p.next_row or 99) for p in parts]
    assert [sum(lo <= n < hi for lo, hi in bounds) for n in numbers] == [1] * 10
    # The last part expects what was published less the other parts' rows; never below 0.
    assert row_parts("s", 12, numbers, limit=3)[-1].expected_rows == 3
    assert row_parts("s", 5, numbers, limit=3)[-1].expected_rows == 0
    assert row_parts("s", 10, numbers, limit=10) == [Part(["s"], 10)]


@pytest.mark.parametrize("change", ["repeat", "drop", "none"])
def test_a_source_checked_in_parts_finds_what_the_whole_check_finds(
    demo_run, tmp_path, monkeypatch, change
):
    """With at most 10 rows at once each source is checked in parts. A repeated row is
    found in its part, and the row count over the parts is the source's: one row too few or
    too many fails it, though every part but the last took its count from the table."""
    from odc_pipeline.quality import warehouse_suite

    engine = _warehouse_copy(demo_run, tmp_path, monkeypatch, rows_per_check=10)
    source = DEMO_SOURCES[1]
    with engine.begin() as connection:
        if change == "repeat":
            connection.execute(
                sa.text(
                    "insert into fact_election_results select * from fact_election_results "
                    "where source_id = :s order by source_row desc limit 1"
                ),
                {"s": source},
            )
        elif change == "drop":
            connection.execute(
                sa.text(
                    "delete from fact_election_results where rowid = (select rowid from "
                    "fact_election_results where source_id = :s order by source_row limit 1)"
                ),
                {"s": source},
            )
        held = connection.execute(
            sa.text("select count(*) from fact_election_results where source_id = :s"),
            {"s": source},
        ).scalar_one()
    checked: list[int] = []
    frame_of = warehouse_suite._suite_frame

    def counted(engine, kind, part, official):
        frame = frame_of(engine, kind, part, official)
        checked.append(len(frame))
        return frame

    monkeypatch.setattr(warehouse_suite, "_suite_frame", counted)
    outcome = run_suite(engine, "election_results", DEMO_SOURCES, tmp_path / "docs", [source])
    assert sum(checked) == held and len(checked) == 3 and max(checked) == 10
    failed = sorted(o.expectation for o in outcome.outcomes if not o.success)
    assert (
        failed
        == {
            "repeat": ["expect_compound_columns_to_be_unique", "expect_table_row_count_to_equal"],
            "drop": ["expect_table_row_count_to_equal"],
            "none": [],
        }[change]
    )
    row_count = next(o for o in outcome.outcomes if o.expectation.endswith("row_count_to_equal"))
    assert row_count.observed == str(held)
    engine.dispose()


def test_rows_moved_to_a_source_nobody_published_fail_the_row_count(
    demo_run, tmp_path, monkeypatch
):
    """Checked a source at a time, the row count holds per source: three rows moved from one
    source to another are found, though the table's total is right."""
    engine = _warehouse_copy(demo_run, tmp_path, monkeypatch, rows_per_check=10)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "update fact_election_results set source_id = 'gone' where rowid in "
                "(select rowid from fact_election_results where source_id = :s limit 3)"
            ),
            {"s": DEMO_SOURCES[0]},
        )
    outcome = run_suite(engine, "election_results", DEMO_SOURCES, tmp_path / "docs")
    failed = [o for o in outcome.outcomes if not o.success]
    assert [o.expectation for o in failed] == ["expect_table_row_count_to_equal"]
    assert failed[0].observed == "125"  # the total, still right
    engine.dispose()


def _numbers_table(path, rows: int, first: int = 0):
    """A real SQLite file with `rows` rows numbered from `first`; `label` is empty in the
    second half only, so that half alone would be read as integers."""
    metadata = sa.MetaData()
    table = sa.Table(
        "numbers",
        metadata,
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("label", sa.String(16)),
        sa.Column("share", sa.Float),
    )
    engine = sa.create_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            table.insert(),
            [
                {"n": first + n, "label": f"0{n}" if n < rows // 2 else None, "share": n / 7}
                for n in range(rows)
            ],
        )
        gaps = [first + 3, first + 4, first + 5]
        connection.execute(table.delete().where(table.c.n.in_(gaps)))  # gaps in rowid
    return engine, table


def test_columns_are_read_in_their_declared_types(tmp_path):
    """A column empty in the first rows, or in every row, still reads in the type the
    schema declares (the driver alone would guess from the values it sees)."""
    from odc_pipeline.warehouse import frames

    engine, table = _numbers_table(tmp_path / "w.sqlite", 1_000)
    rows = frames.read_columns(engine, table, ["n", "label", "share"])
    assert rows.schema.types == [pa.int64(), pa.string(), pa.float64()]
    assert rows.column("n").to_pylist() == [n for n in range(1_000) if n not in (3, 4, 5)]
    assert rows.column("label").to_pylist() == [
        f"0{n}" if n < 500 else None for n in range(1_000) if n not in (3, 4, 5)
    ]
    with engine.begin() as connection:
        connection.execute(table.delete())
    empty = frames.read_columns(engine, table, ["n", "label", "share"])
    assert empty.num_rows == 0
    assert empty.schema.types == [pa.int64(), pa.string(), pa.float64()]
    engine.dispose()


def test_one_sources_rows_are_read_with_their_dates(tmp_path):
    """The open data export reads a source at a time: only its rows, dates as dates, and a
    source without any date still gets a date column."""
    import datetime

    from odc_pipeline.warehouse import frames

    metadata = sa.MetaData()
    table = sa.Table(
        "reports",
        metadata,
        sa.Column("source_id", sa.String(16), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("date", sa.Date),
    )
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    metadata.create_all(engine)
    day = datetime.date(2024, 2, 14)
    rows = [("b", n, None) for n in range(50)]
    rows += [("a", n, day + datetime.timedelta(days=n % 3)) for n in range(400)]
    rows.insert(250, ("c", -1, day))
    with engine.begin() as connection:
        connection.execute(
            table.insert(), [{"source_id": s, "n": n, "date": d} for s, n, d in rows]
        )
    read = frames.read_rows(
        engine, sa.select(table.c.n, table.c.date).where(table.c.source_id == "a")
    )
    assert read.schema.types == [pa.int64(), pa.date32()]
    assert read.column("n").to_pylist() == list(range(400))
    assert read.column("date").to_pylist() == [
        day + datetime.timedelta(days=n % 3) for n in range(400)
    ]
    b_rows = frames.read_rows(
        engine, sa.select(table.c.n, table.c.date).where(table.c.source_id == "b")
    )
    assert b_rows.column("date").type == pa.date32() and b_rows.column("date").null_count == 50
    nothing = frames.read_rows(
        engine, sa.select(table.c.n, table.c.date).where(table.c.source_id == "z")
    )
    assert nothing.num_rows == 0 and nothing.schema.types == [pa.int64(), pa.date32()]
    engine.dispose()


def test_a_run_checks_the_sources_it_published(demo_run, tmp_path, monkeypatch):
    """`only`: a broken row of another source is left to the run that published it, a broken
    row of the source named is found, and rows of a source nobody published are always
    checked."""
    engine = _warehouse_copy(demo_run, tmp_path, monkeypatch, ROWS_PER_CHECK)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "update fact_election_results set votes = -5 where rowid = "
                "(select min(rowid) from fact_election_results where source_id = :s)"
            ),
            {"s": DEMO_SOURCES[0]},
        )
    other = run_suite(engine, "election_results", DEMO_SOURCES, tmp_path / "a", DEMO_SOURCES[1:2])
    assert other.success and (other.sources_checked, other.sources_in_table) == (1, 3)
    named = run_suite(engine, "election_results", DEMO_SOURCES, tmp_path / "b", DEMO_SOURCES[:1])
    assert [o.column for o in named.outcomes if not o.success] == ["votes"]
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "update fact_election_results set source_id = 'gone' where rowid = "
                "(select max(rowid) from fact_election_results where source_id = :s)"
            ),
            {"s": DEMO_SOURCES[2]},
        )
    orphan = run_suite(engine, "election_results", DEMO_SOURCES, tmp_path / "c", DEMO_SOURCES[1:2])
    assert not orphan.success and orphan.sources_checked == 2  # the named one and 'gone'
    engine.dispose()
