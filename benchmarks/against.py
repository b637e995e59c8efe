"""The whole night of this checkout against another commit's, measured side by side.

    python -m benchmarks against REV [--rows 2000000] [--seed 7] [--repeat 2] [--server]

REV (a commit, branch or tag) is checked out in a git worktree under bench/, and both
checkouts run the same night over the same generated workload, alternating, with the same
installed packages (each checkout's own code first on the import path). A night is what
`make run` does (`python -m odc_pipeline.run`), or with `--server` what a server's run
coordinator does (`dagster job execute` of `materialize_all`, each step in a process of its
own). Each is timed from launch to exit; memory is the peak, sampled every quarter second,
of the whole process tree's proportional set size. Both are commands every version of the
project has, so any two commits can be compared.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.memory import run_measured
from benchmarks.pipeline import GIB, new_dagster_home, workload_folder
from benchmarks.results import RESULTS_DIR, save
from benchmarks.workload import DEFAULT_ROWS, DEFAULT_SEED
from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline_tests.scratch import scratch_environment


def worktree(rev: str, root: Path = RESULTS_DIR) -> tuple[Path, str]:
    """A checkout of `rev` (made once, kept for later runs) and its full commit id."""
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    folder = root / f"rev-{commit[:12]}"
    if not (folder / "odc_pipeline").is_dir():
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--force", str(folder), commit],
            cwd=PROJECT_ROOT,
            capture_output=True,
            check=True,
        )
    return folder, commit


def _command(server: bool) -> list[str]:
    """`make run`'s command, or a server's run of the whole job (the workload has no years)."""
    if not server:
        return [sys.executable, "-m", "odc_pipeline.run"]
    dagster = Path(sys.executable).parent / "dagster"
    return [
        str(dagster),
        "job",
        "execute",
        "-m",
        "odc_pipeline.definitions",
        "-j",
        "materialize_all",
    ]


def night(checkout: Path, registry: Path, server: bool) -> dict:
    """One night of `checkout`'s code over the workload, in a scratch folder."""
    with tempfile.TemporaryDirectory(prefix="odc-against-") as scratch:
        folder = Path(scratch)
        env = scratch_environment(folder, registry)
        env["PYTHONPATH"] = str(checkout)
        env.pop("ODC_EXECUTOR", None)
        if server:
            new_dagster_home(env)
        else:
            env.pop("DAGSTER_HOME")  # the run in memory only
        measured = run_measured(_command(server), checkout, env)
        if measured["returncode"] != 0:
            raise RuntimeError(f"the night of {checkout} failed:\n{measured['output'][-4000:]}")
    return {
        "seconds": round(measured["seconds"], 2),
        "peak_pss_gib": round(measured["peak_pss_bytes"] / GIB, 2),
    }


def run(
    rev: str,
    rows: int,
    seed: int,
    repeat: int = 2,
    server: bool = False,
    root: Path = RESULTS_DIR,
) -> dict:
    """Both nights `repeat` times, alternating; the fastest of each and every run, saved."""
    registry = workload_folder(rows, seed, root) / "sources.yaml"
    other, commit = worktree(rev, root)
    checkouts = {"this checkout": PROJECT_ROOT, commit[:12]: other}
    runs: dict[str, list[dict]] = {name: [] for name in checkouts}
    for _ in range(repeat):
        for name, checkout in checkouts.items():
            runs[name].append(night(checkout, registry, server))
    fastest = {name: min(measured, key=lambda r: r["seconds"]) for name, measured in runs.items()}
    ours, theirs = fastest["this checkout"], fastest[commit[:12]]
    result = {
        "rows": rows,
        "seed": seed,
        "against": commit,
        "night": "server" if server else "make run",
        "fastest": fastest,
        "runs": runs,
        "time_ratio": round(ours["seconds"] / theirs["seconds"], 2),
        "memory_ratio": round(ours["peak_pss_gib"] / theirs["peak_pss_gib"], 2),
    }
    how = "as a server runs it" if server else "as `make run` runs it"
    lines = [
        f"# The night {how}: this checkout against {commit[:12]} ({rows:,} rows, seed {seed})",
        "",
        "| code | seconds, launch to exit | peak memory GiB | every run (s) |",
        "|---|---:|---:|---|",
        *(
            f"| {name} | {fastest[name]['seconds']} | {fastest[name]['peak_pss_gib']} "
            f"| {', '.join(str(r['seconds']) for r in measured)} |"
            for name, measured in runs.items()
        ),
        "",
        f"This checkout / {commit[:12]}: **{result['time_ratio']}x** the time, "
        f"**{result['memory_ratio']}x** the memory (fastest of {repeat} each, alternating).",
    ]
    text = "\n".join(lines)
    save("against-server" if server else "against", result, text, root)
    print(text)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks against")
    parser.add_argument("rev", help="the commit to compare with, e.g. main or HEAD~3")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--server", action="store_true", help="each step in its own process")
    args = parser.parse_args(argv)
    run(args.rev, args.rows, args.seed, args.repeat, args.server)
    return 0
