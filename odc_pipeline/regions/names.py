"""Comparison keys for region names, so that spelling and layout differences do not matter.

A name is split into its *type* (`kabupaten`, `kota` or none) and its *base*, compacted to
letters and digits: `Kab. Bandung`, `KABUPATEN BANDUNG`, `Bandung, Kab.` all become
(`kabupaten`, `bandung`); `Kota Bandung` becomes (`kota`, `bandung`) and so never meets
Kabupaten Bandung. Compacting the base makes `Fak-Fak`, `FAKFAK` and `Fak Fak`, or
`ULUTIMUR` and `Ulu Timur`, or `Sawah Lunto` and `Sawahlunto`, the same: a written name with
other spacing matches when exactly one region at its level in its parent compacts to it.

A leading level word (`Kec.`, `Desa`, `Kampung`) is dropped, but some official names start
with one (Kecamatan Kampung Laut, Desa Baru): the key also keeps the name with that word
(`whole`), and the resolver tries that reading first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_NOISE = re.compile(r"[^0-9a-z ]+")
_SPACES = re.compile(r"\s+")

# Words that say a name is a kabupaten or a kota, with their abbreviations; `Kotamadya` and
# `Kodya` are the word for a city before 1999, still in old lists and members' files.
_TYPE_WORDS: tuple[tuple[str, str], ...] = (
    ("kabupaten", "kabupaten"),
    ("kab", "kabupaten"),
    ("kotamadya", "kota"),
    ("kodya", "kota"),
    ("kota", "kota"),
)
# Jakarta's "Kota/Kabupaten Administrasi": most members leave "Administrasi" out and KPU
# writes it without the type (`ADMINISTRASI KEPULAUAN SERIBU`), so both sides drop it.
_ADMINISTRATIVE = ("administrasi", "adm")
# Words that only repeat the level the column already states; they are dropped.
_LEVEL_WORDS = (
    "provinsi",
    "prov",
    "propinsi",
    "kecamatan",
    "kec",
    "distrik",
    "kelurahan",
    "kel",
    "desa adat",
    "desa",
    "ds",
    "kampung",
)
# Abbreviations inside names, expanded on both sides before comparing.
_TOKEN_ABBREVIATIONS = {
    "kep": "kepulauan",
    "kepl": "kepulauan",
    "tj": "tanjung",
    "tg": "tanjung",
    "kp": "kampung",
}
# A compass word abbreviated at the end of a name: `Jakarta Sel.`, `Lampung Tim.`.
_LAST_WORD_ABBREVIATIONS = {
    "sel": "selatan",
    "slt": "selatan",
    "utr": "utara",
    "tim": "timur",
    "tmr": "timur",
    "bar": "barat",
    "brt": "barat",
    "tng": "tengah",
    "tgh": "tengah",
    "pst": "pusat",
}
_SUFFIX_FORM = re.compile(
    r"^(?P<base>.+?)\s*,\s*(?P<word>kabupaten|kab|kotamadya|kodya|kota|kecamatan|kec|desa|ds|kelurahan|kel|provinsi|prov)\.?$"
)


@dataclass(frozen=True)
class NameKey:
    """A region name reduced to what identifies it: its type word (if any) and compact base."""

    type: str | None
    base: str
    spaced: str
    #: The name with the leading level word kept, when one was dropped (spaced): the
    #: official name may start with it (`Kampung Laut`).
    whole: str | None = None

    @property
    def readings(self) -> tuple[str, ...]:
        """The spaced readings of the name, most literal first."""
        return (self.whole, self.spaced) if self.whole else (self.spaced,)

    @property
    def bases(self) -> tuple[str, ...]:
        """The compact readings to look up, most literal first."""
        return tuple(reading.replace(" ", "") for reading in self.readings)

    @property
    def typed(self) -> str:
        return f"{self.type} {self.base}" if self.type else self.base


def clean_text(text: str) -> str:
    """Lowercase ASCII letters, digits and single spaces; accents and punctuation removed."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SPACES.sub(" ", _NOISE.sub(" ", ascii_text.casefold().replace("-", " "))).strip()


def _strip_word(text: str, words) -> tuple[str, str | None]:
    for word in words:
        if text == word or text.startswith(word + " "):
            return text[len(word) :].strip(), word
    return text, None


def _words(cleaned: str, typed: bool) -> tuple[str | None, list[str]]:
    region_type = None
    for prefix, official in _TYPE_WORDS if typed else ():
        if cleaned == prefix or cleaned.startswith(prefix + " "):
            cleaned, region_type = cleaned[len(prefix) :].strip(), official
            break
    words = cleaned.split()
    if typed and len(words) > 1 and words[0] in _ADMINISTRATIVE:
        words = words[1:]
    words = [_TOKEN_ABBREVIATIONS.get(w, w) for w in words]
    if len(words) > 1:
        words[-1] = _LAST_WORD_ABBREVIATIONS.get(words[-1], words[-1])
    return region_type, words


def parse_name(text: str | None, typed: bool = True) -> NameKey | None:
    """The key of a region name, or None when nothing is left of it.

    `typed=False` keeps a leading `Kota` as part of the name: only kabupaten/kota carry a type
    word, while a kecamatan may well be called `Kota Baru`. A level word that is the whole
    name (a village called `Kelurahan`) is kept.
    """
    if text is None:
        return None
    raw = str(text).strip()
    suffix = _SUFFIX_FORM.match(raw.casefold())
    if suffix:  # "Bandung, Kab." is "Kab. Bandung" written backwards
        raw = f"{suffix['word']} {suffix['base']}"
    whole = clean_text(raw)
    cleaned, level_word = _strip_word(whole, _LEVEL_WORDS)
    if not cleaned:
        cleaned, level_word = whole, None
    region_type, words = _words(cleaned, typed)
    spaced = " ".join(words)
    base = spaced.replace(" ", "")
    if not base:
        return None
    whole_spaced = None
    if level_word:
        whole_type, whole_words = _words(whole, typed)
        if whole_type == region_type:
            whole_spaced = " ".join(whole_words)
    return NameKey(region_type, base, spaced, whole_spaced)
