"""``import nnedu`` in a fresh interpreter: the course imports it in every notebook."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from benchmarks.common import Row


def fresh_import(module: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
    return time.perf_counter() - start


def run(quick: bool = False) -> list[Row]:
    repeats = 3 if quick else 7
    python = statistics.median(fresh_import("sys") for _ in range(repeats))  # interpreter start-up
    nnedu_s = statistics.median(fresh_import("nnedu") for _ in range(repeats)) - python
    torch_s = statistics.median(fresh_import("torch") for _ in range(repeats)) - python
    return [Row("import nnedu (fresh process, minus interpreter start-up)", nnedu_s, torch_s, "< 0.5 s",
                nnedu_s < 0.5, "torch column: import torch, for scale")]
