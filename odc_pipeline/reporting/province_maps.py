"""The run report's maps: per province, the share of its kabupaten/kota the run published
rows for, and the share of rows whose region was matched (of those whose province is known)."""

from __future__ import annotations

import base64
import io
from html import escape

import pandas as pd
from sqlalchemy import Engine, text

from odc_pipeline.maps.boundaries import BoundariesError, MapSource
from odc_pipeline.maps.choropleth import province_map
from odc_pipeline.warehouse.schema import published_in_run

# The run's rows: those of the sources it published, found through the source index.
_MATCHED = "SELECT SUBSTR(region_code, 1, 2) AS province, COUNT(*) AS n FROM {table} WHERE {published} GROUP BY 1"  # noqa: S608 - a declared table's name
_UNMATCHED = """
SELECT SUBSTR(parent_code, 1, 2) AS province, SUM(rows) AS n FROM region_review
WHERE run_id = :run_id AND status = 'decide' AND parent_code IS NOT NULL GROUP BY 1
"""


def province_match_rates(engine: Engine, run_id: str, tables: list[str]) -> dict[str, float]:
    """Matched rows / (matched + undecided rows looked for inside the province), in percent.
    Rows whose province is not known either cannot be put on a map and are left out."""
    matched: dict[str, int] = {}
    with engine.connect() as connection:
        for table in tables:
            for province, n in connection.execute(
                text(_MATCHED.format(table=table, published=published_in_run(table))),
                {"run_id": run_id},
            ):
                matched[province] = matched.get(province, 0) + int(n)
        unmatched = {p: int(n) for p, n in connection.execute(text(_UNMATCHED), {"run_id": run_id})}
    return {
        p: 100.0 * matched.get(p, 0) / (matched.get(p, 0) + unmatched.get(p, 0))
        for p in set(matched) | set(unmatched)
        if p not in ("00", "99")
    }


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def map_sections(
    source: MapSource | None,
    coverage: pd.DataFrame | None,
    match_rates: dict[str, float],
    footer: str,
) -> list[str]:
    """The HTML of the two maps, or a line that says why there is no map."""
    if source is None:
        return [
            "<p>No map: set ODC_BOUNDARIES to a GeoJSON file of the provinces to see coverage "
            "and match rates on a map.</p>"
        ]
    try:
        boundaries = source.load()
    except BoundariesError as error:
        return [f"<p>No map: {escape(str(error))}.</p>"]
    sections = []
    if coverage is not None:
        shares = {
            row.province_code: 100.0 * row.reported / row.kabkota
            for row in coverage.itertuples(index=False)
            if row.kabkota
        }
        figure = province_map(
            boundaries,
            shares,
            "Coverage: kabupaten/kota with rows published this run",
            "% of the province's kabupaten/kota",
            source.attribution,
            footer,
            limits=(0, 100),
        )
        sections += [
            "<h2>Coverage per province, on the map</h2>",
            f'<img alt="map of coverage per province" src="data:image/png;base64,{_png(figure)}">',
        ]
    if match_rates:
        figure = province_map(
            boundaries,
            match_rates,
            "Regions matched: rows whose region was decided",
            "% of rows with a known province",
            source.attribution,
            footer,
            limits=(0, 100),
        )
        sections += [
            "<h2>Region match rate per province, on the map</h2>",
            f'<img alt="map of match rate per province" src="data:image/png;base64,{_png(figure)}">',
        ]
    if boundaries.unmatched:
        sections.append(
            "<p>Provinces of the boundary file no region was decided for: "
            f"{escape(', '.join(boundaries.unmatched))}.</p>"
        )
    sections.append(f"<p class='attribution'>{escape(source.attribution)}</p>")
    return sections
