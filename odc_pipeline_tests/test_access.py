"""Access levels: each audience reads exactly the sources its sharing level allows.

PostgreSQL: the test logs in as users in each group role the publish created and proves what
they can and cannot read. SQLite: the per-audience files hold only their audience's rows, down
to the bytes of the file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from contextlib import closing

import pandas as pd
import psycopg
import pyarrow as pa
import pytest
import sqlalchemy as sa
from psycopg import sql

from odc_pipeline.registry import load_registry
from odc_pipeline.warehouse.audiences import MEMBERS, PUBLIC
from odc_pipeline.warehouse.schema import fact_election_results
from odc_pipeline.warehouse.sqlite_files import SHARED_FOLDER
from odc_pipeline.warehouse.sqlite_layers import Layer, LayeredBuild, build_files
from odc_pipeline_tests.conftest import (
    demo_registry_document,
    make_settings,
    run_all,
    write_registry,
)

JSN, FPPJB, LDW = "jsn_pilpres2024_kabkota", "fppjb_rekap_pilpres2024", "ldw_suara_pilpres2024"
#: Rows each demo source publishes (JSN public, FPPJB members, LDW made private below).
PUBLISHED = {JSN: 77, FPPJB: 22, LDW: 26}
BY_SOURCE_TABLES = ("fact_election_results", "quarantine", "region_review", "load_audit")


def _private_ldw_registry(tmp_path):
    """The demo's results sources, LDW's made private: one fact table holds every source
    whose rows each audience may or may not read."""
    document = demo_registry_document()
    document["sources"] = [e for e in document["sources"] if e["kind"] == "election_results"]
    for entry in document["sources"]:
        if entry["id"] == LDW:
            entry["sharing"] = "private"
    path = write_registry(tmp_path / "registry", document)
    return make_settings(tmp_path, path), load_registry(path)


def _login(postgres_url: str, user: str) -> psycopg.Connection:
    url = sa.engine.make_url(postgres_url)
    return psycopg.connect(
        host=url.host, port=url.port, dbname=url.database, user=user, autocommit=True
    )


def _sources_seen(connection: psycopg.Connection, schema: str) -> dict[str, int]:
    rows = connection.execute(
        sql.SQL("select source_id, count(*) from {} group by 1").format(
            sql.Identifier(schema, "fact_election_results")
        )
    ).fetchall()
    return dict(rows)


def _denied(connection: psycopg.Connection, schema: str, table: str = "fact_election_results"):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        connection.execute(sql.SQL("select 1 from {}").format(sql.Identifier(schema, table)))


def test_postgres_roles_read_only_their_audiences(postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ODC_WAREHOUSE_URL", postgres_url)
    prefix = os.environ["ODC_ROLE_PREFIX"]  # set per test by the fixture
    settings, registry = _private_ldw_registry(tmp_path)
    assert run_all(settings, registry).success

    admin = psycopg.connect(
        sa.engine.make_url(postgres_url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False),
        autocommit=True,
    )
    users = {
        "analyst": f"{prefix}_analyst",
        "member": f"{prefix}_member",
        "ldw": f"{prefix}_org_ldw",
        "jsn": f"{prefix}_org_jsn",
    }
    for who, group in users.items():
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(
                sql.Identifier(f"{prefix}_user_{who}"), sql.Identifier(group)
            )
        )
    admin.close()

    with _login(postgres_url, f"{prefix}_user_analyst") as analyst:
        assert _sources_seen(analyst, "public_data") == {JSN: PUBLISHED[JSN]}
        seen = analyst.execute("select source_id, sharing from public_data.dim_source").fetchall()
        assert seen == [(JSN, "public")]
        for table in BY_SOURCE_TABLES:
            ids = analyst.execute(
                sql.SQL("select distinct source_id from {}").format(
                    sql.Identifier("public_data", table)
                )
            ).fetchall()
            assert set(ids) <= {(JSN,)}, table
        summary = analyst.execute(
            "select distinct source_id from public_data.region_summary"
        ).fetchall()
        assert summary == [(JSN,)]
        assert analyst.execute("select count(*) from public_data.dim_region").fetchone() == (
            91_600,
        )
        _denied(analyst, "members_data")
        _denied(analyst, "private_ldw")
        _denied(analyst, "odc_warehouse")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            analyst.execute("delete from public_data.dim_region")

    with _login(postgres_url, f"{prefix}_user_member") as member:
        assert _sources_seen(member, "members_data") == {JSN: 77, FPPJB: 22}
        assert _sources_seen(member, "public_data") == {JSN: 77}
        _denied(member, "private_ldw")
        _denied(member, "private_jsn")
        _denied(member, "odc_warehouse", "quarantine")

    with _login(postgres_url, f"{prefix}_user_ldw") as ldw:
        assert _sources_seen(ldw, "private_ldw") == PUBLISHED
        assert _sources_seen(ldw, "members_data") == {JSN: 77, FPPJB: 22}
        _denied(ldw, "private_jsn")

    with _login(postgres_url, f"{prefix}_user_jsn") as jsn:
        assert _sources_seen(jsn, "private_jsn") == {JSN: 77, FPPJB: 22}  # not LDW's private rows
        _denied(jsn, "private_ldw")


def _file_sources(path) -> dict[str, set[str]]:
    with sqlite3.connect(path) as connection:
        found = {
            table: {
                row[0]
                for row in connection.execute(f"select distinct source_id from {table}")  # noqa: S608
            }
            for table in (*BY_SOURCE_TABLES, "dim_source")
        }
    connection.close()
    return found


def test_sqlite_audience_files_hold_only_what_their_audience_may_read(tmp_path):
    settings, registry = _private_ldw_registry(tmp_path)
    assert run_all(settings, registry).success
    shared = settings.warehouse_dir / SHARED_FOLDER
    assert sorted(p.name for p in shared.iterdir()) == [
        "members.sqlite",
        "private_fppjb.sqlite",
        "private_jsn.sqlite",
        "private_ldw.sqlite",
        "public.sqlite",
    ]
    expected = {
        "public.sqlite": {JSN},
        "members.sqlite": {JSN, FPPJB},
        "private_jsn.sqlite": {JSN, FPPJB},
        "private_ldw.sqlite": {JSN, FPPJB, LDW},
    }
    for name, sources in expected.items():
        found = _file_sources(shared / name)
        assert found["dim_source"] == sources, name
        assert found["fact_election_results"] == sources, name
        for table in BY_SOURCE_TABLES:
            assert found[table] <= sources, (name, table)
        data = (shared / name).read_bytes()
        for hidden in {JSN, FPPJB, LDW} - sources:
            assert hidden.encode() not in data, (name, hidden)
    with sqlite3.connect(shared / "public.sqlite") as public:
        votes = public.execute("select sum(votes) from fact_election_results").fetchone()[0]
        summary = public.execute(
            "select sum(votes) from region_summary where level = 1 and source_id = ?", (JSN,)
        ).fetchone()[0]
        regions = public.execute("select count(*) from dim_region").fetchone()[0]
    public.close()
    with sqlite3.connect(settings.default_warehouse_path) as full:
        jsn_votes = full.execute(
            "select sum(votes) from fact_election_results where source_id = ?", (JSN,)
        ).fetchone()[0]
    full.close()
    assert votes == jsn_votes == summary
    assert regions == 91_600
    # Every file is whole, kept in rollback-journal mode, and built with 16 KiB pages.
    for path in (settings.default_warehouse_path, *shared.iterdir()):
        with closing(sqlite3.connect(path)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",), path
            assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",), path
            assert connection.execute("PRAGMA page_size").fetchone() == (16384,), path


def test_an_organisation_without_private_sources_shares_the_members_file(tmp_path, monkeypatch):
    """Its file holds exactly what members see, so it is the members file under a second
    name; the organisation with a private source gets a file of its own, never a second name
    for the complete file, which analysts work in. Without hard links (some file systems)
    each file is a copy holding the same rows."""
    settings, registry = _private_ldw_registry(tmp_path)
    assert run_all(settings, registry).success
    shared = settings.warehouse_dir / SHARED_FOLDER
    members = shared / "members.sqlite"
    assert (shared / "private_jsn.sqlite").samefile(members)
    assert (shared / "private_fppjb.sqlite").samefile(members)
    assert not (shared / "private_ldw.sqlite").samefile(members)
    assert not (shared / "private_ldw.sqlite").samefile(settings.default_warehouse_path)
    first = members.stat().st_ino

    def no_hard_links(*_args, **_kwargs):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_hard_links)
    assert run_all(settings, registry).success
    assert members.stat().st_ino != first  # renamed over, never written in place
    for name in ("private_jsn.sqlite", "private_fppjb.sqlite"):
        assert not (shared / name).samefile(members)
        found = _file_sources(shared / name)
        assert found["dim_source"] == found["fact_election_results"] == {JSN, FPPJB}, name
    ldw = _file_sources(shared / "private_ldw.sqlite")
    assert ldw["fact_election_results"] == ldw["dim_source"] == {JSN, FPPJB, LDW}


def test_each_organisation_file_holds_its_own_private_rows_and_the_complete_file_is_apart(tmp_path):
    """Two organisations with private sources: neither file is the complete one, each holds
    its own private rows and not the other's, down to the bytes. With no private source at
    all, the complete file still is a file of its own."""
    document = demo_registry_document()
    document["sources"] = [e for e in document["sources"] if e["kind"] == "election_results"]
    for entry in document["sources"]:
        if entry["id"] in (LDW, FPPJB):
            entry["sharing"] = "private"
    settings = make_settings(tmp_path, write_registry(tmp_path / "registry", document))
    assert run_all(settings, load_registry(settings.registry_path)).success
    shared = settings.warehouse_dir / SHARED_FOLDER
    complete = settings.default_warehouse_path
    assert _file_sources(complete)["fact_election_results"] == {JSN, FPPJB, LDW}
    for name, own, other in (("private_ldw", LDW, FPPJB), ("private_fppjb", FPPJB, LDW)):
        path = shared / f"{name}.sqlite"
        assert not path.samefile(complete), name
        found = _file_sources(path)
        assert found["fact_election_results"] == found["dim_source"] == {JSN, own}, name
        assert other.encode() not in path.read_bytes(), name
    assert (shared / "private_jsn.sqlite").samefile(shared / "members.sqlite")

    settings = make_settings(tmp_path / "none_private")
    assert run_all(settings).success
    members = settings.warehouse_dir / SHARED_FOLDER / "members.sqlite"
    assert not settings.default_warehouse_path.samefile(members)
    assert _file_sources(members) == _file_sources(settings.default_warehouse_path)


def _fact_rows(path, where: str, params: tuple, source_id: str | None = None) -> pa.Table:
    """Fact rows of a warehouse file as Arrow, optionally relabelled with another source."""
    with closing(sqlite3.connect(path)) as connection:
        statement = f"select * from fact_election_results where {where}"  # noqa: S608
        frame = pd.read_sql(statement, connection, params=params)
    if source_id is not None:
        frame["source_id"] = source_id
    return pa.Table.from_pandas(frame, preserve_index=False)


def _relabel_facts(path, source_id: str, as_source: str) -> None:
    """Copy one source's fact rows under another source id, in place (names from the file)."""
    with closing(sqlite3.connect(path)) as connection:
        columns = [r[1] for r in connection.execute("pragma table_info(fact_election_results)")]
        listed = ", ".join(columns)
        picked = ", ".join("?" if c == "source_id" else c for c in columns)
        connection.execute(
            f"insert into fact_election_results ({listed}) "  # noqa: S608
            f"select {picked} from fact_election_results where source_id = ?",
            (as_source, source_id),
        )
        connection.commit()


