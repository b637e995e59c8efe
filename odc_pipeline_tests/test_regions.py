"""Region codes and names, as members write them, resolve to one current Kemendagri code."""

from __future__ import annotations

import pandas as pd
import pytest

from odc_pipeline.regions import (
    Spec,
    harmonize_regions,
    load_reference,
    load_region_tables,
    normalize_code,
    parse_code,
    parse_name,
)
from odc_pipeline.regions.tables import ReferenceTableError
from odc_pipeline_tests.conftest import DATA_DIR


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return load_reference()


@pytest.fixture(scope="module")
def tables(reference):
    return load_region_tables(reference, DATA_DIR / "reference")


def _harmonize(values: dict, specs: list[Spec], tables, source_id: str = "") -> pd.DataFrame:
    return harmonize_regions(pd.DataFrame(values), specs, tables, source_id=source_id)


KABKOTA_NAME = [Spec("region", 2, "name")]
KABKOTA_CODE = [Spec("region", 2, "kemendagri")]


def test_reference_has_every_level_of_the_2025_decree(reference):
    assert len(reference) == 91_599
    assert reference["level"].value_counts().sort_index().tolist() == [38, 514, 7_285, 83_762]
    by_code = reference.set_index("region_code")
    assert tuple(by_code.loc["32.04", ["name", "type", "parent_code"]]) == (
        "Kabupaten Bandung",
        "kabupaten",
        "32",
    )
    assert by_code.loc["32.73", "type"] == "kota"
    assert by_code.loc["32.04.05", "type"] == "kecamatan"
    assert by_code.loc["32.04.05.2001", "type"] == "desa"
    assert by_code.loc["32.73.01.1001", "type"] == "kelurahan"
    assert reference["region_code"].is_unique


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("32.04", "32.04"),
        ("3204", "32.04"),
        (" 3204 ", "32.04"),
        ("3204.0", "32.04"),
        ("3.204052001E9", "32.04.05.2001"),
        ("32", "32"),
        ("320405", "32.04.05"),
        ("3204052001", "32.04.05.2001"),
        ("32.4.5", "32.04.05"),
        ("32.04.05.2001", "32.04.05.2001"),
    ],
)
def test_code_forms(text, code):
    assert normalize_code(text) == (code, None)


def test_a_short_segment_is_read_both_ways_and_the_list_decides():
    assert parse_code("32.4").readings == ("32.04", "32.40")


@pytest.mark.parametrize(
    ("text", "why"),
    [("32040", "has 5 digits"), ("Bandung", "not a region code"), ("3.25e1", "decimals")],
)
def test_invalid_codes_are_reported_not_guessed(text, why):
    code, problem = normalize_code(text)
    assert code is None
    assert why in problem


@pytest.mark.parametrize(
    ("text", "type_", "base"),
    [
        ("Kab. Bandung", "kabupaten", "bandung"),
        ("KABUPATEN BANDUNG", "kabupaten", "bandung"),
        ("Bandung, Kab.", "kabupaten", "bandung"),
        ("Kab Bandung Barat", "kabupaten", "bandungbarat"),
        ("KOTA BANDUNG", "kota", "bandung"),
        ("Kota Adm. Jakarta Pusat", "kota", "jakartapusat"),
        ("KAB. ADM. KEP. SERIBU", "kabupaten", "kepulauanseribu"),
        ("Fak-Fak", None, "fakfak"),
        ("Kep. Riau", None, "kepulauanriau"),
        ("Prov. Jawa Barat", None, "jawabarat"),
    ],
)
def test_name_keys(text, type_, base):
    key = parse_name(text)
    assert (key.type, key.base) == (type_, base)


def test_kota_stays_part_of_a_kecamatan_name():
    assert parse_name("Kota Baru", typed=False).base == "kotabaru"
    assert parse_name("Kec. Kota Baru", typed=False).base == "kotabaru"


def test_kabupaten_and_kota_of_the_same_name_never_meet(tables):
    out = _harmonize(
        {
            "region": [
                "Kab. Bandung",
                "KOTA BANDUNG",
                "Kab Bandung Barat",
                "Bandung, Kab.",
                "Bandung, Kota",
                "kota bogor",
                "Garut",
                "Kota Adm. Jakarta Pusat",
                "Kab. Kep. Seribu",
            ]
        },
        KABKOTA_NAME,
        tables,
    )
    assert out["region_code"].tolist() == [
        "32.04",
        "32.73",
        "32.17",
        "32.04",
        "32.73",
        "32.71",
        "32.05",
        "31.71",
        "31.01",
    ]
    assert set(out["region_method"]) == {"name"}
    assert out["region_score"].tolist() == [100.0] * 9


