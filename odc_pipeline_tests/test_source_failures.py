"""A source that cannot be used fails alone: clear message, last good load kept, others publish."""

from __future__ import annotations

import copy

import pytest
import sqlalchemy as sa

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
                "select count(*), min(run_id) from fact_election_results where source_id = 'ldw_suara_pilpres2024'"
            )
        ).one()
        fresh = connection.execute(
            sa.text(
                "select distinct run_id from fact_election_results where source_id = 'jsn_pilpres2024_kabkota'"
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
