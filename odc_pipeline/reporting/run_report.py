"""One self-contained HTML page per run: rows published and set aside per source, region
match rate per source, coverage per province, and the top reasons rows were set aside.

Charts are drawn with matplotlib into PNGs embedded in the page, so it opens from disk or
an e-mail with nothing else. Every value taken from the data is HTML-escaped: a source or a
reason can hold any text a member typed.
"""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402

from odc_pipeline.kinds.declared import ELECTION_RESULTS  # noqa: E402
from odc_pipeline.maps.boundaries import MapSource  # noqa: E402
from odc_pipeline.quoting import changes_in_words  # noqa: E402
from odc_pipeline.releases.writing import WrittenRelease  # noqa: E402
from odc_pipeline.reporting.html import html_table  # noqa: E402
from odc_pipeline.reporting.province_maps import map_sections, province_match_rates  # noqa: E402
from odc_pipeline.reporting.source_sections import source_contexts, source_section  # noqa: E402
from odc_pipeline.warehouse.schema import fact_table, fact_tables, published_in_run  # noqa: E402
from odc_pipeline.warehouse.summary import run_summary  # noqa: E402

REPORT_FOLDER = "reports"

# Today's kabupaten/kota only: a region as it was before a split (type wilayah_lama, see
# odc_pipeline.regions.vintage) is not one more of its province's kabupaten.
_COVERAGE = """
SELECT p.region_code AS province_code, p.name AS province,
       COUNT(DISTINCT k.region_code) AS kabkota,
       COUNT(DISTINCT f.kab) AS reported
FROM dim_region p
JOIN dim_region k ON k.parent_code = p.region_code AND k.level = 2 AND k.type <> 'wilayah_lama'
LEFT JOIN ({kabupaten}) f ON f.kab = k.region_code
WHERE p.level = 1
GROUP BY p.region_code, p.name
ORDER BY p.region_code
"""
# The kabupaten/kota a fact table has rows of this run in: the rows of the sources the run
# published, found through the table's source index (a night that published one province
# reads that province's rows, not every row to find them).
_KABUPATEN = "SELECT DISTINCT SUBSTR(region_code, 1, 5) AS kab FROM {table} WHERE {published}"
# Of the results, read from their totals per kabupaten/kota (a few thousand rows, per
# source), which hold a row for every kabupaten/kota with a result at that level or below.
_KABUPATEN_OF_RESULTS = (
    "SELECT DISTINCT region_code AS kab FROM region_totals WHERE level = 2 AND {published}"
)


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def _bar_rows(summary: pd.DataFrame) -> str:
    figure, axes = plt.subplots(figsize=(7, 0.5 + 0.45 * max(len(summary), 1)))
    axes.barh(summary["source"], summary["published"], color="#2a9d8f", label="published")
    axes.barh(
        summary["source"],
        summary["set aside"],
        left=summary["published"],
        color="#e76f51",
        label="set aside",
    )
    axes.set_xlabel("rows")
    axes.legend(loc="lower right")
    axes.invert_yaxis()
    return _png(figure)


def _bar_rate(summary: pd.DataFrame) -> str:
    figure, axes = plt.subplots(figsize=(7, 0.5 + 0.45 * max(len(summary), 1)))
    axes.barh(summary["source"], summary["match_rate"] * 100, color="#264653")
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of valid rows whose region was matched")
    axes.invert_yaxis()
    return _png(figure)


def _bar_coverage(coverage: pd.DataFrame) -> str:
    figure, axes = plt.subplots(figsize=(7, 0.4 + 0.22 * len(coverage)))
    share = (coverage["reported"] / coverage["kabkota"]).fillna(0) * 100
    axes.barh(coverage["province"], share, color="#e9c46a")
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of kabupaten/kota with published rows this run")
    axes.tick_params(axis="y", labelsize=7)
    axes.invert_yaxis()
    return _png(figure)


def _fact_tables(engine: Engine, run_id: str) -> list[str]:
    used = []
    with engine.connect() as connection:
        for table in fact_tables().values():
            found = connection.execute(
                text(f"SELECT 1 FROM {table.name} WHERE {published_in_run(table.name)} LIMIT 1"),  # noqa: S608
                {"run_id": run_id},
            ).first()
            if found:
                used.append(table.name)
    return used


def province_coverage(engine: Engine, run_id: str) -> pd.DataFrame | None:
    """Per province: its kabupaten/kota, and how many of them have rows this run published
    in some fact table (the most any one table reaches). None if the run published none."""
    coverage = None
    results = fact_table(ELECTION_RESULTS).name
    with engine.connect() as connection:
        for table in _fact_tables(engine, run_id):
            kabupaten = (
                _KABUPATEN_OF_RESULTS.format(published=published_in_run("region_totals"))
                if table == results
                else _KABUPATEN.format(table=table, published=published_in_run(table))
            )
            part = pd.read_sql(
                text(_COVERAGE.format(kabupaten=kabupaten)), connection, params={"run_id": run_id}
            )
            coverage = (
                part
                if coverage is None
                else coverage.assign(reported=coverage["reported"].combine(part["reported"], max))
            )
    return coverage