def test_bare_ambiguous_name_goes_to_review_with_the_candidates(tables):
    out = _harmonize({"region": ["Bandung"]}, KABKOTA_NAME, tables)
    assert pd.isna(out.loc[0, "region_code"])
    assert out.loc[0, "region_problem_column"] == "region"
    assert out.loc[0, "region_problem"].startswith("'Bandung' is ambiguous")
    assert out.loc[0, "region_suggestions"] == "Kabupaten Bandung (32.04), Kota Bandung (32.73)"


def test_the_province_decides_a_bare_name_it_makes_unique(tables):
    specs = [Spec("province", 1, "name"), Spec("region", 2, "name")]
    out = _harmonize(
        {"province": ["Kalimantan Selatan", "Jawa Barat"], "region": ["Banjar", "Banjar"]},
        specs,
        tables,
    )
    # Kabupaten Banjar is in Kalimantan Selatan, Kota Banjar in Jawa Barat: each province decides.
    assert out["region_code"].tolist() == ["63.03", "32.79"]
    bare = _harmonize({"region": ["Banjar"]}, KABKOTA_NAME, tables)
    assert pd.isna(bare.loc[0, "region_code"])


def test_a_source_setting_says_bare_names_are_kabupaten(tables):
    specs = [Spec("region", 2, "name", untyped="kabupaten")]
    out = _harmonize({"region": ["BANDUNG", "KOTA BANDUNG", "BOGOR"]}, specs, tables)
    assert out["region_code"].tolist() == ["32.04", "32.73", "32.01"]
    assert "bare names are kabupaten" in out.loc[0, "region_rule"]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("DKI", "31"),
        ("DKI Jakarta", "31"),
        ("Jakarta", "31"),
        ("DIY", "34"),
        ("Jogja", "34"),
        ("Jogjakarta", "34"),
        ("D.I. Yogyakarta", "34"),
        ("Daerah Istimewa Yogyakarta", "34"),
        ("Kep. Riau", "21"),
        ("Kepri", "21"),
        ("Sulsel", "73"),
        ("NTB", "52"),
        ("NTT", "53"),
        ("Babel", "19"),
        ("Prov. Jawa Barat", "32"),
        ("JAWA BARAT", "32"),
    ],
)
def test_province_aliases(tables, value, code):
    out = _harmonize({"province": [value]}, [Spec("province", 1, "name")], tables)
    assert out.loc[0, "region_code"] == code, out.loc[0, "region_problem"]


def test_aliases_record_the_table_that_decided(tables):
    out = _harmonize({"province": ["Sulsel"]}, [Spec("province", 1, "name")], tables)
    assert out.loc[0, "region_method"] == "alias"
    assert out.loc[0, "region_rule"] == "region_aliases.csv: 'Sulsel' (abbreviation)"


def test_renamed_regencies_and_old_spellings(tables):
    out = _harmonize(
        {
            "region": [
                "Kab. Mamuju Utara",
                "KAB. MALUKU TENGGARA BARAT",
                "Kabupaten Fakfak",
                "Kab. Toli Toli",
                "KAB. TOJO UNA-UNA",
            ]
        },
        KABKOTA_NAME,
        tables,
    )
    assert out["region_code"].tolist() == ["76.01", "81.03", "92.03", "72.04", "72.09"]


def test_codes_resolve_and_unknown_codes_are_explained(tables):
    out = _harmonize(
        {"region": ["32.04", "3273", "32.99", "32040", "320405"]}, KABKOTA_CODE, tables
    )
    assert out["region_code"].tolist()[:2] == ["32.04", "32.73"]
    assert out["region_level"].tolist()[:2] == [2, 2]
    assert out["region_method"].tolist()[:2] == ["code", "code"]
    problems = out["region_problem"].tolist()
    assert problems[2] == "code 32.99 is not in the official Kemendagri list (Kepmendagri 2025)"
    assert "has 5 digits" in problems[3]
    assert problems[4] == "code 32.04.05 is a kecamatan code, but the column holds kabupaten/kota"


def test_pre_2022_papua_codes_map_to_the_new_provinces(tables):
    out = _harmonize({"region": ["91.01", "9102", "92.01", "91.03"]}, KABKOTA_CODE, tables)
    assert out["region_code"].tolist() == ["93.01", "95.01", "96.01", "91.03"]
    assert out["region_method"].tolist() == [
        "historic_code",
        "historic_code",
        "historic_code",
        "code",
    ]
    assert (
        out.loc[0, "region_rule"]
        == "historic_codes.csv: UU 14/2022: Papua Selatan formed from Papua"
    )


