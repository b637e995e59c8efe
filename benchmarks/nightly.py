"""A night with new files against a night with nothing new.

    python -m benchmarks nightly [--rows N]

Three sources (CSV, village-level results, N rows in all) are pulled, read, validated,
harmonized and published once (the full night). Then a second night pulls them again, finds
the same bytes, and the sensor asks for nothing (the unchanged night). Both are timed in the
same run, with the same Dagster instance, and the ratio is reported (target: under 10%).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import yaml

from benchmarks.results import save
from odc_pipeline.defs.automation import PULL_JOB
from odc_pipeline.defs.build import ALL_ASSETS_JOB, build_definitions
from odc_pipeline.regions import load_reference
from odc_pipeline.registry import load_registry
from odc_pipeline_tests.scratch import scratch_settings

ORGANIZATIONS = ("alpha", "beta", "gamma")


def write_sources(folder: Path, rows: int, seed: int = 5) -> Path:
    """Three CSV files of village results and the registry that describes them."""
    reference = load_reference()
    villages = reference.loc[reference["level"] == 4, "region_code"].to_numpy()
    rng = np.random.default_rng(seed)
    sources = []
    for organization in ORGANIZATIONS:
        n = rows // len(ORGANIZATIONS)
        frame = pd.DataFrame(
            {
                "kode_wilayah": villages[rng.integers(0, len(villages), size=n)],
                "paslon": np.tile(np.array(["01", "02", "03"]), n // 3 + 1)[:n],
                "suara": rng.integers(0, 300, size=n),
            }
        ).drop_duplicates(["kode_wilayah", "paslon"])
        frame.to_csv(folder / f"{organization}.csv", index=False)
        sources.append(
            {
                "id": f"{organization}_hasil",
                "organization": organization,
                "kind": "election_results",
                "format": "csv",
                "location": f"{organization}.csv",
                "columns": {"kode_wilayah": "region", "paslon": "candidate", "suara": "votes"},
                "constants": {"election": "pemilu", "year": 2024, "contest": "presiden"},
                "regions": [{"column": "region", "level": "desa", "system": "kemendagri"}],
                "licence": "CC-BY-4.0",
                "sharing": "public",
            }
        )
    registry = folder / "sources.yaml"
    registry.write_text(
        yaml.safe_dump(
            {"organizations": {o: {"name": o.title()} for o in ORGANIZATIONS}, "sources": sources}
        ),
        encoding="utf-8",
    )
    return registry


def run(rows: int) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        registry_path = write_sources(folder, rows)
        settings = scratch_settings(folder, registry_path)
        defs = build_definitions(settings, load_registry(registry_path))
        instance = dg.DagsterInstance.ephemeral()
        start = time.perf_counter()
        full = defs.resolve_job_def(ALL_ASSETS_JOB).execute_in_process(instance=instance)
        full_seconds = time.perf_counter() - start
        start = time.perf_counter()
        pulled = defs.resolve_job_def(PULL_JOB).execute_in_process(instance=instance)
        decision = defs.get_sensor_def("process_changed_sources")(
            dg.build_sensor_context(instance=instance, definitions=defs)
        )
        unchanged_seconds = time.perf_counter() - start
        assert full.success and pulled.success and isinstance(decision, dg.SkipReason)
    result = {
        "rows": rows,
        "full_night_seconds": round(full_seconds, 2),
        "unchanged_night_seconds": round(unchanged_seconds, 2),
        "unchanged_over_full": round(unchanged_seconds / full_seconds, 3),
    }
    markdown = "\n".join(
        [
            "# Nightly runs: new files against nothing new",
            "",
            "| rows | full night s | unchanged night s | unchanged / full |",
            "|---:|---:|---:|---:|",
            f"| {rows:,} | {result['full_night_seconds']} | {result['unchanged_night_seconds']} "
            f"| **{result['unchanged_over_full']:.1%}** |",
        ]
    )
    save("nightly", result, markdown)
    print(markdown)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks nightly")
    parser.add_argument("--rows", type=int, default=300_000)
    args = parser.parse_args(argv)
    run(args.rows)
    return 0
