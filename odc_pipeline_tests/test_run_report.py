"""The run report: one HTML page per run, linked from the publish step, with charts that
render in a real browser and every value from the data escaped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from odc_pipeline.registry import load_registry
from odc_pipeline_tests.conftest import (
    demo_registry_document,
    make_settings,
    run_all,
    write_registry,
)
from odc_pipeline_tests.test_ui_browser import CHROMIUM, SCREENSHOTS

PLANTED = "<script>document.title='pwned'</script>"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    path = write_registry(folder, demo_registry_document())
    csv_file = folder / "demo" / "jsn_pilpres2024_kabkota.csv"
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    first[0] = PLANTED.replace(",", " ")
    csv_file.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n", encoding="utf-8")
    settings = make_settings(folder, path)
    result = run_all(settings, load_registry(path))
    assert result.success
    materialization = next(
        m
        for m in result.get_asset_materialization_events()
        if m.asset_key.to_user_string() == "load_audit"
    )
    linked = materialization.materialization.metadata["run_report"].value
    return result.run_id, linked, settings


def test_the_publish_step_links_the_report_of_its_run(report):
    run_id, linked, settings = report
    assert linked == str(settings.warehouse_dir / "reports" / f"run-{run_id}.html")
    page = Path(linked).read_text(encoding="utf-8")
    assert f"odc-pipeline run {run_id}" in page
    assert "192 rows in, 178 published, 14 set aside" in page
    assert PLANTED not in page and "&lt;script&gt;" in page
    assert page.count("data:image/png;base64,") == 4


def test_the_report_renders_in_chromium(report):
    from playwright.sync_api import sync_playwright

    _, linked, _ = report
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"file://{linked}")
        widths = page.eval_on_selector_all("img", "images => images.map(i => i.naturalWidth)")
        title = page.title()
        headings = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent)")
        page.screenshot(path=str(SCREENSHOTS / "run-report.png"), full_page=True)
        browser.close()
    assert len(widths) == 4 and all(w > 300 for w in widths)
    assert title.startswith("odc-pipeline run") and title != "pwned"
    assert headings == [
        "Rows published and set aside, per source",
        "Region match rate, per source",
        "Coverage per province",
        "Top reasons rows were set aside",
    ]
    assert shutil.which("chromium") or CHROMIUM
