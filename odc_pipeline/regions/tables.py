"""The region tables stewards and maintainers keep as data under `data/reference/`.

- `region_aliases.csv`: names the official list does not know (`DKI`, `Jogja`, `Sulsel`,
  renamed regencies, a steward's decision for one source). Columns: alias, level,
  region_code, source_id (empty: every source), note.
- `historic_codes.csv`: codes that changed, e.g. by the 2022 Papua splits. Columns: old_code,
  new_code, level, old_name, new_name, rule.
- `bps_kemendagri.csv`: BPS statistical codes and the Kemendagri code of the same region.
  Columns: bps_code, kemendagri_code, level, bps_name, kemendagri_name, rule.

`SOURCES.md` beside them cites where each table comes from. Every table is checked when
loaded: a decision that names a code missing from the official list is refused, with the
file and line, rather than producing wrong matches at night.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from odc_pipeline.regions.reference import LEVEL_NAMES

ALIASES_FILE = "region_aliases.csv"
HISTORIC_FILE = "historic_codes.csv"
BPS_FILE = "bps_kemendagri.csv"

ALIAS_COLUMNS = ["alias", "level", "region_code", "source_id", "note"]
HISTORIC_COLUMNS = ["old_code", "new_code", "level", "old_name", "new_name", "rule"]
BPS_COLUMNS = ["bps_code", "kemendagri_code", "level", "bps_name", "kemendagri_name", "rule"]
_LEVEL_BY_NAME = {name: depth for depth, name in LEVEL_NAMES.items()}


class ReferenceTableError(ValueError):
    """A file under data/reference/ cannot be used; the message names file, line and field."""


@dataclass(frozen=True)
class RegionTables:
    """Everything the harmonizer matches against."""

    reference: pd.DataFrame
    aliases: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ALIAS_COLUMNS))
    historic: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HISTORIC_COLUMNS))
    bps: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=BPS_COLUMNS))
    #: Look-up indexes built from these tables, by deepest level; see regions.index.
    indexes: dict = field(default_factory=dict, compare=False, repr=False)


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=columns)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReferenceTableError(f"{path}: missing columns {missing}; expected {columns}")
    frame = frame[columns].map(lambda v: v.strip() if isinstance(v, str) else v)
    frame["level"] = frame["level"].map(lambda v: _LEVEL_BY_NAME.get(v, v))
    bad_level = frame.index[~frame["level"].isin(list(_LEVEL_BY_NAME.values()))]
    if len(bad_level):
        line = int(bad_level[0]) + 2
        raise ReferenceTableError(
            f"{path}, line {line}: level {frame.at[bad_level[0], 'level']!r} is not one of {list(_LEVEL_BY_NAME)}"
        )
    frame["level"] = frame["level"].astype(int)
    return frame


def _check_codes(path: Path, frame: pd.DataFrame, column: str, known: dict[str, int]) -> None:
    for index, code, level in zip(
        frame.index, frame[column].tolist(), frame["level"].tolist(), strict=True
    ):
        if known.get(code) != level:
            found = (
                "not in the official list" if code not in known else f"a level-{known[code]} code"
            )
            raise ReferenceTableError(
                f"{path}, line {int(index) + 2}: {column} {code!r} is {found}; expected a current "
                f"{LEVEL_NAMES[level]} code of Kepmendagri 300.2.2-2138/2025"
            )


def load_region_tables(reference: pd.DataFrame, folder: Path) -> RegionTables:
    """Read and check the alias, historic and BPS tables in `folder` against `reference`."""
    aliases = _read(folder / ALIASES_FILE, ALIAS_COLUMNS)
    historic = _read(folder / HISTORIC_FILE, HISTORIC_COLUMNS)
    bps = _read(folder / BPS_FILE, BPS_COLUMNS)
    # Code -> level of every official region, built once for the three checks.
    known = dict(
        zip(reference["region_code"].tolist(), reference["level"].astype(int).tolist(), strict=True)
    )
    _check_codes(folder / ALIASES_FILE, aliases, "region_code", known)
    _check_codes(folder / HISTORIC_FILE, historic, "new_code", known)
    _check_codes(folder / BPS_FILE, bps, "kemendagri_code", known)
    return RegionTables(reference=reference, aliases=aliases, historic=historic, bps=bps)


def _fingerprint(reference: pd.DataFrame, folder: Path) -> tuple:
    """What the tables depend on: the reference's content and the files' size and mtime."""
    files = []
    for name in (ALIASES_FILE, HISTORIC_FILE, BPS_FILE):
        path = folder / name
        stat = path.stat() if path.exists() else None
        files.append(
            (str(path), stat.st_size if stat else None, stat.st_mtime_ns if stat else None)
        )
    return (len(reference), _content_digest(reference), tuple(files))


def _content_digest(reference: pd.DataFrame) -> str:
    """A digest of the frame's columns, types and values, taken over its Arrow IPC bytes
    (cheaper than hashing every cell with pandas, and paid by every harmonize step). Equal bytes mean equal content; a frame laid out otherwise
    (other chunks) would only miss the cache, never hit a wrong entry."""
    table = pa.Table.from_pandas(reference, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.blake2b(sink.getvalue()).hexdigest()


_CACHE: dict[tuple, RegionTables] = {}


def cached_region_tables(reference: pd.DataFrame, folder: Path) -> RegionTables:
    """`load_region_tables`, kept for the life of the process while its inputs are unchanged.

    Every source of a run harmonizes against the same tables; reading, checking and indexing
    them once instead of once per source is most of the harmonize stage's cost saved. An edited
    alias file (a steward's review decision) changes the fingerprint and is read anew.
    """
    key = _fingerprint(reference, folder)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = load_region_tables(reference, folder)
    return _CACHE[key]
