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
    """Threads numpy's BLAS uses (threadpoolctl when available, else the core count)."""
    try:
        from threadpoolctl import threadpool_info

        counts = [info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"]
        if counts:
            return max(counts)
    except ImportError:
        pass
    return os.cpu_count() or 1


def torch_with_same_threads():
    """Import torch and give it as many threads as numpy's BLAS, so the race is fair."""
    import torch

    torch.set_num_threads(blas_threads())
    return torch


def ratio_row(workload: str, nnedu_s: float, torch_s: float, limit: float, note: str = "") -> Row:
    """A row whose target is ``nnedu / torch <= limit``."""
    return Row(workload, nnedu_s, torch_s, f"<= {limit:g}x torch", nnedu_s / torch_s <= limit, note)
