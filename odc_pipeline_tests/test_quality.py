"""Great Expectations on the published warehouse: passes on a good publish, names what broke."""

from __future__ import annotations

import gc
import os
import re
import shutil
import weakref

import pyarrow as pa
import sqlalchemy as sa

from odc_pipeline.quality.warehouse_suite import run_suite

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
    assert "expect_column_values_to_be_in_set" in evaluation.metadata["expectations"].value


def test_suite_names_each_broken_expectation(demo_run, tmp_path):
    copy = tmp_path / "odc.sqlite"
    shutil.copy(demo_run.settings.default_warehouse_path, copy)
    engine = sa.create_engine(f"sqlite:///{copy}")
    with engine.begin() as connection:
        # A row nobody published: an unknown region, a duplicated source row, negative votes.
        connection.execute(
            sa.text(
                "insert into fact_election_results (election, year, contest, candidate, votes, region_code, "
                "region_level, region_value, region_method, region_score, region_rule, organization_id, "
                "source_id, source_row, file_hash, run_id) select election, year, contest, candidate, -5, "
                "'32.99', region_level, region_value, region_method, region_score, region_rule, "
                "organization_id, source_id, source_row, file_hash, run_id from fact_election_results limit 1"
            )
        )
    outcome = run_suite(engine, "election_results", DEMO_SOURCES, tmp_path / "docs")
    failed = sorted((o.expectation, o.column) for o in outcome.outcomes if not o.success)
    assert not outcome.success
    assert failed == [
        ("expect_column_values_to_be_between", "votes"),
        ("expect_column_values_to_be_in_set", "region_code_in_dim_region"),
        ("expect_compound_columns_to_be_unique", "source_id,file_hash,source_row"),
        ("expect_table_row_count_to_equal", None),
    ]
    unexpected = {o.column: o.unexpected for o in outcome.outcomes if not o.success}
    # Both rows of the repeated source row, the one unknown code, the one negative count.
    assert unexpected == {
        "votes": 1,
        "region_code_in_dim_region": 1,
        "source_id,file_hash,source_row": 2,
        None: None,
    }
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

    def remembered(engine, kind):
        frame = _suite_frame(engine, kind)
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


def test_a_big_table_is_read_as_two_halves_at_once_and_makes_the_whole(tmp_path, monkeypatch):
    from odc_pipeline.warehouse import frames

    engine, table = _numbers_table(tmp_path / "w.sqlite", 1_000)
    fetched = []
    fetch = frames._fetch_sqlite
    monkeypatch.setattr(frames, "_fetch_sqlite", lambda *a: fetched.append(a[1]) or fetch(*a))
    monkeypatch.setattr(frames, "SPLIT_READ_ROWS", 100)
    rows = frames.read_columns(engine, table, ["n", "label", "share"])
    assert len(fetched) == 2 and all("rowid" in query for query in fetched)
    assert rows.schema.types == [pa.int64(), pa.string(), pa.float64()]
    assert rows.column("n").to_pylist() == [n for n in range(1_000) if n not in (3, 4, 5)]
    assert rows.column("label").to_pylist() == [
        f"0{n}" if n < 500 else None for n in range(1_000) if n not in (3, 4, 5)
    ]
    # Below the threshold, one read.
    fetched.clear()
    monkeypatch.setattr(frames, "SPLIT_READ_ROWS", 5_000)
    assert frames.read_columns(engine, table, ["n"]).num_rows == 997
    assert len(fetched) == 1 and "rowid" not in fetched[0]
    # An empty table reads in its declared types too (the driver alone would say int64).
    with engine.begin() as connection:
        connection.execute(table.delete())
    empty = frames.read_columns(engine, table, ["n", "label", "share"])
    assert empty.num_rows == 0
    assert empty.schema.types == [pa.int64(), pa.string(), pa.float64()]
    engine.dispose()


def test_a_file_swapped_in_while_the_halves_open_is_read_whole(tmp_path, monkeypatch):
    """The publisher replaces the file by renaming a new one over it: two connections opened
    across that moment would read halves of two different nights."""
    import adbc_driver_sqlite.dbapi as adbc

    from odc_pipeline.warehouse import frames

    path = tmp_path / "w.sqlite"
    engine, table = _numbers_table(path, 1_000)
    newer, _ = _numbers_table(tmp_path / "newer.sqlite", 600, first=10_000)
    newer.dispose()
    connect = adbc.connect
    opened = []

    def publish_after_the_first_connection(*args, **kwargs):
        connection = connect(*args, **kwargs)
        opened.append(connection)
        if len(opened) == 1:
            os.replace(tmp_path / "newer.sqlite", path)
        return connection

    monkeypatch.setattr(adbc, "connect", publish_after_the_first_connection)
    monkeypatch.setattr(frames, "SPLIT_READ_ROWS", 100)
    rows = frames.read_columns(engine, table, ["n"])
    assert rows.column("n").to_pylist() == [10_000 + n for n in range(600) if n not in (3, 4, 5)]
    engine.dispose()


