"""``results.jsonl``: every test result of a grading run, one JSON object per line.

Each record is written (and fsynced) as soon as it is known, so a crash or a kill loses
nothing and ``nnedu grade --resume`` carries on from the file. Records are ``{"type": "run"}``
(once per run: exercise, isolation level), ``{"type": "test"}`` (one per test and student)
and ``{"type": "submission"}`` (one per student, after its tests).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path


class ResultLog:
    """``results.jsonl``: one JSON object per line, appended and fsynced under a lock.

    A write that fails (a full disk) raises, and the next line starts on a line of its own,
    so a torn line never swallows a later record.
    """

    def __init__(self, path: Path, resume: bool) -> None:
        self.path = path
        self.lock = threading.Lock()
        if not resume and path.exists():
            path.replace(path.with_suffix(".jsonl.prev"))
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.torn = bool(path.stat().st_size) and not path.read_bytes().endswith(b"\n")  # cut short by a crash

    def write(self, record: dict) -> None:
        line = (json.dumps(record, allow_nan=False, default=str) + "\n").encode("utf-8")
        with self.lock:
            if self.torn:
                line = b"\n" + line
            self.torn = True
            view = memoryview(line)
            while view:
                view = view[os.write(self.fd, view):]
            os.fsync(self.fd)
            self.torn = False

    def close(self) -> None:
        os.close(self.fd)


def read_results(path: Path) -> list[dict]:
    """Every complete record in ``results.jsonl`` (a line cut short by a crash is ignored)."""
    records = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
    return records


def latest_tests(records: list[dict], student: str) -> dict[str, dict]:
    """The last record of each test of ``student`` (a resumed run may have written one twice)."""
    tests = {}
    for r in records:
        if r.get("type") == "test" and r.get("student") == student:
            tests[r["name"]] = r
    return tests
