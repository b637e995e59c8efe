"""A source that cannot be used fails alone: clear message, last good load kept, others publish."""

from __future__ import annotations

import copy
import shutil
import sqlite3
from contextlib import closing

import pytest
import sqlalchemy as sa

from odc_pipeline.defs.automation import source_chain, warehouse_keys
from odc_pipeline.defs.build import ALL_ASSETS_JOB, build_definitions
from odc_pipeline.registry import load_registry
from odc_pipeline.warehouse.summary import run_summary
from odc_pipeline_tests.conftest import (
    demo_registry_document,
    make_settings,
    run_all,
    write_registry,
)


def _checks(result, source_id: str) -> dict[str, tuple[bool, str]]:
    return {
        e.check_name: (e.passed, e.description)
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == f"validated_{source_id}"
    }


def _check_metadata(result, check_name: str) -> dict[str, str]:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == check_name]
    return {key: str(value.value) for key, value in evaluation.metadata.items()}


def _audit(engine, run_id: str) -> dict[str, tuple]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "select source_id, status, rows_in, rows_published, rows_quarantined, message "
                "from load_audit where run_id = :r"
            ),
            {"r": run_id},
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


@pytest.mark.slow
def test_a_file_that_vanished_is_held_back_and_its_last_good_load_stays(tmp_path):
    path = write_registry(tmp_path, demo_registry_document())
    registry = load_registry(path)
    settings = make_settings(tmp_path, path)
    first = run_all(settings, registry)
    assert first.success
    (tmp_path / "demo" / "ldw_suara_pilpres2024.json").unlink()  # gone before the next night

    second = run_all(settings, registry)
    assert second.success  # the run itself finishes: the other sources published
    missing = tmp_path / "demo" / "ldw_suara_pilpres2024.json"
    message = (
        "Source 'ldw_suara_pilpres2024' (ldw): cannot read ldw_suara_pilpres2024.json: "
        f"file not found: {missing}"
    )
    assert _checks(second, "ldw_suara_pilpres2024")["file_usable"] == (False, message)
    assert _checks(second, "jsn_pilpres2024_kabkota")["file_usable"][0] is True
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)
    audit = _audit(engine, second.run_id)
    assert audit["ldw_suara_pilpres2024"] == ("failed", 0, 0, 0, message)
    assert audit["jsn_pilpres2024_kabkota"][:4] == ("published", 81, 77, 4)
    with engine.connect() as connection:
        kept = connection.execute(
            sa.text(
                "select count(*), min(run_id) from fact_election_results join dim_load using (source_id, load_id) "
                "where source_id = 'ldw_suara_pilpres2024'"
            )
        ).one()
        fresh = connection.execute(
            sa.text(
                "select distinct run_id from fact_election_results join dim_load using (source_id, load_id) "
                "where source_id = 'jsn_pilpres2024_kabkota'"
            )
        ).scalar_one()
    assert tuple(kept) == (26, first.run_id)  # last good load, still published
    assert fresh == second.run_id
    with engine.connect() as connection:
        status = connection.execute(
            sa.text(
                "select status, status_message, last_successful_run_id from dim_source "
                "where source_id = 'ldw_suara_pilpres2024'"
            )
        ).one()
    assert tuple(status) == ("stale", message, first.run_id)
    balance = [
        e for e in second.get_asset_check_evaluations() if e.check_name == "load_audit_balances"
    ]
    assert balance[0].passed
    engine.dispose()


def test_a_renamed_header_holds_the_source_back_with_the_header_and_what_the_file_has(tmp_path):
    document = copy.deepcopy(demo_registry_document())
    columns = document["sources"][0]["columns"]
    columns["jumlah_suara"] = columns.pop("suara")
    path = write_registry(tmp_path, document)
    result = run_all(make_settings(tmp_path, path), load_registry(path))
    assert result.success
    passed, description = _checks(result, "jsn_pilpres2024_kabkota")["file_usable"]
    assert not passed
    assert description.startswith(
        "Source 'jsn_pilpres2024_kabkota' (jsn): the column mapping does not fit jsn_pilpres2024_kabkota.csv: "
        "the file has no column 'jumlah_suara'"
    )
    assert "'suara'" in description
    engine = sa.create_engine(make_settings(tmp_path, path).default_warehouse_url)
    audit = _audit(engine, result.run_id)
    assert audit["jsn_pilpres2024_kabkota"][0] == "failed"
    assert audit["fppjb_rekap_pilpres2024"][:4] == ("published", 27, 22, 5)
    engine.dispose()


