"""No NIK or phone number planted in a member's file reaches a shared table or the export.

NIKs and phone numbers are planted in free text, in a column the registry declares personal,
in the reporter's contact, in a region name that cannot match, in a category that is refused,
and in a candidate's name. Then every byte of every warehouse file (the full one and each
audience's) and every exported file is searched for them, in every spelling.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import textwrap
from pathlib import Path

import pytest

from odc_pipeline import privacy
from odc_pipeline.privacy import scrub_identifiers_text
from odc_pipeline.registry import load_registry
from odc_pipeline.registry.loader import RegistryError
from odc_pipeline_tests.conftest import make_settings, results_entry, run_all, write_registry

NIKS = ["3204051708900001", "3205011203850002", "3273014509880003", "3201026612790004"]
#: The witnesses' NIKs, in a column the registry maps but no kind declares, declared personal.
WITNESS_NIKS = ["3204011508870005", "3205024410910006", "3273031207820007"]
PHONES = ["0857-1234-5678", "0813 1111 2222", "+62 812 9876 5432", "081377778888"]
SALT = "test-salt-not-secret"

#: The reporters' home addresses, in a column the registry does not map.
ADDRESSES = ["Jl. Melati No. 17 RT 003", "Jl. Kenanga No. 4 RT 011"]
INCIDENTS = textwrap.dedent(
    f"""\
    no_laporan;tanggal;kabupaten;jenis;uraian;kontak_pelapor;nik_saksi;alamat_pelapor
    {NIKS[0]};17 April 2019;Kab. Bandung;politik_uang;Saksi NIK {NIKS[1]} hp {PHONES[0]} diusir;{PHONES[1]};{WITNESS_NIKS[0]};{ADDRESSES[0]}
    L-2;31-02-2019;Kab. Garut;intimidasi;Tanggal mustahil, korban NIK {NIKS[2]};{PHONES[3]};{WITNESS_NIKS[1]};{ADDRESSES[1]}
    L-3;18 Apr 2019;NIK {NIKS[3]};intimidasi;Wilayah berisi NIK;-;{WITNESS_NIKS[2]};
    L-4;18 Apr 2019;Kab. Garut;lapor {PHONES[2]};Kategori berisi nomor telepon;-;;
    """
)
RESULTS = textwrap.dedent(
    f"""\
    kode,paslon,suara
    3204,01 (saksi {PHONES[3]}),100
    3204,02,200
    """
)
#: Voters' NIKs pasted where the votes belong: every row is rejected, the file held back.
NIKS_AS_VOTES = ["3204051708900008", "3204051708900009"]
MISPASTED = "kode,paslon,suara\n" + "".join(
    f"3204,0{n},{nik}\n" for n, nik in enumerate(NIKS_AS_VOTES, 1)
)


def _needles() -> list[bytes]:
    """Each planted number as written, as bare digits, and as JSON would escape nothing."""
    found = []
    for value in NIKS + WITNESS_NIKS + PHONES + NIKS_AS_VOTES:
        digits = re.sub(r"\D", "", value)
        found += [value.encode(), digits.encode(), digits[-9:].encode()]
    return found


def _results_source(source_id: str, location: str) -> dict:
    """A registry entry of presidential results per kabupaten/kota of 2019, public."""
    return results_entry(
        location,
        id=source_id,
        organization="pantau",
        columns={"kode": "region", "paslon": "candidate", "suara": "votes"},
        constants={"election": "pemilu", "year": 2019, "contest": "presiden"},
    )


@pytest.fixture(scope="module")
def planted_run(planted):
    return planted[0]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The night over the planted files: its settings and its result (the event log)."""
    folder = tmp_path_factory.mktemp("planted")
    (folder / "files").mkdir()
    (folder / "files" / "incidents.csv").write_text(INCIDENTS, encoding="utf-8")
    (folder / "files" / "results.csv").write_text(RESULTS, encoding="utf-8")
    (folder / "files" / "mispasted.csv").write_text(MISPASTED, encoding="utf-8")
    constants = {"election": "pemilu", "year": 2019}
    document = {
        "organizations": {"pantau": {"name": "Pantau"}},
        "sources": [
            {
                "id": "pantau_insiden",
                "organization": "pantau",
                "kind": "incident_reports",
                "format": "csv",
                "location": "files/incidents.csv",
                "columns": {
                    "no_laporan": "report_id",
                    "tanggal": "date",
                    "kabupaten": "region",
                    "jenis": "category",
                    "uraian": "description",
                    "kontak_pelapor": "reporter_contact",
                    "nik_saksi": "nik_saksi",
                },
                "personal": ["report_id", "nik_saksi"],
                "constants": constants,
                "regions": [{"column": "region", "level": "kabupaten_kota", "system": "name"}],
                "licence": "CC-BY-4.0",
                "sharing": "public",  # public on purpose: the strictest place to leak to
                "max_rejected_share": 1.0,
            },
            _results_source("pantau_hasil", "files/results.csv"),
            _results_source("pantau_salah_tempel", "files/mispasted.csv"),
        ],
    }
    path = write_registry(folder, document, copy_demo_files=False)
    settings = make_settings(folder, path)
    import os

    os.environ["ODC_HASH_SALT"] = SALT
    try:
        result = run_all(settings, load_registry(path))
    finally:
        del os.environ["ODC_HASH_SALT"]
    assert result.success
    return settings, result


