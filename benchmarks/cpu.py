"""CPU time of this process, sampled while a benchmark runs.

`time.process_time()` counts every thread of the process, but only as one running total: a
stage's own CPU seconds need the total read at its start and end. The stages' windows come
from Dagster's step events after the run, so the total is sampled in the background and read
off at any moment by interpolating between samples. Set against the stage's wall seconds it
says how many of the machine's cores the stage kept busy.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.memory import MemorySampler


class CpuSampler(MemorySampler):
    """Samples (time, CPU nanoseconds of this process) every `interval` seconds."""

    def __init__(self, interval: float = 0.02) -> None:
        super().__init__(interval, time.process_time_ns)

    def seconds_between(self, start: float, end: float) -> float:
        """CPU seconds the process spent in [start, end] (wall-clock seconds), interpolated
        between the samples around each end; 0 with fewer than two samples."""
        if len(self.samples) < 2:
            return 0.0
        times = np.array([at for at, _ in self.samples])
        cpu = np.array([ns for _, ns in self.samples], dtype=float)
        begin, finish = np.interp([start, end], times, cpu)
        return max(0.0, float(finish - begin) / 1e9)