def test_each_layer_holds_only_its_audiences_rows_and_the_build_fails_closed(tmp_path):
    """The members and public files are loaded with only their rows (staged rows and Arrow
    rows alike, a table mixing sources split row by row); the complete file is the members
    file plus every other row, those of sources the catalogue does not know included, which
    reach no audience; hidden rows' bytes are in no audience file; a table the code has no
    sharing rule for stops the build instead of being shared whole."""
    settings, registry = _private_ldw_registry(tmp_path)
    assert run_all(settings, registry).success
    staged = tmp_path / "staged.sqlite"
    shutil.copyfile(settings.default_warehouse_path, staged)
    ghost_bulk, ghost_staged = "ghost_in_arrow_rows", "ghost_in_staged_rows"
    # The bulk: public and members sources' facts with an unknown source's, in one table.
    mixed = pa.concat_tables(
        [
            _fact_rows(staged, "source_id in (?, ?)", (JSN, FPPJB)),
            _fact_rows(staged, "source_id = ?", (JSN,), source_id=ghost_bulk),
        ]
    )
    private_rows = _fact_rows(staged, "source_id = ?", (LDW,))
    # The staged file keeps the private source's facts and an unknown source's.
    with closing(sqlite3.connect(staged)) as connection:
        connection.execute("delete from fact_election_results where source_id != ?", (LDW,))
        connection.commit()
    _relabel_facts(staged, LDW, ghost_staged)
    bulk = [(fact_election_results, mixed)]
    out = tmp_path / "out"
    out.mkdir()
    complete = out / "complete.sqlite"
    layers = [Layer(out / "members.sqlite", MEMBERS), Layer(out / "public.sqlite", PUBLIC)]
    stages: list[str] = []
    build_files(staged, bulk, complete, layers, stages.append)

    assert stages == [
        "building audience members",
        "building audience public",
        "bulk loading",
        "indexing",
        "building the complete file",
    ]
    assert bulk == []  # let go once loaded
    everyone = {JSN, FPPJB, LDW, ghost_bulk, ghost_staged}
    for path, sources in {
        layers[0].path: {JSN, FPPJB},
        layers[1].path: {JSN},
        complete: everyone,
    }.items():
        found = _file_sources(path)
        assert found["fact_election_results"] == sources, path.name
        assert found["dim_source"] == sources & {JSN, FPPJB, LDW}, path.name
        data = path.read_bytes()
        for hidden in everyone - sources:
            assert hidden.encode() not in data, (path.name, hidden)
        with closing(sqlite3.connect(path)) as file:
            rows = file.execute("select count(*) from fact_election_results").fetchone()[0]
            names = {r[0] for r in file.execute("select name from sqlite_master")}
            regions = file.execute("select count(*) from dim_region").fetchone()[0]
            assert file.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        ghosts = {ghost_bulk: PUBLISHED[JSN], ghost_staged: PUBLISHED[LDW]}
        assert rows == sum({**PUBLISHED, **ghosts}[s] for s in sources), path.name
        assert {"ix_fact_election_results_source", "region_summary"} <= names, path.name
        assert regions == 91_600, path.name
    assert private_rows.num_rows == PUBLISHED[LDW]

    # Nobody to share with: one file, every row, indexed.
    alone = out / "alone.sqlite"
    build_files(staged, [(fact_election_results, mixed)], alone, [], stages.append)
    assert _file_sources(alone)["fact_election_results"] == everyone
    with pytest.raises(ValueError, match="audience members sees more than public"):
        build_files(staged, [], out / "c2.sqlite", layers[::-1], stages.append)
    with closing(sqlite3.connect(staged)) as connection:
        connection.execute("create table steward_notes (source_id text, note text)")
        connection.commit()
    refused = out / "refused.sqlite"
    with pytest.raises(
        RuntimeError, match=r"no sharing rule for warehouse tables \['steward_notes'\]"
    ):
        build_files(staged, [], refused, [Layer(out / "m3.sqlite", MEMBERS)], stages.append)
    assert not refused.exists()
    assert not (out / "m3.sqlite").exists()


