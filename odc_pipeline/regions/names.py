"""Comparison keys for region names, so that spelling and layout differences do not matter.

`Kab. Bandung`, `KABUPATEN BANDUNG` and `Kab Bandung` share the key `kabupaten bandung`;
`Kota Bandung` keeps `kota` in its key and so never meets Kabupaten Bandung.
"""

from __future__ import annotations

import re

_NOISE = re.compile(r"[^0-9a-z' ]+")
_SPACES = re.compile(r"\s+")

# Leading words that say what kind of region a name is, with their abbreviations, mapped to
# one word. Jakarta's "Kota Administrasi" is written as plain "Kota" by most members, so
# both sides drop "administrasi". Order matters: longer forms first.
_TYPE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("kabupaten administrasi", "kabupaten"),
    ("kab adm", "kabupaten"),
    ("kota administrasi", "kota"),
    ("kota adm", "kota"),
    ("kabupaten", "kabupaten"),
    ("kab", "kabupaten"),
    ("kota", "kota"),
)
# Prefixes that only repeat the level the column already states; they are dropped.
_LEVEL_WORDS = ("provinsi", "prov", "kecamatan", "kec", "distrik", "kelurahan", "kel", "desa", "ds")


def _clean(text: str) -> str:
    return _SPACES.sub(" ", _NOISE.sub(" ", text.casefold().replace("-", " "))).strip()


def name_key(text: str | None) -> str | None:
    """The key two spellings of the same region name share; None when nothing is left."""
    if text is None:
        return None
    key = _clean(str(text))
    for word in _LEVEL_WORDS:
        if key.startswith(word + " "):
            key = key[len(word) + 1 :]
            break
    for prefix, official in _TYPE_PREFIXES:
        if key == prefix or key.startswith(prefix + " "):
            key = official + key[len(prefix) :]
            break
    return key or None


def base_key(key: str) -> str:
    """The key without its kabupaten/kota word: `kota bandung` → `bandung`."""
    for word in ("kabupaten ", "kota "):
        if key.startswith(word):
            return key[len(word) :]
    return key
