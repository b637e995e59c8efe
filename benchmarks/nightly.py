"""A night with new files against a night with nothing new, and against one province's.

    python -m benchmarks nightly [--rows N]
    python -m benchmarks nightly --national --rows N [--province 31] [--recount 31] [--dprd]
                                 [--candidates] [--postgres]

Three sources (CSV, village-level results, N rows in all) are pulled, read, validated,
harmonized and published once (the full night). Then a second night pulls them again, finds
the same bytes, and the sensor asks for nothing (the unchanged night). Both are timed in the
same run, with the same Dagster instance, and the ratio is reported (target: under 10%).

`--national` takes the national polling-station workload instead (`benchmarks national`,
every province, split by province in the registry): `odc run` makes the full night, then one
province's presidential file is sent again with one count changed, and `odc run --source`
of that province is timed against the full night (target: at most 10%). Each runs in a
process of its own; the peak memory (PSS of its process tree) is measured too (target: at
most 1.5 GiB). `--recount` adds a third organisation's count of those provinces, so that the
discrepancy view of the kept warehouse has rows to find; `--dprd` adds the DPRD provinsi
votes, a third contest, so that the workload goes past the two contests' 17.2 million rows
(up to 31.9 million), and `--candidates` the DPRD kabupaten/kota candidates' votes, so that
it goes past 100 million (up to about 142 million). `--postgres` publishes both nights into
a throw-away PostgreSQL database instead, and then times the analysts' questions on it
(`benchmarks queries`), each against its target of 2 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import sqlalchemy as sa
import yaml

from benchmarks.memory import run_measured
from benchmarks.national import contests
from benchmarks.pipeline import GIB, new_dagster_home, step_windows
from benchmarks.queries import defaults_sentence, settings_sentence
from benchmarks.queries import measure as measure_questions
from benchmarks.results import save, target_rows
from odc_pipeline.defs.automation import PULL_JOB
from odc_pipeline.defs.build import ALL_ASSETS_JOB, build_definitions
from odc_pipeline.regions import load_reference
from odc_pipeline.registry import load_registry
from odc_pipeline.settings import PROJECT_ROOT, ROLE_PREFIX_VARIABLE, WAREHOUSE_URL_VARIABLE
from odc_pipeline.warehouse.engine import CORE_SCHEMA
from odc_pipeline_tests.scratch import (
    POSTGRES_ADMIN_URL,
    drop_roles,
    scratch_environment,
    scratch_settings,
    temporary_database,
)

ORGANIZATIONS = ("alpha", "beta", "gamma")
#: Issue 36's targets for the national night: the changed province's night over the full one,
#: and the peak resident memory of either.
CHANGED_OVER_FULL_TARGET = 0.10
PEAK_TARGET_GIB = 1.5


def write_sources(folder: Path, rows: int, seed: int = 5) -> Path:
    """Three CSV files of village results and the registry that describes them."""
    reference = load_reference()
    villages = reference.loc[reference["level"] == 4, "region_code"].to_numpy()
    rng = np.random.default_rng(seed)
    sources = []
    for organization in ORGANIZATIONS:
        n = rows // len(ORGANIZATIONS)
        frame = pd.DataFrame(
            {
                "kode_wilayah": villages[rng.integers(0, len(villages), size=n)],
                "paslon": np.tile(np.array(["01", "02", "03"]), n // 3 + 1)[:n],
                "suara": rng.integers(0, 300, size=n),
            }
        ).drop_duplicates(["kode_wilayah", "paslon"])
        frame.to_csv(folder / f"{organization}.csv", index=False)
        sources.append(
            {
                "id": f"{organization}_hasil",
                "organization": organization,
                "kind": "election_results",
                "format": "csv",
                "location": f"{organization}.csv",
                "columns": {"kode_wilayah": "region", "paslon": "candidate", "suara": "votes"},
                "constants": {"election": "pemilu", "year": 2024, "contest": "presiden"},
                "regions": [{"column": "region", "level": "desa", "system": "kemendagri"}],
                "licence": "CC-BY-4.0",
                "sharing": "public",
            }
        )
    registry = folder / "sources.yaml"
    registry.write_text(
        yaml.safe_dump(
            {"organizations": {o: {"name": o.title()} for o in ORGANIZATIONS}, "sources": sources}
        ),
        encoding="utf-8",
    )
    return registry


def run(rows: int) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        registry_path = write_sources(folder, rows)
        settings = scratch_settings(folder, registry_path)
        defs = build_definitions(settings, load_registry(registry_path))
        instance = dg.DagsterInstance.ephemeral()
        start = time.perf_counter()
        full = defs.resolve_job_def(ALL_ASSETS_JOB).execute_in_process(instance=instance)
        full_seconds = time.perf_counter() - start
        start = time.perf_counter()
        pulled = defs.resolve_job_def(PULL_JOB).execute_in_process(instance=instance)
        decision = defs.get_sensor_def("process_changed_sources")(
            dg.build_sensor_context(instance=instance, definitions=defs)
        )
        unchanged_seconds = time.perf_counter() - start
        assert full.success and pulled.success and isinstance(decision, dg.SkipReason)
    result = {
        "rows": rows,
        "full_night_seconds": round(full_seconds, 2),
        "unchanged_night_seconds": round(unchanged_seconds, 2),
        "unchanged_over_full": round(unchanged_seconds / full_seconds, 3),
    }
    markdown = "\n".join(
        [
            "# Nightly runs: new files against nothing new",
            "",
            "| rows | full night s | unchanged night s | unchanged / full |",
            "|---:|---:|---:|---:|",
            f"| {rows:,} | {result['full_night_seconds']} | {result['unchanged_night_seconds']} "
            f"| **{result['unchanged_over_full']:.1%}** |",
        ]
    )
    save("nightly", result, markdown)
    print(markdown)
    return result


def _change_one_count(csv_file: Path) -> None:
    """The province's file sent again with its first count raised by 7 (`;`-separated,
    Indonesian thousands)."""
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    kode, tps, pair, votes = lines[1].split(";")
    lines[1] = ";".join([kode, tps, pair, str(int(votes.replace(".", "")) + 7)])
    csv_file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def odc_run(env: dict[str, str], *sources: str) -> dict:
    """`odc run` (every source, or the named ones) in a process of its own, measured; and
    the run's slowest steps and the sources it read, from its event log."""
    command = [str(Path(sys.executable).parent / "odc"), "run"]
    for source in sources:
        command += ["--source", source]
    night = run_measured(command, PROJECT_ROOT, env)
    if night["returncode"] != 0:
        raise RuntimeError(f"odc run failed:\n{night['output'][-4000:]}")
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        run = instance.get_runs(limit=1)[0]
        windows = step_windows(instance, run.run_id)
    slowest = sorted(((end - begin, step) for step, begin, end in windows), reverse=True)[:5]
    heaviest = sorted(
        ((night["memory"].peak_between(begin, end), step) for step, begin, end in windows),
        reverse=True,
    )[:5]
    return {
        "seconds": round(night["seconds"], 1),
        "peak_pss_gib": round(night["peak_pss_bytes"] / GIB, 2),
        "slowest_steps": {step: round(seconds, 1) for seconds, step in slowest},
        "peak_pss_gib_during": {step: round(b / GIB, 2) for b, step in heaviest},
        "sources_read": sorted(
            step.removeprefix("raw_") for step, _, _ in windows if step.startswith("raw_")
        ),
    }


