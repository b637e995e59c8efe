"""Drawing a chart: bars or a province map, titled, with who made the data, under which
licences, from which release and when, printed on the image in Indonesian or English."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from odc_pipeline.charts.kinds import ChartKind  # noqa: E402
from odc_pipeline.maps.boundaries import Boundaries  # noqa: E402
from odc_pipeline.maps.choropleth import province_map  # noqa: E402

_MONTHS = {
    "id": [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
_WORDS = {
    "id": {
        "source": "Sumber data",
        "release": "rilis",
        "made": "dibuat",
        "no_value": "Abu-abu: tidak ada nilai.",
    },
    "en": {"source": "Data", "release": "release", "made": "made", "no_value": "Grey: no value."},
}


@dataclass(frozen=True)
class Provenance:
    """Whose data a chart shows, and which release of it."""

    #: "Organisation (licence)" for each source the chart used.
    sources: tuple[str, ...]
    release: str | None
    made: date


def _day(day: date, lang: str) -> str:
    return f"{day.day} {_MONTHS[lang][day.month - 1]} {day.year}"


def footer(provenance: Provenance, lang: str) -> str:
    words = _WORDS[lang]
    parts = [f"{words['source']}: {'; '.join(provenance.sources)}"]
    if provenance.release:
        parts.append(f"odc-pipeline {words['release']} {provenance.release}")
    parts.append(f"{words['made']} {_day(provenance.made, lang)}")
    return " · ".join(parts)


def _bars(kind: ChartKind, frame: pd.DataFrame, title: str, lang: str) -> Figure:
    height = 2.2 + 0.38 * len(frame)
    figure = Figure(figsize=(9, height))
    # Fixed margins in inches: the title above, the axis label and the footer below.
    bottom, top = 1.0 / height, 0.6 / height
    axes = figure.add_axes((0.28, bottom, 0.66, 1 - bottom - top))
    axes.barh(frame["label"].astype(str), frame["value"], color="#2a9d8f")
    for position, value in enumerate(frame["value"]):
        axes.text(value, position, f" {value:,.10g}", va="center", fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel(kind.axis[lang])
    axes.spines[["top", "right"]].set_visible(False)
    figure.suptitle(title, x=0.02, ha="left", fontsize=13)
    return figure


def draw(
    kind: ChartKind,
    frame: pd.DataFrame,
    subtitle: str,
    lang: str,
    provenance: Provenance,
    boundaries: Boundaries | None = None,
    attribution: str = "",
) -> Figure:
    """The chart of `frame` (`label`, `value`), titled in `lang`, its provenance printed."""
    title = f"{kind.title[lang]}: {subtitle}" if subtitle else kind.title[lang]
    text = footer(provenance, lang)
    if kind.shape == "map":
        if boundaries is None:
            raise ValueError("a map needs province boundaries (ODC_BOUNDARIES)")
        values = dict(zip(frame["label"].astype(str), frame["value"].astype(float), strict=True))
        return province_map(
            boundaries,
            values,
            title,
            kind.axis[lang],
            attribution,
            text,
            no_value=_WORDS[lang]["no_value"],
        )
    figure = _bars(kind, frame, title, lang)
    figure.text(0.02, 0.15 / figure.get_figheight(), text, fontsize=7, color="#444444", wrap=True)
    return figure


def save(figure: Figure, base: Path, description: str) -> tuple[Path, Path]:
    """`base`.png and `base`.svg; the SVG keeps its words as text (searchable, translatable),
    and the PNG carries `description` in its metadata."""
    base.parent.mkdir(parents=True, exist_ok=True)
    png, svg = base.with_suffix(".png"), base.with_suffix(".svg")
    figure.savefig(png, dpi=150, bbox_inches="tight", metadata={"Description": description})
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        figure.savefig(svg, bbox_inches="tight", metadata={"Description": description})
    return png, svg
