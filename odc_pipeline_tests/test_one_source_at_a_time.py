"""The publish holds one source's rows at a time: once a source is loaded, nothing of its
frames stays in memory, so the step's memory is set by the largest source, not the night."""

from __future__ import annotations

import gc
import weakref

import pandas as pd
import pytest

from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline.warehouse.publish import publish
from odc_pipeline_tests.publish_worker import batch, catalog

SOURCES = ["results_a", "results_b", "results_c"]


class Cell(str):
    """A text cell whose life a test can watch (a plain str cannot be weakly referenced)."""


def _watched_batches(alive_at_each_source: list[int]):
    """The sources' batches, each with its `candidate` cells watched (kept as the objects
    they are: an object column, as the steps' frames have); before each source is handed
    over, how many cells of the sources before it are still alive, and of its own."""
    watched: list[weakref.ref] = []
    for n, source_id in enumerate(SOURCES):
        gc.collect()
        alive_at_each_source.append(sum(ref() is not None for ref in watched))
        made = batch(300, seed=n, source_id=source_id)
        cells = [Cell(value) for value in made.facts["candidate"]]
        made.facts["candidate"] = pd.Series(cells, dtype=object)
        watched += [weakref.ref(cell) for cell in cells]
        del cells
        gc.collect()
        alive_at_each_source.append(sum(ref() is not None for ref in watched))
        yield made
        del made  # as the step's own generator, which holds no name for what it handed over
    gc.collect()
    alive_at_each_source.append(sum(ref() is not None for ref in watched))


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_loaded_sources_rows_are_let_go_before_the_next(database, tmp_path, request):
    url = (
        f"sqlite:///{tmp_path / 'odc.sqlite'}"
        if database == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = make_engine(url)
    alive: list[int] = []
    summary = publish(engine, None, _watched_batches(alive), "run-1", catalog(SOURCES))
    # Before each source and after the last, none of the sources before it is held; while a
    # source is handed over, its own 300 cells are.
    assert alive == [0, 300, 0, 300, 0, 300, 0]
    assert [row["rows_published"] for row in summary.per_source] == [300, 300, 300]
    with engine.connect() as connection:
        published = connection.exec_driver_sql(
            "SELECT source_id, COUNT(*) FROM fact_election_results GROUP BY 1 ORDER BY 1"
        ).all()
    assert [tuple(row) for row in published] == [(s, 300) for s in SOURCES]
