"""The registry loader accepts the demo registry and explains every kind of bad entry."""

from __future__ import annotations

import copy

import pytest

from odc_pipeline.registry import RegistryError, load_registry
from odc_pipeline_tests.conftest import DEMO_REGISTRY, demo_registry_document, write_registry


def _load_with(tmp_path, change) -> RegistryError:
    document = copy.deepcopy(demo_registry_document())
    change(document)
    path = write_registry(tmp_path, document)
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    return caught.value


def test_demo_registry_loads_four_sources_of_three_organisations():
    registry = load_registry(DEMO_REGISTRY)
    assert [s.id for s in registry.sources] == [
        "jsn_pilpres2024_kabkota",
        "fppjb_rekap_pilpres2024",
        "ldw_suara_pilpres2024",
        "ldw_dpt_kabkota",
    ]
    assert registry.source("ldw_dpt_kabkota").years == [2019, 2024]
    assert sorted(registry.organizations) == ["fppjb", "jsn", "ldw"]
    fppjb = registry.source("fppjb_rekap_pilpres2024")
    assert fppjb.format == "xlsx"
    assert fppjb.regions[0].system == "name"
    assert fppjb.regions[0].depth == 2
    assert fppjb.sharing == "members"
    assert fppjb.columns["Kabupaten/Kota"] == "region"


def test_unknown_kind_names_the_entry_and_the_known_kinds(tmp_path):
    error = _load_with(tmp_path, lambda d: d["sources"][1].update(kind="election_result"))
    assert len(error.problems) == 1
    assert "source #2 ('fppjb_rekap_pilpres2024')" in error.problems[0]
    assert "unknown dataset kind 'election_result'" in error.problems[0]
    assert "election_results" in error.problems[0]


def test_missing_file_is_reported_with_its_path(tmp_path):
    error = _load_with(tmp_path, lambda d: d["sources"][0].update(location="demo/nowhere.csv"))
    assert error.problems == [
        f"source #1 ('jsn_pilpres2024_kabkota'): location: file or folder not found: {tmp_path / 'demo' / 'nowhere.csv'}"
    ]


def test_missing_location_key_is_reported(tmp_path):
    error = _load_with(tmp_path, lambda d: d["sources"][2].pop("location"))
    assert error.problems == [
        "source #3 ('ldw_suara_pilpres2024'): location: is required but missing"
    ]


def test_duplicate_ids_are_refused(tmp_path):
    def duplicate(document):
        document["sources"][2]["id"] = "jsn_pilpres2024_kabkota"

    error = _load_with(tmp_path, duplicate)
    assert error.problems == [
        "source #3 ('jsn_pilpres2024_kabkota'): the id is already used by an entry above; "
        "ids must be unique"
    ]


def test_a_broken_entry_is_set_aside_alone_when_kept(tmp_path):
    """One typo, one missing file and one reused id hold back those three entries; the
    registry still loads the sources that are fine, and says why of each one held back."""
    document = copy.deepcopy(demo_registry_document())
    first, second, third, fourth = document["sources"]
    first["sharing"] = "publik"
    second["location"] = "demo/absent.csv"
    fourth["id"] = third["id"]
    path = write_registry(tmp_path, document)
    registry = load_registry(path, keep_broken=True)
    assert [e.id for e in registry.sources] == [third["id"]]
    assert [(b.label, b.source_id, b.organization) for b in registry.broken] == [
        (f"source #1 ({first['id']!r})", first["id"], first["organization"]),
        (f"source #2 ({second['id']!r})", second["id"], second["organization"]),
        # The id is the third entry's: it cannot name this one too.
        (f"source #4 ({third['id']!r})", None, fourth["organization"]),
    ]
    assert registry.broken[0].problems == [
        f"source #1 ({first['id']!r}): sharing: 'publik' is not allowed; write "
        "'public', 'members' or 'private'"
    ]
    assert (
        registry.broken[1]
        .problems[0]
        .endswith(f"location: file or folder not found: {tmp_path / 'demo' / 'absent.csv'}")
    )
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    assert len(caught.value.problems) == 3


