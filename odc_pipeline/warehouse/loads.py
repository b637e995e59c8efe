"""The load key of fact rows: which file a row was read from, and which run published it.

A fact row carries a `load_id` instead of the file's 64-character hash and the run's id; the
two are written once per file in `dim_load`. The key is the source and the file's hash
hashed, so the same file of the same source has the same key in every run and every release
(a release leaves the run out, and unchanged rows stay the same bytes), and no publish needs
to ask the version before it which keys are taken.

A key has at most 15 digits. A spreadsheet keeps 15 significant digits of a number, and a
browser's JavaScript every whole number below 2**53: an analyst who opens the open data's
CSV, or reads the web table's JSON (`odc serve`) in a browser, gets each row's key exactly,
where a longer one would come back rounded, no longer the warehouse's key, and two files'
keys could round alike. Among ten thousand files, two sharing a 49-bit key is about as
likely as one in ten million; `dim_load`'s key refuses the second if it happens, and the
publish fails whole. Keys were 19 digits before: a warehouse keeps a file's old key until
its source is loaded again (a patch replaces a source's rows and loads whole).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

HASH_COLUMN = "file_hash"
#: 2**49 - 1 = 562,949,953,421,311: every key has at most 15 digits.
KEY_BITS = 49


def load_key(source_id: str, file_hash: str) -> int:
    """A key of at most 15 digits for one source's file."""
    digest = hashlib.sha256(f"{source_id}\x00{file_hash}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - KEY_BITS)


def keyed_by_load(
    facts: pd.DataFrame, source_id: str, run_id: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`facts` with its `file_hash` column replaced by `load_id`, and `dim_load`'s rows for
    the files they came from, loaded by `run_id`.

    The hash column is categorical for a large source (see `reading`), so each distinct
    hash is keyed once and the rows take their category's key."""
    hashes = facts[HASH_COLUMN].astype("category")
    files = [str(h) for h in hashes.cat.categories]
    keys = np.array([load_key(source_id, h) for h in files], dtype=np.int64)
    codes = hashes.cat.codes.to_numpy()
    if len(codes) and codes.min() < 0:
        raise ValueError(f"rows of {source_id} without the hash of the file they came from")
    keyed = facts.drop(columns=[HASH_COLUMN]).assign(load_id=keys[codes])
    loads = pd.DataFrame(
        {"load_id": keys, "source_id": source_id, "file_hash": files, "run_id": run_id}
    )
    return keyed, loads
