"""Resident memory of this process, sampled while a benchmark runs.

`resource.getrusage` only gives the peak of the whole process; a stage's own peak needs
samples taken while it runs. Reading `/proc/self/statm` costs microseconds, so sampling every
20 ms is free next to the work measured.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """Resident set size now (Linux); 0 where /proc is missing."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except OSError:
        return 0


def _descendants(root: int) -> list[int]:
    """`root` and every process below it, from each process's parent in /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text(encoding="ascii", errors="replace")
        except OSError:  # the process ended while we looked
            continue
        # The command name, in parentheses, may hold spaces: the parent follows its ")".
        parent = int(text[text.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def tree_pss_bytes(root: int) -> int:
    """Memory of a process and all its descendants, each shared page counted once: the sum of
    their proportional set sizes (Linux; 0 where /proc is missing).

    A forkserver's children share the pages it preloaded; adding their resident sizes would
    count those pages once per child."""
    total = 0
    for pid in _descendants(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError):  # ended, or not ours to read
            continue
    return total


def peak_rss_bytes() -> int:
    """The process's peak resident size since it started (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class MemorySampler:
    """Samples (time, bytes) in a background thread while the block runs: this process's
    resident size by default, or whatever `measure` reads (a process tree's memory)."""

    def __init__(self, interval: float = 0.02, measure: Callable[[], int] = rss_bytes) -> None:
        self.interval = interval
        self.measure = measure
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), self.measure()))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()

    def peak_between(self, start: float, end: float) -> int:
        """Highest sample taken in [start, end] (wall-clock seconds), or 0."""
        inside = [rss for at, rss in self.samples if start <= at <= end]
        return max(inside, default=0)


def run_measured(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 3600) -> dict:
    """Run `command` to its end: seconds from launch to exit, the peak proportional set size
    of its whole process tree (sampled every quarter second), its output and exit code."""
    start = time.time()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    with MemorySampler(0.25, lambda: tree_pss_bytes(process.pid)) as memory:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    return {
        "seconds": time.time() - start,
        "peak_pss_bytes": max((b for _, b in memory.samples), default=0),
        #: Where the peak was: a caller matches the samples' times with the run's steps.
        "memory": memory,
        "output": output,
        "returncode": process.returncode,
    }