def report_path(warehouse_dir: Path, run_id: str) -> Path:
    """Where a run's report is: `<warehouse_dir>/reports/run-<run_id>.html`."""
    return warehouse_dir / REPORT_FOLDER / f"run-{run_id}.html"


def write_run_report(
    engine: Engine,
    run_id: str,
    warehouse_dir: Path,
    release: WrittenRelease | None = None,
    maps: MapSource | None = None,
) -> Path:
    """Write `<warehouse_dir>/reports/run-<run_id>.html` and return its path; with the
    `release` the run made once there is one (the report is written again then), and maps
    drawn on the provinces of `maps`."""
    lines = run_summary(engine, run_id)
    contexts = source_contexts(engine)
    summary = pd.DataFrame(
        [
            {
                "source": s.source_id,
                "organisation": contexts[s.source_id].organisation
                if s.source_id in contexts
                else s.organization_id,
                "status": "held back" if s.held_back else s.status,
                "rows in": s.rows_in,
                "published": s.rows_published,
                "set aside": s.rows_quarantined,
                "match_rate": s.region_match_rate,
            }
            for s in lines
        ],
        columns=[
            "source",
            "organisation",
            "status",
            "rows in",
            "published",
            "set aside",
            "match_rate",
        ],
    )
    coverage = province_coverage(engine, run_id)
    when = _published_at(engine, run_id)
    sections = [
        f"<h1>odc-pipeline run of {escape(when)}</h1>",
        f"<p>Run {escape(run_id)}: {len(summary)} sources; {int(summary['rows in'].sum()):,} "
        f"rows in, {int(summary['published'].sum()):,} published, "
        f"{int(summary['set aside'].sum()):,} set aside. Each source has a section below with "
        "its problems, their row numbers and what to do next.</p>",
        html_table(
            summary.assign(
                match_rate=(summary["match_rate"] * 100).round(1).astype(str) + "%"
            ).rename(columns={"match_rate": "regions matched"})
        ),
    ]
    if release is not None:
        sections.append(_release_paragraph(release))
    if len(summary):
        sections += [
            "<h2>Rows published and set aside, per source</h2>",
            f'<img alt="rows per source" src="data:image/png;base64,{_bar_rows(summary)}">',
            "<h2>Region match rate, per source</h2>",
            f'<img alt="match rate per source" src="data:image/png;base64,{_bar_rate(summary)}">',
        ]
    if coverage is not None:
        footer = f"Run of {when}" + (f", release {release.release_id}" if release else "")
        rates = province_match_rates(engine, run_id, _fact_tables(engine, run_id))
        sections += map_sections(maps, coverage, rates, footer + ".")
        sections += [
            "<h2>Coverage per province</h2>",
            f'<img alt="coverage per province" src="data:image/png;base64,{_bar_coverage(coverage)}">',
        ]
    sections += [
        source_section(engine, run_id, line, contexts.get(line.source_id)) for line in lines
    ]
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>odc-pipeline run of {escape(when)}</title><style>"
        "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;color:#222}"
        "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;"
        "text-align:left;font-size:.9rem}img{max-width:100%}.held{color:#a4161a}</style></head><body>"
        + "\n".join(sections)
        + "</body></html>"
    )
    path = report_path(warehouse_dir, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _release_paragraph(release: WrittenRelease) -> str:
    """Which release the run made, where it is, and what changed since the one before."""
    counts = release.counts
    since = (
        f"Since release {escape(release.previous)}: {changes_in_words(counts)} "
        f"(<code>odc diff {escape(release.previous)} {escape(release.release_id)}</code> "
        "lists them with their causes)."
        if release.previous
        else "It is the first release."
    )
    return (
        f"<p class='release'>This run published release <strong>{escape(release.release_id)}"
        f"</strong> (<a href='{escape(release.folder.as_uri())}'>{escape(str(release.folder))}"
        f"</a>). {since}</p>"
    )


def _published_at(engine: Engine, run_id: str) -> str:
    """When the run published, as people write it (UTC), from its audit rows."""
    with engine.connect() as connection:
        at = connection.execute(
            text("SELECT MAX(loaded_at) FROM load_audit WHERE run_id = :run_id"),
            {"run_id": run_id},
        ).scalar()
    moment = pd.Timestamp(at) if at is not None else pd.Timestamp.now(tz="UTC")
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    return moment.tz_convert("UTC").strftime("%-d %B %Y, %H:%M UTC")
