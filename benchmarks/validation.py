"""Validation benchmark: the election-results path on N rows, against Great Expectations.

    python -m benchmarks validation [--rows N]

Measures, on the same synthetic frame in the same run: the whole validate step (text cells →
typed, checked rows plus quarantine), the pandera model alone on the typed frame, and an
equivalent Great Expectations suite on that typed frame.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from benchmarks.results import save
from odc_pipeline.kinds import CONTESTS
from odc_pipeline.registry.model import SourceEntry
from odc_pipeline.validation.schemas import schema_for
from odc_pipeline.validation.validate import validate_source

ENTRY = SourceEntry.model_validate(
    {
        "id": "bench",
        "organization": "bench",
        "kind": "election_results",
        "format": "csv",
        "location": "x",
        "columns": {
            "kode": "region",
            "paslon": "candidate",
            "suara": "votes",
            "sah": "valid_ballots",
            "tidak_sah": "invalid_ballots",
        },
        "constants": {"election": "pemilu", "year": 2024, "contest": "presiden"},
        "regions": [{"column": "region", "level": "desa", "system": "kemendagri"}],
        "licence": "bench",
        "sharing": "public",
    }
)


def raw_frame(rows: int, seed: int = 5) -> pd.DataFrame:
    """Text cells as a reader returns them: one row per polling station and candidate pair."""
    rng = np.random.default_rng(seed)
    stations = rows // 3 + 1
    region = np.char.add("32.04.05.", (2001 + np.arange(stations) % 9000).astype(str))
    region = np.char.add(np.char.add(region, "/"), (np.arange(stations) // 9000).astype(str))
    valid = rng.integers(100, 300, size=stations)
    votes = (valid[:, None] * np.array([0.3, 0.6, 0.1])).astype(int)
    frame = pd.DataFrame(
        {
            "kode": np.repeat(region, 3)[:rows],
            "paslon": np.tile(["01", "02", "03"], stations)[:rows],
            "suara": votes.reshape(-1).astype(str)[:rows],
            "sah": np.repeat(valid, 3).astype(str)[:rows],
            "tidak_sah": np.repeat(rng.integers(0, 9, size=stations), 3).astype(str)[:rows],
        },
        dtype=object,
    )
    bad = rng.choice(rows, size=max(1, rows // 1000), replace=False)
    frame.loc[bad, "suara"] = "-1"
    frame["_source_row"] = np.arange(2, rows + 2)
    frame["_file_hash"] = "0" * 64
    frame["_read_error"] = None
    return frame


def _gx_suite(typed: pd.DataFrame) -> tuple[float, bool]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("bench")
        .add_dataframe_asset("results")
        .add_batch_definition_whole_dataframe("all")
    )
    e = gx.expectations
    suite = context.suites.add(
        gx.ExpectationSuite(
            name="results",
            expectations=[
                *(
                    e.ExpectColumnValuesToNotBeNull(column=c)
                    for c in ("election", "year", "contest", "candidate", "votes")
                ),
                e.ExpectColumnValuesToBeBetween(column="year", min_value=1955, max_value=2100),
                e.ExpectColumnValuesToBeInSet(column="contest", value_set=list(CONTESTS)),
                *(
                    e.ExpectColumnValuesToBeBetween(column=c, min_value=0)
                    for c in ("votes", "valid_ballots", "invalid_ballots")
                ),
                e.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="valid_ballots",
                    column_B="votes",
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                ),
                e.ExpectCompoundColumnsToBeUnique(
                    column_list=["election", "year", "contest", "candidate", "region"]
                ),
            ],
        )
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="results", data=batch, suite=suite)
    )
    frame = typed.astype(
        {c: "float64" for c in ("year", "votes", "valid_ballots", "invalid_ballots")}
    )
    start = time.perf_counter()
    result = definition.run(batch_parameters={"dataframe": frame})
    return time.perf_counter() - start, bool(result.success)


def run(rows: int) -> dict:
    raw = raw_frame(rows)
    start = time.perf_counter()
    outcome = validate_source(raw, ENTRY)
    validate_seconds = time.perf_counter() - start
    typed = outcome.valid
    start = time.perf_counter()
    schema_for("election_results").validate(typed, lazy=True)
    pandera_seconds = time.perf_counter() - start
    gx_seconds, gx_success = _gx_suite(typed)
    result = {
        "rows": rows,
        "rows_valid": len(typed),
        "rows_quarantined": int(outcome.rows_quarantined),
        "validate_step_seconds": round(validate_seconds, 3),
        "validate_step_rows_per_second": round(rows / validate_seconds),
        "pandera_model_seconds": round(pandera_seconds, 3),
        "pandera_rows_per_second": round(len(typed) / pandera_seconds),
        "great_expectations_seconds": round(gx_seconds, 3),
        "great_expectations_rows_per_second": round(len(typed) / gx_seconds),
        "great_expectations_success": gx_success,
        "gx_over_pandera": round(gx_seconds / pandera_seconds, 2),
    }
    markdown = "\n".join(
        [
            "# Validation benchmark (election results)",
            "",
            "| measure | seconds | rows/s |",
            "|---|---:|---:|",
            f"| whole validate step ({rows:,} text rows → typed + quarantine) | {result['validate_step_seconds']} | {result['validate_step_rows_per_second']:,} |",
            f"| pandera model alone ({len(typed):,} typed rows) | {result['pandera_model_seconds']} | {result['pandera_rows_per_second']:,} |",
            f"| equivalent Great Expectations suite (same rows) | {result['great_expectations_seconds']} | {result['great_expectations_rows_per_second']:,} |",
            "",
            f"Great Expectations / pandera: **{result['gx_over_pandera']}x** the time.",
        ]
    )
    save("validation", result, markdown)
    print(markdown)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks validation")
    parser.add_argument("--rows", type=int, default=1_000_000)
    run(parser.parse_args(argv).rows)
    return 0
