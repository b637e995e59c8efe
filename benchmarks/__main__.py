"""`python -m benchmarks NAME [options]`: run one benchmark and save its results.

`all` (what `make bench` runs) measures the whole pipeline against its floor on SQLite and
PostgreSQL with the linearity fit, then each stage benchmark: region matching, validation
against Great Expectations, PostgreSQL COPY against `to_sql`, the unchanged night, the night on
the multiprocess executor with step processes forked against spawned, and the Celery executor
with one worker against two; then the national polling-station night split by province (8M
rows on SQLite, and 20M rows of three contests into PostgreSQL with the analysts' questions:
the full night against one province's new file) and its Celery run (2M rows); last, the
whole night against a pandas script and a DuckDB query doing the same work (2M and 8M rows).
Each result that has a target says whether it was met.
"""

from __future__ import annotations

import importlib
import sys

#: Name -> module whose `main(argv)` runs it.
BENCHMARKS = {
    "generate": "benchmarks.workload",
    "national": "benchmarks.national",
    "queries": "benchmarks.queries",
    "pipeline": "benchmarks.pipeline",
    "regions": "benchmarks.regions",
    "validation": "benchmarks.validation",
    "publish": "benchmarks.publish",
    "nightly": "benchmarks.nightly",
    "executor": "benchmarks.executor",
    "celery": "benchmarks.celery",
    "against": "benchmarks.against",
    "peers": "benchmarks.peers",
}
ALL = (
    ("pipeline", ["--repeat", "3", "--scales", "500000,1000000,2000000,4000000"]),
    ("regions", []),
    ("validation", []),
    ("publish", []),
    ("nightly", []),
    ("executor", ["--repeat", "2"]),
    ("celery", []),
    ("nightly", ["--national", "--rows", "8000000"]),
    ("nightly", ["--national", "--rows", "20000000", "--recount", "31", "--dprd", "--postgres"]),
    ("celery", ["--national", "--rows", "2000000"]),
    ("peers", ["--rows", "2000000,8000000"]),
)


def _run(name: str, argv: list[str]) -> int:
    return importlib.import_module(BENCHMARKS[name]).main(argv)


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[1] == "all":
        failures = [name for name, args in ALL if _run(name, args) != 0]
        return 1 if failures else 0
    if len(argv) < 2 or argv[1] not in BENCHMARKS:
        print(f"usage: python -m benchmarks {{all,{','.join(BENCHMARKS)}}} [options]")
        return 2
    return _run(argv[1], argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
