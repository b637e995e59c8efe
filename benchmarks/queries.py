"""The analysts' questions on a published warehouse: from `region_totals` against from the
polling stations' rows.

    python -m benchmarks queries --warehouse PATH_OR_URL [--year 2024] [--repeat 3]

Point it at a warehouse the national workload was published into (`benchmarks national`,
then a night over its registry). Each question is asked both ways in the same run, the
fastest of `--repeat` each; the answers must agree, or the benchmark fails.

On PostgreSQL every question is asked with the settings docs/scaling.md gives a maintainer
(`RECOMMENDED_POSTGRES_SETTINGS`), and the one-province questions also with PostgreSQL's
defaults, so that the figures show what the settings are worth.
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

#: What docs/scaling.md ("Analysts' questions on PostgreSQL") tells a maintainer to set on
#: the warehouse database of a server on SSDs: index reads priced as SSDs cost them, and no
#: just-in-time compilation, which costs the one-province questions more than it saves.
#: `test_bench_national` holds the page to these.
RECOMMENDED_POSTGRES_SETTINGS = {"random_page_cost": "1.1", "jit": "off"}


def ask(
    engine: sa.Engine, sql: str, year: int, repeat: int, settings: dict[str, str]
) -> tuple[float, list]:
    """The fastest of `repeat` answers, each on a connection with `settings` for its
    transaction only (a pooled connection goes back as it came)."""
    best, rows = float("inf"), []
    for _ in range(repeat):
        start = time.perf_counter()
        with engine.connect() as connection:
            for name, value in settings.items():
                connection.execute(
                    sa.text("SELECT set_config(:name, :value, true)"),
                    {"name": name, "value": value},
                )
            rows = [tuple(r) for r in connection.execute(sa.text(sql), {"year": year})]
        best = min(best, time.perf_counter() - start)
    return best, rows


def settings_sentence(settings: dict[str, str]) -> str:
    """The settings as a reader of a results table reads them: `random_page_cost = 1.1`."""
    return ", ".join(f"`{name} = {value}`" for name, value in settings.items())


def defaults_sentence(measured: dict) -> str:
    """What the questions that were also asked with PostgreSQL's defaults took that way."""
    return "; ".join(
        f"{question}: {figures['seconds_with_postgres_defaults']} s"
        for question, figures in measured["questions"].items()
        if "seconds_with_postgres_defaults" in figures
    )


def measure(engine: sa.Engine, year: int, repeat: int) -> dict:
    """Seconds of each question both ways; ValueError if the two answers differ. On
    PostgreSQL, with the recommended settings, and the one-province questions also without."""
    postgres = engine.dialect.name == "postgresql"
    settings = RECOMMENDED_POSTGRES_SETTINGS if postgres else {}
    measured = {}
    for question, (from_totals, from_rows) in QUESTIONS.items():
        fast, answer = ask(engine, from_totals, year, repeat, settings)
        slow, expected = ask(engine, from_rows, year, repeat, settings)
        if answer != expected:
            raise ValueError(f"{question}: region_totals and the results disagree")
        measured[question] = {
            "region_totals_seconds": round(fast, 4),
            "results_seconds": round(slow, 4),
            "rows": len(answer),
        }
    for question, sql in ONE_PROVINCE.items():
        seconds, answer = ask(engine, sql, year, repeat, settings)
        measured[question] = {"seconds": round(seconds, 4), "rows": len(answer)}
        if postgres:
            by_default, same = ask(engine, sql, year, repeat, {})
            if same != answer:
                raise ValueError(f"{question}: the settings changed the answer")
            measured[question]["seconds_with_postgres_defaults"] = round(by_default, 4)
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
    return {
        "results_rows": int(results_rows),
        "settings": settings,
        "questions": measured,
        "targets": targets,
    }


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
    if result["settings"]:
        lines[1:1] = ["", f"Asked with {settings_sentence(result['settings'])} (docs/scaling.md)."]
    for question, figures in result["questions"].items():
        if "seconds" in figures:
            defaults = figures.get("seconds_with_postgres_defaults")
            lines.append(
                f"| {question} | {figures['seconds']:.3f} s (from its view"
                + (f"; {defaults:.3f} s with PostgreSQL's defaults" if defaults else "")
                + f") | | {figures['rows']:,} |"
            )
            continue
        lines.append(
            f"| {question} | {figures['region_totals_seconds']:.3f} s | "
            f"{figures['results_seconds']:.2f} s | {figures['rows']:,} |"
        )
    save("queries", result, "\n".join(lines))
    print("\n".join(lines))
    return 0