def test_too_many_rejected_rows_hold_the_file_back(tmp_path):
    document = copy.deepcopy(demo_registry_document())
    # LDW's demo file has 2 of 30 rows failing validation (6.7%); allow only 5%.
    document["sources"][2]["max_rejected_share"] = 0.05
    path = write_registry(tmp_path, document)
    result = run_all(make_settings(tmp_path, path), load_registry(path))
    checks = _checks(result, "ldw_suara_pilpres2024")
    assert checks["quarantine_share"] == (False, "2 of 30 rows quarantined (6.7%); limit 5%")
    assert checks["file_usable"][0] is False
    assert checks["file_usable"][1].startswith(
        "Source 'ldw_suara_pilpres2024' (ldw), ldw_suara_pilpres2024.json: 2 of 30 rows (7%) were rejected, "
        "more than the 5% allowed (max_rejected_share)"
    )
    engine = sa.create_engine(make_settings(tmp_path, path).default_warehouse_url)
    status, rows_in, published, quarantined, message = _audit(engine, result.run_id)[
        "ldw_suara_pilpres2024"
    ]
    (line,) = [
        s for s in run_summary(engine, result.run_id) if s.source_id == "ldw_suara_pilpres2024"
    ]
    engine.dispose()
    assert (status, rows_in, published) == ("failed", 30, 0)
    assert "(max_rejected_share)" in message
    # The summary and the audit check say held back, with the file's row count, not balanced.
    assert line.balance == "held back (30 rows in the file)"
    audit_check = _check_metadata(result, "load_audit_balances")["ldw_suara_pilpres2024"]
    assert audit_check.endswith("balanced: held back (30 rows in the file)")


def test_an_unforeseen_error_in_one_source_holds_back_that_source_only(tmp_path, monkeypatch):
    from odc_pipeline.defs import sources as source_steps

    real = source_steps.validate_source

    def broken_for_ldw(raw, entry):
        if entry.id == "ldw_suara_pilpres2024":
            return {}["votes"]  # a KeyError, as a mapping the code did not foresee gave
        return real(raw, entry)

    monkeypatch.setattr(source_steps, "validate_source", broken_for_ldw)
    path = write_registry(tmp_path, demo_registry_document())
    result = run_all(make_settings(tmp_path, path), load_registry(path))
    assert result.success
    engine = sa.create_engine(make_settings(tmp_path, path).default_warehouse_url)
    audit = _audit(engine, result.run_id)
    engine.dispose()
    status, rows_in, published, _, message = audit["ldw_suara_pilpres2024"]
    assert (status, published) == ("failed", 0)
    assert message.startswith(
        "Source 'ldw_suara_pilpres2024' (ldw): the validate step stopped on a problem it cannot "
        "explain (KeyError: \"'votes'\" at test_source_failures.py:"
    )
    assert message.endswith("send this message and the run id to the maintainers.")
    others = {source: row[0] for source, row in audit.items() if source != "ldw_suara_pilpres2024"}
    assert others == {
        "jsn_pilpres2024_kabkota": "published",
        "fppjb_rekap_pilpres2024": "published",
        "ldw_dpt_kabkota": "published",
    }


