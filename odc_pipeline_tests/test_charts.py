"""`odc chart` over the demo warehouse: maps and gaps, each titled, with its sources'
organisations and licences, the release and the date on the image."""

from __future__ import annotations

import os
import subprocess

import pytest

from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline_tests.charting import draw_chart

#: Slow: `odc chart` in a process of its own, over the demo night.
pytestmark = pytest.mark.slow

JSN = "jsn_pilpres2024_kabkota"
LDW = "ldw_suara_pilpres2024"


def test_a_province_map_of_a_pairs_share(demo_run, tmp_path):
    png, described, svg = draw_chart(
        demo_run.settings,
        tmp_path,
        "votes-map",
        "--year",
        "2024",
        "--contest",
        "presiden",
        "--source",
        JSN,
        "--contestant",
        "paslon_2024_02",
    )
    assert png.size[0] > 1000
    assert "Perolehan suara per provinsi" in svg and "CC BY 4.0" in svg
    assert "Sumber data: Jaga Suara Nusantara (CC-BY-4.0)" in described


def test_the_gap_between_two_sources_as_bars_and_as_a_map(demo_run, tmp_path):
    png, described, svg = draw_chart(
        demo_run.settings,
        tmp_path,
        "source-gap",
        "--year",
        "2024",
        "--contest",
        "presiden",
        "--source",
        JSN,
        "--other",
        LDW,
        "--lang",
        "en",
    )
    assert "Gap between two sources per region" in svg and "Kota Bandung" in svg
    assert "Jaga Suara Nusantara (CC-BY-4.0)" in described
    assert "Lembaga Data Warga (ODbL-1.0)" in described
    png, _, svg = draw_chart(
        demo_run.settings,
        tmp_path,
        "gap-map",
        "--year",
        "2024",
        "--contest",
        "presiden",
        "--source",
        JSN,
        "--other",
        LDW,
    )
    assert "Selisih antarsumber per provinsi" in svg and png.size[1] > 400


def test_a_chart_with_no_rows_says_so_without_a_traceback(demo_run, tmp_path):
    env = {**os.environ, "ODC_WAREHOUSE_DIR": str(demo_run.settings.warehouse_dir)}
    done = subprocess.run(
        [
            str(PROJECT_ROOT / ".venv" / "bin" / "odc"),
            "chart",
            "party-seats",
            "--year",
            "2014",
            "--contest",
            "dpr",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "no rows for party-seats with year 2014, contest dpr in" in done.stderr
    assert "public.sqlite" in done.stderr


def test_turnout_per_province_on_the_map(demo_run, tmp_path):
    png, described, svg = draw_chart(
        demo_run.settings,
        tmp_path,
        "turnout-map",
        "--year",
        "2024",
        "--contest",
        "presiden",
        "--source",
        JSN,
        "--other",
        "ldw_dpt_kabkota",
        "--lang",
        "en",
    )
    assert "Turnout per province" in svg and "% of registered voters who voted" in svg
    assert "Lembaga Data Warga (CC-BY-4.0)" in described and png.size[0] > 1000


def test_every_chart_kind_is_offered_and_declared():
    from odc_pipeline.charts.kinds import CHARTS
    from odc_pipeline.cli.chart import CHART_NAMES

    assert sorted(CHARTS) == sorted(CHART_NAMES)