def test_pre_2022_names_inside_the_old_province(tables):
    specs = [Spec("province", 1, "name"), Spec("region", 2, "name")]
    out = _harmonize(
        {"province": ["Papua", "Papua Barat"], "region": ["Kab. Merauke", "Kota Sorong"]},
        specs,
        tables,
    )
    assert out["region_code"].tolist() == ["93.01", "96.71"]


def test_pre_2022_village_codes(tables):
    out = _harmonize({"desa": ["91.01.01.2001"]}, [Spec("desa", 4, "kemendagri")], tables)
    assert out.loc[0, "region_code"] == "93.01.01.2001"
    assert out.loc[0, "region_level"] == 4


def test_bps_codes_go_through_the_crosswalk(tables):
    out = _harmonize(
        {"region": ["1101", "1103", "3204", "9471"]}, [Spec("region", 2, "bps")], tables
    )
    assert out["region_code"].tolist() == ["11.09", "11.01", "32.04", "91.71"]
    assert set(out["region_method"]) == {"bps_code"}
    unknown = _harmonize({"region": ["1199"]}, [Spec("region", 2, "bps")], tables)
    assert "not in the BPS↔Kemendagri crosswalk" in unknown.loc[0, "region_problem"]


def test_lower_levels_match_only_inside_their_parent(tables, reference):
    # Sukasari is a kecamatan in Kota Bandung (32.73) and in Kabupaten Sumedang, Subang and Purwakarta.
    specs = [Spec("kabkota", 2, "name"), Spec("kecamatan", 3, "name")]
    out = _harmonize(
        {
            "kabkota": ["Kota Bandung", "Kab. Subang", "Kota Depok"],
            "kecamatan": ["Kec. Sukasari", "Sukasari", "Sukasari"],
        },
        specs,
        tables,
    )
    names = reference.set_index("region_code")["name"]
    assert out.loc[0, "region_code"] == "32.73.01"
    assert names[out.loc[1, "region_code"]] == "Sukasari"
    assert out.loc[1, "region_code"].startswith("32.13.")
    assert pd.isna(out.loc[2, "region_code"])
    assert out.loc[2, "region_problem"].startswith(
        "no kecamatan named 'Sukasari' inside Kota Depok"
    )


def test_a_kecamatan_is_found_inside_its_province_when_no_kabupaten_is_given(tables):
    """A source of provinces and kecamatan: a name the province holds once is that
    kecamatan; one it holds several times is for a person to decide."""
    specs = [Spec("p", 1, "name"), Spec("c", 3, "name")]
    out = _harmonize(
        {
            "p": ["Jawa Barat", "Jawa Barat", "Jawa Barat"],
            "c": ["Baleendah", "Sukasari", "Baleendah"],
        },
        specs,
        tables,
    )
    assert out.loc[0, "region_code"] == "32.04.32"
    assert pd.isna(out.loc[1, "region_code"])
    assert out.loc[1, "region_problem"] == (
        "'Sukasari' is ambiguous inside Jawa Barat: it could be Sukasari (32.11.12), "
        "Sukasari (32.13.24), Sukasari (32.14.15), Sukasari (32.73.01); give the kabupaten/kota "
        "it is in"
    )


def test_a_village_name_twice_in_a_kabupaten_asks_for_the_kecamatan(tables):
    specs = [Spec("p", 1, "name"), Spec("k", 2, "name"), Spec("d", 4, "name")]
    out = _harmonize({"p": ["Aceh"], "k": ["Kab. Aceh Selatan"], "d": ["Beutong"]}, specs, tables)
    assert pd.isna(out.loc[0, "region_code"])
    assert out.loc[0, "region_problem"].startswith(
        "'Beutong' is ambiguous inside Kabupaten Aceh Selatan: it could be Beutong (11.01."
    )
    assert out.loc[0, "region_problem"].endswith("; give the kecamatan it is in")


def test_province_regency_kecamatan_and_village_in_four_columns(tables):
    specs = [Spec("p", 1, "name"), Spec("k", 2, "name"), Spec("c", 3, "name"), Spec("d", 4, "name")]
    out = _harmonize(
        {
            "p": ["Jabar"],
            "k": ["Kab. Bandung"],
            "c": ["Kec. Cileunyi"],
            "d": ["Ds. Cileunyi Kulon"],
        },
        specs,
        tables,
    )
    assert out.loc[0, "region_code"] == "32.04.05.2001"
    assert out.loc[0, "region_value"] == "Ds. Cileunyi Kulon"


