"""What a person reads when something goes wrong: a failed step says what failed underneath
(not "Error occurred while executing op") and where the rest is; and no message grows with
the file it quotes (a 200 MB line once made a 65 KB message)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from odc_pipeline.cli import main
from odc_pipeline.quoting import capped, changes_in_words, counted, quoted, with_value_quoted
from odc_pipeline.reading import read_source
from odc_pipeline.registry import load_registry
from odc_pipeline.releases.store import ReleaseStore
from odc_pipeline.run import TERMINAL_LIMIT, run_pipeline
from odc_pipeline.validation.reasons import reason_for
from odc_pipeline.validation.validate import validate_source
from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline.warehouse.views import VIEWS
from odc_pipeline_tests.conftest import (
    DEMO_REGISTRY,
    demo_registry_document,
    isolated_environment,
    write_registry,
)

SOURCE = "jsn_pilpres2024_kabkota"
HEADER = "kode_wilayah,nama_wilayah,paslon,suara,suara_sah,suara_tidak_sah\n"
GOOD_ROW = "32.01,Kabupaten Bogor,01,1002642,3412000,96592\n"
#: What "short" means for a message here: a few KB, whatever the file holds.
FEW_KB = 4_000


def _flat(text: str) -> str:
    """The terminal's text with rich's line wrapping undone."""
    return " ".join(text.split())


def _use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, registry: Path | None = None) -> Path:
    """This process writes only under `tmp_path` (its Dagster home kept, as `make run`'s),
    into the SQLite warehouse; the warehouse folder."""
    env = isolated_environment(tmp_path)
    (Path(env["DAGSTER_HOME"]) / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    for name in ("DAGSTER_HOME", "ODC_STORAGE_DIR", "ODC_WAREHOUSE_DIR", "ODC_SNAPSHOT_DIR"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.delenv("ODC_WAREHOUSE_URL", raising=False)
    if registry is not None:
        monkeypatch.setenv("ODC_SOURCES", str(registry))
    return Path(env["ODC_WAREHOUSE_DIR"])


@contextmanager
def _full_disk(warehouse: Path) -> Iterator[None]:
    """Every SQLite file under `warehouse` can grow to 8 pages only: writing more fails
    inside SQLite itself with "database or disk is full", as on a full disk. Dagster's own
    SQLite files (elsewhere) are left alone."""

    def small(dbapi_connection, _record) -> None:
        (_, _, path), *_ = dbapi_connection.execute("pragma database_list").fetchall()
        if path.startswith(str(warehouse)):
            dbapi_connection.execute("pragma max_page_count = 8")

    sa.event.listen(sa.engine.Engine, "connect", small)
    try:
        yield
    finally:
        sa.event.remove(sa.engine.Engine, "connect", small)


def _run_make(capsys) -> tuple[int, str]:
    code = run_pipeline([SOURCE])
    return code, capsys.readouterr().out


def _run_odc(_capsys) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", "--source", SOURCE])
    return result.exit_code, result.output


@pytest.mark.parametrize("entry_point", [_run_make, _run_odc], ids=["make run", "odc run"])
def test_a_step_that_fails_underneath_says_why_and_where_the_rest_is(
    entry_point, tmp_path, monkeypatch, capsys
):
    warehouse = _use(monkeypatch, tmp_path)
    with _full_disk(warehouse):
        code, out = entry_point(capsys)
    text = _flat(out)
    assert code == 1, out[-3000:]
    assert f"publish_warehouse failed: the disk of the warehouse folder {warehouse} is full" in text
    assert "nothing was published and the previous version stays live" in text
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        (run,) = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
    assert f"full error and traceback: Dagster UI (make ui) → Runs → {run.run_id}" in text
    assert "Error occurred while executing op" not in text
    assert "Traceback" not in out and "[SQL:" not in out
    # Nothing was ever published, so there is no summary; its cause is said, not thrown.
    assert "No summary: the warehouse cannot be read" in text


def test_quoted_values_are_cut_and_say_how_long_they_were():
    line = "x" * 20_000_000
    assert quoted(line) == "'" + "x" * 80 + "…' (20,000,000 characters)"
    assert quoted("Kabupaten Bogor") == "'Kabupaten Bogor'"
    assert quoted(12) == "12"
    assert capped("short") == "short"
    assert capped("y" * 5_000, 100) == "y" * 100 + "… (5,000 characters)"
    message = f"votes: {line[:100_000]!r} is not a whole number such as 1234567"
    assert with_value_quoted(message, line[:100_000]) == (
        "votes: '" + "x" * 80 + "…' (100,000 characters) is not a whole number such as 1234567"
    )


def test_a_reason_quotes_a_huge_cell_short_and_the_row_keeps_it_whole(tmp_path):
    entry = next(e for e in load_registry(DEMO_REGISTRY).sources if e.id == SOURCE)
    # Cells this long are allowed here, so the reason is the one about the value itself.
    entry = entry.model_copy(
        update={"read": entry.read.model_copy(update={"max_cell_chars": 10**6})}
    )
    cell = "x" * 100_000
    path = tmp_path / "huge_cell.csv"
    path.write_text(HEADER + f"32.01,Kabupaten Bogor,01,{cell},3412000,96592\n" + GOOD_ROW)
    frame = read_source(path, "csv", entry.read, list(entry.columns))
    quarantine = validate_source(frame, entry).quarantine
    (reason,) = quarantine.loc[quarantine["column_name"] == "votes", "reason"]
    assert len(reason) < 300, reason[:300]
    assert "'" + "x" * 80 + "…' (100,000 characters) is not a whole number" in reason
    (row_data,) = quarantine.loc[quarantine["column_name"] == "votes", "row_data"]
    assert cell in row_data  # the row itself is kept whole, to be recovered
    totals = reason_for("totals_row", "region", "JUMLAH " * 10_000, {})
    assert "(70,000 characters)" in totals and len(totals) < 300


def _one_line_registry(folder: Path, line: str) -> Path:
    """The demo's JSN source alone, its file one line with no line break."""
    document = demo_registry_document()
    document["sources"] = [e for e in document["sources"] if e["id"] == SOURCE]
    registry = write_registry(folder, document)
    (folder / "demo" / f"{SOURCE}.csv").write_text(line, encoding="utf-8")
    return registry


#: One line of 20 million characters (beyond a CSV field's limit), and one of 100,000 (read
#: as the file's only row).
LINES = {"20 MB": 20_000_000, "100 KB": 100_000}


@pytest.mark.parametrize("size", LINES.values(), ids=LINES.keys())
def test_a_file_of_one_huge_line_prints_short_lines(size, tmp_path, monkeypatch, capsys):
    _use(monkeypatch, tmp_path, _one_line_registry(tmp_path / "registry", "x" * size))
    code = run_pipeline()
    out = capsys.readouterr().out
    assert code == 1  # the source is held back
    assert "jsn_pilpres2024_kabkota was held back" in _flat(out)
    assert len(out) < 10 * FEW_KB, out[:3000]
    longest = max(out.splitlines(), key=len)
    assert len(longest) < TERMINAL_LIMIT + 200, longest[:300]


def test_a_file_of_one_huge_line_logs_and_records_short_messages(tmp_path, monkeypatch, capsys):
    warehouse = _use(
        monkeypatch, tmp_path, _one_line_registry(tmp_path / "registry", "x" * 100_000)
    )
    run_pipeline()
    capsys.readouterr()
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        messages = [
            record.user_message
            for run in instance.get_runs()
            for record in instance.all_logs(run.run_id)
        ]
    engine = make_engine(f"sqlite:///{warehouse / 'odc.sqlite'}")
    try:
        with engine.connect() as connection:
            (audit,) = connection.execute(sa.text("select message from load_audit")).scalars()
    finally:
        engine.dispose()
    assert "no header row found" in audit
    assert len(audit) < FEW_KB, audit[:300]
    longest = max(messages, key=len)
    assert len(longest) < FEW_KB, longest[:300]


def test_a_release_out_of_memory_says_where_and_the_setting_that_lets_it_through(
    tmp_path, monkeypatch, capsys
):
    warehouse = _use(monkeypatch, tmp_path)
    # Less than DuckDB needs to group or join anything, even when spilling. Which query
    # fails first depends on DuckDB's buffers, so either is what the steward may read.
    monkeypatch.setenv("ODC_RELEASE_MEMORY", "1MB")
    code, out = _run_make(capsys)
    text = _flat(out)
    assert code == 1, out[-3000:]
    said = re.search(
        r"release failed: (listing the provinces the public release has results in|the analyst "
        r"view (\w+) of the public release) needed more memory than a release may use "
        r"\(ODC_RELEASE_MEMORY, now 1MB\): no new release was made, the warehouse is published "
        r"and the release before stays the latest\. Set ODC_RELEASE_MEMORY higher \(such as "
        r"2GB, within the server's free memory\) and materialize the release asset again",
        text,
    )
    assert said is not None, text[-3000:]
    assert said[2] is None or said[2] in VIEWS
    assert "Traceback" not in out and "OutOfMemory" not in out and "duckdb.org" not in out
    releases = ReleaseStore(warehouse / "releases")
    assert releases.release_ids() == []
    # The warehouse was published before the release ran.
    engine = make_engine(f"sqlite:///{warehouse / 'odc.sqlite'}")
    with engine.connect() as connection:
        published = connection.execute(
            sa.text("SELECT rows_published FROM load_audit WHERE source_id = :s"), {"s": SOURCE}
        ).scalar_one()
    engine.dispose()
    assert published > 0
    # With the memory the message asks for, the next run makes the release.
    monkeypatch.setenv("ODC_RELEASE_MEMORY", "2GB")
    code, out = _run_make(capsys)
    assert code == 0, out[-3000:]
    assert len(releases.release_ids()) == 1


def test_counts_in_messages_agree_with_their_number():
    assert [counted(n, "row") for n in (0, 1, 2, 12_345)] == [
        "0 rows",
        "1 row",
        "2 rows",
        "12,345 rows",
    ]
    assert counted(1, "alias", "aliases") == "1 alias"
    assert counted(3, "alias", "aliases") == "3 aliases"
    assert changes_in_words({"added": 1, "removed": 0, "changed": 2}) == (
        "1 row added, 0 removed, 2 changed"
    )
