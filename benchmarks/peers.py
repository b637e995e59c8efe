"""The whole night against a pandas script and a DuckDB query doing the same work.

    python -m benchmarks peers [--rows 2000000,8000000] [--seed 7]

At each size, over the same generated workload (`benchmarks generate`), three nights run one
after the other, each in a process of its own, timed from launch to exit, with the peak
proportional set size of its process tree:

- the pipeline: `odc run` into a new SQLite warehouse (what `make run` does);
- `benchmarks.peer_pandas`: pandas reads, pandera checks, region lookup, `to_sql`;
- `benchmarks.peer_duckdb`: the same as DuckDB SQL, into a DuckDB file.

Each reports the rows it read and published (its match rate: the share of the rows read that
found their region and passed every check), so that a faster peer is seen to publish what
the pipeline publishes. Issue 36's targets are written with whether they were
met: at the largest size the pipeline no slower than the pandas script and at most twice the
DuckDB query; at the smallest at most 1.5 times the pandas script (a single size is held to
the first from 8 million rows, else to the second); each extra million rows costing the
pipeline at most 6 s; and the pipeline publishing at least the share of the rows either peer
does (both shares written).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

from benchmarks.memory import run_measured
from benchmarks.nightly import odc_run
from benchmarks.pipeline import GIB, new_dagster_home, workload_folder
from benchmarks.results import save, target_rows
from benchmarks.workload import DEFAULT_SEED
from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline_tests.scratch import scratch_environment

PEERS = {"pandas": "benchmarks.peer_pandas", "duckdb": "benchmarks.peer_duckdb"}
LARGEST_OVER_PANDAS = 1.0
LARGEST_OVER_DUCKDB = 2.0
SMALLEST_OVER_PANDAS = 1.5
SECONDS_PER_MILLION = 6.0
#: A single size from this many rows up is held to the large night's targets.
LARGE_ROWS = 8_000_000


def _measured(command: list[str], env: dict[str, str]) -> dict:
    night = run_measured(command, PROJECT_ROOT, env)
    if night["returncode"] != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed:\n{night['output'][-4000:]}")
    return night


def _pipeline(registry: Path, folder: Path) -> tuple[dict, dict]:
    env = scratch_environment(folder, registry)
    new_dagster_home(env)
    night = odc_run(env)
    warehouse = folder / "warehouse" / "odc.sqlite"
    with sqlite3.connect(f"file:{warehouse}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT source_id, rows_in, rows_published FROM load_audit"
        ).fetchall()
    return night, {source: {"rows_in": i, "published": p} for source, i, p in rows}


def _peer(module: str, registry: Path, out: Path) -> tuple[dict, dict]:
    night = _measured([sys.executable, "-m", module, str(registry), str(out)], dict(os.environ))
    measured = {"seconds": night["seconds"], "peak_pss_gib": night["peak_pss_bytes"] / GIB}
    return measured, json.loads(night["output"].strip().splitlines()[-1])


def _night(night: dict, per_source: dict) -> dict:
    """Time, memory, the rows read and published, and (the pipeline's) slowest steps."""
    rows_in = sum(s["rows_in"] for s in per_source.values())
    published = sum(s["published"] for s in per_source.values())
    return {
        "seconds": round(night["seconds"], 1),
        "peak_pss_gib": round(night["peak_pss_gib"], 2),
        "rows_in": rows_in,
        "published": published,
        "match_rate": round(published / rows_in, 5),
        **({"slowest_steps": night["slowest_steps"]} if "slowest_steps" in night else {}),
        "per_source": per_source,
    }


def one_size(rows: int, seed: int) -> dict:
    registry = workload_folder(rows, seed) / "sources.yaml"
    with tempfile.TemporaryDirectory(prefix="odc-peers-") as scratch:
        folder = Path(scratch)
        nights = {"pipeline": _night(*_pipeline(registry, folder / "pipeline"))}
        for name, module in PEERS.items():
            nights[name] = _night(*_peer(module, registry, folder / f"peer.{name}"))
    return {"rows": rows, **nights}


def targets(sizes: list[dict]) -> dict:
    """Issue 36's targets against these measurements, each with whether it was met. The
    ratios are stated for a large night (no slower than pandas, at most 2x DuckDB) and a
    small one (at most 1.5x pandas): with several sizes the largest is held to the first and
    the smallest to the second; a single size of LARGE_ROWS or more to the first, a smaller
    one to the second."""
    smallest, largest = sizes[0], sizes[-1]
    several = len(sizes) > 1

    def ratio(size: dict, peer: str) -> float:
        return round(size["pipeline"]["seconds"] / size[peer]["seconds"], 2)

    found: dict[str, tuple[float, float]] = {}
    if several or largest["rows"] >= LARGE_ROWS:
        found[f"at {largest['rows']:,} rows no slower than the pandas script"] = (
            ratio(largest, "pandas"), LARGEST_OVER_PANDAS)  # fmt: skip
        found[f"at {largest['rows']:,} rows at most 2x the DuckDB query"] = (
            ratio(largest, "duckdb"), LARGEST_OVER_DUCKDB)  # fmt: skip
    if several or smallest["rows"] < LARGE_ROWS:
        found[f"at {smallest['rows']:,} rows at most 1.5x the pandas script"] = (
            ratio(smallest, "pandas"), SMALLEST_OVER_PANDAS)  # fmt: skip
    if several:
        extra = (largest["pipeline"]["seconds"] - smallest["pipeline"]["seconds"]) / (
            (largest["rows"] - smallest["rows"]) / 1e6
        )
        found["each extra million rows at most 6 s"] = (round(extra, 1), SECONDS_PER_MILLION)
    result = {name: {"measured": m, "met": m <= limit} for name, (m, limit) in found.items()}
    for peer in PEERS:
        ours, theirs = largest["pipeline"]["match_rate"], largest[peer]["match_rate"]
        result[f"publishes at least the share of rows the {peer} peer does"] = {
            "measured": f"{ours:.2%} against {theirs:.2%}",
            "met": ours >= theirs,
        }
    return result


def markdown(sizes: list[dict], met: dict) -> str:
    lines = [
        "# The night against a pandas script and a DuckDB query",
        "",
        "| rows | night | seconds | peak memory (PSS) | rows read | published | share |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        for name in ("pipeline", *PEERS):
            night = size[name]
            lines.append(
                f"| {size['rows']:,} | {name} | {night['seconds']} | "
                f"{night['peak_pss_gib']:.2f} GiB | {night['rows_in']:,} | "
                f"{night['published']:,} | {night['match_rate']:.2%} |"
            )
    lines.append("")
    for size in sizes:
        steps = size["pipeline"]["slowest_steps"]
        lines.append(
            f"Slowest steps of the pipeline at {size['rows']:,} rows: "
            + ", ".join(f"{step} {seconds} s" for step, seconds in steps.items())
            + "."
        )
    lines += ["", "| target | measured | met |", "|---|---:|---|"]
    lines += target_rows(met)
    return "\n".join(lines)


def run(rows: list[int], seed: int = DEFAULT_SEED) -> dict:
    sizes = [one_size(n, seed) for n in sorted(rows)]
    met = targets(sizes)
    result = {"seed": seed, "sizes": sizes, "targets": met}
    table = markdown(sizes, met)
    save("peers", result, table)
    print(table)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks peers")
    parser.add_argument("--rows", default="2000000,8000000", help="Sizes, comma-separated.")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    run([int(n) for n in args.rows.split(",")], args.seed)
    return 0
