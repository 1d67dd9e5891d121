"""``nnedu grade`` on a class: 30 submissions of one exercise, two in parallel; and one sandbox's cost."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import Row, median_time

REPO = Path(__file__).resolve().parents[1]


def isolation() -> str:
    """The isolation the grader gets on this machine (``full``, else the benchmark runs ``insecure``)."""
    from nnedu.grading.sandbox import isolation_level

    return "full" if isolation_level() == "full" else "insecure"


def grade_class(exercise: str, name: str, students: int, jobs: int) -> float:
    from nnedu.grading.grade import grade
    from nnedu.grading.sandbox import Limits

    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "submissions"
        subs.mkdir()
        for i in range(students):  # two thirds finished, one third still stubs
            source = REPO / ("exercises" if i % 3 == 2 else "solutions") / name
            shutil.copy(source, subs / f"student{i:02d}.ipynb")
        start = time.perf_counter()
        grade(subs, exercise, Path(tmp) / "results", jobs=jobs, limits=Limits(timeout=10), progress=lambda _: None,
              insecure=isolation() == "insecure")
        return time.perf_counter() - start


def host_import_seconds(module: str) -> float:
    """Wall-clock seconds of ``python -c 'import module'`` outside any sandbox, now (the machine's load)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-c", f"import {module}"], check=True)
    return time.perf_counter() - start


def sandbox_round_trip() -> float:
    """Median seconds to build a sandbox for a one-cell notebook, make one call, and tear it down."""
    from nnedu.grading.sandbox import Limits, Sandbox

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "one.ipynb"
        path.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))

        def once() -> None:
            with Sandbox(path, ["def f(x):\n    return x + 1"], Limits(), insecure=isolation() == "insecure") as box:
                assert box.call("f", (1,), {}, 0) == 2

        return median_time(once, repeats=10, warmup=2)


def run(quick: bool = False) -> list[Row]:
    students = 10 if quick else 30
    level = isolation()
    seconds = sandbox_round_trip()
    rows = [Row("one sandbox: build, run one cell, one call, tear down (everything killed)", seconds, None,
                "< 0.5 s", seconds < 0.5, f"isolation {level}; python + numpy start included")]
    for exercise, name in [("08", "08_backprop.ipynb"), ("12", "12_pytorch.ipynb")]:
        seconds = grade_class(exercise, name, students, jobs=2)
        limit = 60.0 * students / 30
        note = f"sandboxed child per submission, isolation {level}"
        if exercise == "12":
            note += f"; imports torch, which takes {host_import_seconds('torch'):.1f} s on the host right now"
        rows.append(Row(f"nnedu grade: {students} submissions of exercise {exercise}, -j 2", seconds, None,
                        f"< {limit:g} s", seconds < limit, note))
    return rows