def test_fuzzy_only_within_the_parent_and_only_when_clear(tables):
    specs = [Spec("k", 2, "name"), Spec("c", 3, "name")]
    out = _harmonize(
        {"k": ["Kab. Bandung", "Kab. Bandung"], "c": ["Cileunyii", "Cile"]}, specs, tables
    )
    assert out.loc[0, "region_code"] == "32.04.05"
    assert out.loc[0, "region_method"] == "fuzzy"
    assert 90 <= out.loc[0, "region_score"] < 100
    assert out.loc[0, "region_rule"].startswith("rapidfuzz ratio")
    assert pd.isna(out.loc[1, "region_code"])
    assert "closest:" in out.loc[1, "region_problem"]


def test_fuzzy_never_crosses_kabupaten_and_kota(tables):
    # "Kota Bandungg" is close to Kota Bandung and to Kabupaten Bandung's base name; only the kota may match.
    out = _harmonize({"region": ["Kota Bandungg", "Kab. Bandungg"]}, KABKOTA_NAME, tables)
    assert out["region_code"].tolist() == ["32.73", "32.04"]


def test_close_candidates_go_to_review(tables):
    # "Bandung Kul" scores 90.9 against both Bandung Kulon and Bandung Kidul (Kota Bandung): no guess.
    specs = [Spec("k", 2, "name"), Spec("c", 3, "name")]
    out = _harmonize(
        {"k": ["Kota Bandung", "Kota Bandung"], "c": ["Bandung Kul", "Bandung Kulo"]}, specs, tables
    )
    assert pd.isna(out.loc[0, "region_code"])
    assert "Bandung Kulon" in out.loc[0, "region_suggestions"]
    assert "Bandung Kidul" in out.loc[0, "region_suggestions"]
    assert out.loc[1, "region_method"] == "fuzzy"  # 95.7 against 87.0: clear enough
    assert out.loc[1, "region_score"] == pytest.approx(95.7, abs=0.05)


def test_source_scoped_alias_applies_to_that_source_only(reference, tmp_path):
    folder = tmp_path / "reference"
    folder.mkdir()
    (folder / "region_aliases.csv").write_text(
        "alias,level,region_code,source_id,note\nBandung,kabupaten_kota,32.73,fppjb_rekap,steward decision\n",
        encoding="utf-8",
    )
    scoped = load_region_tables(reference, folder)
    mine = _harmonize({"region": ["Bandung"]}, KABKOTA_NAME, scoped, source_id="fppjb_rekap")
    other = _harmonize({"region": ["Bandung"]}, KABKOTA_NAME, scoped, source_id="someone_else")
    assert mine.loc[0, "region_code"] == "32.73"
    assert mine.loc[0, "region_method"] == "alias"
    assert pd.isna(other.loc[0, "region_code"])


def test_an_alias_to_a_code_that_does_not_exist_is_refused(reference, tmp_path):
    folder = tmp_path / "reference"
    folder.mkdir()
    (folder / "region_aliases.csv").write_text(
        "alias,level,region_code,source_id,note\nBandung Timur,kabupaten_kota,32.99,,typo\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ReferenceTableError,
        match=r"region_aliases.csv, line 2: region_code '32.99' is not in the official list",
    ):
        load_region_tables(reference, folder)


def test_each_distinct_value_is_resolved_once_and_row_order_is_kept(tables):
    values = ["3204", "3273"] * 500
    out = _harmonize({"region": values, "n": range(1000)}, KABKOTA_CODE, tables)
    assert out["n"].tolist() == list(range(1000))
    assert out["region_code"].value_counts().to_dict() == {"32.04": 500, "32.73": 500}


def test_a_source_without_rows_gets_every_region_column_typed(tables):
    from odc_pipeline.regions.harmonize import REGION_OUTPUT_COLUMNS

    full = _harmonize({"region": ["3204", "Kab. Antah"], "n": [1, 2]}, KABKOTA_CODE, tables)
    empty = harmonize_regions(full.iloc[0:0][["region", "n"]], KABKOTA_CODE, tables)
    assert len(empty) == 0
    assert list(empty.columns) == ["region", "n", *REGION_OUTPUT_COLUMNS]
    assert {c: str(empty[c].dtype) for c in ("region_level", "region_score")} == {
        "region_level": "Int8",
        "region_score": "Float64",
    }
    assert full["region_code"].tolist()[0] == "32.04" and pd.isna(full["region_code"][1])
    assert pd.isna(full["region_problem_column"][0])
    assert full["region_problem_column"][1] == "region"


