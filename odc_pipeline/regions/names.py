"""Comparison keys for region names, so that spelling and layout differences do not matter.

A name is split into its *type* (`kabupaten`, `kota` or none) and its *base*, compacted to
letters and digits: `Kab. Bandung`, `KABUPATEN BANDUNG`, `Bandung, Kab.` all become
(`kabupaten`, `bandung`); `Kota Bandung` becomes (`kota`, `bandung`) and so never meets
Kabupaten Bandung. Compacting the base makes `Fak-Fak`, `FAKFAK` and `Fak Fak`, or
`ULUTIMUR` and `Ulu Timur`, the same.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_NOISE = re.compile(r"[^0-9a-z ]+")
_SPACES = re.compile(r"\s+")

# Words that say a name is a kabupaten or a kota, with their abbreviations. Jakarta's
# "Kota/Kabupaten Administrasi" is written without "Administrasi" by most members, so both
# sides drop it. Longer forms first.
_TYPE_WORDS: tuple[tuple[str, str], ...] = (
    ("kabupaten administrasi", "kabupaten"),
    ("kabupaten adm", "kabupaten"),
    ("kab adm", "kabupaten"),
    ("kota administrasi", "kota"),
    ("kota adm", "kota"),
    ("kabupaten", "kabupaten"),
    ("kab", "kabupaten"),
    ("kota", "kota"),
)
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
_SUFFIX_FORM = re.compile(
    r"^(?P<base>.+?)\s*,\s*(?P<word>kabupaten|kab|kota|kecamatan|kec|desa|ds|kelurahan|kel|provinsi|prov)\.?$"
)


@dataclass(frozen=True)
class NameKey:
    """A region name reduced to what identifies it: its type word (if any) and compact base."""

    type: str | None
    base: str
    spaced: str

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


def parse_name(text: str | None, typed: bool = True) -> NameKey | None:
    """The key of a region name, or None when nothing is left of it.

    `typed=False` keeps a leading `Kota` as part of the name: only kabupaten/kota carry a type
    word, while a kecamatan may well be called `Kota Baru`.
    """
    if text is None:
        return None
    raw = str(text).strip()
    suffix = _SUFFIX_FORM.match(raw.casefold())
    if suffix:  # "Bandung, Kab." is "Kab. Bandung" written backwards
        raw = f"{suffix['word']} {suffix['base']}"
    cleaned = clean_text(raw)
    cleaned, _ = _strip_word(cleaned, _LEVEL_WORDS)
    region_type = None
    for prefix, official in _TYPE_WORDS if typed else ():
        if cleaned == prefix or cleaned.startswith(prefix + " "):
            cleaned, region_type = cleaned[len(prefix) :].strip(), official
            break
    words = [_TOKEN_ABBREVIATIONS.get(w, w) for w in cleaned.split()]
    spaced = " ".join(words)
    base = spaced.replace(" ", "")
    if not base:
        return None
    return NameKey(region_type, base, spaced)
