"""Decide the region of one written value at one level, inside an already matched parent.

Order of evidence, strongest first: the official code or name, a historic or BPS code
through its crosswalk, a steward's alias, and last a fuzzy match, accepted only when it is
clearly better than every other candidate. A wrong code is worse than no code: anything
unclear comes back as a problem with suggestions, for the review queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from odc_pipeline.regions.codes import bps_digits, parse_code
from odc_pipeline.regions.index import OFFICIAL_RULE, RegionIndex, name_key_for_level
from odc_pipeline.regions.names import NameKey
from odc_pipeline.regions.reference import LEVEL_LABELS

_OFFICIAL_RULES = {False: OFFICIAL_RULE, True: OFFICIAL_RULE + "; leading zeros restored"}
#: A fuzzy match needs this score (0-100, on compacted names) ...
FUZZY_THRESHOLD = 90.0
#: ... and must beat the runner-up by this much; otherwise a person decides.
FUZZY_MARGIN = 5.0


@dataclass(frozen=True)
class Spec:
    """A region column: its name, level (1-4), code system, how bare names are meant, and
    whether an empty value means the row is about the region one column up."""

    column: str
    level: int
    system: str
    untyped: str | None = None
    blank_means_parent: bool = False


@dataclass(frozen=True)
class Match:
    code: str
    method: str
    score: float
    rule: str


@dataclass(frozen=True)
class Miss:
    reason: str
    suggestions: str = ""


def _describe(index: RegionIndex, codes) -> str:
    return ", ".join(f"{index.names[c]} ({c})" for c in sorted(codes)[:5])


def _inside(code: str, scopes: list[str | None]) -> bool:
    return any(scope is None or code.startswith(scope + ".") for scope in scopes)


def _resolve_bps(text: str, spec: Spec, parent: str | None, index: RegionIndex) -> Match | Miss:
    digits = bps_digits(text)
    if digits is None:
        return Miss(f"{text!r} is not a BPS code")
    if digits not in index.bps:
        return Miss(
            f"BPS code {digits} is not in the BPS↔Kemendagri crosswalk (data/reference/bps_kemendagri.csv)"
        )
    code, rule = index.bps[digits]
    if index.by_code[code][0] != spec.level:
        return Miss(
            f"BPS code {digits} is a {LEVEL_LABELS[index.by_code[code][0]]} code, but the column holds {LEVEL_LABELS[spec.level]}"
        )
    if not _inside(code, index.scopes(parent)):
        return Miss(
            f"BPS code {digits} ({index.names[code]}) is not inside {parent} ({index.names[parent]})"
        )
    return Match(code, "bps_code", 100.0, rule)


def resolve_code(text: str, spec: Spec, parent: str | None, index: RegionIndex) -> Match | Miss:
    if spec.system == "bps":
        return _resolve_bps(text, spec, parent, index)
    parsed = parse_code(text)
    if not parsed.readings:
        return Miss(parsed.problem or f"{text!r} is not a region code")
    scopes = index.scopes(parent)
    if len(parsed.readings) == 1:
        # The common case, first and cheaply: one reading, official, at the column's level and
        # inside the parent (millions of village codes per night go this way).
        (reading,) = parsed.readings
        known = index.by_code.get(reading)
        if known is not None and known[0] == spec.level and _inside(reading, scopes):
            return Match(reading, "code", 100.0, _OFFICIAL_RULES[parsed.repaired])
    found: dict[str, Match] = {}
    notes: list[str] = []
    for reading in parsed.readings:
        if reading in index.by_code:
            rule = _OFFICIAL_RULES[parsed.repaired]
            found[reading] = Match(reading, "code", 100.0, rule)
        elif reading in index.historic:
            code, rule = index.historic[reading]
            found[code] = Match(code, "historic_code", 100.0, rule)
        else:
            notes.append(
                f"code {reading} is not in the official Kemendagri list (Kepmendagri 2025)"
            )
    level_ok = {c: m for c, m in found.items() if index.by_code[c][0] == spec.level}
    if not level_ok:
        if found:
            code = next(iter(found))
            return Miss(
                f"code {code} is a {LEVEL_LABELS[index.by_code[code][0]]} code, but the column holds "
                f"{LEVEL_LABELS[spec.level]}"
            )
        return Miss("; ".join(notes))
    inside = {c: m for c, m in level_ok.items() if _inside(c, scopes)}
    if not inside:
        code = next(iter(level_ok))
        return Miss(
            f"code {code} ({index.names[code]}) is not inside {parent} ({index.names[parent]})"
        )
    if len(inside) > 1:
        return Miss(f"{text!r} could be {_describe(index, inside)}", _describe(index, inside))
    return next(iter(inside.values()))


def _fuzzy(
    key, spec: Spec, scopes, index: RegionIndex, region_type: str | None
) -> Match | Miss | None:
    if scopes == [None] and spec.level > 2:
        return None  # without a parent, thousands of kecamatan or villages: never guess
    pool = [c for scope in scopes for c in index.pool.get((spec.level, scope), [])]
    if region_type:
        pool = [c for c in pool if c.key.type == region_type]
    if not pool:
        return None
    ranked = process.extract(key.base, [c.key.base for c in pool], scorer=fuzz.ratio, limit=4)
    if not ranked:
        return None
    best_base, best_score, best_at = ranked[0]
    best_codes = {c.code for c in pool if c.key.base == best_base}
    runner_up = next((score for base, score, _ in ranked[1:] if base != best_base), 0.0)
    suggestions = "; ".join(
        f"{index.names[pool[at].code]} ({pool[at].code}) {score:.0f}" for _, score, at in ranked[:3]
    )
    if (
        best_score >= FUZZY_THRESHOLD
        and best_score - runner_up >= FUZZY_MARGIN
        and len(best_codes) == 1
    ):
        code = pool[best_at].code
        return Match(
            code,
            "fuzzy",
            round(best_score, 1),
            f"rapidfuzz ratio {best_score:.1f} ≥ {FUZZY_THRESHOLD:.0f}",
        )
    return Miss("", suggestions)


def _named(
    index: RegionIndex, level: int, scopes, key: NameKey, region_type: str | None, any_type: bool
) -> list[str]:
    """The regions carrying the name at `level` inside `scopes`, of `region_type` (or of any
    type). The name as written is tried before the name without its level word, so `Kampung
    Laut` is the kecamatan of that name. Names are compared without spaces (`Sawah Lunto` is
    Sawahlunto); where that makes several regions of one type alike, the one spelled exactly
    so wins (spacing never decides between a Kabupaten and a Kota)."""
    for reading, base in zip(key.readings, key.bases, strict=True):
        if any_type:
            found = {c for s in scopes for c in index.by_base.get((level, s, base), [])}
        else:
            found = {
                c for s in scopes for c in index.by_name.get((level, s, region_type, base), [])
            }
        if len(found) > 1 and len({index.types[c] for c in found}) == 1:
            exact = {c for c in found if _literal(index.names[c], level) == reading}
            if len(exact) == 1:
                return sorted(exact)
        if found:
            return sorted(found)
    return []


def _literal(name: str, level: int) -> str:
    official = name_key_for_level(name, level)
    return official.readings[0] if official else ""


def resolve_name(
    text: str, spec: Spec, parent: str | None, index: RegionIndex, source_id: str = ""
) -> Match | Miss:
    key = name_key_for_level(text, spec.level)
    if key is None:
        return Miss(f"{text!r} holds no region name")
    scopes = index.scopes(parent)
    where = f" inside {index.names[parent]}" if parent else ""
    label = LEVEL_LABELS[spec.level]
    region_type = key.type or (spec.untyped if spec.level == 2 else None)
    any_type = not region_type and spec.level == 2
    codes = _named(index, spec.level, scopes, key, region_type, any_type)
    assumed = region_type if not key.type else None  # the source's reading of a bare name
    if not codes and assumed:
        # No kabupaten of that name: the bare name can only mean the one region that has it
        # (KPU writes DKI's cities bare too: JAKARTA PUSAT is Kota Administrasi Jakarta Pusat).
        others = _named(index, spec.level, scopes, key, None, any_type=True)
        if len(others) == 1:
            return Match(
                others[0],
                "name",
                100.0,
                OFFICIAL_RULE + f"; bare names are {assumed} in this source, but no {assumed} "
                "has this name and only this region does",
            )
    if len(codes) == 1:
        rule = (
            OFFICIAL_RULE
            if key.type or spec.level != 2
            else OFFICIAL_RULE + "; the only region of that name"
        )
        if assumed:
            rule = OFFICIAL_RULE + f"; bare names are {assumed} in this source"
        return Match(codes[0], "name", 100.0, rule)
    alias_keys = [key.typed] + ([f"{assumed} {key.base}"] if assumed else [])
    for alias_scope in (source_id, ""):
        fitting = {
            c: r
            for alias_key in alias_keys
            for c, r in index.aliases.get((spec.level, alias_key, alias_scope), [])
            if _inside(c, scopes)
        }
        if len(fitting) == 1:
            ((code, rule),) = fitting.items()
            return Match(code, "alias", 100.0, rule)
    if len(codes) > 1:
        advice = (
            "write Kabupaten or Kota, or add the province"
            if spec.level <= 2
            else f"give the {LEVEL_LABELS[spec.level - 1]} it is in"
        )
        return Miss(
            f"{text!r} is ambiguous{where}: it could be {_describe(index, codes)}; {advice}",
            _describe(index, codes),
        )
    fuzzy = _fuzzy(key, spec, scopes, index, region_type)
    if isinstance(fuzzy, Match):
        return fuzzy
    reason = f"no {label} named {text!r}{where} in the official Kemendagri list"
    if fuzzy is not None and fuzzy.suggestions:
        return Miss(reason + "; closest: " + fuzzy.suggestions, fuzzy.suggestions)
    return Miss(reason)
