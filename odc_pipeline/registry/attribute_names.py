"""Which names a source may give a column the kind does not declare.

Such a column is kept in the row's `attributes`, so a typo of a kind's column
(`valid_ballot`) must not slip in as one, and a column that is plainly personal (`nik`,
`telepon`) must be declared under `personal:` (and so dropped) rather than kept.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

#: Names that say a column holds personal data, as registries write them.
PERSONAL_WORDS = (
    "nik",
    "ktp",
    "kk",
    "telepon",
    "telp",
    "hp",
    "phone",
    "email",
    "alamat",
    "address",
    "tanggal_lahir",
    "tgl_lahir",
    "birth",
)
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def attribute_problem(name: str, declared: tuple[str, ...]) -> str | None:
    """Why `name` cannot be kept as an attribute, or None."""
    if not _NAME.match(name):
        return (
            f"the column name {name!r} is not a kind's column, and to be kept as an attribute "
            "it must be lowercase letters, digits and '_', starting with a letter"
        )
    # One letter off, or two in a long name: `vots`, `valid_ballot` (not `note` for `date`).
    close = [c for c in declared if Levenshtein.distance(name, c) <= max(1, len(name) // 6)]
    if close:
        return (
            f"the column name {name!r} is not a column of the kind; did you mean {close[0]!r}? "
            "(a column the kind does not know is kept in attributes, but this looks like a "
            "typo)"
        )
    if looks_personal(name):
        return (
            f"the column {name!r} looks personal: list it under personal: so it is dropped "
            "before anything is stored, or leave it out of columns"
        )
    return None


#: Words of a file's header that say its cells identify a person. Not an address: in an
#: election file that is a polling station's or an office's far more often than a person's.
IDENTIFYING_WORDS = tuple(w for w in PERSONAL_WORDS if w not in ("alamat", "address"))


def looks_personal(name: str, words: tuple[str, ...] = PERSONAL_WORDS) -> bool:
    """Whether a column's name (or a file's header) holds one of `words`: `no_hp`, `NIK
    Pelapor`, `tgl lahir`."""
    key = "_".join(re.findall(r"[a-z0-9]+", name.casefold()))
    found = set(key.split("_"))
    return bool(found & set(words)) or any(w in key for w in words if "_" in w)


def personal_header_problem(header: str, column: str, declared_personal: str | None) -> str | None:
    """Why a header that says it is personal may not be mapped to `column`, a column the
    warehouse publishes as written (a report id, an attribute), or None. Masking catches a
    NIK or phone number it recognises, not one mistyped; the registry says so first.
    `declared_personal`: what becomes of the column once listed under `personal:` ("only
    its salted hash is kept", "it is dropped"), or None where it cannot be."""
    if not looks_personal(header, IDENTIFYING_WORDS):
        return None
    fix = (
        f"list {column} under personal: (then {declared_personal}), or leave the header out "
        "of columns"
        if declared_personal
        else "map another header to it, or leave this one out of columns"
    )
    return (
        f"the header {header!r} looks personal (a NIK, phone number, e-mail or birth date), "
        f"and it is mapped to {column!r}, which is published as written: {fix}"
    )
