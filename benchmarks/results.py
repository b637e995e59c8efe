"""Write benchmark results to `bench/results.json` (merged by benchmark) and a Markdown table.

`ODC_BENCH_RESULTS` moves the folder (the tests run the benchmarks small, into a folder of
their own); the generated workloads are kept there too.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from odc_pipeline.settings import PROJECT_ROOT

RESULTS_DIR = Path(os.environ.get("ODC_BENCH_RESULTS") or PROJECT_ROOT / "bench")


def save(name: str, result: dict, markdown: str, folder: Path = RESULTS_DIR) -> Path:
    """Store one benchmark's result beside the others, with when and where it ran."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.json"
    existing = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    existing[name] = {
        **result,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "processor": platform.machine(),
            "cpus": _cpus(),
        },
    }
    path.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / f"results-{name}.md").write_text(markdown + "\n", encoding="utf-8")
    return path


def target_rows(targets: dict[str, dict]) -> list[str]:
    """Markdown table rows, one per target: its name, the figure measured and whether it was
    met (`{"measured": …, "met": bool}`, as every benchmark with a target saves them)."""
    return [
        f"| {name} | {t['measured']} | {'met' if t['met'] else 'not met'} |"
        for name, t in targets.items()
    ]


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