def test_the_shortcut_for_official_codes_gives_what_the_full_path_gives(reference, tables):
    """One code column of official codes takes a dictionary lookup instead of the full path:
    every village code, dotted and undotted, and every odd shape must come out the same."""
    from odc_pipeline.regions.harmonize import _resolve_all, _resolve_row
    from odc_pipeline.regions.index import build_index

    villages = reference.loc[reference["level"] == 4, "region_code"].tolist()
    odd = [
        " 3204052001",
        "32.4.5.2001",
        "3.204052001E9",
        "3204052001.0",
        "32.04.05",
        "320405",
        "99.99.99.9999",
        "91.01.01.2001",
        "32040520011",
        "",
        None,
        float("nan"),
    ]
    combos = [(v,) for v in [*villages, *(v.replace(".", "") for v in villages), *odd]]
    specs = [Spec("desa", 4, "kemendagri")]
    index = build_index(tables, max_level=0)
    full = [_resolve_row(combo, specs, index, "s") for combo in combos]
    assert _resolve_all(combos, specs, index, "s") == full
    # A column that is not all text (a number a JSON source wrote bare) takes the same path.
    mixed = [*combos[:50], (3204052001,), (32.04,)]
    assert _resolve_all(mixed, specs, index, "s") == [
        _resolve_row(combo, specs, index, "s") for combo in mixed
    ]
    assert all(row[0] == code for row, code in zip(full, villages * 2, strict=False))
    assert [row[0] for row in full[-len(odd) :]] == [
        *(["32.04.05.2001"] * 4),  # spaces, lost zeros, a spreadsheet's float: repaired
        None,
        None,
        None,
        "93.01.01.2001",  # Papua's code before 2022
        None,
        None,
        None,
        None,
    ]


def test_official_forms_in_arrow_agree_with_official_form_one_by_one():
    """The Arrow reading of many codes at once is `official_form` for every ASCII text; digits
    of other scripts, which no official code holds, are left to the full path (None)."""
    from odc_pipeline.regions.codes import official_form, official_forms

    texts = [
        "32",
        "3204",
        "320405",
        "3204052001",
        "32.04",
        "32.04.05",
        "32.04.05.2001",
        "32.4",
        "320",
        "32040520011",
        "32.04.05.20011",
        " 3204",
        "3204\n",
        "32.04.",
        "",
        "Kota Bogor",
        None,
        float("nan"),
    ]
    assert official_forms(texts) == [official_form(t) for t in texts]
    assert official_forms(texts)[:7] == [
        "32",
        "32.04",
        "32.04.05",
        "32.04.05.2001",
        "32.04",
        "32.04.05",
        "32.04.05.2001",
    ]
    # Fullwidth and Arabic-Indic digits: Python's \d takes them, Arrow's does not.
    assert official_form("\uff13\uff12") == "\uff13\uff12"
    assert official_forms(["\uff13\uff12", "\u0663\u0662\u0660\u0664"]) == [None, None]
    # Not all text: one by one, as before.
    assert official_forms([3204, "3204"]) == [None, "32.04"]


def test_region_tables_are_reused_while_the_reference_and_files_are_unchanged(reference, tmp_path):
    """Every harmonize step asks for the tables with a reference frame read anew: equal content
    reuses the tables built before; one changed name or an edited alias file builds them again."""
    import os
    import shutil

    from odc_pipeline.regions.tables import cached_region_tables

    folder = tmp_path / "reference"
    shutil.copytree(DATA_DIR / "reference", folder)
    reread = pd.read_parquet(_round_trip(reference, tmp_path))
    first = cached_region_tables(reference, folder)
    assert cached_region_tables(reread, folder) is first
    renamed = reread.copy()
    renamed.loc[renamed.index[-1], "name"] = "Desa Lain"
    changed = cached_region_tables(renamed, folder)
    assert changed is not first
    assert changed.reference["name"].iloc[-1] == "Desa Lain"
    aliases = folder / "region_aliases.csv"
    aliases.write_text(aliases.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    os.utime(aliases, ns=(0, 10**18))
    assert cached_region_tables(renamed, folder) is not changed


def _round_trip(frame: pd.DataFrame, folder) -> str:
    path = folder / "reference.parquet"
    frame.to_parquet(path, index=False)
    return str(path)