def test_a_held_back_private_source_stays_in_the_complete_and_its_organisations_file_only(
    tmp_path,
):
    """Rows carried forward from the previous version (the source's file vanished) follow
    the same sharing rule as fresh ones: the complete file and the owner's file keep the
    private source's last good load, the shared files never hold a byte of it."""
    settings, registry = _private_ldw_registry(tmp_path)
    first = run_all(settings, registry)
    assert first.success
    (tmp_path / "registry" / "demo" / "ldw_suara_pilpres2024.json").unlink()
    second = run_all(settings, registry)
    assert second.success
    shared = settings.warehouse_dir / SHARED_FOLDER
    with closing(sqlite3.connect(settings.default_warehouse_path)) as connection:
        kept = connection.execute(
            "select count(*), min(run_id), max(run_id) from fact_election_results "
            "where source_id = ?",
            (LDW,),
        ).fetchone()
        audit = connection.execute(
            "select run_id, status from load_audit where source_id = ? order by loaded_at",
            (LDW,),
        ).fetchall()
    assert kept == (PUBLISHED[LDW], first.run_id, first.run_id)
    assert audit == [(first.run_id, "published"), (second.run_id, "failed")]
    ldw = _file_sources(shared / "private_ldw.sqlite")
    assert ldw["fact_election_results"] == ldw["load_audit"] == {JSN, FPPJB, LDW}
    for name in ("members.sqlite", "public.sqlite", "private_jsn.sqlite"):
        found = _file_sources(shared / name)
        assert LDW not in found["fact_election_results"] | found["load_audit"], name
        assert LDW.encode() not in (shared / name).read_bytes(), name


def test_a_file_that_fails_to_load_stops_the_build_and_leaves_no_loader_running(tmp_path):
    """A loader thread's error (rows the table cannot take) reaches the publisher, and
    abandoning the build stops every loader instead of leaving one waiting."""
    settings, registry = _private_ldw_registry(tmp_path)
    assert run_all(settings, registry).success
    out = tmp_path / "out"
    out.mkdir()
    layers = [Layer(out / "members.sqlite", MEMBERS), Layer(out / "public.sqlite", PUBLIC)]
    sources = [(JSN, "public", "jsn"), (FPPJB, "members", "fppjb")]
    before = threading.active_count()
    build = LayeredBuild(out / "complete.sqlite", layers, sources, lambda _name: None)
    odd = pa.table({"source_id": [JSN], "no_such_column": [1]})
    with pytest.raises(Exception, match="no_such_column"):
        build.add(fact_election_results, odd)
        build.finish(tmp_path / "unused.sqlite")
    build.abandon()
    assert threading.active_count() == before
