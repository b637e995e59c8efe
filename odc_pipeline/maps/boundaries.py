"""Province boundaries from a GeoJSON file, each matched to today's Kemendagri province.

The boundary files in use do not carry every province's current code (the six Papua
provinces share two parent codes), so provinces are matched by their name, through the same
region harmonizer as any source; the file's own code is never trusted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from odc_pipeline.regions import Spec, harmonize_regions, load_region_list, load_region_tables

#: Where a feature's province name may be, in the order looked for.
NAME_PROPERTIES = ("PROVINSI", "provinsi", "Propinsi", "NAME_1", "name", "nama")


@dataclass(frozen=True)
class ProvinceShape:
    """One province: its code today, its official name, and the outer rings of its polygons
    (longitude, latitude)."""

    code: str
    name: str
    rings: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Boundaries:
    provinces: tuple[ProvinceShape, ...]
    #: Feature names no province was decided for, with the reason.
    unmatched: tuple[str, ...]


@dataclass(frozen=True)
class MapSource:
    """Where the province boundaries are, whose they are, and the reference tables to match
    their names with."""

    path: Path
    attribution: str
    reference_dir: Path

    def load(self) -> Boundaries:
        return load_boundaries(self.path, self.reference_dir)


class BoundariesError(ValueError):
    """A boundary file that cannot be used, in words."""


def _name(properties: dict, position: int, path: Path) -> str:
    for key in NAME_PROPERTIES:
        if properties.get(key):
            return str(properties[key])
    raise BoundariesError(
        f"{path}: feature {position} has no province name (looked for {', '.join(NAME_PROPERTIES)})"
    )


def _rings(geometry: dict) -> tuple[np.ndarray, ...]:
    if geometry["type"] == "Polygon":
        polygons = [geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        return ()
    return tuple(np.asarray(polygon[0], dtype=float)[:, :2] for polygon in polygons)


def load_boundaries(path: Path, reference_dir: Path) -> Boundaries:
    """The provinces of the GeoJSON file at `path`, matched by name to today's codes (read
    again only when the file changed)."""
    try:
        stamp = Path(path).stat().st_mtime_ns
    except OSError:
        raise BoundariesError(f"{path} does not exist") from None
    return _matched(str(path), stamp, str(reference_dir))


@lru_cache(maxsize=4)
def _matched(path: str, _stamp: int, reference_dir: str) -> Boundaries:
    try:
        features = json.loads(Path(path).read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BoundariesError(
            f"{path} is not a GeoJSON file of provinces ({type(error).__name__})"
        ) from None
    names = [_name(f.get("properties") or {}, n + 1, Path(path)) for n, f in enumerate(features)]
    frame = pd.DataFrame({"province": names, "_source_row": range(1, len(names) + 1)})
    reference = load_region_list()
    tables = load_region_tables(reference, Path(reference_dir))
    matched = harmonize_regions(frame, [Spec("province", 1, "name")], tables)
    official = reference.set_index("region_code")["name"]
    shapes, unmatched = [], []
    for feature, name, code in zip(features, names, matched["region_code"], strict=True):
        if code is None or pd.isna(code):
            unmatched.append(name)
            continue
        shapes.append(ProvinceShape(code, official.get(code, name), _rings(feature["geometry"])))
    return Boundaries(tuple(shapes), tuple(unmatched))
