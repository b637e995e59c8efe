"""`odc chart` over the demo warehouse: maps and gaps, each titled, with its sources'
organisations and licences, the release and the date on the image."""

from __future__ import annotations

import os
import subprocess
from xml.etree import ElementTree

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
    assert "public.sqlite; members-only sources are in --audience members" in done.stderr
    assert "It holds results for: presiden 2024" in done.stderr


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


def test_votes_per_party_from_a_warehouse_of_party_results(tmp_path):
    """The demo has no party results: an audience file made from the warehouse's own
    definitions holds two parties' votes of one source (and a second source the chart
    must not add in)."""
    import sqlalchemy as sa

    from odc_pipeline.settings import Settings
    from odc_pipeline.warehouse.schema import (
        dim_organization,
        dim_party,
        dim_region,
        dim_source,
        fact_tables,
        metadata,
    )
    from odc_pipeline.warehouse.views import create_views

    settings = Settings(
        data_dir=tmp_path,
        registry_path=tmp_path / "sources.yaml",
        warehouse_dir=tmp_path / "warehouse",
        storage_dir=tmp_path,
        snapshot_dir=tmp_path,
    )
    (settings.warehouse_dir / "shared").mkdir(parents=True)
    engine = sa.create_engine(f"sqlite:///{settings.warehouse_dir / 'shared' / 'public.sqlite'}")
    facts = fact_tables()["election_results"]
    with engine.begin() as connection:
        metadata.create_all(connection)
        create_views(connection)
        connection.execute(
            sa.insert(dim_region),
            [
                {
                    "region_code": "32",
                    "name": "Jawa Barat",
                    "level": 1,
                    "type": "provinsi",
                    "parent_code": None,
                    "province_code": "32",
                },
            ],
        )
        connection.execute(
            sa.insert(dim_party),
            [
                {
                    "party_id": "pdip",
                    "short_name": "PDI-P",
                    "official_name": "PDI Perjuangan",
                    "scope": "national",
                },
                {
                    "party_id": "golkar",
                    "short_name": "Golkar",
                    "official_name": "Partai Golkar",
                    "scope": "national",
                },
            ],
        )
        connection.execute(
            sa.insert(dim_organization),
            [{"organization_id": "jsn", "name": "Jaga Suara Nusantara"}],
        )
        connection.execute(
            sa.insert(dim_source),
            [
                {
                    "source_id": s,
                    "organization_id": "jsn",
                    "kind": "election_results",
                    "format": "csv",
                    "location": "x",
                    "licence": "CC-BY-4.0",
                    "sharing": "public",
                    "status": "current",
                }
                for s in ("jsn_dpr", "jsn_dpr_copy")
            ],
        )
        rows = [("jsn_dpr", "pdip", 700), ("jsn_dpr", "golkar", 300), ("jsn_dpr_copy", "pdip", 1)]
        connection.execute(
            sa.insert(facts),
            [
                {
                    "election": "pemilu",
                    "year": 2019,
                    "contest": "dpr",
                    "candidate": party,
                    "party_id": party,
                    "contestant_method": "name",
                    "votes": votes,
                    "region_code": "32",
                    "region_level": 1,
                    "region_value": "Jawa Barat",
                    "region_method": "name",
                    "region_score": 100.0,
                    "region_rule": "name",
                    "organization_id": "jsn",
                    "source_id": source,
                    "source_row": n,
                    "load_id": 1,
                }
                for n, (source, party, votes) in enumerate(rows, start=2)
            ],
        )
    engine.dispose()
    store = tmp_path / "warehouse" / "releases" / "2026.12.02-1"
    store.mkdir(parents=True)
    (store / "manifest.json").write_text("{}", encoding="utf-8")
    png, described, svg = draw_chart(
        settings,
        tmp_path,
        "party-votes",
        "--year",
        "2019",
        "--contest",
        "dpr",
        "--source",
        "jsn_dpr",
        "--lang",
        "en",
    )
    assert "Votes per party" in svg and "PDI-P" in svg and "Golkar" in svg
    # One source's votes, not both added (PDI-P would be 701): read in the bars' labels (a
    # value after a space), not in the markup, whose generated ids may hold any digits.
    words = [
        "".join(element.itertext())
        for element in ElementTree.fromstring(svg.encode()).iter()
        if element.tag.endswith("}text")
    ]
    assert [w.strip() for w in words if w.startswith(" ")] == ["700", "300"]
    assert "Jaga Suara Nusantara (CC-BY-4.0)" in described