def test_unknown_code_system_lists_the_allowed_ones(tmp_path):
    error = _load_with(
        tmp_path, lambda d: d["sources"][0]["regions"][0].update(system="kemendagri2")
    )
    assert len(error.problems) == 1
    message = error.problems[0]
    assert message.startswith(
        "source #1 ('jsn_pilpres2024_kabkota'): regions.0.system: 'kemendagri2' is not allowed"
    )
    for system in ("kemendagri", "bps", "name"):
        assert system in message


def test_misspelled_key_is_not_silently_ignored(tmp_path):
    error = _load_with(tmp_path, lambda d: d["sources"][0].update(sharing_levle="private"))
    assert error.problems == [
        "source #1 ('jsn_pilpres2024_kabkota'): sharing_levle: unknown key (check its spelling)"
    ]


def test_unknown_sharing_level_is_refused(tmp_path):
    error = _load_with(tmp_path, lambda d: d["sources"][0].update(sharing="everyone"))
    assert "sharing: 'everyone' is not allowed" in error.problems[0]


def test_a_column_the_kind_does_not_have_is_an_attribute_unless_a_typo_or_personal(tmp_path):
    document = copy.deepcopy(demo_registry_document())
    document["sources"][0]["columns"].update(jenis_kelamin="gender")
    registry = load_registry(write_registry(tmp_path / "kept", document))
    assert registry.sources[0].attribute_columns == ("gender",)
    typo = _load_with(tmp_path, lambda d: d["sources"][0]["columns"].update(sah="valid_ballot"))
    assert (
        "the column name 'valid_ballot' is not a column of the kind; did you mean "
        in (typo.problems[0])
    )
    personal = _load_with(tmp_path, lambda d: d["sources"][0]["columns"].update(hp="no_hp"))
    assert "the column 'no_hp' looks personal: list it under personal:" in personal.problems[0]
    document["sources"][0]["columns"].update(hp="no_hp")
    document["sources"][0]["personal"] = ["no_hp"]
    declared = load_registry(write_registry(tmp_path / "declared", document))
    assert declared.sources[0].attribute_columns == ("gender",)


def test_recodes_name_a_text_column_and_its_values(tmp_path):
    wrong_value = _load_with(
        tmp_path,
        lambda d: d["sources"][0].update(values={"contest": {"Pilpres": "pilpres"}}),
    )
    assert (
        "values: contest: 'pilpres' is not a value of contest; use one of: presiden"
        in (wrong_value.problems[0])
    )
    wrong_column = _load_with(
        tmp_path, lambda d: d["sources"][0].update(values={"votes": {"-": "0"}})
    )
    assert (
        "values: 'votes' is not a text column of kind 'election_results'"
        in (wrong_column.problems[0])
    )


def test_required_column_without_mapping_or_constant(tmp_path):
    error = _load_with(tmp_path, lambda d: d["sources"][0]["constants"].pop("contest"))
    assert "kind 'election_results' needs columns ['contest']" in error.problems[0]


def test_id_that_is_not_a_safe_identifier(tmp_path):
    error = _load_with(
        tmp_path, lambda d: d["sources"][0].update(id='x"; drop table fact_election_results; --')
    )
    assert "is not a valid id" in error.problems[0]


def test_unlisted_organization(tmp_path):
    error = _load_with(tmp_path, lambda d: d["sources"][0].update(organization="kpu"))
    assert error.problems == [
        "source #1 ('jsn_pilpres2024_kabkota'): organization 'kpu' is not listed under 'organizations'"
    ]


def test_several_problems_are_reported_together(tmp_path):
    def break_two(document):
        document["sources"][0]["kind"] = "nope"
        document["sources"][1]["format"] = "docx"

    error = _load_with(tmp_path, break_two)
    assert len(error.problems) == 2
    assert "2 problem(s)" in str(error)