def _reachable_files(root: Path) -> list[Path]:
    """Every file a reader reaches by its names, links followed; the hidden folders of
    versions behind the links hold the same files."""
    found = []
    for folder, folders, files in os.walk(root, followlinks=True):
        folders[:] = [f for f in folders if not f.startswith(".")]
        found += [Path(folder) / name for name in files if not name.startswith(".")]
    return found


def test_no_planted_number_in_any_warehouse_file_or_export(planted_run):
    outputs = _reachable_files(planted_run.warehouse_dir)
    names = {p.relative_to(planted_run.warehouse_dir).as_posix() for p in outputs}
    assert {"odc.sqlite", "shared/public.sqlite", "open_data/datapackage.json"} <= names
    assert any(n.startswith("open_data/") and n.endswith(".csv") for n in names)
    for path in outputs:
        data = path.read_bytes()
        for needle in _needles():
            assert needle not in data, f"{needle!r} found in {path}"


def test_no_planted_number_in_the_event_log(planted):
    """Every preview and message of the night, as Dagster keeps them for the UI: the file
    as read, the rows validated and harmonized, the problems, the logs."""
    _, result = planted
    logged = "\n".join(repr(event) for event in result.all_events)
    assert "saksi [PHONE_1]" in logged  # the results' preview is there, masked
    # The held-back file's message quotes its most common problem, masked.
    assert "Most common problem: votes is [NIK_1], more than any count of people" in logged
    for needle in _needles():
        assert needle.decode() not in logged, needle


def test_the_step_files_hold_no_column_that_is_never_stored(planted_run):
    """What steps hand each other on disk (ODC_STORAGE_DIR) holds neither the columns the
    registry does not map (the reporters' addresses) nor the personal ones no kind declares
    (the witnesses' NIKs). The kind's personal columns are there until the publish hashes
    them: that folder is as private as the snapshots of the files themselves."""
    files = [p for p in planted_run.storage_dir.rglob("*") if p.is_file()]
    assert any(p.name.startswith("raw_pantau_insiden") for p in files)
    for path in files:
        data = path.read_bytes()
        for needle in [*ADDRESSES, *WITNESS_NIKS]:
            assert needle.encode() not in data, f"{needle!r} found in {path}"