#: The SQLite warehouse's files: the complete file and each audience's, in every version kept.
SQLITE_FILES = (".sqlite", ".sqlite-wal", ".sqlite-shm")


def _steps(night: dict) -> str:
    return ", ".join(f"{step} {seconds} s" for step, seconds in night["slowest_steps"].items())


def _folder_bytes(folder: Path) -> tuple[int, int]:
    """Bytes of the SQLite files under `folder`, and of the other files (symbolic links not
    followed: the open data's current version is counted once, where it lies)."""
    sqlite = other = 0
    for f in folder.rglob("*"):
        if f.is_file() and not f.is_symlink():
            if f.name.endswith(SQLITE_FILES):
                sqlite += f.lstat().st_size
            else:
                other += f.lstat().st_size
    return sqlite, other


def warehouse_size(warehouse_dir: Path, url: str | None) -> dict[str, int]:
    """What the night left on disk, in bytes: the database (PostgreSQL's own count of its
    files, indexes included, or the SQLite files) and the rest of the warehouse folder
    (releases, open data, reports, quality)."""
    database, files = _folder_bytes(warehouse_dir)
    if url:
        files += database  # any SQLite file beside a PostgreSQL warehouse is the folder's
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            database = connection.execute(
                sa.text("SELECT pg_database_size(current_database())")
            ).scalar_one()
        engine.dispose()
    return {"database_bytes": int(database), "folder_bytes": files}