def test_missing_or_invalid_registry_file(tmp_path):
    with pytest.raises(RegistryError, match="the registry file does not exist"):
        load_registry(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [unclosed", encoding="utf-8")
    with pytest.raises(RegistryError, match="not valid YAML"):
        load_registry(bad)


HOSTILE = 'x"; drop table fact_election_results; --'


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["sources"][0].update(id=HOSTILE), "is not a valid id"),
        (lambda d: d["organizations"].update({HOSTILE: {"name": "x"}}), "organizations"),
        (
            lambda d: d["sources"][0]["columns"].update(suara=HOSTILE),
            "it must be lowercase letters, digits and '_', starting with a letter",
        ),
        (
            lambda d: d["sources"][0].update(location="../../../../../../etc/passwd"),
            "leads outside the allowed folders",
        ),
        (
            lambda d: d["sources"][0].update(location="file:///etc/passwd"),
            "file:// locations are not pulled",
        ),
        (
            lambda d: d["sources"][0].update(location="http://169.254.169.254/latest/meta-data"),
            "169.254.169.254 is on this server's own network",
        ),
        (
            lambda d: d["sources"][0].update(location="http://localhost:5432/"),
            "localhost is on this server's own network",
        ),
        (lambda d: d["sources"][0].update(sharnig="public"), "unknown key (check its spelling)"),
    ],
)
def test_hostile_entries_are_refused_before_anything_runs(tmp_path, change, expected):
    error = _load_with(tmp_path, change)
    assert any(expected in problem for problem in error.problems), error.problems


def test_a_symlink_in_the_registry_folder_pointing_out_is_refused(tmp_path, monkeypatch):
    document = copy.deepcopy(demo_registry_document())
    path = write_registry(tmp_path / "registry", document)
    target = path.parent / "demo" / "jsn_pilpres2024_kabkota.csv"
    outside = tmp_path / "elsewhere.csv"
    target.rename(outside)
    target.symlink_to(outside)
    with pytest.raises(RegistryError, match="leads outside the allowed folders"):
        load_registry(path)
    monkeypatch.setenv("ODC_ALLOWED_DATA_DIRS", str(tmp_path))
    assert load_registry(path).source("jsn_pilpres2024_kabkota")


def _demo_text(tmp_path, text: str):
    """`text` as the registry, beside a copy of the demo files its locations point to."""
    path = write_registry(tmp_path, {})
    path.write_text(text, encoding="utf-8")
    return path


def _demo_text_with(tmp_path, old: str, new: str):
    """The demo registry as text with one edit (written as a steward would, not re-dumped)."""
    text = DEMO_REGISTRY.read_text(encoding="utf-8")
    assert old in text
    return _demo_text(tmp_path, text.replace(old, new, 1))


def test_a_key_written_twice_is_refused_with_both_line_numbers(tmp_path):
    # The first entry is public; a second `sharing` line further down would silently win.
    path = _demo_text_with(
        tmp_path, "    sharing: public\n", "    sharing: private\n    sharing: public\n"
    )
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    lines = DEMO_REGISTRY.read_text(encoding="utf-8").splitlines()
    first = lines.index("    sharing: public") + 1
    assert caught.value.problems == [
        f"line {first + 1}: the key 'sharing' is written twice in the same entry (first on "
        f"line {first}); keep the one you mean and delete the other"
    ]


def test_a_merged_key_may_still_be_overridden(tmp_path):
    document = demo_registry_document()
    text = DEMO_REGISTRY.read_text(encoding="utf-8").replace(
        "sources:\n",
        "x-defaults: &defaults\n  licence: CC-BY-4.0\n  sharing: members\n\nsources:\n",
        1,
    )
    text = text.replace(
        "    licence: CC-BY-4.0\n    sharing: public\n",
        "    <<: *defaults\n    sharing: public\n",
        1,
    )
    registry = load_registry(_demo_text(tmp_path, text))
    first = registry.sources[0]
    assert first.id == document["sources"][0]["id"]
    assert (first.sharing, first.licence) == ("public", "CC-BY-4.0")


