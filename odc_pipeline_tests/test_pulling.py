"""Pulling members' files: a real HTTP server on 127.0.0.1 serves good files, slow answers,
errors, redirects, cut-off bodies and changed ETags; drop folders and CKAN too."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from werkzeug import Request, Response

from odc_pipeline.pulling import PullError, SnapshotStore, pull_source
from odc_pipeline.registry.model import SourceEntry
from odc_pipeline_tests.conftest import results_entry

CSV = b"kode_wilayah,paslon,suara\n32.04,01,100\n32.04,02,200\n"
TOKEN = "s3cret-token-value"


def _entry(location: str, **pull) -> SourceEntry:
    return SourceEntry(**results_entry(location, pull={"retries": 2, "timeout_seconds": 2, **pull}))


@pytest.fixture
def httpserver(local_http_server):
    return local_http_server


@pytest.fixture(autouse=True)
def allow_loopback(monkeypatch):
    """The test server is on 127.0.0.1, which members' URLs may not reach by default."""
    monkeypatch.setenv("ODC_ALLOWED_HOSTS", "127.0.0.1")


@pytest.fixture
def store(tmp_path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "snapshots")


def _pull(entry, store, tmp_path, environ=None):
    waits: list[float] = []
    environ = {"ODC_ALLOWED_HOSTS": "127.0.0.1", **(environ or {})}
    result = pull_source(entry, tmp_path, store, environ=environ, sleep=waits.append)
    return result, waits


def test_a_good_file_is_stored_once_under_its_hash_with_a_manifest(httpserver, store, tmp_path):
    httpserver.expect_request("/hasil.csv").respond_with_data(
        CSV, headers={"ETag": '"v1"', "Content-Type": "text/csv"}
    )
    first, _ = _pull(_entry(httpserver.url_for("/hasil.csv")), store, tmp_path)
    assert first.path.read_bytes() == CSV
    assert first.snapshot.changed and first.snapshot.headers["ETag"] == '"v1"'
    second, _ = _pull(_entry(httpserver.url_for("/hasil.csv")), store, tmp_path)
    assert second.path == first.path and not second.snapshot.changed
    lines = store.manifest.read_text().splitlines()
    assert len(lines) == 2
    record = json.loads(lines[0])
    assert record["origin"] == httpserver.url_for("/hasil.csv")
    assert record["size"] == len(CSV) and record["name"] == "hasil.csv"
    assert len([p for p in store.root.rglob("*.csv")]) == 1  # same bytes, stored once


def test_unchanged_etag_is_not_downloaded_again_and_a_changed_one_is(httpserver, store, tmp_path):
    seen_conditions: list[str | None] = []
    version = {"etag": '"v1"', "body": CSV}

    def handler(request: Request) -> Response:
        seen_conditions.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == version["etag"]:
            return Response(status=304, headers={"ETag": version["etag"]})
        return Response(version["body"], headers={"ETag": version["etag"]})

    httpserver.expect_request("/hasil.csv").respond_with_handler(handler)
    entry = _entry(httpserver.url_for("/hasil.csv"))
    first, _ = _pull(entry, store, tmp_path)
    same, _ = _pull(entry, store, tmp_path)
    assert same.not_modified and same.snapshot.sha256 == first.snapshot.sha256
    assert not same.snapshot.changed
    version.update(etag='"v2"', body=CSV + b"32.73,01,5\n")
    changed, _ = _pull(entry, store, tmp_path)
    assert changed.snapshot.changed and changed.path.read_bytes().endswith(b"32.73,01,5\n")
    assert seen_conditions == [None, '"v1"', '"v1"']
    # Nothing overwritten: both versions are still in the store.
    assert first.path.exists() and changed.path.exists() and first.path != changed.path


def test_server_errors_are_retried_with_backoff_then_succeed(httpserver, store, tmp_path):
    httpserver.expect_ordered_request("/hasil.csv").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/hasil.csv").respond_with_data("oops", status=500)
    httpserver.expect_ordered_request("/hasil.csv").respond_with_data(CSV)
    result, waits = _pull(_entry(httpserver.url_for("/hasil.csv")), store, tmp_path)
    assert result.path.read_bytes() == CSV
    assert waits == [1.0, 2.0]


