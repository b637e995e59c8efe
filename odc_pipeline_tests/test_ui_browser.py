"""The Dagster UI in a real browser: what a data steward sees after a night's run.

Starts `dagster-webserver` on loopback over the project's workspace (after a real run in its
own DAGSTER_HOME), drives Debian's Chromium with Playwright, finds every source group, opens
one source's asset, reads its row count and check results, and saves screenshots.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline_tests.browser import SCREENSHOTS, chromium_page, require_chromium
from odc_pipeline_tests.conftest import execute_demo_job, free_port, isolated_environment

#: Slow: the webserver and Chromium.
pytestmark = pytest.mark.slow


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    require_chromium()
    tmp = tmp_path_factory.mktemp("ui")
    env = isolated_environment(tmp)
    (Path(env["DAGSTER_HOME"]) / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    # The night's run in a process of its own, its steps in that process: what the UI shows
    # is the same, without starting a Python process per step (test_instance runs those).
    in_process = tmp / "in_process.yaml"
    in_process.write_text("execution:\n  config:\n    in_process: {}\n")
    execute_demo_job("materialize_all", env, "-c", str(in_process))
    port = free_port()
    server = subprocess.Popen(
        [_bin("dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2)
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("dagster-webserver did not answer within 120 s")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def page(webserver):
    with chromium_page(1400, timeout_ms=60_000) as page:
        yield page


def _dismiss_welcome(page) -> None:
    """Dagster asks a first-time visitor to join its community; a steward clicks Skip."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(timeout=5_000)
        skip.click()
    except Exception:  # noqa: BLE001 - not shown: nothing to dismiss
        pass


def test_the_asset_graph_shows_every_source_group(webserver, page):
    page.goto(f"{webserver}/asset-groups")
    _dismiss_welcome(page)
    # Groups are named after the organisations, not the registry's short ids. The UI shortens
    # a long name in the middle where it lacks room, keeping the whole name in the page.
    for group in (
        "forum_pemantau_pemilu_jawa_barat",
        "jaga_suara_nusantara",
        "lembaga_data_warga",
        "warehouse",
    ):
        page.get_by_text(group, exact=True).first.wait_for(state="attached")
    page.screenshot(path=str(SCREENSHOTS / "asset-graph.png"))


def test_a_source_asset_shows_its_row_count_and_checks(webserver, page):
    page.goto(f"{webserver}/assets/validated_jsn_pilpres2024_kabkota")
    _dismiss_welcome(page)
    page.get_by_text("rows_quarantined").first.wait_for()
    body = page.inner_text("body")
    assert "jsn" in body and "election_results" in body
    assert "Row count\n78" in body, body[:1500]  # 81 rows in, 3 quarantined by validation
    page.screenshot(path=str(SCREENSHOTS / "source-asset.png"), full_page=True)
    page.goto(f"{webserver}/assets/validated_jsn_pilpres2024_kabkota?view=checks")
    for check in ("file_usable", "quarantine_share", "no_duplicate_keys"):
        page.get_by_text(check, exact=True).first.wait_for()
    checks = page.inner_text("body")
    assert checks.count("Succeeded") == 3 and "Passed" in checks, checks[:2000]
    page.screenshot(path=str(SCREENSHOTS / "source-checks.png"), full_page=True)
