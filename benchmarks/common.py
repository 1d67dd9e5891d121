"""What every benchmark shares: a result row, a timer, and fair thread settings."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Row:
    """One line of the table: medians in seconds, and whether the target is met."""

    workload: str
    nnedu_s: float
    torch_s: float | None
    target: str
    met: bool
    note: str = ""
    unit: str = "s"   # "s" for medians in seconds; anything else is a count printed as it is

    @property
    def ratio(self) -> float | None:
        return self.nnedu_s / self.torch_s if self.torch_s else None


def median_time(fn: Callable[[], object], repeats: int = 20, warmup: int = 3) -> float:
    """Median wall-clock seconds of ``fn()`` over ``repeats`` calls, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def blas_threads() -> int:
    """Threads numpy's BLAS uses (nnedu sets one: nnedu/threads.py)."""
    import nnedu

    return nnedu.get_num_threads()


def torch_as_installed():
    """Import torch with its own default thread count (one per core): what a student runs.

    nnedu uses one BLAS thread (``nnedu/threads.py``); PyTorch keeps its defaults, so the
    ratios compare the two as they come, not a handicapped PyTorch.
    """
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    return torch


def ratio_row(workload: str, nnedu_s: float, torch_s: float, limit: float, note: str = "") -> Row:
    """A row whose target is ``nnedu / torch <= limit``."""
    return Row(workload, nnedu_s, torch_s, f"<= {limit:g}x torch", nnedu_s / torch_s <= limit, note)
