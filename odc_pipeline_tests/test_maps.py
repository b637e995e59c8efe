"""Province maps: the club's boundary file matched by name, every province in its place."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from odc_pipeline.maps.boundaries import BoundariesError, load_boundaries
from odc_pipeline.maps.choropleth import province_map
from odc_pipeline.settings import DEFAULT_BOUNDARIES, PROJECT_ROOT

REFERENCE = PROJECT_ROOT / "data" / "reference"


def test_all_38_provinces_and_the_six_papuas_each_in_their_own_place():
    boundaries = load_boundaries(DEFAULT_BOUNDARIES, REFERENCE)
    assert boundaries.unmatched == ()
    codes = {p.code: p.name for p in boundaries.provinces}
    assert len(boundaries.provinces) == len(codes) == 38
    # The file gives four of them code 91 and two 92: the names decide.
    assert {c: codes[c] for c in ("91", "92", "93", "94", "95", "96")} == {
        "91": "Papua",
        "92": "Papua Barat",
        "93": "Papua Selatan",
        "94": "Papua Tengah",
        "95": "Papua Pegunungan",
        "96": "Papua Barat Daya",
    }
    south = next(p for p in boundaries.provinces if p.code == "93")
    highlands = next(p for p in boundaries.provinces if p.code == "95")
    # Papua Selatan lies south of Papua Pegunungan.
    assert max(r[:, 1].max() for r in south.rings) < max(r[:, 1].max() for r in highlands.rings)


def test_a_map_shows_values_and_the_attribution():
    boundaries = load_boundaries(DEFAULT_BOUNDARIES, REFERENCE)
    figure = province_map(
        boundaries, {"32": 80.0, "93": 20.0}, "Test", "%", "Boundaries: CC BY 4.0", "release X"
    )
    texts = [t.get_text() for t in figure.texts]
    assert "Boundaries: CC BY 4.0" in texts and any("release X" in t for t in texts)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=50)
    assert Image.open(buffer).size[0] > 400


def test_a_province_name_no_region_matches_is_listed_and_a_bad_file_is_told(tmp_path):
    document = json.loads(DEFAULT_BOUNDARIES.read_text(encoding="utf-8"))
    document["features"][0]["properties"]["PROVINSI"] = "Provinsi Khayalan"
    changed = tmp_path / "provinces.geojson"
    changed.write_text(json.dumps(document), encoding="utf-8")
    boundaries = load_boundaries(changed, REFERENCE)
    assert boundaries.unmatched == ("Provinsi Khayalan",) and len(boundaries.provinces) == 37
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(BoundariesError, match="is not a GeoJSON file of provinces"):
        load_boundaries(broken, REFERENCE)
