"""A province choropleth as a matplotlib figure: each province coloured by its value, those
without one grey, a colour bar with the measure's label, and the boundaries' attribution."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from matplotlib import colormaps  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from odc_pipeline.maps.boundaries import Boundaries  # noqa: E402

NO_VALUE = "#d9d9d9"


def province_map(
    boundaries: Boundaries,
    values: dict[str, float],
    title: str,
    label: str,
    attribution: str,
    footer: str = "",
    limits: tuple[float, float] | None = None,
    no_value: str = "Grey: no value.",
) -> Figure:
    """`values` (province code → number) on the provinces of `boundaries`."""
    figure = Figure(figsize=(11, 4.8))
    axes = figure.add_axes((0.02, 0.12, 0.84, 0.76))
    known = [v for v in values.values() if v is not None]
    low, high = limits or ((min(known), max(known)) if known else (0.0, 1.0))
    norm = Normalize(vmin=low, vmax=high if high > low else low + 1)
    colours = colormaps["viridis"]
    polygons, faces = [], []
    for province in boundaries.provinces:
        value = values.get(province.code)
        face = colours(norm(value)) if value is not None else NO_VALUE
        for ring in province.rings:
            polygons.append(ring)
            faces.append(face)
    axes.add_collection(
        PolyCollection(polygons, facecolors=faces, edgecolors="white", linewidths=0.3)
    )
    axes.autoscale_view()
    axes.set_aspect("equal")
    axes.set_axis_off()
    axes.set_title(title, fontsize=13, loc="left")
    bar_axes = figure.add_axes((0.88, 0.2, 0.02, 0.6))
    bar = figure.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=colours), cax=bar_axes)
    bar.set_label(label)
    figure.text(0.02, 0.06, f"{no_value} {footer}".strip(), fontsize=8)
    figure.text(0.02, 0.02, attribution, fontsize=7, color="#555555")
    return figure