@pytest.mark.slow
def test_a_broken_registry_entry_holds_back_that_source_alone(tmp_path):
    """A typo in one member's entry: the definitions load, the others publish, the entry's
    asset fails with the problem in the steward's words, and its last good load stays. A
    new entry with a typo, never published, is held back beside it."""
    document = demo_registry_document()
    path = write_registry(tmp_path, document)
    settings = make_settings(tmp_path, path)
    first = run_all(settings, load_registry(path))
    assert first.success
    broken = copy.deepcopy(document)
    entry = next(e for e in broken["sources"] if e["id"] == "ldw_suara_pilpres2024")
    entry["sharing"] = "publik"
    new = copy.deepcopy(entry) | {"id": "ldw_suara_baru", "sharing": "public"}
    new["colums"] = new.pop("columns")
    broken["sources"].append(new)
    write_registry(tmp_path, broken, copy_demo_files=False)

    registry = load_registry(path, check_files=False, keep_broken=True)
    second = run_all(settings, registry)
    problem = (
        "source #3 ('ldw_suara_pilpres2024'): sharing: 'publik' is not allowed; write "
        "'public', 'members' or 'private'"
    )
    failures = {e.step_key: e for e in second.all_events if e.is_step_failure}
    assert set(failures) == {
        "registry_entry_ldw_suara_pilpres2024",
        "registry_entry_ldw_suara_baru",
    }
    failure = failures["registry_entry_ldw_suara_pilpres2024"]
    assert failure.step_failure_data.user_failure_data.description == (
        f"source #3 ('ldw_suara_pilpres2024'): the registry entry cannot be used: {problem}. "
        "Fix the entry in the registry (odc sources test)."
    )
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)
    assert set(_audit(engine, second.run_id)) == {
        e["id"] for e in document["sources"] if e["id"] != "ldw_suara_pilpres2024"
    }
    with engine.connect() as connection:
        never = connection.execute(
            sa.text(
                "select status, status_message, sharing, last_successful_run_id, part_of "
                "from dim_source where source_id = 'ldw_suara_baru'"
            )
        ).one()
    assert tuple(never) == (
        "stale",
        "source #5 ('ldw_suara_baru'): the registry entry cannot be used: source #5 "
        "('ldw_suara_baru'): columns: is required but missing; source #5 "
        "('ldw_suara_baru'): colums: unknown key (check its spelling)",
        "private",  # nothing read from the entry says who may see it
        None,
        None,
    )
    with engine.connect() as connection:
        kept = connection.execute(
            sa.text(
                "select count(*), min(run_id) from fact_election_results join dim_load using (source_id, load_id) "
                "where source_id = 'ldw_suara_pilpres2024'"
            )
        ).one()
        status = connection.execute(
            sa.text(
                "select status, status_message, sharing, last_successful_run_id from dim_source "
                "where source_id = 'ldw_suara_pilpres2024'"
            )
        ).one()
    assert tuple(kept) == (26, first.run_id)
    assert tuple(status) == (
        "stale",
        f"source #3 ('ldw_suara_pilpres2024'): the registry entry cannot be used: {problem}",
        "public",  # as last published: the typo does not change who sees the rows kept
        first.run_id,
    )
    engine.dispose()


@pytest.mark.slow
def test_a_broken_entry_split_by_province_keeps_every_provinces_rows(tmp_path):
    """Its provinces' rows were published under their own ids (`<id>_32`), which the entry
    that cannot be read no longer names: they stay, and dim_source says why of each."""
    document = demo_registry_document()
    entry = next(e for e in document["sources"] if e["id"] == "jsn_pilpres2024_kabkota")
    entry |= {"location": "demo/jsn/{province}.csv", "provinces": ["32"]}
    path = write_registry(tmp_path, document)
    (tmp_path / "demo" / "jsn").mkdir()
    shutil.copyfile(tmp_path / "demo" / "jsn_pilpres2024_kabkota.csv", tmp_path / "demo/jsn/32.csv")
    settings = make_settings(tmp_path, path)
    first = run_all(settings, load_registry(path))
    assert first.success
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)
    per_source = "select source_id, count(*) from fact_election_results group by 1 order by 1"
    with engine.connect() as connection:
        published = connection.execute(sa.text(per_source)).all()
    assert ("jsn_pilpres2024_kabkota_32", 77) in published

    entry["expected_refresh_hourz"] = 36  # a typo: the entry cannot be used
    write_registry(tmp_path, document, copy_demo_files=False)
    second = run_all(settings, load_registry(path, check_files=False, keep_broken=True))
    with engine.connect() as connection:
        kept = connection.execute(sa.text(per_source)).all()
        status = connection.execute(
            sa.text("select source_id, status, status_message from dim_source order by 1")
        ).all()
    engine.dispose()
    assert kept == published
    problem = (
        "source #1 ('jsn_pilpres2024_kabkota'): the registry entry cannot be used: source #1 "
        "('jsn_pilpres2024_kabkota'): expected_refresh_hourz: unknown key (check its spelling)"
    )
    assert ("jsn_pilpres2024_kabkota_32", "stale", problem) in status
    assert "jsn_pilpres2024_kabkota" not in {row[0] for row in status}
    assert [e.step_key for e in second.all_events if e.is_step_failure] == [
        "registry_entry_jsn_pilpres2024_kabkota"
    ]


