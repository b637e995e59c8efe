"""A registry entry proposed for a file nobody has described yet.

A steward with a new file should not have to learn the registry's YAML before the first
check. From the file's headers (Indonesian and English words for each column), its values
(region codes and their lengths, region names with their type words, dates) and its name
(a year, a contest), a mapping to the kind's columns is proposed, with the reason for each
choice, and whatever the steward says (`--column`, `--region`, `--set`) overrides it. The
result is the entry as YAML, ready to paste.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from odc_pipeline.kinds import KINDS, DatasetKind
from odc_pipeline.reading.headers import header_key
from odc_pipeline.registry.model import LEVELS, SAFE_ID
from odc_pipeline.validation.values import parse_date

#: Words a header may use for each canonical column (compared ignoring case and punctuation).
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "election": ("pemilu", "pemilihan", "jenis pemilu", "election"),
    "year": ("tahun", "tahun pemilu", "year"),
    "contest": ("jenis pemilihan", "tingkat pemilihan", "lembaga", "contest"),
    "candidate": (
        "paslon",
        "pasangan calon",
        "calon",
        "kandidat",
        "nomor urut paslon",
        "candidate",
    ),
    "party": ("partai", "parpol", "partai politik", "nama partai", "party"),
    "dapil": ("daerah pemilihan", "kode dapil", "electoral district"),
    "votes": (
        "suara",
        "perolehan suara",
        "jumlah suara",
        "total suara",
        "jml suara",
        "votes",
        "vote",
    ),
    "valid_ballots": ("suara sah", "jumlah suara sah", "valid ballots", "valid votes"),
    "invalid_ballots": (
        "suara tidak sah",
        "jumlah suara tidak sah",
        "invalid ballots",
        "invalid votes",
    ),
    "station_number": ("tps", "no tps", "nomor tps", "kode tps", "polling station"),
    "registered_male": ("laki laki", "pemilih laki laki", "dpt laki laki", "male"),
    "registered_female": ("perempuan", "pemilih perempuan", "dpt perempuan", "female"),
    "registered_total": (
        "jumlah",
        "jumlah pemilih",
        "total pemilih",
        "jumlah dpt",
        "total dpt",
        "total",
    ),
    "registered_voters": ("dpt", "jumlah pemilih", "pemilih terdaftar", "registered voters"),
    "date": ("tanggal", "tgl", "tanggal kejadian", "tanggal laporan", "date"),
    "time": ("jam", "pukul", "waktu", "jam kejadian", "waktu kejadian", "time"),
    "category": (
        "kategori",
        "kategori pelanggaran",
        "jenis pelanggaran",
        "dugaan pelanggaran",
        "category",
    ),
    "description": ("uraian", "uraian kejadian", "kronologi", "deskripsi", "keterangan"),
    "report_id": ("no laporan", "nomor laporan", "id laporan", "report id"),
    "reporter_contact": ("kontak pelapor", "no hp pelapor", "hp pelapor", "telepon pelapor"),
    "indicator": ("indikator", "variabel", "indicator"),
    "value": ("nilai", "angka", "value"),
    "unit": ("satuan", "unit"),
    "name": ("nama", "nama calon", "nama lengkap", "name"),
    "sex": ("jenis kelamin", "jk", "l p", "sex", "gender"),
    "list_position": ("nomor urut", "no urut", "urut"),
    "candidate_ref": ("id calon", "kode calon"),
    "elected": ("terpilih", "keterangan terpilih", "elected"),
    "dapil_name": ("nama dapil", "nama daerah pemilihan"),
    "dapil_number": ("nomor dapil", "no dapil"),
    "seats": ("kursi", "jumlah kursi", "alokasi kursi", "seats"),
}

#: Words for a region column of each level, and words that name a region of any level.
REGION_WORDS: dict[str, tuple[str, ...]] = {
    "provinsi": ("provinsi", "propinsi", "prov", "nama provinsi", "kode provinsi", "province"),
    "kabupaten_kota": (
        "kabupaten kota",
        "kab kota",
        "kabkota",
        "kabupaten",
        "kota",
        "kab",
        "nama kabupaten kota",
        "kode kabupaten kota",
        "regency",
        "regency city",
        "city",
    ),
    "kecamatan": ("kecamatan", "kec", "nama kecamatan", "kode kecamatan", "subdistrict"),
    "desa": ("desa", "kelurahan", "desa kelurahan", "kel", "nama desa", "kode desa", "village"),
}
ANY_LEVEL_WORDS = ("region", "wilayah", "kode wilayah", "kode", "nama wilayah", "daerah")

#: How a region name starts at each level ("Kab. Bandung", "Kec. Cicalengka").
_TYPE_WORDS = {
    "provinsi": r"(provinsi|prov\.?)\s",
    "kabupaten_kota": r"(kabupaten|kab\.?|kota)\s",
    "kecamatan": r"(kecamatan|kec\.?|distrik)\s",
    "desa": r"(desa|kelurahan|kel\.?)\s",
}
#: Digits of a Kemendagri code at each level: 32, 32.04, 32.04.05, 32.04.05.2001.
_CODE_DIGITS = {2: "provinsi", 4: "kabupaten_kota", 6: "kecamatan", 10: "desa"}
_CODE = re.compile(r"^\d{2}(\.?\d{2}(\.?\d{2}(\.?\d{4})?)?)?$")

#: A contest named in a file's name.
_CONTESTS_IN_NAMES = (
    (r"dprd[ _-]?prov", "dprd_provinsi"),
    (r"dprd[ _-]?(kab|kota)", "dprd_kabupaten_kota"),
    (r"pilpres|presiden|ppwp", "presiden"),
    (r"dpd", "dpd"),
    (r"dpr(?!d)", "dpr"),
    (r"gubernur|pilgub", "gubernur"),
    (r"bupati", "bupati"),
    (r"walikota|wali kota", "walikota"),
)
SAMPLE = 200
#: A required column no header gives, and the column whose header gives it then: a file of
#: party results names its parties where a file of pair results names the pairs.
STANDS_IN = {"candidate": "party"}


@dataclass
class Proposal:
    """How a file would be read: each header's column and why, and what is still missing."""

    kind: str
    headers: list[str]
    #: File header → canonical column (region columns: their level's name).
    columns: dict[str, str] = field(default_factory=dict)
    regions: list[dict] = field(default_factory=list)
    constants: dict[str, str | int] = field(default_factory=dict)
    #: Header or constant → why it was chosen, in a steward's words.
    reasons: dict[str, str] = field(default_factory=dict)
    #: Recodes of a closed vocabulary's values, where the file's value is close to one.
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Values of a closed vocabulary no recode was found for, by column.
    unrecoded: dict[str, list[str]] = field(default_factory=dict)
    #: Read options the file needs (its totals row's label).
    read: dict[str, str] = field(default_factory=dict)

    @property
    def region_levels(self) -> set[str]:
        return {r["level"] for r in self.regions}

    @property
    def missing(self) -> list[str]:
        """Required columns neither a header nor a constant gives."""
        given = {*self.columns.values(), *self.constants}
        return [c for c in KINDS[self.kind].required_columns if c not in given]

    @property
    def unused(self) -> list[str]:
        return [h for h in self.headers if h not in self.columns]