def test_the_rows_themselves_are_kept_with_placeholders(planted_run):
    with sqlite3.connect(planted_run.warehouse_dir / "shared" / "public.sqlite") as public:
        incident = public.execute(
            "select description, report_id, reporter_contact_hash from fact_incident_reports"
        ).fetchall()
        candidates = sorted(
            row[0] for row in public.execute("select candidate from fact_election_results")
        )
        quarantined = public.execute(
            "select source_row, column_name, value, row_data from quarantine order by 1"
        ).fetchall()
    public.close()
    assert incident == [
        (
            "Saksi NIK [NIK_1] hp [PHONE_1] diusir",
            hashlib.sha256(f"{SALT}\x00{NIKS[0]}".encode()).hexdigest(),
            hashlib.sha256(f"{SALT}\x00{PHONES[1].replace(' ', '')}".encode()).hexdigest(),
        )
    ]
    assert candidates == ["01 (saksi [PHONE_1])", "02"]
    # Every bad row is still there, with its reason, minus the numbers.
    assert [(row, column) for row, column, _, _ in quarantined] == [
        (3, "date"),
        (4, "region"),
        (5, "category"),
    ]
    assert quarantined[1][2] == "NIK [NIK_1]"
    assert "[PHONE_1]" in quarantined[2][2]


def test_only_optional_text_columns_can_be_declared_personal(tmp_path):
    document = {
        "organizations": {"pantau": {"name": "Pantau"}},
        "sources": [_results_source("pantau_hasil", "results.csv") | {"personal": ["votes"]}],
    }
    (tmp_path / "results.csv").write_text(RESULTS, encoding="utf-8")
    path = write_registry(tmp_path, document, copy_demo_files=False)
    with pytest.raises(RegistryError, match=r"personal columns \['votes'\] cannot be declared"):
        load_registry(path)


def test_region_codes_in_a_quarantined_row_are_not_mistaken_for_identifiers():
    only_codes = '{"region": "32.04.05.2001", "votes": "120", "kecamatan": "32.04.05"}'
    assert scrub_identifiers_text(only_codes) == only_codes
    with_phone = '{"region": "32.04.05.2001", "note": "saksi 0857-1234-5678"}'
    scrubbed = scrub_identifiers_text(with_phone)
    assert "32.04.05.2001" in scrubbed and "0857" not in scrubbed and "[PHONE_1]" in scrubbed
    glued = "32.04, 081234567890"
    assert "081234567890" not in scrub_identifiers_text(glued)


@pytest.mark.parametrize(
    "written",
    [
        "0812-3456-7890",
        "0812 3456 7890",
        "081234567890",
        "6281234567890",
        "+62 812 3456 7890",
        "+62 (812) 3456-7890",
        "(0812) 3456 7890",
        "0062 812 3456 7890",
        "(021) 555-1234",
        "telp 021-7654321",
        "NIK 3201011508950001",
        "nik 3201 0115 0895 0001",
    ],
)
def test_every_way_of_writing_a_phone_number_or_nik_is_still_masked(written):
    """The cheap test that spares the detectors must let every format they know through."""
    for text in (
        f'{{"region": "7316021001", "note": "saksi {written}"}}',
        f"rows 131, 1712 have the same region; saksi {written} was told",
    ):
        scrubbed = scrub_identifiers_text(text)
        assert scrubbed != text, text
        assert "7316021001" not in text or "7316021001" in scrubbed
        digits = "".join(c for c in written if c.isdigit())
        assert digits[-4:] not in scrubbed.split("saksi", 1)[1], scrubbed


def test_row_numbers_and_undotted_region_codes_are_not_handed_to_the_detectors(monkeypatch):
    """Every duplicate's reason lists row numbers, and every quarantined row of a source with
    undotted codes quotes a ten-digit village code: neither can be a NIK or a phone number,
    and the detectors cost about a millisecond per text."""
    handed: list[str] = []
    real = privacy.mask_pii

    def recording(text, **options):
        handed.append(text)
        return real(text, **options)

    monkeypatch.setattr(privacy, "mask_pii", recording)
    texts = [
        "rows 131, 1712, 3317, 3365, 3503, 3833, 4061 have the same election, year, region; "
        "keep one row per region and remove or correct the others",
        '{"region": "7316021001", "station_number": "001", "votes": "tiga ratus"}',
        '{"region": "32.04.05.2001", "kecamatan": "320405", "votes": "120"}',
    ]
    assert [scrub_identifiers_text(t) for t in texts] == texts
    assert handed == []
    # A run that starts as a phone number does, or is as long as a NIK, is handed over.
    for suspicious in ('{"region": "6281234567", "x": 1}', "ref 1234567890123456"):
        scrub_identifiers_text(suspicious)
    assert len(handed) == 2


