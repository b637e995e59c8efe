"""Give every row the current Kemendagri code of the region it is about.

A row may name its region in several columns (province, then kabupaten/kota, ...). They are
resolved top-down: a lower level is only looked for inside the parent already found, because
kecamatan and village names repeat across Indonesia. The work is done once per distinct
combination of region values and merged back, so a file of a million rows over five hundred
regions costs five hundred look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from odc_pipeline.regions.codes import normalize_code
from odc_pipeline.regions.names import base_key, name_key
from odc_pipeline.regions.reference import LEVEL_LABELS

REGION_OUTPUT_COLUMNS = [
    "region_code",
    "region_level",
    "region_match",
    "region_problem_column",
    "region_problem",
]


@dataclass(frozen=True)
class RegionSpec:
    """A region column of a source: its name, level (1-4) and how it is written."""

    column: str
    level: int
    system: str


@dataclass
class _Index:
    """Look-up tables over the reference, built once per harmonize call."""

    by_code: dict[str, tuple[int, str | None]]
    by_name: dict[tuple[int, str | None, str], list[str]]
    by_base: dict[tuple[int, str | None, str], list[str]]
    names: dict[str, str]


def _build_index(reference: pd.DataFrame, max_level: int) -> _Index:
    by_code = dict(
        zip(
            reference["region_code"],
            zip(reference["level"].astype(int), reference["parent_code"], strict=True),
            strict=True,
        )
    )
    by_name: dict[tuple[int, str | None, str], list[str]] = {}
    by_base: dict[tuple[int, str | None, str], list[str]] = {}
    # Names are only indexed for the levels a source uses: most sources stop at
    # kabupaten/kota, and keying 83,762 villages for them would cost more than the matching.
    named = reference.loc[
        reference["level"] <= max_level, ["region_code", "name", "level", "parent_code"]
    ]
    for code, name, level, parent in named.itertuples(index=False):
        level = int(level)
        key = name_key(name) or ""
        for scope in (None, parent) if parent else (None,):
            by_name.setdefault((level, scope, key), []).append(code)
            by_base.setdefault((level, scope, base_key(key)), []).append(code)
    names = dict(zip(reference["region_code"], reference["name"], strict=True))
    return _Index(by_code, by_name, by_base, names)


def _resolve_code(
    text: str, spec: RegionSpec, parent: str | None, index: _Index
) -> tuple[str | None, str]:
    if spec.system == "bps":
        return None, (
            f"{text!r} is a BPS code; BPS codes need the BPS→Kemendagri crosswalk, which is not "
            "installed yet, so the row waits instead of being guessed"
        )
    code, problem = normalize_code(text)
    if code is None:
        return None, problem or ""
    found = index.by_code.get(code)
    if found is None:
        return None, f"code {code} is not in the official Kemendagri list (Kepmendagri 2025)"
    level, code_parent = found
    if level != spec.level:
        return (
            None,
            f"code {code} is a {LEVEL_LABELS[level]} code, but the column holds {LEVEL_LABELS[spec.level]}",
        )
    if parent is not None and not code.startswith(parent + "."):
        return (
            None,
            f"code {code} ({index.names[code]}) is not inside {parent} ({index.names[parent]})",
        )
    return code, "code"


def _resolve_name(
    text: str, spec: RegionSpec, parent: str | None, index: _Index
) -> tuple[str | None, str]:
    key = name_key(text)
    if key is None:
        return None, f"{text!r} holds no region name"
    where = f" inside {index.names[parent]}" if parent else ""
    exact = index.by_name.get((spec.level, parent, key), [])
    if len(exact) == 1:
        return exact[0], "name"
    candidates = exact or index.by_base.get((spec.level, parent, base_key(key)), [])
    if len(candidates) == 1 and key == base_key(key):
        # A bare name (no Kabupaten/Kota word) that only one region carries.
        return candidates[0], "name_unique_base"
    if len(candidates) > 1:
        listed = ", ".join(f"{index.names[c]} ({c})" for c in sorted(candidates)[:5])
        return (
            None,
            f"{text!r} is ambiguous{where}: it could be {listed}; write the full name or add the province",
        )
    return (
        None,
        f"no {LEVEL_LABELS[spec.level]} named {text!r}{where} in the official Kemendagri list",
    )


def _resolve_row(values: tuple, specs: list[RegionSpec], index: _Index) -> tuple:
    parent: str | None = None
    methods: list[str] = []
    for text, spec in zip(values, specs, strict=True):
        resolve = _resolve_name if spec.system == "name" else _resolve_code
        code, how = resolve(str(text), spec, parent, index)
        if code is None:
            return (None, None, None, spec.column, how)
        parent = code
        methods.append(how)
    return (parent, int(index.by_code[parent][0]), "+".join(methods), None, None)


def harmonize_regions(
    frame: pd.DataFrame, specs: list[RegionSpec], reference: pd.DataFrame
) -> pd.DataFrame:
    """Add `region_code`, `region_level` and `region_match` (how it matched), or a problem.

    Rows whose region could not be decided keep a null code and name the column and the
    reason in `region_problem_column` / `region_problem`; the publisher quarantines them.
    """
    ordered = sorted(specs, key=lambda s: s.level)
    columns = [s.column for s in ordered]
    index = _build_index(reference, max_level=ordered[-1].level)
    distinct = frame[columns].drop_duplicates()
    resolved = [
        _resolve_row(tuple(row), ordered, index) for row in distinct.itertuples(index=False)
    ]
    lookup = pd.DataFrame(resolved, columns=REGION_OUTPUT_COLUMNS, index=distinct.index)
    lookup = pd.concat([distinct, lookup], axis=1)
    lookup["region_level"] = lookup["region_level"].astype("Int8")
    out = frame.drop(columns=[c for c in REGION_OUTPUT_COLUMNS if c in frame.columns])
    return out.merge(lookup, on=columns, how="left", validate="many_to_one")
