"""The run report: one HTML page per run, linked from the publish step, with charts that
render in a real browser and every value from the data escaped."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from odc_pipeline.registry import load_registry
from odc_pipeline.reporting.run_report import province_coverage
from odc_pipeline_tests.browser import CHROMIUM, SCREENSHOTS, chromium_page
from odc_pipeline_tests.conftest import (
    demo_registry_document,
    make_settings,
    run_all,
    write_registry,
)

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
    assert f"Run {run_id}: 4 sources; 192 rows in, 178 published, 14 set aside" in page
    assert re.search(r"<h1>odc-pipeline run of \d{1,2} \w+ 20\d\d, \d\d:\d\d UTC</h1>", page)
    assert PLANTED not in page and "&lt;script&gt;" in page
    # Three charts and two maps (coverage and match rate per province), with the attribution.
    assert page.count("data:image/png;base64,") == 5
    assert 'alt="map of coverage per province"' in page
    assert 'alt="map of match rate per province"' in page
    assert "CC BY 4.0" in page
    # Organisations by name, match rates as percentages.
    assert "<td>Jaga Suara Nusantara</td>" in page
    assert (
        "<td>Jaga Suara Nusantara</td><td>published</td><td>81</td><td>76</td><td>5</td><td>97.4%</td>"
        in page
    )


def test_each_source_has_its_section_with_row_numbers_and_next_commands(report):
    _, linked, _ = report
    page = Path(linked).read_text(encoding="utf-8")
    section = page.split("<h2 id='jsn_pilpres2024_kabkota'>")[1].split("<h2 ")[0]
    assert "(Jaga Suara Nusantara)" in section
    assert (
        "81 rows read: 76 published, 5 set aside. Rows published this run lie in 1 province "
        "and 27 kabupaten/kota." in section
    )
    # Each problem in plain words, with its rows.
    assert "<td>votes must be from 0 to 10,000,000,000</td><td>1</td>" in section
    assert "<td>the region must be one of the official list</td><td>2</td><td>2, 11</td>" in section
    assert "in_range" not in page
    assert (
        "<code>odc query --table quarantine --where source_id=jsn_pilpres2024_kabkota</code>"
        in section
    )
    assert "<code>odc regions review export regions.csv</code>" in section
    clean = page.split("<h2 id='ldw_dpt_kabkota'>")[1].split("<h2 ")[0]
    assert "What to do next" not in clean


@pytest.mark.slow
def test_the_report_renders_in_chromium(report):
    _, linked, _ = report
    with chromium_page(1200) as page:
        page.goto(f"file://{linked}")
        widths = page.eval_on_selector_all("img", "images => images.map(i => i.naturalWidth)")
        title = page.title()
        headings = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent)")
        page.screenshot(path=str(SCREENSHOTS / "run-report.png"), full_page=True)
    assert len(widths) == 5 and all(w > 300 for w in widths)  # three charts, two maps
    assert title.startswith("odc-pipeline run of") and title != "pwned"
    assert headings[:5] == [
        "Rows published and set aside, per source",
        "Region match rate, per source",
        "Coverage per province, on the map",
        "Region match rate per province, on the map",
        "Coverage per province",
    ]
    assert [h.split(" (")[0] for h in headings[5:]] == [
        "fppjb_rekap_pilpres2024",
        "jsn_pilpres2024_kabkota",
        "ldw_dpt_kabkota",
        "ldw_suara_pilpres2024",
    ]
    assert shutil.which("chromium") or CHROMIUM


def test_coverage_counts_the_kabupaten_with_rows_of_this_run(report, tmp_path):
    """Coverage is read through the source index and the results' totals per kabupaten/kota;
    it must say what scanning the rows of the sources the run published says, also once a
    source counts as published by an earlier run."""
    run_id, _, settings = report
    copy = tmp_path / "odc.sqlite"
    shutil.copy(settings.default_warehouse_path, copy)
    engine = sa.create_engine(f"sqlite:///{copy}", poolclass=sa.pool.NullPool)

    def scanned() -> dict[str, int]:
        """Province -> its kabupaten/kota with a row of a source this run published."""
        with engine.connect() as connection:
            published = set(
                connection.execute(
                    sa.text(
                        "select source_id from load_audit where run_id = :r and message is null"
                    ),
                    {"r": run_id},
                ).scalars()
            )
            today = set(
                connection.execute(
                    sa.text(
                        "select region_code from dim_region where level = 2 and type <> 'wilayah_lama'"
                    )
                ).scalars()
            )
            kabupaten = {
                code[:5]
                for table in ("fact_election_results", "fact_voter_counts")
                for code, source in connection.execute(
                    sa.text(f"select region_code, source_id from {table}")  # noqa: S608
                )
                if source in published and code[:5] in today
            }
        return {p: sum(k.startswith(f"{p}.") for k in kabupaten) for p in {k[:2] for k in today}}

    def reported(coverage: pd.DataFrame) -> dict[str, int]:
        return dict(zip(coverage["province_code"], coverage["reported"], strict=True))

    coverage = province_coverage(engine, run_id)
    assert reported(coverage) == scanned()
    assert int(coverage["kabkota"].sum()) == 514
    assert int(coverage["reported"].sum()) > 5 and reported(coverage)["32"] > 1

    # Every source but one counts as published by an earlier run: not this run's coverage.
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "update load_audit set run_id = 'earlier' where source_id <> 'ldw_suara_pilpres2024'"
            )
        )
    moved = province_coverage(engine, run_id)
    assert reported(moved) == scanned()
    assert 0 < sum(reported(moved).values()) < sum(reported(coverage).values())
    # A run that published nothing covers nothing.
    assert province_coverage(engine, "no-such-run") is None
    engine.dispose()