@contextmanager
def _warehouse(postgres: bool) -> Iterator[tuple[str | None, str | None]]:
    """(None, None) for the embedded SQLite warehouse; else a throw-away PostgreSQL
    database's URL and a reader-role prefix of its own, both dropped at the end."""
    if not postgres:
        yield None, None
        return
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    try:
        with temporary_database(POSTGRES_ADMIN_URL, prefix="odc_national") as url:
            yield url, prefix
    finally:
        drop_roles(prefix, POSTGRES_ADMIN_URL)


@contextmanager
def _folder(keep: Path | None) -> Iterator[Path]:
    """`keep` (made empty first), left as it is at the end; else a temporary folder."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="odc-national-night-") as scratch:
            yield Path(scratch)
        return
    shutil.rmtree(keep, ignore_errors=True)
    keep.mkdir(parents=True)
    yield keep


def run_national(
    rows: int,
    province: str,
    seed: int = 7,
    provinces: list[str] | None = None,
    keep: Path | None = None,
    recount: list[str] | None = None,
    postgres: bool = False,
    dprd: bool = False,
    candidates: bool = False,
    full_only: bool = False,
) -> dict:
    """The full national night (`odc run`), then the night after one province's file
    changed (`odc run --source` of that province), each in a process of its own; with
    `postgres`, into a throw-away PostgreSQL database, whose analysts' questions are then
    timed (`benchmarks queries`). `full_only` skips the changed night, for a size whose
    full night alone is asked for (the 100-million-row night)."""
    with _folder(keep) as folder, _warehouse(postgres) as (url, prefix):
        registry_path = folder / "national" / "sources.yaml"
        subprocess.run(
            [sys.executable, "-m", "benchmarks", "national", "--rows", str(rows), "--seed",
             str(seed), "--out", str(registry_path.parent),
             *(["--provinces", ",".join(provinces)] if provinces else []),
             *(["--recount", ",".join(recount)] if recount else []),
             *(["--dprd"] if dprd else []), *(["--candidates"] if candidates else [])],
            check=True,
            capture_output=True,
        )  # fmt: skip
        registry = load_registry(registry_path, check_files=False)
        env = scratch_environment(folder / "run", registry_path)
        if url:
            env.update({WAREHOUSE_URL_VARIABLE: url, ROLE_PREFIX_VARIABLE: prefix})
        new_dagster_home(env)
        full = odc_run(env)
        full["size"] = warehouse_size(folder / "run" / "warehouse", url)
        # Shown now: a changed night that fails (a disk too small for it) leaves these.
        shown = {k: full[k] for k in ("seconds", "peak_pss_gib", "peak_pss_gib_during", "size")}
        print(f"full night: {json.dumps(shown | {'slowest': full['slowest_steps']})}", flush=True)
        changed = None
        if not full_only:
            _change_one_count(registry_path.parent / "presiden" / f"{province}.csv")
            changed = odc_run(env, f"kawal_tps_presiden_{province}")
        if url:
            engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={CORE_SCHEMA}"})
            asked = measure_questions(engine, 2024, repeat=2)
            engine.dispose()
    nights = [full, *([changed] if changed else [])]
    peak = max(night["peak_pss_gib"] for night in nights)
    targets = {}
    if changed:
        ratio = changed["seconds"] / full["seconds"]
        targets["changed night at most 10% of the full night"] = {
            "measured": round(ratio, 3),
            "met": ratio <= CHANGED_OVER_FULL_TARGET,
        }
    targets[f"peak memory at most {PEAK_TARGET_GIB} GiB"] = {
        "measured": peak,
        "met": peak <= PEAK_TARGET_GIB,
    }
    result = {
        "rows": rows,
        "sources": len(registry.sources),
        "changed_province": province,
        "contests": [contest.folder for contest in contests(dprd, candidates)],
        "full_night": full,
        "changed_night": changed,
        **({"warehouse": "postgresql", "questions": asked} if url else {}),
        "targets": targets,
    }
    size = full["size"]
    if changed:
        changed_cells = (
            f"{changed['seconds']} s (province {province}) | **{ratio:.1%}** "
            f"({'met' if ratio <= CHANGED_OVER_FULL_TARGET else 'not met'})"
        )
    else:
        changed_cells = "not run (`--full-only`) | "
    lines = [
        "# The national night: every province against one province's new file",
        "",
        "| rows | sources | full night | night after one province changed | changed / full "
        "| peak memory (PSS) | warehouse: database, other files |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {rows:,} | {len(registry.sources)} | {full['seconds']} s | {changed_cells} | "
        f"{peak:.2f} GiB ({'met' if peak <= PEAK_TARGET_GIB else 'not met'}) | "
        f"{size['database_bytes'] / 1e9:.2f} GB, {size['folder_bytes'] / 1e9:.2f} GB |",
        "",
        f"Slowest steps of the full night: {_steps(full)}.",
    ]
    if changed:
        lines.append(f"Slowest steps of the changed night: {_steps(changed)}.")
    markdown = "\n".join(lines)
    if url:
        result["targets"].update(asked["targets"])
        markdown += (
            f"\n\nAsked with {settings_sentence(asked['settings'])} (docs/scaling.md):\n\n"
            "| question on PostgreSQL | seconds | met |\n|---|---:|---|\n"
            + "\n".join(target_rows(asked["targets"]))
            + f"\n\nWith PostgreSQL's defaults instead: {defaults_sentence(asked)}."
        )
    save("nightly_national_postgres" if url else "nightly_national", result, markdown)
    print(markdown)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks nightly")
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument(
        "--national", action="store_true", help="The national workload, split by province."
    )
    parser.add_argument("--province", default="31", help="Whose file changes (--national).")
    parser.add_argument("--provinces", help="Only these, e.g. 31,65 (--national; default all).")
    parser.add_argument(
        "--recount", help="Provinces a third organisation counts again (--national), e.g. 31."
    )
    parser.add_argument(
        "--dprd",
        action="store_true",
        help="With the DPRD provinsi votes too (--national): 39 rows a station, not 21.",
    )
    parser.add_argument(
        "--candidates",
        action="store_true",
        help="With the DPRD kabupaten/kota candidates' votes too (--national): about 135 "
        "more rows a station.",
    )
    parser.add_argument(
        "--full-only",
        action="store_true",
        help="The full night alone, not the changed night after it (--national).",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="Into a throw-away PostgreSQL database (--national), then the analysts' questions.",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="Work in this folder and keep it (--national): the warehouse then stays for "
        "`benchmarks queries --warehouse DIR/run/warehouse/odc.sqlite`.",
    )
    args = parser.parse_args(argv)
    if args.national:
        provinces = args.provinces.split(",") if args.provinces else None
        recount = args.recount.split(",") if args.recount else None
        run_national(
            args.rows,
            args.province,
            provinces=provinces,
            keep=args.keep,
            recount=recount,
            postgres=args.postgres,
            dprd=args.dprd,
            candidates=args.candidates,
            full_only=args.full_only,
        )
    else:
        run(args.rows)
    return 0