def test_a_tab_in_the_registry_names_the_line_without_pyyamls_stream_name(tmp_path):
    path = _demo_text_with(tmp_path, "    sharing: public\n", "\tsharing: public\n")
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    (problem,) = caught.value.problems
    assert problem.startswith("not valid YAML at line ")
    assert problem.endswith("a TAB character; indent with spaces, not TAB characters")
    assert "<unicode string>" not in problem


def test_two_spellings_of_one_header_are_refused(tmp_path):
    def spell_twice(document):
        document["sources"][0]["columns"]["SUARA"] = "invalid_ballots"
        del document["sources"][0]["columns"]["suara_tidak_sah"]

    error = _load_with(tmp_path, spell_twice)
    assert error.problems == [
        "source #1 ('jsn_pilpres2024_kabkota'): the headers ['suara', 'SUARA'] are one header "
        "of the file (headers are matched ignoring case, spaces and punctuation); keep one"
    ]


def test_two_headers_for_one_column_are_named(tmp_path):
    def map_twice(document):
        document["sources"][0]["columns"]["nama_wilayah"] = "votes"

    error = _load_with(tmp_path, map_twice)
    assert error.problems == [
        "source #1 ('jsn_pilpres2024_kabkota'): the headers ['suara', 'nama_wilayah'] are all "
        "mapped to the column 'votes'; map one"
    ]


def test_a_column_both_mapped_and_constant_is_refused(tmp_path):
    """A constant would silently replace every row's value read from the mapped header."""

    def both(document):
        document["sources"][0]["columns"]["tahun"] = "year"

    error = _load_with(tmp_path, both)
    assert error.problems == [
        "source #1 ('jsn_pilpres2024_kabkota'): the column 'year' is mapped from the header "
        "'tahun' and given under constants (2024) too: the constant would replace what every "
        "row says; keep the header if the file gives it row by row, or the constant if it is "
        "the same for the whole file"
    ]


@pytest.mark.parametrize(
    ("header", "column", "fix"),
    [
        (
            "NIK Pelapor",
            "report_id",
            "list report_id under personal: (then only its salted hash is kept), or leave "
            "the header out of columns",
        ),
        (
            "no_hp",
            "kontak_lain",
            "list kontak_lain under personal: (then it is dropped), or leave the header out of "
            "columns",
        ),
        ("Email", "category", "map another header to it, or leave this one out of columns"),
    ],
)
def test_a_header_that_says_it_is_personal_is_not_published_as_written(
    tmp_path, header, column, fix
):
    """Masking finds a NIK it recognises; one with a mistyped date it would publish."""

    def personal_header(document):
        document["sources"] = [
            {
                "id": "pantau_insiden",
                "organization": "jsn",
                "kind": "incident_reports",
                "format": "csv",
                "location": "jsn_pilpres2024_kabkota.csv",
                "columns": {"kabupaten": "region", "tanggal": "date", "jenis": "category"}
                | {header: column},
                "constants": {"election": "pemilu", "year": 2024},
                "regions": [{"column": "region", "level": "kabupaten_kota", "system": "name"}],
                "licence": "CC-BY-4.0",
                "sharing": "public",
            }
        ]

    error = _load_with(tmp_path, personal_header)
    assert error.problems == [
        f"source #1 ('pantau_insiden'): the header {header!r} looks personal (a NIK, phone "
        f"number, e-mail or birth date), and it is mapped to {column!r}, which is published "
        f"as written: {fix}"
    ]


def test_headers_of_counts_and_places_are_not_taken_for_personal(tmp_path):
    """`Jumlah KK` counts households, `Pengguna KTP-el` voters who showed an e-ID card: a
    number is parsed and range-checked. `Alamat TPS` is a polling station's address."""
    document = demo_registry_document()
    entry = document["sources"][0]
    entry["columns"] = {
        {"suara": "Pengguna KTP-el"}.get(header, header): column
        for header, column in entry["columns"].items()
    } | {"Alamat TPS": "lokasi_tps"}
    path = write_registry(tmp_path, document)
    assert load_registry(path, check_files=False).sources[0].columns["Pengguna KTP-el"] == "votes"


