"""Running `make bench`'s benchmarks from the tests: small, for real, through their entry point
(`python -m benchmarks`), into a results folder of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from odc_pipeline.settings import PROJECT_ROOT


def bench(results: Path, *arguments: str) -> str:
    """`python -m benchmarks ARGUMENTS` writing its results and workloads under `results`."""
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", *arguments],
        cwd=PROJECT_ROOT,
        env={**os.environ, "ODC_BENCH_RESULTS": str(results)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-3000:]
    return completed.stdout