class ProposalError(ValueError):
    """What the steward asked for cannot be done (a header the file lacks, a wrong level)."""


def _words_index(kind: DatasetKind) -> dict[str, str]:
    """Header key → canonical column, for the columns of `kind` (their own names first)."""
    index: dict[str, str] = {}
    for column in kind.columns:
        if column.withheld:
            continue
        index.setdefault(header_key(column.name), column.name)
    for column in kind.columns:
        for word in HEADER_WORDS.get(column.name, ()):
            index.setdefault(header_key(word), column.name)
    return index


def _region_level_of_header(header: str) -> str | None:
    key = header_key(header)
    for level, words in REGION_WORDS.items():
        if key in {header_key(w) for w in words}:
            return level
    return None


def _sample(frame: pd.DataFrame, header: str) -> pd.Series:
    values = frame[header].dropna().astype(str).str.strip()
    return values[values != ""].head(SAMPLE)


def _code_level(values: pd.Series) -> str | None:
    """The level most values are codes of, when most values are Kemendagri codes."""
    if values.empty:
        return None
    codes = values[values.str.match(_CODE)]
    if len(codes) < 0.8 * len(values):
        return None
    digits = codes.str.replace(".", "", regex=False).str.len()
    return _CODE_DIGITS.get(int(digits.mode().iloc[0]))


