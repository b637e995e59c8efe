"""Access levels: each audience reads exactly the sources its sharing level allows.

PostgreSQL: the test logs in as users in each group role the publish created and proves what
they can and cannot read. SQLite: the per-audience files hold only their audience's rows, down
to the bytes of the file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing

import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql

from odc_pipeline.registry import load_registry
from odc_pipeline.warehouse.audiences import MEMBERS, PUBLIC
from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline.warehouse.publish import publish
from odc_pipeline.warehouse.publish_sqlite import SHARED_FOLDER, cut_audiences
from odc_pipeline_tests.conftest import (
    PUBLISHED_REGIONS,
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
            PUBLISHED_REGIONS,
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
    assert regions == PUBLISHED_REGIONS
    # Every file is whole, kept in rollback-journal mode, and built with 16 KiB pages.
    for path in (settings.default_warehouse_path, *shared.iterdir()):
        with closing(sqlite3.connect(path)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",), path
            assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",), path
            assert connection.execute("PRAGMA page_size").fetchone() == (16384,), path


@pytest.mark.slow
def test_every_audience_has_a_file_of_its_own(tmp_path):
    """An organisation without private sources reads what members read, in a file of its
    own: a table someone creates in one organisation's file appears in no other file, and
    the next publish gives each audience a new file again."""
    settings, registry = _private_ldw_registry(tmp_path)
    assert run_all(settings, registry).success
    shared = settings.warehouse_dir / SHARED_FOLDER
    members = shared / "members.sqlite"
    files = [settings.default_warehouse_path, *sorted(shared.iterdir())]
    inodes = {path.resolve().stat().st_ino for path in files}
    assert len(inodes) == len(files) == 6  # odc, members, public and three organisations
    for name in ("private_jsn.sqlite", "private_fppjb.sqlite"):
        found = _file_sources(shared / name)
        assert found == _file_sources(members), name
        assert found["dim_source"] == found["fact_election_results"] == {JSN, FPPJB}, name
    ldw = _file_sources(shared / "private_ldw.sqlite")
    assert ldw["fact_election_results"] == ldw["dim_source"] == {JSN, FPPJB, LDW}

    with closing(sqlite3.connect(shared / "private_jsn.sqlite")) as connection:
        connection.execute("create table catatan_jsn (teks text)")
        connection.commit()
    for path in files:
        if path.name != "private_jsn.sqlite":
            assert "catatan_jsn" not in _table_names(path), path.name

    assert run_all(settings, registry).success
    assert not inodes & {path.resolve().stat().st_ino for path in files}


def _table_names(path) -> set[str]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        return {row[0] for row in connection.execute("select name from sqlite_master")}


@pytest.mark.slow
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
    assert _file_sources(shared / "private_jsn.sqlite") == _file_sources(shared / "members.sqlite")

    settings = make_settings(tmp_path / "none_private")
    assert run_all(settings).success
    members = settings.warehouse_dir / SHARED_FOLDER / "members.sqlite"
    assert not settings.default_warehouse_path.samefile(members)
    assert _file_sources(members) == _file_sources(settings.default_warehouse_path)


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


def test_an_audience_file_holds_only_its_rows_and_nothing_unruled(tmp_path):
    """An audience's file is made from the complete file with only the rows it may read:
    rows of a source the catalogue does not know reach no audience, hidden rows' bytes are
    in no audience file, and a table the code has no sharing rule for is not shared."""
    settings, registry = _private_ldw_registry(tmp_path)
    assert run_all(settings, registry).success
    complete = tmp_path / "complete.sqlite"
    shutil.copyfile(settings.default_warehouse_path, complete)
    ghost = "ghost_source"
    _relabel_facts(complete, JSN, ghost)
    with closing(sqlite3.connect(complete)) as connection:
        connection.execute("create table steward_notes (source_id text, note text)")
        connection.execute("insert into steward_notes values (?, 'secret_note')", (JSN,))
        connection.commit()
    everyone = {JSN, FPPJB, LDW, ghost}
    stages: list[str] = []
    cut = [(a, tmp_path / a.file_name) for a in (MEMBERS, PUBLIC)]
    with pytest.raises(ValueError, match="audience members sees more than public"):
        cut_audiences(complete, cut[::-1], stages.append)
    cut_audiences(complete, cut, stages.append)
    assert stages == ["building audience members", "building audience public"]
    assert sorted(p.name for p in tmp_path.glob("*.cut")) == []
    for audience, sources in ((MEMBERS, {JSN, FPPJB}), (PUBLIC, {JSN})):
        path = tmp_path / audience.file_name
        found = _file_sources(path)
        assert found["fact_election_results"] == found["dim_source"] == sources, audience.name
        data = path.read_bytes()
        for hidden in everyone - sources:
            assert hidden.encode() not in data, (audience.name, hidden)
        assert b"secret_note" not in data
        with closing(sqlite3.connect(path)) as file:
            rows = file.execute("select count(*) from fact_election_results").fetchone()[0]
            names = {r[0] for r in file.execute("select name from sqlite_master")}
            regions = file.execute("select count(*) from dim_region").fetchone()[0]
            assert file.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert rows == sum(PUBLISHED[s] for s in sources), audience.name
        assert {"ix_fact_election_results_source", "region_summary"} <= names, audience.name
        assert "steward_notes" not in names
        assert regions == PUBLISHED_REGIONS, audience.name


@pytest.mark.slow
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
            "select count(*), min(run_id), max(run_id) from fact_election_results join dim_load using (source_id, load_id) "
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


def test_rows_a_table_cannot_take_stop_the_publish_and_leave_the_live_version(tmp_path):
    """A batch with a column its table does not have fails the publish: the live files stay
    as they were and no half-built file is left behind."""
    settings, registry = _private_ldw_registry(tmp_path)
    assert run_all(settings, registry).success
    before = _file_sources(settings.default_warehouse_path)
    odd = pd.DataFrame({"no_such_column": [1], "file_hash": ["0" * 64]})
    from odc_pipeline.warehouse.batches import SourceBatch

    batch = SourceBatch(JSN, "jsn", "election_results", "0" * 64, 1, odd, odd, odd)
    engine = make_engine(settings.default_warehouse_url)
    with pytest.raises(ValueError, match=r"columns \['no_such_column'\] are not in table"):
        publish(engine, None, [batch], "run_odd")
    engine.dispose()
    assert _file_sources(settings.default_warehouse_path) == before
    assert list(settings.warehouse_dir.rglob(".*build-*")) == []
