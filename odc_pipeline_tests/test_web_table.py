"""`odc serve` (what `make serve` runs): Datasette over the public and members files, driven in
real Chromium as an analyst who does not write SQL would use it."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline.warehouse.schema import warehouse_tables
from odc_pipeline_tests.browser import SCREENSHOTS, chromium_page, require_chromium
from odc_pipeline_tests.conftest import (
    demo_registry_document,
    free_port,
    make_settings,
    run_all,
    write_registry,
)
from odc_pipeline_tests.scratch import scratch_environment

#: Slow: a night, the server and Chromium.
pytestmark = pytest.mark.slow

PRIVATE = "ldw_suara_pilpres2024"
MEMBERS_ONLY = "fppjb_rekap_pilpres2024"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The demo night with LDW's results made private, then `odc serve` on a free port."""
    require_chromium()
    tmp = tmp_path_factory.mktemp("serve")
    document = demo_registry_document()
    for entry in document["sources"]:
        if entry["id"] == PRIVATE:
            entry["sharing"] = "private"
    registry = write_registry(tmp / "registry", document)
    assert run_all(make_settings(tmp, registry)).success
    port = free_port()
    env = scratch_environment(tmp) | {"ODC_SOURCES": str(registry)}
    env.pop("ODC_WAREHOUSE_URL", None)
    server = subprocess.Popen(
        [str(PROJECT_ROOT / ".venv" / "bin" / "odc"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                _get(f"{url}/-/versions.json")
                break
            except OSError:
                time.sleep(0.5)
        else:
            server.terminate()
            pytest.fail(f"odc serve did not answer: {server.communicate()[0][-2000:]!r}")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def page(served):
    with chromium_page(1400, timeout_ms=30_000) as page:
        yield page


def test_an_analyst_filters_a_table_by_province(served, page):
    page.goto(f"{served}/public/results_by_place")
    page.get_by_text("Hasil pemilu per wilayah / Results by place").first.wait_for()
    # Its description in Indonesian, then in English.
    page.get_by_text("Setiap hasil dengan nama wilayah dan provinsinya").first.wait_for()
    assert "Every result with the name of its region and province" in page.inner_text("body")
    # Facets on province, election and party, from the catalogue.
    for facet in ("province", "election", "party"):
        page.locator(f".facet-info[data-column='{facet}']").wait_for()
    page.select_option("select[name='_filter_column']", "region_name")
    page.fill("input[name='_filter_value']", "Kabupaten Bogor")
    page.locator("form.filters input[type='submit']").click()
    page.get_by_text('where region_name = "Kabupaten Bogor"').first.wait_for()
    cells = page.locator("td.col-region_name").all_inner_texts()
    assert cells and set(cells) == {"Kabupaten Bogor"}
    page.screenshot(path=str(SCREENSHOTS / "web-table-filter.png"), full_page=True)


def test_columns_are_described_in_indonesian_then_english(served, page):
    page.goto(f"{served}/public/fact_election_results")
    page.locator("dl.column-descriptions").wait_for()
    terms = page.locator("dl.column-descriptions dt").all_inner_texts()
    details = page.locator("dl.column-descriptions dd").all_inner_texts()
    described = dict(zip(terms, details, strict=True))
    assert described["votes"] == (
        "Suara untuk partai atau calon / Votes for the party or candidate "
        "(satuan / unit: suara / votes)"
    )
    assert described["region_code"].startswith("Kode Kemendagri yang berlaku (dim_region)")
    # Every column of the table is described.
    (results,) = [t for t in warehouse_tables() if t.name == "fact_election_results"]
    assert set(described) == {c.name for c in results.columns}


def test_a_canned_query_answers_and_downloads_as_csv(served, page):
    page.goto(f"{served}/members/sources_that_disagree?percent=0.5")
    page.get_by_text(
        "Sources that disagree by more than a given percentage per region"
    ).first.wait_for()
    rows = page.locator("table.rows-and-columns tbody tr")
    assert rows.count() > 0
    link = page.get_by_role("link", name="CSV").first.get_attribute("href")
    assert link and ".csv" in link
    answer = page.request.get(link if link.startswith("http") else served + link)
    assert answer.ok
    table = list(csv.DictReader(io.StringIO(answer.text())))
    assert len(table) == rows.count()
    assert all(float(r["percent_of_larger"]) > 0.5 for r in table)
    # The members' file compares the members-only source with the public ones.
    assert any(MEMBERS_ONLY in (r["source_a"], r["source_b"]) for r in table)
    # Left empty, the percentage is 1: the demo's sources differ by less than that.
    assert (
        json.loads(_get(f"{served}/members/sources_that_disagree.json?percent=&_shape=array")) == []
    )
    page.goto(f"{served}/public/turnout_per_province")
    page.get_by_text("Partisipasi pemilih per provinsi").first.wait_for()


def test_nothing_private_or_personal_is_served(served):
    personal = {c.name for t in warehouse_tables() for c in t.columns if c.info.get("personal")}
    for database, hidden in (("public", {PRIVATE, MEMBERS_ONLY}), ("members", {PRIVATE})):
        described = json.loads(_get(f"{served}/{database}.json"))
        for table in described["tables"] + described.get("views", []):
            # A personal column is kept empty (no salt here; with ODC_HASH_SALT it holds the
            # salted hash, as in every audience file): no value of it is served.
            for column in sorted(set(table.get("columns", [])) & personal):
                # The table's own filter: rows where the column is not empty.
                found = json.loads(
                    _get(f"{served}/{database}/{table['name']}.json?{column}__notblank=1")
                )
                assert found["rows"] == [], (database, table["name"], column)
        sources = json.loads(_get(f"{served}/{database}/dim_source.json?_shape=array&_size=max"))
        assert {s["source_id"] for s in sources}.isdisjoint(hidden)
        facts = json.loads(
            _get(
                f"{served}/{database}.json?sql=select+distinct+source_id+from+fact_election_results"
                "&_shape=array"
            )
        )
        assert {r["source_id"] for r in facts}.isdisjoint(hidden)
    # The private file is not served at all, nor is the whole file offered for download.
    with pytest.raises(urllib.error.HTTPError):
        _get(f"{served}/private_ldw.json")
    with pytest.raises(urllib.error.HTTPError):
        _get(f"{served}/public.db")
