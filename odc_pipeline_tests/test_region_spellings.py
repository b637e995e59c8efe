"""Region names as members and old lists write them (issue 33): old type words, abbreviated
compass words, other spacing, official names that start with a level word, and Jakarta's
`Administrasi`, each matched to the right current region or sent to review when unclear."""

from __future__ import annotations

import pandas as pd
import pytest

from odc_pipeline.regions import Spec, harmonize_regions, load_reference, load_region_tables
from odc_pipeline_tests.conftest import DATA_DIR

KABKOTA = [Spec("k", 2, "name")]
KPU_KABKOTA = [Spec("p", 1, "name"), Spec("k", 2, "name", untyped="kabupaten")]
KECAMATAN = [Spec("k", 2, "name"), Spec("c", 3, "name")]
DESA = [Spec("k", 2, "name"), Spec("c", 3, "name"), Spec("d", 4, "name")]


@pytest.fixture(scope="module")
def tables():
    return load_region_tables(load_reference(), DATA_DIR / "reference")


def _match(tables, specs: list[Spec], *values: str) -> tuple:
    frame = pd.DataFrame([values], columns=[s.column for s in specs])
    out = harmonize_regions(frame, specs, tables).iloc[0]
    code = None if pd.isna(out["region_code"]) else out["region_code"]
    return code, out["region_method"] if code else out["region_problem"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Kodya Surabaya", "35.78"),
        ("Kotamadya Yogyakarta", "34.71"),
        ("KODYA. BANDUNG", "32.73"),  # the city, never Kabupaten Bandung
        ("Surabaya, Kodya", "35.78"),
        ("Jakarta Sel.", "31.74"),
        ("JAKARTA UTR", "31.72"),
        ("Jakarta Bar", "31.73"),
        ("Jakarta Tim.", "31.75"),
        ("Kodya Jakarta Pst", "31.71"),
        ("Kab. Lampung Tim.", "18.07"),
        ("Kab Aceh Sel", "11.01"),
        ("Kota Sawah Lunto", "13.73"),
        ("Kab. Administrasi Kepulauan Seribu", "31.01"),
        ("Kota Administrasi Jakarta Selatan", "31.74"),
        ("Kota Adm. Jakarta Sel.", "31.74"),
    ],
)
def test_old_type_words_abbreviations_and_spacing_match_by_name(tables, text, code):
    assert _match(tables, KABKOTA, text) == (code, "name")


def test_kpu_bare_administrasi_kepulauan_seribu(tables):
    assert _match(tables, KPU_KABKOTA, "DKI JAKARTA", "ADMINISTRASI KEPULAUAN SERIBU") == (
        "31.01",
        "name",
    )
    assert _match(tables, KABKOTA, "ADMINISTRASI KEPULAUAN SERIBU") == ("31.01", "name")


@pytest.mark.parametrize(
    ("values", "code"),
    [
        # The official name starts with `Kampung`, which is also a level word.
        (("Kabupaten Cilacap", "Kec. Kampung Laut"), "33.01.24"),
        (("CILACAP", "KAMPUNG LAUT"), "33.01.24"),
        (("Kota Bengkulu", "Kecamatan Kampung Melayu"), "17.71.05"),
        # ... or with `Kota`, which is a type word only for kabupaten/kota.
        (("Kabupaten Aceh Selatan", "Kec. Kota Bahagia"), "11.01.17"),
    ],
)
def test_a_kecamatan_keeps_a_first_word_that_is_part_of_its_official_name(tables, values, code):
    assert _match(tables, KECAMATAN, *values) == (code, "name")


@pytest.mark.parametrize(
    ("desa", "code"),
    [
        # Klungkung has both Desa Gelgel and Desa Kampung Gelgel: each as it is written.
        ("Kampung Gelgel", "51.05.03.2004"),
        ("Gelgel", "51.05.03.2003"),
        ("Ds. Gelgel", "51.05.03.2003"),
    ],
)
def test_the_name_as_written_wins_over_the_name_without_its_level_word(tables, desa, code):
    assert _match(tables, DESA, "Kabupaten Klungkung", "Klungkung", desa) == (code, "name")


def test_a_village_named_by_a_level_word_is_found(tables):
    assert _match(tables, DESA, "Kabupaten Semarang", "Jambu", "Kelurahan") == (
        "33.22.08.2003",
        "name",
    )


@pytest.mark.parametrize(
    ("desa", "code"),
    [("Lubuk Pakam I,II", "12.07.28.1007"), ("LUBUK PAKAM III", "12.07.28.1008")],
)
def test_names_alike_without_spaces_match_when_spelled_exactly(tables, desa, code):
    assert _match(tables, DESA, "Kabupaten Deli Serdang", "Lubuk Pakam", desa) == (code, "name")


@pytest.mark.parametrize(
    ("specs", "values", "why"),
    [
        # Compacted, `LubukPakam III` is both `Lubuk Pakam I,II` and `Lubuk Pakam III`.
        (DESA, ("Kabupaten Deli Serdang", "Lubuk Pakam", "LubukPakam III"), "ambiguous"),
        # `Kodya` is Kota: there is no Kota Bandung Barat, and Kabupaten Bandung Barat is
        # another type.
        (KABKOTA, ("Kodya Bandung Barat",), "no kabupaten/kota named"),
        # A compass abbreviation only ends a name: `Sel` alone is no name.
        (KABKOTA, ("Sel",), "no kabupaten/kota named"),
        # `Administrasi` is part of a type only for kabupaten/kota.
        (KECAMATAN, ("Kabupaten Cilacap", "Administrasi Kampung Laut"), "no kecamatan named"),
    ],
)
def test_near_misses_still_go_to_review(tables, specs, values, why):
    code, problem = _match(tables, specs, *values)
    assert code is None
    assert why in problem