def test_some_rows_are_read_as_two_halves_of_the_range_they_span(tmp_path, monkeypatch):
    """One source's rows (the open data export reads a source at a time): the halves split
    the rowids that source spans, and rows of another source inside that span stay out."""
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
    # b before and after a; a with one row of c in the middle of its span.
    rows = [("b", n, None) for n in range(50)]
    rows += [("a", n, day + datetime.timedelta(days=n % 3)) for n in range(400)]
    rows.insert(250, ("c", -1, day))
    rows += [("b", n, None) for n in range(50, 80)]
    with engine.begin() as connection:
        connection.execute(
            table.insert(), [{"source_id": s, "n": n, "date": d} for s, n, d in rows]
        )
    fetched = []
    fetch = frames._fetch_sqlite
    monkeypatch.setattr(frames, "_fetch_sqlite", lambda *a: fetched.append(a[1]) or fetch(*a))
    monkeypatch.setattr(frames, "SPLIT_READ_ROWS", 100)
    statement = sa.select(table.c.n, table.c.date).where(table.c.source_id == "a")
    read = frames.read_table_rows(engine, table, statement)
    assert len(fetched) == 2 and all("rowid" in query for query in fetched)
    assert read.schema.types == [pa.int64(), pa.date32()]
    assert read.column("n").to_pylist() == list(range(400))
    assert read.column("date").to_pylist() == [
        day + datetime.timedelta(days=n % 3) for n in range(400)
    ]
    # b spans a's rows too (read in halves, a's left out) and has no dates at all.
    fetched.clear()
    b_rows = frames.read_table_rows(
        engine, table, sa.select(table.c.n, table.c.date).where(table.c.source_id == "b")
    )
    assert len(fetched) == 2
    assert b_rows.column("n").to_pylist() == list(range(80))
    assert b_rows.column("date").type == pa.date32() and b_rows.column("date").null_count == 80
    # A source spanning fewer rowids than the threshold: one read; none at all: empty, typed.
    fetched.clear()
    c_rows = frames.read_table_rows(
        engine, table, sa.select(table.c.n).where(table.c.source_id == "c")
    )
    assert c_rows.column("n").to_pylist() == [-1] and len(fetched) == 1
    nothing = frames.read_table_rows(
        engine, table, sa.select(table.c.n, table.c.date).where(table.c.source_id == "z")
    )
    assert nothing.num_rows == 0 and nothing.schema.types == [pa.int64(), pa.date32()]
    engine.dispose()


def _docs_pages(root) -> dict[str, str]:
    """A suite's Data Docs pages by kind, with what differs from one build to the next (times,
    ids) written as placeholders."""
    site = root / "fact_election_results" / "gx" / "uncommitted" / "data_docs" / "local_site"
    (validation,) = (site / "validations" / "fact_election_results").rglob("*.html")
    pages = {
        "index": site / "index.html",
        "suite": site / "expectations" / "fact_election_results.html",
        "validation": validation,
    }
    varying = re.compile(
        r"\d{8}T\d{6}\.\d+Z|[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}"
        r"|\d{4}-\d{2}-\d{2}[T ][\d:.]+(?: UTC|\+00:00|Z)?|\d{10}\.\d+"
    )
    return {
        kind: varying.sub("~", path.read_text(encoding="utf-8")) for kind, path in pages.items()
    }


def test_data_docs_templates_are_compiled_once_per_process(demo_run, tmp_path, monkeypatch):
    """Every view of every suite's Data Docs shares the process's compiled templates: a second
    suite compiles none, and the pages are the ones GX's own views make (the project's custom
    styles included)."""
    import jinja2
    import yaml

    from odc_pipeline.quality import docs_views

    compiled = []
    compile_template = jinja2.Environment.compile

    def counted(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return compile_template(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    engine = sa.create_engine(f"sqlite:///{demo_run.settings.default_warehouse_path}")
    try:
        with monkeypatch.context() as gx_views:
            gx_views.setattr(docs_views, "with_shared_template_code", lambda site: site)
            run_suite(engine, "election_results", DEMO_SOURCES, tmp_path / "gx")
        run_suite(engine, "election_results", DEMO_SOURCES, tmp_path / "ours")
        first = len(compiled)
        # The next night's suite, in the same project folder (made afresh).
        outcome = run_suite(engine, "election_results", DEMO_SOURCES, tmp_path / "ours")
    finally:
        engine.dispose()
    assert first > 0 and compiled[first:] == []
    project = tmp_path / "ours" / "fact_election_results" / "gx"
    site = yaml.safe_load((project / "great_expectations.yml").read_text())["data_docs_sites"]
    views = {
        site["local_site"]["site_index_builder"]["view"]["class_name"],
        *(s["view"]["class_name"] for s in site["local_site"]["site_section_builders"].values()),
    }
    assert views == {"IndexPageView", "PageView"}
    ours, theirs = _docs_pages(tmp_path / "ours"), _docs_pages(tmp_path / "gx")
    assert ours == theirs
    assert all(".ge-index-page-site-name-title" in page for page in ours.values())  # custom styles
    assert "region_code_in_dim_region" in ours["validation"]
    assert outcome.data_docs is not None and outcome.data_docs.exists()