def _remove(path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _run_one_source(settings, registry, source_id: str):
    """What `odc run --source ID` runs: that source's chain and the warehouse."""
    defs = build_definitions(settings, registry)
    selection = [*source_chain(source_id, with_pull=True), *warehouse_keys(defs.assets)]
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    return job.execute_in_process(raise_on_error=False, asset_selection=selection)


@pytest.mark.slow
def test_nothing_is_lost_silently_by_a_publish(tmp_path):
    """An analyst's table in odc.sqlite survives the next publish (and reaches no shared
    file); a one-source run on a deleted warehouse publishes every source from its stored
    frames, and a source that never ran is `not_published`, never `current`."""
    document = demo_registry_document()
    path = write_registry(tmp_path, document)
    registry = load_registry(path)
    settings = make_settings(tmp_path, path)
    assert run_all(settings, registry).success
    live = settings.warehouse_dir / "odc.sqlite"
    with closing(sqlite3.connect(live)) as analyst:
        analyst.execute(
            'create table "bandung notes" as select region_code, sum(votes) as votes '
            "from fact_election_results where region_code like '32.%' group by region_code"
        )
        analyst.execute('create index bandung_votes on "bandung notes" (votes)')
        analyst.execute('create view top_bandung as select * from "bandung notes" limit 3')
        analyst.commit()
        saved = analyst.execute('select * from "bandung notes" order by 1').fetchall()
    assert len(saved) > 3

    again = _run_one_source(settings, registry, "jsn_pilpres2024_kabkota")
    assert again.success
    with closing(sqlite3.connect(live)) as reader:
        assert reader.execute('select * from "bandung notes" order by 1').fetchall() == saved
        assert reader.execute("select count(*) from top_bandung").fetchone() == (3,)
        names = {r[0] for r in reader.execute("select name from sqlite_master")}
        assert {"bandung_votes", "top_bandung"} <= names
    for shared in (settings.warehouse_dir / "shared").glob("*.sqlite"):
        with closing(sqlite3.connect(shared)) as reader:
            names = {r[0] for r in reader.execute("select name from sqlite_master")}
        assert not names & {"bandung notes", "bandung_votes", "top_bandung"}, shared.name

    # The warehouse is deleted (a disk swap, a careless clean-up); one source is run again.
    for leftover in [*settings.warehouse_dir.glob("*odc.sqlite*")] + [
        *settings.storage_dir.glob("*ldw_dpt_kabkota*")  # and one source never ran here
    ]:
        _remove(leftover)
    rebuilt = _run_one_source(settings, registry, "jsn_pilpres2024_kabkota")
    assert rebuilt.success
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        status = dict(connection.execute(sa.text("select source_id, status from dim_source")).all())
        published = dict(
            connection.execute(
                sa.text("select source_id, count(*) from fact_election_results group by 1")
            ).all()
        )
    engine.dispose()
    assert status == {
        "jsn_pilpres2024_kabkota": "current",
        "fppjb_rekap_pilpres2024": "current",
        "ldw_suara_pilpres2024": "current",
        "ldw_dpt_kabkota": "stale",
    }
    assert published["ldw_suara_pilpres2024"] == 26
