"""``nnedu grade`` on a class: 30 submissions of one exercise, two in parallel."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.common import Row

REPO = Path(__file__).resolve().parents[1]


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
        grade(subs, exercise, Path(tmp) / "results", jobs=jobs, limits=Limits(timeout=10), progress=lambda _: None)
        return time.perf_counter() - start


def run(quick: bool = False) -> list[Row]:
    students = 10 if quick else 30
    rows = []
    for exercise, name in [("08", "08_backprop.ipynb"), ("11", "11_pytorch.ipynb")]:
        seconds = grade_class(exercise, name, students, jobs=2)
        limit = 60.0 * students / 30
        rows.append(Row(f"nnedu grade: {students} submissions of exercise {exercise}, -j 2", seconds, None,
                        f"< {limit:g} s", seconds < limit,
                        "sandboxed child per submission" + ("; imports torch" if exercise == "11" else "")))
    return rows
