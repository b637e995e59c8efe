"""A registry entry proposed for a file nobody has described: from its headers (Indonesian
and English words), its values (codes, typed names, dates) and its name."""

from __future__ import annotations

import pandas as pd
import pytest

from odc_pipeline.kinds import KINDS
from odc_pipeline.proposal import (
    HEADER_WORDS,
    ProposalError,
    entry_document,
    parse_recodes,
    propose,
    source_id_for,
)
from odc_pipeline.registry import entry_problems


def _frame(**columns) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in columns.items()})


def test_every_word_list_names_a_declared_column():
    declared = {c.name for kind in KINDS.values() for c in kind.columns}
    assert set(HEADER_WORDS) <= declared


def test_party_results_per_kabupaten_by_header_words_and_file_name():
    frame = _frame(
        **{
            "Kabupaten/Kota": ["Kab. Bandung", "Kota Bandung"],
            "Partai": ["PDI Perjuangan", "Gerindra"],
            "Perolehan Suara": ["1.234", "567"],
            "Suara Sah": ["2.000", "900"],
        }
    )
    proposal = propose(frame, "election_results", "hasil_dpr_2019.csv")
    assert proposal.columns == {
        "Kabupaten/Kota": "kabupaten_kota",
        "Partai": "candidate",  # no candidate column: the party is what the votes are for
        "Perolehan Suara": "votes",
        "Suara Sah": "valid_ballots",
    }
    assert proposal.regions == [
        {"column": "kabupaten_kota", "level": "kabupaten_kota", "system": "name"}
    ]
    assert proposal.constants == {"year": 2019, "contest": "dpr", "election": "pemilu"}
    assert proposal.missing == []
    document = entry_document(proposal, "demo/x.csv", "csv", source_id_for("hasil_dpr_2019.csv"))
    assert document["id"] == "hasil_dpr_2019"
    assert entry_problems({**document, "organization": "jsn"}) == []


def test_codes_give_the_level_and_names_their_type_word():
    frame = _frame(
        kode=["32.04.05", "32.04.06"],
        wilayah=["Kec. Cicalengka", "Kec. Nagreg"],
        paslon=["01", "02"],
        suara=["10", "20"],
    )
    proposal = propose(frame, "election_results", "pilpres.csv")
    assert proposal.regions == [
        {"column": "kecamatan", "level": "kecamatan", "system": "kemendagri"}
    ]
    assert proposal.columns["kode"] == "kecamatan"
    assert "wilayah" not in proposal.columns  # one column per level
    assert proposal.constants["contest"] == "presiden"
    assert proposal.missing == ["year"]


def test_unnamed_columns_are_judged_by_their_values():
    frame = _frame(
        A=["3204", "3273"],
        B=["17/04/2019", "18 April 2019"],
        kategori=["politik_uang", "lainnya"],
        uraian=["x", "y"],
    )
    proposal = propose(frame, "incident_reports", "laporan_2019.xlsx")
    assert proposal.columns == {
        "A": "kabupaten_kota",
        "B": "date",
        "kategori": "category",
        "uraian": "description",
    }
    assert "kabupaten_kota codes" in proposal.reasons["A"]


def test_an_empty_lower_region_means_the_one_above():
    frame = _frame(
        Provinsi=["Jawa Barat", "Jawa Barat"],
        Kabupaten=["Kab. Bandung", ""],
        Tanggal=["2019-04-17", "2019-04-18"],
        Kategori=["politik_uang", "lainnya"],
        Uraian=["x", "y"],
    )
    proposal = propose(frame, "incident_reports", "laporan.csv")
    assert [r.get("blank_means_parent", False) for r in proposal.regions] == [False, True]
    assert proposal.missing == ["year"]


def test_what_the_steward_says_wins_and_a_wrong_name_is_explained():
    frame = _frame(No=["1"], Daerah=["Bandung"], Jumlah=["5"], Calon=["01"])
    proposal = propose(
        frame,
        "election_results",
        "x.csv",
        columns={"jumlah": "votes"},
        regions=[("Daerah", "kabupaten_kota", None)],
        constants={"year": 2024},
    )
    assert proposal.columns == {
        "Jumlah": "votes",
        "Daerah": "kabupaten_kota",
        "Calon": "candidate",
    }
    assert proposal.reasons["Jumlah"] == "you said so (--column)"
    assert proposal.unused == ["No"]
    with pytest.raises(ProposalError, match="the file has no header 'Suara'; its headers are"):
        propose(frame, "election_results", "x.csv", columns={"Suara": "votes"})
    with pytest.raises(ProposalError, match="election_results has no column 'suara'"):
        propose(frame, "election_results", "x.csv", columns={"Jumlah": "suara"})
    with pytest.raises(ProposalError, match="the level must be one of: provinsi"):
        propose(frame, "election_results", "x.csv", regions=[("Daerah", "kabupaten", None)])


def test_a_vocabulary_is_recoded_where_close_and_the_rest_listed():
    frame = _frame(
        tanggal=["2019-04-17", "2019-04-18", "2019-04-18"],
        kategori=["Dugaan Pelanggaran Administratif", "Dugaan Pelanggaran Pidana", "Politik Uang"],
        uraian=["x", "y", "z"],
        kabupaten=["Kab. Bandung", "Kota Bandung", "Kab. Garut"],
    )
    proposal = propose(frame, "incident_reports", "laporan_2019.csv")
    assert proposal.values == {
        "category": {"Dugaan Pelanggaran Administratif": "pelanggaran_administrasi"}
    }
    # "Politik Uang" is politik_uang but for case and spacing: no recode needed.
    assert proposal.unrecoded == {"category": ["Dugaan Pelanggaran Pidana"]}
    decided = propose(
        frame,
        "incident_reports",
        "laporan_2019.csv",
        recodes=parse_recodes(["category:Dugaan Pelanggaran Pidana=lainnya"]),
    )
    assert decided.values["category"]["Dugaan Pelanggaran Pidana"] == "lainnya"
    assert decided.unrecoded == {}
    with pytest.raises(ProposalError, match="write COLUMN:THEIR VALUE=OUR VALUE"):
        parse_recodes(["category=lainnya"])


def test_a_totals_row_and_a_total_column_are_recognised():
    frame = _frame(
        **{
            "Kabupaten/Kota": ["Kab. Bandung", "Kota Bandung", "JUMLAH"],
            "Laki-laki": ["1.200", "900", "2.100"],
            "Perempuan": ["1.300", "950", "2.250"],
            "Jumlah": ["2.500", "1.850", "4.350"],
        }
    )
    proposal = propose(frame, "voter_counts", "dpt_2014.csv")
    assert proposal.columns["Jumlah"] == "registered_total"
    assert proposal.read == {"totals_label": "JUMLAH"}
    assert entry_document(proposal, "x.csv", "csv", "dpt")["read"] == {"totals_label": "JUMLAH"}


def test_one_region_for_every_row_and_a_vocabulary_written_in_lower_case():
    frame = _frame(
        Dapil=["JAWA BARAT I", "JAWA BARAT I"],
        Nama=["Budi", "Siti"],
        **{"Jenis Kelamin": ["l", "P"]},
    )
    proposal = propose(
        frame,
        "candidate_lists",
        "dct_dpr_2014.csv",
        constants={"provinsi": "Jawa Barat"},
    )
    assert proposal.regions == [{"column": "provinsi", "level": "provinsi", "system": "name"}]
    assert proposal.unrecoded == {} and proposal.values == {}  # `l` is L but for case
    document = entry_document(proposal, "x.csv", "csv", "dct")
    assert entry_problems({**document, "organization": "jsn"}) == []
