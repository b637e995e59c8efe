"""A source split by province (`provinces` and `{province}` in its location): when one
province's file changes, the night reads, checks, harmonizes and publishes that province
alone; readers see the old rows or the new, never a mix; and the warehouse it leaves is row
for row the one a full rebuild makes; on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from contextlib import ExitStack

import dagster as dg
import pytest
import sqlalchemy as sa

from benchmarks.national import STATIONS_FILE, generate
from odc_pipeline.defs.automation import PROCESS_JOB, PULL_JOB
from odc_pipeline.defs.build import ALL_ASSETS_JOB, build_definitions
from odc_pipeline.registry import load_registry
from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline.warehouse.publish import BY_SOURCE
from odc_pipeline.warehouse.schema import ELECTION_RESULTS_TABLES, SUMMARY_TABLES, dim_region
from odc_pipeline_tests.conftest import make_settings, run_all
from odc_pipeline_tests.scratch import temporary_database

pytestmark = pytest.mark.skipif(
    not STATIONS_FILE.is_file(), reason=f"the 2024 station list is not at {STATIONS_FILE}"
)

PROVINCES = ["31", "65", "75"]
CHANGED = "kawal_tps_presiden_65"
#: What a reader sees of the warehouse: rows and votes per source.
PER_SOURCE = (
    "SELECT source_id, COUNT(*), SUM(votes) FROM fact_election_results "
    "GROUP BY source_id ORDER BY source_id"
)


def _contents(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Every row of every table a source's rows are in, the derived ones too, and the
    regions, without what only says when or in which run it was loaded."""
    tables = [*BY_SOURCE, *SUMMARY_TABLES, *ELECTION_RESULTS_TABLES, dim_region]
    found = {}
    with engine.connect() as connection:
        for table in tables:
            columns = [c for c in table.columns if c.name not in ("run_id", "loaded_at")]
            rows = connection.execute(sa.select(*columns)).all()
            found[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return found


def _reader(url: str) -> sa.Engine:
    """A reader's engine: on SQLite a new connection each time (the file is switched under
    it), on PostgreSQL with its names in the warehouse schema."""
    if url.startswith("sqlite"):
        return sa.create_engine(url, poolclass=sa.pool.NullPool)
    return make_engine(url)


def _watch(engine: sa.Engine, seen: list, stop: threading.Event) -> None:
    """Read the warehouse over and over while a night publishes, a new connection each time."""
    while not stop.is_set():
        try:
            with engine.connect() as connection:
                seen.append(tuple(map(tuple, connection.execute(sa.text(PER_SOURCE)))))
        except sa.exc.OperationalError:  # the file being switched: try again
            continue


@pytest.mark.slow
def _suite_checked(result) -> str:
    """What the results table's Great Expectations suite says it checked in a run."""
    (evaluation,) = (
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "great_expectations_suite"
        and e.asset_key == dg.AssetKey("fact_election_results")
    )
    assert evaluation.passed
    return evaluation.metadata["sources_checked"].value


#: What the publish step says when it patches the live version rather than building anew.
PATCHED = {
    "sqlite": "publish: copying the live file",
    "postgresql": "publish: replacing the changed sources' rows",
}


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_one_provinces_new_file_is_all_a_night_redoes(tmp_path, database, request, monkeypatch):
    if database == "postgresql":
        monkeypatch.setenv("ODC_WAREHOUSE_URL", request.getfixturevalue("postgres_url"))
    registry_path = generate(24_000, seed=5, out=tmp_path / "national", provinces=PROVINCES)
    registry = load_registry(registry_path, check_files=False)
    assert [s.id for s in registry.sources if s.part_of == "kawal_tps_presiden"] == [
        f"kawal_tps_presiden_{p}" for p in PROVINCES
    ]
    settings = make_settings(tmp_path / "nightly", registry_path)
    defs = build_definitions(settings, registry)
    instance = dg.DagsterInstance.ephemeral()
    full = defs.resolve_job_def(ALL_ASSETS_JOB).execute_in_process(instance=instance)
    assert full.success
    assert _suite_checked(full) == "6 of 6"
    engine = _reader(settings.warehouse)
    with engine.connect() as connection:
        before = tuple(map(tuple, connection.execute(sa.text(PER_SOURCE))))

    # Kalimantan Utara's presidential file is sent again with one count corrected.
    changed_file = registry_path.parent / "presiden" / "65.csv"
    lines = changed_file.read_text(encoding="utf-8").splitlines()
    kode, tps, pair, votes = lines[1].split(";")
    lines[1] = ";".join([kode, tps, pair, str(int(votes.replace(".", "")) + 7)])
    changed_file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert defs.resolve_job_def(PULL_JOB).execute_in_process(instance=instance).success
    request = defs.get_sensor_def("process_changed_sources")(
        dg.build_sensor_context(instance=instance, definitions=defs)
    )
    assert isinstance(request, dg.RunRequest), request
    redone = {k.to_user_string() for k in request.asset_selection if k.path[0].startswith("raw_")}
    assert redone == {f"raw_{CHANGED}"}

    seen: list = []
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(engine, seen, stop))
    watcher.start()
    try:
        night = defs.resolve_job_def(PROCESS_JOB).execute_in_process(
            instance=instance, asset_selection=request.asset_selection
        )
    finally:
        stop.set()
        watcher.join()
    assert night.success
    # The changed province's rows went into a copy of the live file (on PostgreSQL, into the
    # live schema): nothing else was copied row by row or indexed again.
    publish_steps = [
        e.message
        for e in instance.all_logs(night.run_id)
        if e.message.startswith("publish: ") and e.step_key == "publish_warehouse"
    ]
    assert PATCHED[database] in publish_steps
    assert "publish: indexing" not in publish_steps
    # The quality suite read the changed province's rows, not the country's again.
    assert _suite_checked(night).startswith("1 of 6: those this run published")
    with engine.connect() as connection:
        after = tuple(map(tuple, connection.execute(sa.text(PER_SOURCE))))
    assert after != before and len(seen) > 1
    assert set(seen) <= {before, after}  # never a mix of the two nights
    differs = [b[0] for b, a in zip(before, after, strict=True) if b != a]
    assert differs == [CHANGED]
    assert (
        dict((s, v) for s, _, v in after)[CHANGED]
        == dict((s, v) for s, _, v in before)[CHANGED] + 7
    )

    # Only the changed province was read again; every other part kept its one read.
    reads = {
        s.id: len(instance.fetch_materializations(dg.AssetKey(f"raw_{s.id}"), limit=5).records)
        for s in registry.sources
    }
    assert reads == {s.id: 2 if s.id == CHANGED else 1 for s in registry.sources}

    # A full rebuild from the same files, into a warehouse of its own, publishes the same rows.
    with ExitStack() as stack:
        if database == "postgresql":
            fresh_url = stack.enter_context(temporary_database(prefix="odc_test"))
            monkeypatch.setenv("ODC_WAREHOUSE_URL", fresh_url)
        rebuilt = make_settings(tmp_path / "rebuilt", registry_path)
        assert run_all(rebuilt, registry).success
        fresh = _reader(rebuilt.warehouse)
        assert _contents(engine) == _contents(fresh)
        fresh.dispose()
    engine.dispose()