def _name_level(values: pd.Series) -> str | None:
    """The level whose type word ("Kab.", "Kec.") starts most values, if one does."""
    if values.empty:
        return None
    lowered = values.str.casefold() + " "
    for level, pattern in _TYPE_WORDS.items():
        if lowered.str.match(pattern).mean() >= 0.5:
            return level
    return None


def _looks_like_dates(values: pd.Series) -> bool:
    if values.empty or values.str.fullmatch(r"\d+").mean() > 0.5:
        return False
    return sum(parse_date(v)[0] is not None for v in values) >= 0.8 * len(values)


def _add_region(proposal: Proposal, header: str, level: str, system: str, why: str) -> None:
    if any(r["level"] == level for r in proposal.regions):
        return
    proposal.columns[header] = level
    proposal.regions.append({"column": level, "level": level, "system": system})
    proposal.reasons[header] = why


def _region_system(values: pd.Series) -> str:
    return "kemendagri" if _code_level(values) is not None else "name"


def propose(
    frame: pd.DataFrame,
    kind_name: str,
    file_name: str,
    *,
    default_level: str = "kabupaten_kota",
    columns: dict[str, str] | None = None,
    regions: list[tuple[str, str, str | None]] | None = None,
    constants: dict[str, str | int] | None = None,
    recodes: dict[str, dict[str, str]] | None = None,
) -> Proposal:
    """The mapping of `frame`'s headers to the kind's columns; `columns` (header → column),
    `regions` ((header, level, system or None)), `constants` and `recodes` (column → their
    value → the kind's) are the steward's and win."""
    kind = KINDS[kind_name]
    headers = [str(c) for c in frame.columns if not str(c).startswith("_")]
    proposal = Proposal(kind=kind_name, headers=headers)
    by_key = {header_key(h): h for h in headers}
    for header, column in (columns or {}).items():
        if header_key(header) not in by_key:
            raise ProposalError(
                f"--column {header}={column}: the file has no header {header!r}; its headers "
                f"are: {', '.join(headers)}"
            )
        if column not in kind.column_names:
            raise ProposalError(
                f"--column {header}={column}: {kind_name} has no column {column!r}; its "
                f"columns are: {', '.join(kind.column_names)}"
            )
        proposal.columns[by_key[header_key(header)]] = column
        proposal.reasons[by_key[header_key(header)]] = "you said so (--column)"
    for header, level, system in regions or []:
        if header_key(header) not in by_key:
            raise ProposalError(
                f"--region {header}: the file has no header {header!r}; its headers are: "
                f"{', '.join(headers)}"
            )
        if level not in LEVELS:
            raise ProposalError(
                f"--region {header}:{level}: the level must be one of: {', '.join(LEVELS)}"
            )
        found = by_key[header_key(header)]
        chosen = system or _region_system(_sample(frame, found))
        _add_region(proposal, found, level, chosen, "you said so (--region)")
    for name, value in (constants or {}).items():
        proposal.constants[name] = value
        proposal.reasons[name] = "you said so (--set)"
        if name in LEVELS:  # one region for every row: `--set provinsi=Jawa Barat`
            system = _region_system(pd.Series([str(value)]))
            proposal.regions.append({"column": name, "level": name, "system": system})
    _by_header_words(proposal, frame, kind, default_level)
    _by_values(proposal, frame, kind)
    _stand_ins(proposal)
    _from_file_name(proposal, kind, file_name)
    _recodes(proposal, frame, kind)
    for column, theirs in (recodes or {}).items():
        proposal.values[column] = {**proposal.values.get(column, {}), **theirs}
        left = [v for v in proposal.unrecoded.get(column, []) if v not in theirs]
        proposal.unrecoded.pop(column, None)
        if left:
            proposal.unrecoded[column] = left
    proposal.regions.sort(key=lambda r: LEVELS[r["level"]])
    _blank_means_parent(proposal, frame)
    _no_place(proposal, frame)
    _totals_row(proposal, frame)
    return proposal


#: How a file labels its totals row in the first region column.
TOTALS_WORDS = ("jumlah", "total", "jumlah total", "total keseluruhan", "jumlah seluruhnya")


