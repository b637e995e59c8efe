"""What a chart shows, read from an audience file: its rows, and whose data they are."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, text

from odc_pipeline.charts.kinds import ChartKind
from odc_pipeline.charts.render import Provenance


class NothingToChart(LookupError):
    """The question has no rows in the file it was asked of."""


def chart_rows(engine: Engine, kind: ChartKind, params: dict) -> pd.DataFrame:
    """`label`, `value` and `sources` (the ids it used, comma-separated) of `kind`."""
    with engine.connect() as connection:
        frame = pd.read_sql(text(kind.sql), connection, params=params)
    frame = frame.dropna(subset=["value"])
    if frame.empty:
        asked = ", ".join(f"{k} {v}" for k, v in params.items())
        raise NothingToChart(f"no rows for {kind.name} with {asked}")
    return frame


def held_results(engine: Engine) -> str:
    """Which elections the file holds results for, to say what a chart can be asked."""
    with engine.connect() as connection:
        held = connection.execute(
            text("SELECT DISTINCT year, contest FROM fact_election_results ORDER BY year, contest")
        ).all()
    if not held:
        return "The file holds no election results."
    return "It holds results for: " + ", ".join(f"{contest} {year}" for year, contest in held)


def provenance(engine: Engine, frame: pd.DataFrame, release: str | None, made: date) -> Provenance:
    """Each organisation whose rows the chart used, with its sources' licences."""
    used = sorted({s for cell in frame["sources"] for s in str(cell).split(",") if s})
    with engine.connect() as connection:
        known = pd.read_sql(
            text(
                "SELECT s.source_id, s.licence, COALESCE(o.name, s.organization_id) AS name "
                "FROM dim_source s LEFT JOIN dim_organization o "
                "ON o.organization_id = s.organization_id"
            ),
            connection,
        )
    known = known.loc[known["source_id"].isin(used)]
    shown = known.groupby("name")["licence"].agg(lambda v: ", ".join(sorted(set(v)))).reset_index()
    return Provenance(
        tuple(f"{row.name} ({row.licence})" for row in shown.itertuples(index=False)),
        release,
        made,
    )
