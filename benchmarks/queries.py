"""The analysts' questions on a published warehouse: from `region_totals` against from the
polling stations' rows.

    python -m benchmarks queries --warehouse PATH_OR_URL [--year 2024] [--repeat 3]

Point it at a warehouse the national workload was published into (`benchmarks national`,
then a night over its registry). Each question is asked both ways in the same run, the
fastest of `--repeat` each; the answers must agree, or the benchmark fails.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import sqlalchemy as sa

from benchmarks.results import save

#: Question -> (from region_totals, from the results themselves). Both give region, contestant
#: and votes, in the same order.
QUESTIONS = {
    "party votes per province (DPR)": (
        """select region_code, party_id, sum(votes) from region_totals
           where level = 1 and year = :year and contest = 'dpr'
           group by 1, 2 order by 1, 2""",
        """select substr(region_code, 1, 2), party_id, sum(votes) from fact_election_results
           where year = :year and contest = 'dpr'
           group by 1, 2 order by 1, 2""",
    ),
    "party votes per kabupaten/kota (DPR)": (
        """select region_code, party_id, sum(votes) from region_totals
           where level = 2 and year = :year and contest = 'dpr'
           group by 1, 2 order by 1, 2""",
        """select substr(region_code, 1, 5), party_id, sum(votes) from fact_election_results
           where year = :year and contest = 'dpr' and region_level >= 2
           group by 1, 2 order by 1, 2""",
    ),
    "pair votes per province (presiden)": (
        """select region_code, candidate_id, sum(votes) from region_totals
           where level = 1 and year = :year and contest = 'presiden'
           group by 1, 2 order by 1, 2""",
        """select substr(region_code, 1, 2), candidate_id, sum(votes) from fact_election_results
           where year = :year and contest = 'presiden'
           group by 1, 2 order by 1, 2""",
    ),
    "pair votes per kabupaten/kota (presiden)": (
        """select region_code, candidate_id, sum(votes) from region_totals
           where level = 2 and year = :year and contest = 'presiden'
           group by 1, 2 order by 1, 2""",
        """select substr(region_code, 1, 5), candidate_id, sum(votes) from fact_election_results
           where year = :year and contest = 'presiden' and region_level >= 2
           group by 1, 2 order by 1, 2""",
    ),
}


#: Questions asked once, of the warehouse's own views: (question, SQL). DKI Jakarta's rows are
#: a range of region codes, which the index on region_code answers.
ONE_PROVINCE = {
    "discrepancies between sources in one province (31 DKI Jakarta)": """
        select count(*), coalesce(sum(abs_difference), 0) from source_discrepancies
        where region_code >= '31' and region_code < '32'""",
    "votes per kabupaten/kota of one province, every source (31 DKI Jakarta)": """
        select region_code, source_id, sum(votes) from region_totals
        where level = 2 and year = :year and region_code >= '31' and region_code < '32'
        group by 1, 2 order by 1, 2""",
}
#: Issue 36's target for each analyst question on the national warehouse.
TARGET_SECONDS = 2.0


def _fastest(engine: sa.Engine, sql: str, year: int, repeat: int) -> tuple[float, list]:
    best, rows = float("inf"), []
    for _ in range(repeat):
        start = time.perf_counter()
        with engine.connect() as connection:
            rows = [tuple(r) for r in connection.execute(sa.text(sql), {"year": year})]
        best = min(best, time.perf_counter() - start)
    return best, rows


def measure(engine: sa.Engine, year: int, repeat: int) -> dict:
    """Seconds of each question both ways; ValueError if the two answers differ."""
    measured = {}
    for question, (from_totals, from_rows) in QUESTIONS.items():
        fast, answer = _fastest(engine, from_totals, year, repeat)
        slow, expected = _fastest(engine, from_rows, year, repeat)
        if answer != expected:
            raise ValueError(f"{question}: region_totals and the results disagree")
        measured[question] = {
            "region_totals_seconds": round(fast, 4),
            "results_seconds": round(slow, 4),
            "rows": len(answer),
        }
    for question, sql in ONE_PROVINCE.items():
        seconds, answer = _fastest(engine, sql, year, repeat)
        measured[question] = {"seconds": round(seconds, 4), "rows": len(answer)}
    asked = {q: f.get("region_totals_seconds", f.get("seconds")) for q, f in measured.items()}
    targets = {
        f"{question}: at most {TARGET_SECONDS:g} s": {
            "measured": seconds,
            "met": seconds <= TARGET_SECONDS,
        }
        for question, seconds in asked.items()
    }
    with engine.connect() as connection:
        results_rows = connection.execute(
            sa.text("select count(*) from fact_election_results")
        ).scalar_one()
    return {"results_rows": int(results_rows), "questions": measured, "targets": targets}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks queries")
    parser.add_argument("--warehouse", required=True, help="A SQLite file or a database URL.")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    url = args.warehouse if "://" in args.warehouse else f"sqlite:///{Path(args.warehouse)}"
    result = measure(sa.create_engine(url), args.year, args.repeat)
    lines = [
        f"Analysts' questions over {result['results_rows']:,} result rows",
        "",
        "| question | from region_totals | from the results | rows |",
        "|---|---:|---:|---:|",
    ]
    for question, figures in result["questions"].items():
        if "seconds" in figures:
            lines.append(
                f"| {question} | {figures['seconds']:.3f} s (from its view) | | "
                f"{figures['rows']:,} |"
            )
            continue
        lines.append(
            f"| {question} | {figures['region_totals_seconds']:.3f} s | "
            f"{figures['results_seconds']:.2f} s | {figures['rows']:,} |"
        )
    save("queries", result, "\n".join(lines))
    print("\n".join(lines))
    return 0