def _totals_row(proposal: Proposal, frame: pd.DataFrame) -> None:
    """A totals row (`JUMLAH` where a region should be) is the file's sum, not a region."""
    # The first region column the file gives: a province set for every row (--set) is not.
    written = {c: h for h, c in proposal.columns.items()}
    header = next((written[r["column"]] for r in proposal.regions if r["column"] in written), None)
    if header is None:
        return
    words = {header_key(w) for w in TOTALS_WORDS}
    label = next((v for v in _sample(frame, header) if header_key(v) in words), None)
    if label is not None:
        proposal.read["totals_label"] = label
        proposal.reasons[header] += f"; its row {label!r} is the file's totals row (totals_label)"


def _no_place(proposal: Proposal, frame: pd.DataFrame) -> None:
    """For a kind whose rows may name no place: where every region column is empty, the row
    is about no place in particular (region 00), not a problem."""
    if not proposal.regions or not KINDS[proposal.kind].placeless:
        return
    header_of = {column: header for header, column in proposal.columns.items()}
    if any(r["column"] not in header_of for r in proposal.regions):
        return  # a constant region: every row names a place
    empty = pd.Series(True, index=frame.index)
    for region in proposal.regions:
        empty &= frame[header_of[region["column"]]].astype("string").str.strip().fillna("") == ""
    if empty.any():
        for region in proposal.regions:  # each may be empty in those rows
            region["blank_means_parent"] = True
        top = proposal.regions[0]
        proposal.reasons[header_of[top["column"]]] += (
            f"; {int(empty.sum()):,} rows name no place: published under region 00"
        )


def _blank_means_parent(proposal: Proposal, frame: pd.DataFrame) -> None:
    """A lower region column left empty where the one above is given: the row is about the
    region above (a report about a whole province), not a row without a place."""
    header_of = {column: header for header, column in proposal.columns.items()}
    for upper, lower in zip(proposal.regions, proposal.regions[1:], strict=False):
        if upper["column"] not in header_of or lower["column"] not in header_of:
            continue  # one region for every row (a constant) is never empty
        above = frame[header_of[upper["column"]]].astype("string").str.strip().fillna("")
        below = frame[header_of[lower["column"]]].astype("string").str.strip().fillna("")
        if ((below == "") & (above != "")).any():
            lower["blank_means_parent"] = True
            header = header_of[lower["column"]]
            proposal.reasons[header] += (
                f"; where it is empty, the row is about its {upper['level']}"
            )


def _by_header_words(
    proposal: Proposal, frame: pd.DataFrame, kind: DatasetKind, default_level: str
) -> None:
    words = _words_index(kind)
    taken = set(proposal.columns.values()) | set(proposal.constants)
    for header in proposal.headers:
        if header in proposal.columns:
            continue
        key = header_key(header)
        column = words.get(key)
        if column is not None and column not in taken:
            proposal.columns[header] = column
            proposal.reasons[header] = f"the header {header!r} means {column}"
            taken.add(column)
            continue
        level = _region_level_of_header(header)
        if level is not None:
            values = _sample(frame, header)
            system = _region_system(values)
            _add_region(
                proposal, header, level, system, f"the header names a {level} ({_said(system)})"
            )
        elif key in {header_key(w) for w in ANY_LEVEL_WORDS}:
            values = _sample(frame, header)
            level = _code_level(values) or _name_level(values) or default_level
            system = _region_system(values)
            _add_region(
                proposal, header, level, system, f"a region column: {_said(system)}, {level}"
            )


def _said(system: str) -> str:
    return "Kemendagri codes" if system == "kemendagri" else "region names"


def _by_values(proposal: Proposal, frame: pd.DataFrame, kind: DatasetKind) -> None:
    """Headers no word explains, judged by their values: codes, typed names, dates."""
    taken = set(proposal.columns.values()) | set(proposal.constants)
    date_columns = [c for c in kind.date_columns if c not in taken]
    for header in proposal.unused:
        values = _sample(frame, header)
        level = _code_level(values)
        if level is not None:
            _add_region(proposal, header, level, "kemendagri", f"its values are {level} codes")
            continue
        level = _name_level(values)
        if level is not None:
            _add_region(proposal, header, level, "name", f"its values are {level} names")
            continue
        if date_columns and _looks_like_dates(values):
            column = date_columns.pop(0)
            proposal.columns[header] = column
            proposal.reasons[header] = f"its values are dates: {column}"