def test_a_server_that_keeps_failing_gives_a_clear_message(httpserver, store, tmp_path):
    httpserver.expect_request("/hasil.csv").respond_with_data("down", status=500)
    with pytest.raises(PullError) as raised:
        _pull(_entry(httpserver.url_for("/hasil.csv")), store, tmp_path)
    assert str(raised.value) == (
        f"{httpserver.url_for('/hasil.csv')}: the server answered 500 INTERNAL SERVER ERROR "
        "(tried 3 times)"
    )
    assert not store.manifest.exists()


def test_not_found_is_not_retried(httpserver, store, tmp_path):
    httpserver.expect_request("/hilang.csv").respond_with_data("no", status=404)
    with pytest.raises(PullError, match="answered 404 NOT FOUND; check the address"):
        _pull(_entry(httpserver.url_for("/hilang.csv")), store, tmp_path)
    assert len(httpserver.log) == 1


def test_slow_answers_time_out_and_are_retried(httpserver, store, tmp_path):
    calls = []

    def slow_then_fast(request: Request) -> Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(3)  # over the 2 s timeout
        return Response(CSV)

    httpserver.expect_request("/hasil.csv").respond_with_handler(slow_then_fast)
    result, waits = _pull(_entry(httpserver.url_for("/hasil.csv")), store, tmp_path)
    assert result.path.read_bytes() == CSV and len(calls) == 2 and waits == [1.0]


def test_redirects_are_followed(httpserver, store, tmp_path):
    httpserver.expect_request("/lama.csv").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/baru.csv")}
    )
    httpserver.expect_request("/baru.csv").respond_with_data(CSV)
    result, _ = _pull(_entry(httpserver.url_for("/lama.csv")), store, tmp_path)
    assert result.path.read_bytes() == CSV


def test_a_cut_off_body_is_never_stored(httpserver, store, tmp_path):
    def truncated(request: Request) -> Response:
        response = Response(CSV[:20])
        response.headers["Content-Length"] = str(len(CSV))  # promises more than it sends
        return response

    httpserver.expect_request("/hasil.csv").respond_with_handler(truncated)
    with pytest.raises(PullError, match=r"before the whole file arrived|closed after 20 of"):
        _pull(_entry(httpserver.url_for("/hasil.csv")), store, tmp_path)
    assert not list(store.root.rglob("*.csv")) if store.root.exists() else True
    assert (
        not any((tmp_path / "downloads").rglob("*")) if (tmp_path / "downloads").exists() else True
    )


def test_files_over_the_size_limit_are_refused(httpserver, store, tmp_path):
    httpserver.expect_request("/besar.csv").respond_with_data(CSV * 100)
    entry = _entry(httpserver.url_for("/besar.csv"), max_bytes=1000)
    with pytest.raises(PullError, match=r"is 5,200 bytes, over this source's limit of 1,000"):
        _pull(entry, store, tmp_path)


def test_credentials_come_from_the_environment_and_never_show(httpserver, store, tmp_path):
    httpserver.expect_request(
        "/kobo.csv", headers={"Authorization": f"Token {TOKEN}"}
    ).respond_with_data(CSV)
    entry = _entry(httpserver.url_for("/kobo.csv"), credentials_env="KOBO_TOKEN", auth="token")
    with pytest.raises(PullError, match="environment variable KOBO_TOKEN"):
        _pull(entry, store, tmp_path)
    result, _ = _pull(entry, store, tmp_path, environ={"KOBO_TOKEN": TOKEN})
    assert result.path.read_bytes() == CSV
    assert TOKEN not in store.manifest.read_text()
    # A wrong token: the message names the answer, never the token.
    httpserver.clear()
    httpserver.expect_request("/kobo.csv").respond_with_data("no", status=401)
    with pytest.raises(PullError) as raised:
        _pull(entry, store, tmp_path, environ={"KOBO_TOKEN": TOKEN})
    assert "401" in str(raised.value) and TOKEN not in str(raised.value)


