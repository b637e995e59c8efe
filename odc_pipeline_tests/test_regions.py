"""Region codes and names, as members write them, resolve to one current Kemendagri code."""

from __future__ import annotations

import pandas as pd
import pytest

from odc_pipeline.regions import harmonize_regions, load_reference, name_key, normalize_code
from odc_pipeline.regions.harmonize import RegionSpec


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return load_reference()


def test_reference_has_every_level_of_the_2025_decree(reference):
    assert len(reference) == 91_599
    assert reference["level"].value_counts().sort_index().tolist() == [38, 514, 7_285, 83_762]
    bandung = reference.set_index("region_code").loc["32.04"]
    assert (bandung["name"], bandung["type"], bandung["parent_code"]) == (
        "Kabupaten Bandung",
        "kabupaten",
        "32",
    )
    assert reference.set_index("region_code").loc["32.73", "type"] == "kota"
    assert reference["region_code"].is_unique


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("32.04", "32.04"),
        ("3204", "32.04"),
        (" 3204 ", "32.04"),
        ("3204.0", "32.04"),
        ("32", "32"),
        ("320401", "32.04.01"),
        ("3204012001", "32.04.01.2001"),
        ("32.04.01.2001", "32.04.01.2001"),
    ],
)
def test_code_forms(text, code):
    assert normalize_code(text) == (code, None)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("32040", "has 5 digits"),
        ("32.4", "not a dotted region code"),
        ("Bandung", "not a region code"),
    ],
)
def test_invalid_codes_are_reported_not_guessed(text, why):
    code, problem = normalize_code(text)
    assert code is None
    assert why in problem


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Kab. Bandung", "kabupaten bandung"),
        ("KABUPATEN BANDUNG", "kabupaten bandung"),
        ("Kab Bandung Barat", "kabupaten bandung barat"),
        ("KOTA BANDUNG", "kota bandung"),
        ("Kota Adm. Jakarta Pusat", "kota jakarta pusat"),
        ("Kec. Sukasari", "sukasari"),
        ("Prov. Jawa Barat", "jawa barat"),
        ("  Kotabaru ", "kotabaru"),
    ],
)
def test_name_keys(text, key):
    assert name_key(text) == key


def _harmonize(values, specs, reference):
    frame = pd.DataFrame(values)
    return harmonize_regions(frame, specs, reference)


def test_kabupaten_and_kota_of_the_same_name_never_meet(reference):
    spec = [RegionSpec("region", 2, "name")]
    out = _harmonize(
        {
            "region": [
                "Kab. Bandung",
                "KOTA BANDUNG",
                "Kab Bandung Barat",
                "Kabupaten Bogor",
                "kota bogor",
                "Garut",
            ]
        },
        spec,
        reference,
    )
    assert out["region_code"].tolist() == ["32.04", "32.73", "32.17", "32.01", "32.71", "32.05"]
    assert out["region_match"].tolist() == ["name"] * 5 + ["name_unique_base"]


def test_bare_ambiguous_name_goes_to_review_with_the_candidates(reference):
    out = _harmonize({"region": ["Bandung"]}, [RegionSpec("region", 2, "name")], reference)
    assert out.loc[0, "region_code"] is None or pd.isna(out.loc[0, "region_code"])
    assert out.loc[0, "region_problem_column"] == "region"
    assert "ambiguous" in out.loc[0, "region_problem"]
    assert "Kabupaten Bandung (32.04)" in out.loc[0, "region_problem"]
    assert "Kota Bandung (32.73)" in out.loc[0, "region_problem"]


def test_codes_resolve_and_unknown_codes_are_explained(reference):
    out = _harmonize(
        {"region": ["32.04", "3273", "32.99", "32040", "320405"]},
        [RegionSpec("region", 2, "kemendagri")],
        reference,
    )
    assert out["region_code"].tolist()[:2] == ["32.04", "32.73"]
    assert out["region_level"].tolist()[:2] == [2, 2]
    problems = out["region_problem"].tolist()
    assert problems[2] == "code 32.99 is not in the official Kemendagri list (Kepmendagri 2025)"
    assert "has 5 digits" in problems[3]
    assert problems[4] == "code 32.04.05 is a kecamatan code, but the column holds kabupaten/kota"


def test_lower_levels_match_only_inside_their_parent(reference):
    # Sukasari is a kecamatan in Kota Bandung (32.73) and in Kabupaten Sumedang, Subang and Purwakarta.
    specs = [RegionSpec("kabkota", 2, "name"), RegionSpec("kecamatan", 3, "name")]
    out = _harmonize(
        {
            "kabkota": ["Kota Bandung", "Kab. Subang", "Kota Depok"],
            "kecamatan": ["Kec. Sukasari", "Sukasari", "Sukasari"],
        },
        specs,
        reference,
    )
    inside = reference.set_index("region_code")
    assert out.loc[0, "region_code"].startswith("32.73.")
    assert inside.loc[out.loc[0, "region_code"], "name"] == "Sukasari"
    assert out.loc[1, "region_code"].startswith("32.13.")
    assert pd.isna(out.loc[2, "region_code"])
    assert (
        out.loc[2, "region_problem"]
        == "no kecamatan named 'Sukasari' inside Kota Depok in the official Kemendagri list"
    )
    assert out.loc[0, "region_match"] == "name+name"


def test_bps_codes_wait_for_the_crosswalk(reference):
    out = _harmonize({"region": ["3204"]}, [RegionSpec("region", 2, "bps")], reference)
    assert pd.isna(out.loc[0, "region_code"])
    assert "crosswalk" in out.loc[0, "region_problem"]


def test_each_distinct_value_is_resolved_once_and_row_order_is_kept(reference):
    values = ["3204", "3273"] * 500
    out = _harmonize(
        {"region": values, "n": range(1000)}, [RegionSpec("region", 2, "kemendagri")], reference
    )
    assert out["n"].tolist() == list(range(1000))
    assert out["region_code"].value_counts().to_dict() == {"32.04": 500, "32.73": 500}