def test_a_constant_in_lookalike_digits_is_refused(tmp_path):
    def year_in_arabic_indic(document):
        document["sources"][0]["constants"]["year"] = "٢٠٢٤"

    error = _load_with(tmp_path, year_in_arabic_indic)
    assert error.problems == [
        "source #1 ('jsn_pilpres2024_kabkota'): constants: the constant year: '٢٠٢٤' is written "
        "with ARABIC-INDIC digits, which look like 0-9 but are other characters; retype it "
        "with the digits 0-9"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sources:\n  - id: a: b\n", "line 2, column 10: a second ':' on one line"),
        ("sources: [x\n", "line 2, column 1: a '[' list is not closed with ']'"),
        ("a:\n  b: 1\n - c\n", "line 3, column 2: a list item ('- ') where a key was expected"),
        ('a: "x\n', "a quote or bracket is opened and never closed"),
    ],
)
def test_yaml_mistakes_are_named_in_plain_words(tmp_path, text, expected):
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    (problem,) = caught.value.problems
    assert expected in problem
    assert "expected" not in problem.replace(" was expected", "") and "scanning" not in problem


def _split_by_province(document: dict, provinces: list) -> None:
    """The JSN entry as one file per province: demo/jsn_<code>.csv."""
    entry = document["sources"][0]
    entry.update(location="demo/jsn_{province}.csv", provinces=provinces)


def test_an_entry_split_by_province_is_a_source_per_province(tmp_path):
    document = demo_registry_document()
    _split_by_province(document, [31, "32", 1])
    path = write_registry(tmp_path, document)
    for code in ("31", "32", "01"):
        (tmp_path / "demo" / f"jsn_{code}.csv").write_text("kab,suara\n", encoding="utf-8")
    registry = load_registry(path)
    parts = [s for s in registry.sources if s.part_of == "jsn_pilpres2024_kabkota"]
    assert [(p.id, p.location) for p in parts] == [
        ("jsn_pilpres2024_kabkota_31", "demo/jsn_31.csv"),
        ("jsn_pilpres2024_kabkota_32", "demo/jsn_32.csv"),
        ("jsn_pilpres2024_kabkota_01", "demo/jsn_01.csv"),
    ]
    assert parts[0].description.endswith("(provinsi 31)") and parts[0].provinces == []
    assert [s.id for s in registry.sources][3:] == [
        "fppjb_rekap_pilpres2024",
        "ldw_suara_pilpres2024",
        "ldw_dpt_kabkota",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda e: e.update(provinces=[31]),
            "provinces are given but the location has no {province} to name each one's file",
        ),
        (
            lambda e: e.update(location="demo/jsn_{province}.csv"),
            "the location has {province} but no provinces are given: list the two-digit codes",
        ),
        (
            lambda e: e.update(location="demo/{province}.csv", provinces=["3l"]),
            "provinces ['3l'] are not province codes: write each as its two digits",
        ),
        (
            lambda e: e.update(location="demo/{province}.csv", provinces=[31, "31"]),
            "provinces: 31 is listed twice; list each once",
        ),
        (
            lambda e: e.update(part_of="jsn"),
            "part_of is not written in the registry",
        ),
    ],
)
def test_a_split_by_province_that_does_not_fit_is_explained(tmp_path, change, expected):
    error = _load_with(tmp_path, lambda d: change(d["sources"][0]))
    assert len(error.problems) == 1 and expected in error.problems[0], error.problems
    assert "source #1" in error.problems[0]


def test_a_province_part_may_not_take_another_entrys_id(tmp_path):
    def collide(document):
        _split_by_province(document, [31])
        document["sources"][2]["id"] = "jsn_pilpres2024_kabkota_31"

    error = _load_with(tmp_path, collide)
    assert "source #3 ('jsn_pilpres2024_kabkota_31'): the id is already used" in error.problems[-1]
