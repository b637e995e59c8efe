"""Debian's Chromium driven by Playwright: the one browser every UI test uses."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from odc_pipeline.settings import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Screenshots land here (gitignored) so a person can look at what the test saw.
SCREENSHOTS = PROJECT_ROOT / "odc_pipeline_tests" / "screenshots"


def require_chromium() -> None:
    """Fail, saying how to get it, where the machine has no Chromium."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required (apt-get install chromium; .ci/run does it)")


@contextmanager
def chromium_page(width: int, timeout_ms: int | None = None) -> Iterator:
    """A page of a headless Chromium `width` pixels wide; closed when the block ends."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            if timeout_ms is not None:
                page.set_default_timeout(timeout_ms)
            yield page
        finally:
            browser.close()
