"""Produce the next item of an iterator in a worker thread while the caller uses this one.

The publisher's batches are read from Parquet and prepared in Python and pandas, then loaded
by the database, which waits on a socket (PostgreSQL's COPY) or runs in C (SQLite's ADBC
ingest), outside the GIL. Preparing the next batch while one is loaded keeps both cores
busy; only two items are ever held at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def ahead(items: Iterable[T]) -> Iterator[T]:
    """The items of `items` in order, each next one produced while the caller holds this one.
    An error raised producing an item is raised here, where that item would have come."""
    iterator = iter(items)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ahead") as pool:
        pending = pool.submit(next, iterator, _DONE)
        while (item := pending.result()) is not _DONE:
            pending = pool.submit(next, iterator, _DONE)
            yield item
