"""The run report's section for each source: what happened to its file, where its rows fell,
what was set aside and on which rows, and the exact commands that come next.

A steward reads the section of their own source, not a table merged across every member.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import pandas as pd
from sqlalchemy import Engine, text

from odc_pipeline.reporting.html import html_table
from odc_pipeline.validation.rule_names import plain_rule
from odc_pipeline.warehouse.schema import published_in_run
from odc_pipeline.warehouse.summary import SourceSummary

#: Example row numbers shown per problem.
EXAMPLE_ROWS = 10

_PROBLEMS = """
SELECT rule, column_name, COUNT(DISTINCT file_hash || ':' || source_row) AS rows_set_aside,
       MIN(reason) AS example
FROM quarantine WHERE run_id = :run_id AND source_id = :source_id
GROUP BY rule, column_name ORDER BY rows_set_aside DESC, rule
"""
_EXAMPLE_ROWS = """
SELECT DISTINCT source_row FROM quarantine
WHERE run_id = :run_id AND source_id = :source_id AND rule = :rule
  AND (column_name = :column_name OR (column_name IS NULL AND :column_name IS NULL))
ORDER BY source_row LIMIT :limit
"""
_SPREAD = """
SELECT COUNT(DISTINCT CASE WHEN region_code <> '00' THEN SUBSTR(region_code, 1, 2) END)
           AS provinces,
       COUNT(DISTINCT CASE WHEN LENGTH(region_code) >= 5 THEN SUBSTR(region_code, 1, 5) END)
           AS kabkota,
       COUNT(CASE WHEN region_code = '00' THEN 1 END) AS no_place
FROM {table} WHERE source_id = :source_id AND {published}
"""


@dataclass(frozen=True)
class SourceContext:
    """What the warehouse says of a source beyond its run summary."""

    organisation: str
    fact_table: str | None


def source_contexts(engine: Engine) -> dict[str, SourceContext]:
    from odc_pipeline.kinds import KINDS

    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT s.source_id, o.name, s.kind FROM dim_source s "
                "LEFT JOIN dim_organization o ON o.organization_id = s.organization_id"
            )
        ).all()
    return {
        source_id: SourceContext(
            organisation=name or "",
            fact_table=KINDS[kind].fact_table if kind in KINDS else None,
        )
        for source_id, name, kind in rows
    }


def _problems(engine: Engine, run_id: str, source_id: str) -> pd.DataFrame:
    params = {"run_id": run_id, "source_id": source_id}
    with engine.connect() as connection:
        problems = pd.read_sql(text(_PROBLEMS), connection, params=params)
        examples = []
        for row in problems.itertuples():
            found = connection.execute(
                text(_EXAMPLE_ROWS),
                {**params, "rule": row.rule, "column_name": row.column_name, "limit": EXAMPLE_ROWS},
            ).scalars()
            examples.append(", ".join(str(n) for n in found))
    column = problems["column_name"].where(problems["column_name"].notna(), None)
    return pd.DataFrame(
        {
            "problem": [plain_rule(r, c) for r, c in zip(problems["rule"], column, strict=True)],
            "rows": problems["rows_set_aside"],
            "first rows": examples,
            "for example": problems["example"],
        }
    )


def _spread(engine: Engine, table: str | None, run_id: str, source_id: str) -> str:
    if table is None:
        return ""
    with engine.connect() as connection:
        provinces, kabkota, no_place = connection.execute(
            # A fact table's name, from the code.
            text(_SPREAD.format(table=table, published=published_in_run(table))),
            {"run_id": run_id, "source_id": source_id},
        ).one()
    spread = (
        f"Rows published this run lie in {provinces} province{'' if provinces == 1 else 's'} "
        f"and {kabkota} kabupaten/kota."
    )
    if no_place:
        spread += f" {no_place:,} name no place (region 00), counted apart."
    return spread


def _next_steps(line: SourceSummary, problems: pd.DataFrame) -> list[str]:
    steps = []
    if line.held_back:
        steps.append(
            f"Fix what the message says, then check the file: <code>odc sources test "
            f"{escape(line.source_id)}</code>, and publish it: <code>odc run --source "
            f"{escape(line.source_id)}</code>"
        )
    if len(problems):
        steps.append(
            "See every row set aside, with its reason and the whole original row: "
            f"<code>odc query --table quarantine --where source_id={escape(line.source_id)}"
            "</code>"
        )
    if line.rows_region_unmatched:
        steps.append(
            "Decide the regions no rule matched: <code>odc regions review export "
            "regions.csv</code>, fill <code>decision_code</code>, then <code>odc regions "
            "review import regions.csv</code>"
        )
    return steps


def source_section(
    engine: Engine, run_id: str, line: SourceSummary, context: SourceContext | None
) -> str:
    """One source's part of the report, as HTML (every value from the data escaped)."""
    organisation = context.organisation if context else ""
    parts = [
        f"<h2 id='{escape(line.source_id)}'>{escape(line.source_id)}"
        + (f" <small>({escape(organisation)})</small>" if organisation else "")
        + "</h2>"
    ]
    if line.held_back:
        parts.append(
            f"<p class='held'>Held back: nothing of this file was published this run; its last "
            f"good load stays. {escape(line.message or '')}</p>"
        )
    else:
        parts.append(
            f"<p>{line.rows_in:,} rows read: {line.rows_published:,} published, "
            f"{line.rows_quarantined:,} set aside. "
            f"{_spread(engine, context.fact_table if context else None, run_id, line.source_id)}"
            "</p>"
        )
    problems = _problems(engine, run_id, line.source_id)
    if len(problems):
        parts.append(html_table(problems))
    steps = _next_steps(line, problems)
    if steps:
        parts.append(
            "<p>What to do next:</p><ul>" + "".join(f"<li>{s}</li>" for s in steps) + "</ul>"
        )
    return "\n".join(parts)
