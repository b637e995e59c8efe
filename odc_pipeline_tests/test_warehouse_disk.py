"""A night whose disk cannot hold a second copy of the live SQLite warehouse is refused
before anything is written, in the steward's words, and the live version stays as it was.

The disk is real: a small tmpfs mounted for the test (mounting needs root, as on the
project's machine and its CI), filled with a ballast file to leave less room than the live
version takes."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from odc_pipeline.warehouse.publish_sqlite import WarehouseDiskFull
from odc_pipeline_tests.publish_worker import batch
from odc_pipeline_tests.test_patched_publish import _night

SOURCES = ["results_0", "results_1"]
ROWS = 3_000


@contextmanager
def _small_disk(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "odc-test-disk", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"a small disk cannot be mounted here (needs root): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)


def _fill_leaving(folder: Path, room: int) -> Path:
    """A ballast file that leaves `room` bytes free on `folder`'s disk."""
    ballast = folder / "ballast"
    left = shutil.disk_usage(folder).free - room
    with ballast.open("wb") as out:
        while left > 0:
            written = out.write(b"\0" * min(left, 2**20))
            left -= written
    return ballast


def _runs(live: Path) -> list[str]:
    with closing(sqlite3.connect(f"file:{live}?mode=ro", uri=True)) as connection:
        rows = connection.execute("SELECT DISTINCT run_id FROM load_audit ORDER BY run_id")
        return [run for (run,) in rows]


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name != "ballast")


def test_a_night_without_room_for_a_second_version_is_refused_before_writing(tmp_path):
    with _small_disk(tmp_path / "disk", "256m") as disk:
        live = disk / "odc.sqlite"
        _night(
            live,
            "run_one",
            [batch(ROWS, seed=n, source_id=s) for n, s in enumerate(SOURCES)],
            SOURCES,
        )
        taken = live.stat().st_size + sum(f.stat().st_size for f in (disk / "shared").iterdir())
        before = _files(disk)
        ballast = _fill_leaving(disk, taken // 2)
        free = shutil.disk_usage(disk).free

        changed = [batch(ROWS, seed=99, source_id=SOURCES[1])]
        with pytest.raises(WarehouseDiskFull) as refused:
            _night(live, "run_two", changed, SOURCES)
        message = str(refused.value)
        assert message.startswith(
            f"the disk of the warehouse folder {disk} has {free / 2**20:,.0f} MiB free, and a "
            f"new version needs about as much as the live one, which takes "
            f"{taken / 2**20:,.0f} MiB"
        ), message
        assert "nothing was published and the previous version stays live" in message
        assert "ODC_WAREHOUSE_DIR" in message and "Traceback" not in message
        # Nothing was written, and nothing is left behind: the live version is the first night's.
        assert shutil.disk_usage(disk).free == free
        assert _files(disk) == before
        assert _runs(live) == ["run_one"]

        ballast.unlink()  # with room again, the same night goes through
        _night(live, "run_two", changed, SOURCES)
        assert _runs(live) == ["run_one", "run_two"]