def _recodes(proposal: Proposal, frame: pd.DataFrame, kind: DatasetKind) -> None:
    """For a column with a closed vocabulary (an incident's category), the file's own values
    recoded to the closest of it, where one is close; the others listed for the steward."""
    from rapidfuzz import fuzz, process

    for header, column in proposal.columns.items():
        allowed = kind.column(column).allowed if column in kind.column_names else ()
        if not allowed:
            continue
        # Compared as the validation compares them: case and spacing aside (`l` is `L`).
        spaced = [v.replace("_", " ").casefold() for v in allowed]
        for value in frame[header].dropna().astype(str).str.strip().unique():
            key = " ".join(value.casefold().replace("_", " ").split())
            if not value or key in spaced:
                continue
            best = process.extractOne(key, spaced, scorer=fuzz.token_set_ratio)
            if best and best[1] >= 80:
                proposal.values.setdefault(column, {})[value] = allowed[best[2]]
            else:
                proposal.unrecoded.setdefault(column, []).append(value)


def _stand_ins(proposal: Proposal) -> None:
    for needed, instead in STANDS_IN.items():
        if needed not in proposal.missing:
            continue
        header = next((h for h, c in proposal.columns.items() if c == instead), None)
        if header is not None:
            proposal.columns[header] = needed
            proposal.reasons[header] = (
                f"the file names a {instead} on each row and no {needed}: the {instead} is "
                f"what the votes are for"
            )


def _from_file_name(proposal: Proposal, kind: DatasetKind, file_name: str) -> None:
    """The year and contest a file's name gives, and `pemilu` for an election no column
    names, each said so, for the steward to confirm."""
    missing = proposal.missing
    stem = Path(file_name).stem.casefold()
    if "year" in missing:
        years = [int(y) for y in re.findall(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)", stem)]
        if years:
            proposal.constants["year"] = years[0]
            proposal.reasons["year"] = f"the file's name says {years[0]}"
    if "contest" in missing:
        for pattern, contest in _CONTESTS_IN_NAMES:
            if re.search(pattern, stem):
                proposal.constants["contest"] = contest
                proposal.reasons["contest"] = f"the file's name says {contest}"
                break
    if "election" in missing:
        election = "pilkada" if "pilkada" in stem else "pemilu"
        proposal.constants["election"] = election
        proposal.reasons["election"] = f"{election} (change it with --set election=...)"


def source_id_for(file_name: str) -> str:
    """An id for the entry from the file's name, in the registry's alphabet."""
    slug = re.sub(r"[^a-z0-9]+", "_", Path(file_name).stem.casefold()).strip("_")
    slug = slug if re.match(r"^[a-z]", slug) else f"source_{slug}"
    slug = slug[:63]
    return slug if re.match(SAFE_ID, slug) else "new_source"


def entry_document(proposal: Proposal, location: str, file_format: str, source_id: str) -> dict:
    """The registry entry as the YAML would hold it, placeholders marked for the steward."""
    document: dict = {
        "id": source_id,
        "organization": "your_organisation_id",
        "kind": proposal.kind,
        "description": "",
        "format": file_format,
        "location": location,
        "columns": dict(proposal.columns),
    }
    if proposal.constants:
        document["constants"] = dict(proposal.constants)
    if proposal.values:
        document["values"] = {c: dict(v) for c, v in proposal.values.items()}
    if proposal.read:
        document["read"] = dict(proposal.read)
    document.update(
        {
            "regions": [dict(r) for r in proposal.regions],
            "licence": "unknown",
            "sharing": "private",
        }
    )
    return document


def parse_recodes(values: tuple[str, ...] | list[str]) -> dict[str, dict[str, str]]:
    """`--recode 'category:Dugaan Politik Uang=politik_uang'` options, by column."""
    recodes: dict[str, dict[str, str]] = {}
    for value in values:
        column, colon, rest = value.partition(":")
        theirs, equals, ours = rest.rpartition("=")
        if not colon or not equals or not theirs.strip() or not ours.strip():
            raise ProposalError(
                f"--recode {value!r}: write COLUMN:THEIR VALUE=OUR VALUE, e.g. "
                "'category:Dugaan Politik Uang=politik_uang'"
            )
        recodes.setdefault(column.strip(), {})[theirs.strip()] = ours.strip()
    return recodes
