"""The Dagster webserver (what `make ui` starts) serves the same asset graph on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline_tests.conftest import free_port, isolated_environment

#: Slow: the webserver in a subprocess.
pytestmark = pytest.mark.slow

QUERY = "{ assetNodes { assetKey { path } groupName isPartitioned partitionKeys } }"


def _post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_webserver_serves_the_asset_graph_grouped_by_organisation(tmp_path):
    port = free_port()
    env = isolated_environment(tmp_path)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster-webserver"),
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        nodes = None
        while time.monotonic() < deadline and nodes is None:
            try:
                answer = _post(f"http://127.0.0.1:{port}/graphql", {"query": QUERY})
                nodes = answer["data"]["assetNodes"] or None
            except (OSError, KeyError, TypeError):
                time.sleep(1)
        assert nodes, "the webserver did not answer with the asset graph within 120 s"
        groups = {"/".join(n["assetKey"]["path"]): n["groupName"] for n in nodes}
        assert groups["raw_jsn_pilpres2024_kabkota"] == "jaga_suara_nusantara"
        assert groups["harmonized_fppjb_rekap_pilpres2024"] == "forum_pemantau_pemilu_jawa_barat"
        assert groups["quarantine_ldw_suara_pilpres2024"] == "lembaga_data_warga"
        assert groups["fact_election_results"] == "warehouse"
        assert groups["pull_ldw_suara_pilpres2024"] == "lembaga_data_warga"
        assert groups["pull_ldw_dpt_kabkota"] == "lembaga_data_warga"
        assert len(groups) == 41  # with the release and the results_by_place view
        assert groups["election_reference"] == groups["region_reference"] == "reference"
        assert groups["dim_party"] == "warehouse"
        # LDW's DPT keeps one file per election: its assets are partitioned by year, the
        # warehouse and the other sources are not.
        years = {"/".join(n["assetKey"]["path"]): n["partitionKeys"] for n in nodes}
        partitioned = {"/".join(n["assetKey"]["path"]) for n in nodes if n["isPartitioned"]}
        assert partitioned == {
            f"{stage}_ldw_dpt_kabkota"
            for stage in ("pull", "raw", "validated", "quarantine", "harmonized")
        }
        assert years["harmonized_ldw_dpt_kabkota"] == ["2019", "2024"]
    finally:
        server.terminate()
        server.wait(timeout=30)