def _goes_to_the_detectors(text: str) -> bool:
    """What `scrub_identifiers_text` hands on past its own cheap tests."""
    return not privacy._REGION_CODE.match(text) and privacy._may_hold_identifier(text)


def test_the_column_wide_test_keeps_every_text_the_python_tests_would_hand_on():
    """RE2 (Arrow) reads \\d and \\s as ASCII where Python reads them as Unicode: texts with
    other scripts' digits or other spaces must still reach the detectors."""
    import random

    tricky = [
        "0812-3456-7890",
        "０８１２３４５６７８９０",  # fullwidth digits
        "٠٨١٢٣٤٥٦٧٨٩٠",  # Arabic-Indic digits
        "0812\u00a03456\u00a07890",  # no-break spaces
        "0812\u20093456\u20097890",
        "32.04.05.2001\n",  # a region code before a newline: Python's $ matches there
        "\u00a032.04\u00a0",
        "NIK 3201011508950001",
        "rows 131, 1712, 3317",
        "32.04.05.2001",
        "7316021001",
        "Kabupaten Bandung",
    ]
    import sys

    import pyarrow as pa
    import pyarrow.compute as pc

    # Each character class holds every character Python's does.
    every = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    digits = [c for c in every if re.fullmatch(r"\d", c)]
    spaces = [c for c in every if re.fullmatch(r"\s", c)]
    assert len(digits) > 600 and len(spaces) > 20
    for chars, pattern in (
        (digits, privacy.DIGIT_ANY_SCRIPT),
        (spaces, privacy.SEPARATOR_ANY_SCRIPT),
    ):
        assert pc.all(pc.match_substring_regex(pa.array(chars), f"^{pattern}$")).as_py()
    rng = random.Random(8)
    alphabet = "0123456789" * 4 + "٣３" + "".join(spaces) + ".-()+,/xA"
    generated = ["".join(rng.choices(alphabet, k=rng.randint(1, 30))) for _ in range(20_000)]
    texts = list(dict.fromkeys(tricky + generated))
    kept = set(privacy._might_hold_identifier(texts))
    missed = [t for t in texts if _goes_to_the_detectors(t) and t not in kept]
    assert missed == []
    assert sum(map(_goes_to_the_detectors, texts)) > 1_000  # the sample reaches the detectors
    # What a column is made of does not get through.
    for plain in ("32.04.05.2001", "7316021001", "Kabupaten Bandung", "rows 131, 1712, 3317"):
        assert plain not in kept
    assert {"０８１２３４５６７８９０", "٠٨١٢٣٤٥٦٧٨٩٠", "0812\u00a03456\u00a07890"} <= kept


def test_a_column_is_scrubbed_as_each_text_alone_would_be():
    import pandas as pd

    texts = [
        "Kabupaten Bandung",
        "32.04.05.2001",
        "saksi 0857-1234-5678",
        None,
        "NIK 3201011508950001",
        "saksi 0857-1234-5678",
        "7316021001",
    ]
    for dtype in ("str", object, "category"):
        column = pd.Series(texts, dtype=dtype)
        scrubbed = privacy.scrub_identifiers(column)
        expected = [None if t is None else scrub_identifiers_text(t) for t in texts]
        assert [None if pd.isna(v) else v for v in scrubbed] == expected, dtype
        assert "0857" not in str(list(scrubbed)) and "3201011508950001" not in str(list(scrubbed))
