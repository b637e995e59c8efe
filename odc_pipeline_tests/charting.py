"""`odc chart` as a person runs it, for the tests of each chart type."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from PIL import Image

from odc_pipeline.releases.store import ReleaseStore
from odc_pipeline.settings import PROJECT_ROOT, Settings


def draw_chart(settings: Settings, tmp: Path, *arguments: str) -> tuple[Image.Image, str, str]:
    """Run `odc chart ARGUMENTS` on `settings`' warehouse; the PNG, its description and the
    SVG's text. Checks what every chart must carry: the release, the date, a source."""
    env = {
        **os.environ,
        "ODC_WAREHOUSE_DIR": str(settings.warehouse_dir),
        "ODC_SOURCES": str(settings.registry_path),
    }
    env.pop("ODC_WAREHOUSE_URL", None)
    base = tmp / arguments[0]
    done = subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "odc"), "chart", *arguments, "--output", str(base)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    png = Image.open(base.with_suffix(".png"))
    png.load()
    svg = base.with_suffix(".svg").read_text(encoding="utf-8")
    release = ReleaseStore(settings.releases_dir).latest()
    described = png.info.get("Description", "")
    assert release and release in described and release in svg
    assert re.search(r"\d{1,2} \w+ 20\d\d", described)
    return png, described, svg
