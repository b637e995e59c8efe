"""Secrets come from the environment and go nowhere else: a run with known secret values
(the warehouse password, the hashing salt, a member's API token, a webhook URL) is searched
for them in every file it wrote, every table of the warehouse, the Dagster event log and
the logs it printed."""

from __future__ import annotations

import dagster as dg
import pytest
import sqlalchemy as sa

from odc_pipeline.defs.build import ALL_ASSETS_JOB, build_definitions
from odc_pipeline.defs.every_year import execute_every_year
from odc_pipeline.registry import load_registry
from odc_pipeline_tests.conftest import (
    demo_registry_document,
    execute_capturing,
    make_settings,
    write_registry,
)

#: Slow: a run with PostgreSQL and its printed logs.
pytestmark = pytest.mark.slow

PASSWORD = "Pg-S3cret-7c1d"
SALT = "Salt-S3cret-91ab"
TOKEN = "Tok-S3cret-44ef"
HOOK = "Hook-S3cret-0b2a"
SECRETS = (PASSWORD, SALT, TOKEN, HOOK)


@pytest.fixture
def member_server(local_http_server):
    return local_http_server


def test_known_secrets_appear_in_no_output(
    tmp_path, postgres_url, monkeypatch, member_server, capfd
):
    member_server.expect_request(
        "/export.csv", headers={"Authorization": f"Token {TOKEN}"}
    ).respond_with_data(
        "kode_wilayah,paslon,suara,suara_sah,suara_tidak_sah\n32.04,01,100,300,2\n32.04,02,200,300,2\n"
    )
    member_server.expect_request(f"/hook/{HOOK}", method="POST").respond_with_data("ok")
    document = demo_registry_document()
    kobo = dict(document["sources"][0])
    kobo.update(
        id="jsn_kobo",
        location=member_server.url_for("/export.csv"),
        pull={"credentials_env": "ODC_TEST_KOBO_TOKEN", "auth": "token"},
    )
    document["sources"].append(kobo)
    path = write_registry(tmp_path / "registry", document)
    (path.parent / "demo" / "ldw_suara_pilpres2024.json").unlink()  # held back: an alert goes
    url = sa.engine.make_url(postgres_url).set(password=PASSWORD)
    monkeypatch.setenv("ODC_WAREHOUSE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("ODC_HASH_SALT", SALT)
    monkeypatch.setenv("ODC_TEST_KOBO_TOKEN", TOKEN)
    monkeypatch.setenv("ODC_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("ODC_ALERT_WEBHOOK_URL", member_server.url_for(f"/hook/{HOOK}"))
    settings = make_settings(tmp_path, path)
    defs = build_definitions(settings, load_registry(path, check_files=False))
    home = tmp_path / "dagster_home"
    home.mkdir()
    instance = dg.DagsterInstance.local_temp(tempdir=str(home))
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    _, result = execute_every_year(
        load_registry(path, check_files=False),
        lambda **run: execute_capturing(job, instance=instance, **run),
    )
    assert result.success
    assert any(
        m.asset_key.to_user_string() == "raw_jsn_kobo"
        for m in result.get_asset_materialization_events()
    )
    # The alert sensor runs too (a held-back source makes it send).
    success = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_SUCCESS)
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_held_back_sources",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=success,
    )
    with dg.build_resources({"warehouse": defs.resources["warehouse"]}) as resources:
        defs.get_sensor_def("alert_on_held_back_sources")(context, warehouse=resources.warehouse)
    instance.dispose()

    # Every file the run wrote: warehouse, audiences, reports, exports, Parquet, snapshots,
    # the manifest, and Dagster's own storage (event log, run storage).
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in home.rglob("*")), "the event log is on disk"
    for file in files:
        data = file.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret} found in {file}"
    # Every table and view of every schema of the warehouse database.
    engine = sa.create_engine(postgres_url)
    with engine.connect() as connection:
        relations = connection.execute(
            sa.text(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema not in ('pg_catalog', 'information_schema')"
            )
        ).all()
        assert len(relations) > 20
        for schema, table in relations:
            rows = connection.execute(
                sa.text(f'select t::text from "{schema}"."{table}" t')  # noqa: S608 - catalog names
            ).scalars()
            text = "\n".join(rows)
            for secret in SECRETS:
                assert secret not in text, f"{secret} found in {schema}.{table}"
    engine.dispose()
    # What the run printed.
    captured = capfd.readouterr()
    for secret in SECRETS:
        assert secret not in captured.out + captured.err
    # The token was sent, and the alert reached the webhook, without either being written down.
    assert [request.path for request, _ in member_server.log] == ["/export.csv", f"/hook/{HOOK}"]
