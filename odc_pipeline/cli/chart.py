"""`odc chart`: a view as a shareable PNG and SVG, titled, with its sources, release and date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from rich.markup import escape

from odc_pipeline.cli.common import console, settings

#: The chart kinds (odc_pipeline.charts.kinds), named here so --help needs no matplotlib.
CHART_NAMES = [
    "party-seats",
    "party-votes",
    "women-share",
    "votes-map",
    "turnout-map",
    "source-gap",
    "gap-map",
]


@click.command()
@click.argument("kind", type=click.Choice(CHART_NAMES))
@click.option("--year", type=int, required=True, help="Election year.")
@click.option("--contest", required=True, help="presiden, dpr, dpd, dprd_provinsi, …")
@click.option(
    "--source",
    help="The results source (party-votes, votes-map, turnout-map; source-gap, gap-map: one "
    "of the two).",
)
@click.option(
    "--other", help="The second source (source-gap, gap-map); turnout-map: the voter counts."
)
@click.option("--contestant", help="The pair or party whose share a votes-map shows.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
@click.option(
    "--audience",
    type=click.Choice(["public", "members"]),
    default="public",
    show_default=True,
    help="Whose file the chart is drawn from: public for anything shared outside the club.",
)
@click.option("--output", type=click.Path(path_type=Path), help="File name without extension.")
def chart(kind, year, contest, source, other, contestant, lang, audience, output) -> None:
    """Draw KIND as PNG and SVG for campaigning.

    \b
    odc chart party-seats --year 2014 --contest dpr --audience members
    odc chart women-share --year 2014 --contest dpr --audience members --lang en
    odc chart votes-map --year 2024 --contest presiden --source jsn_pilpres2024_kabkota \\
        --contestant paslon_2024_02
    odc chart source-gap --year 2024 --contest presiden --source A --other B
    odc chart turnout-map --year 2024 --contest presiden --source RESULTS --other VOTERS

    The image names the organisations and licences of the sources it used, the release and
    the date.
    """
    # Here, not at the top: matplotlib and the region tables load only for this command.
    from odc_pipeline.charts.data import NothingToChart, chart_rows, held_results, provenance
    from odc_pipeline.charts.kinds import CHARTS
    from odc_pipeline.charts.render import draw, footer, save
    from odc_pipeline.maps.boundaries import BoundariesError
    from odc_pipeline.releases.store import ReleaseStore
    from odc_pipeline.warehouse.readonly import QueryRefused, read_only_engine

    config = settings()
    chosen = CHARTS[kind]
    given = {"source": source, "other": other, "contestant": contestant}
    missing = [f"--{name}" for name in chosen.needs if not given[name]]
    if missing:
        raise click.UsageError(f"{kind} needs {' and '.join(missing)}")
    if config.warehouse_url:
        raise click.ClickException(
            "odc chart draws from the SQLite audience files; with a PostgreSQL warehouse, "
            "export the view with odc query --format csv and chart it elsewhere"
        )
    file = config.warehouse_dir / "shared" / f"{audience}.sqlite"
    if not file.exists():
        raise click.ClickException(f"{file} does not exist yet: run `make run` first")
    boundaries = source_of_map = None
    if chosen.shape == "map":
        source_of_map = config.map_source
        if source_of_map is None:
            raise click.ClickException(
                "a map needs the provinces' boundaries: set ODC_BOUNDARIES to a GeoJSON file"
            )
        try:
            boundaries = source_of_map.load()
        except BoundariesError as error:
            raise click.ClickException(str(error)) from None
    try:
        engine = read_only_engine(f"sqlite:///{file}")
    except QueryRefused as error:
        raise click.ClickException(str(error)) from None
    params = {"year": year, "contest": contest} | {
        k: v for k, v in given.items() if k in chosen.needs
    }
    try:
        frame = chart_rows(engine, chosen, params)
        release = ReleaseStore(config.releases_dir).latest()
        origin = provenance(engine, frame, release, date.today())
    except NothingToChart as error:
        hint = "; members-only sources are in --audience members" if audience == "public" else ""
        raise click.ClickException(f"{error} in {file}{hint}. {held_results(engine)}") from None
    finally:
        engine.dispose()
    named = [n for n in (contestant, source, other) if n]
    subtitle = " · ".join([f"{contest} {year}", *named])
    figure = draw(
        chosen,
        frame,
        subtitle,
        lang,
        origin,
        boundaries,
        source_of_map.attribution if source_of_map else "",
    )
    base = output or config.warehouse_dir / "charts" / "-".join(
        [kind, contest, str(year), *named, lang]
    )
    png, svg = save(figure, base, footer(origin, lang))
    console.print(f"{escape(str(png))}\n{escape(str(svg))}")