def test_ckan_package_show_resolves_the_named_resource(httpserver, store, tmp_path):
    package = {
        "success": True,
        "result": {
            "name": "hasil-pemilu",
            "resources": [
                {
                    "id": "r1",
                    "name": "Metadata",
                    "format": "PDF",
                    "url": httpserver.url_for("/m.pdf"),
                },
                {
                    "id": "r2",
                    "name": "Hasil per kabupaten",
                    "format": "CSV",
                    "url": httpserver.url_for("/r2.csv"),
                },
            ],
        },
    }
    httpserver.expect_request(
        "/api/3/action/package_show", query_string="id=hasil-pemilu"
    ).respond_with_json(package)
    httpserver.expect_request("/r2.csv").respond_with_data(CSV)
    url = httpserver.url_for("/api/3/action/package_show?id=hasil-pemilu")
    result, _ = _pull(_entry(url, ckan_resource="Hasil per kabupaten"), store, tmp_path)
    assert result.path.read_bytes() == CSV
    assert result.snapshot.name == "Hasil per kabupaten"
    assert result.snapshot.origin == httpserver.url_for("/r2.csv")
    with pytest.raises(
        PullError,
        match=r"no resource with id, name or format 'XLSX'; the package has: 'Metadata' \(PDF, id r1\)",
    ):
        _pull(_entry(url, ckan_resource="XLSX"), store, tmp_path)


def test_a_drop_folder_gives_its_newest_file(store, tmp_path):
    folder = tmp_path / "drops" / "jsn"
    folder.mkdir(parents=True)
    entry = _entry("drops/jsn")
    with pytest.raises(PullError, match=r"has no file matching \*\.csv"):
        _pull(entry, store, tmp_path)
    (folder / "hasil-senin.csv").write_bytes(CSV)
    os.utime(folder / "hasil-senin.csv", (1_000_000, 1_000_000))
    (folder / "hasil-selasa.csv").write_bytes(CSV + b"32.73,01,5\n")
    (folder / "~$hasil.csv").write_bytes(b"lock file of an open spreadsheet")
    result, _ = _pull(entry, store, tmp_path)
    assert result.snapshot.name == "hasil-selasa.csv"
    assert Path(result.snapshot.origin) == folder / "hasil-selasa.csv"


def test_a_missing_local_file_names_itself(store, tmp_path):
    with pytest.raises(PullError, match=r"cannot read nowhere\.csv: file not found"):
        _pull(_entry("nowhere.csv"), store, tmp_path)


def test_only_http_urls_and_paths_are_pulled():
    with pytest.raises(ValueError, match=r"file:// locations are not pulled"):
        _entry("file:///etc/passwd")


def test_internal_addresses_are_refused_unless_allowed(httpserver, store, tmp_path):
    httpserver.expect_request("/hasil.csv").respond_with_data(CSV)
    url = httpserver.url_for("/hasil.csv")
    with pytest.raises(PullError, match=r"127.0.0.1 is on this server's own network"):
        pull_source(_entry(url), tmp_path, store, environ={})
    for internal in (
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/x.csv",
        "http://localhost:8080/x.csv",
        "http://[::1]/x.csv",
    ):
        with pytest.raises(PullError, match="own network"):
            pull_source(_entry(internal), tmp_path, store, environ={})
    assert len(httpserver.log) == 0  # nothing was even asked


def test_a_redirect_into_the_internal_network_is_refused(httpserver, store, tmp_path):
    # Allowed by its IP, the server redirects to a name on the loopback: refused.
    httpserver.expect_request("/lama.csv").respond_with_data(
        "", status=302, headers={"Location": f"http://localhost:{httpserver.port}/baru.csv"}
    )
    with pytest.raises(
        PullError, match=r"redirects elsewhere: localhost is on this server's own network"
    ):
        _pull(_entry(httpserver.url_for("/lama.csv")), store, tmp_path)


def test_a_symlink_out_of_the_data_folder_is_refused(store, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-outside.csv"
    outside.write_bytes(CSV)
    (tmp_path / "looks_local.csv").symlink_to(outside)
    with pytest.raises(PullError, match=r"leads outside the allowed folders"):
        _pull(_entry("looks_local.csv"), store, tmp_path)
    result, _ = _pull(
        _entry("looks_local.csv"),
        store,
        tmp_path,
        environ={"ODC_ALLOWED_DATA_DIRS": str(tmp_path.parent)},
    )
    assert result.path.read_bytes() == CSV
