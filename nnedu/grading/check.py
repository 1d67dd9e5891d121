"""Self-checks for students: ``nnedu.check("q3")`` in a notebook, ``nnedu check NOTEBOOK`` in a terminal.

In a notebook the public tests run in the same process, against the functions the
notebook defined (its ``__main__`` namespace). That is fine for checking oneself; the
instructor's grading runs each submission in a sandboxed child instead.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from nnedu.grading import protocol
from nnedu.grading.api import MissingFunction, NotAttempted, NotPlainResult, StudentError, StudentOutOfMemory
from nnedu.grading.runner import TestResult, UnknownExercise, load_tests, normalise_exercise, questions, run_test

import numpy as np

SYMBOLS = {"passed": "PASS", "not attempted": "TODO"}


def in_process_caller(namespace: dict):
    """Call the notebook's own functions, with the grader's seeds and plain-data rule."""

    def resolve(name: str):
        return namespace[name]

    def call(name: str, args: tuple, kwargs: dict, seed: int):
        function = namespace.get(name)
        if not callable(function):
            raise MissingFunction(f"{name} is not defined in the notebook (did you run its cell?)")
        args = protocol.decode(protocol.encode(list(args)), resolve=resolve)
        kwargs = protocol.decode(protocol.encode(dict(kwargs)), resolve=resolve)
        np.random.seed(seed)
        try:
            value = function(*args, **kwargs)
        except NotImplementedError:
            raise NotAttempted(f"{name} still raises NotImplementedError: not attempted yet") from None
        except MemoryError:
            raise StudentOutOfMemory(f"{name} ran out of memory") from None
        except Exception as exc:
            frames = [f for f in traceback.extract_tb(exc.__traceback__)[1:]]
            where = "".join(traceback.format_list(frames[-2:]))
            raise StudentError(f"{name} raised {type(exc).__name__}: {exc}\n{where}".rstrip()) from None
        try:
            return protocol.decode(protocol.encode(value))
        except protocol.NotPlainData as exc:
            raise NotPlainResult(f"{name} returned {exc}, not plain data") from None

    return call


def format_results(results: list[TestResult]) -> str:
    """Per question, each test: PASS / FAIL / TODO, points, message and hint."""
    lines = []
    for question in dict.fromkeys(r.question for r in results):
        mine = [r for r in results if r.question == question]
        got, top = sum(r.score for r in mine), sum(r.max_score for r in mine)
        passed = sum(r.status == "passed" for r in mine)
        lines.append(f"{question}: {passed} of {len(mine)} tests passed ({got:g}/{top:g} points)")
        for r in mine:
            symbol = SYMBOLS.get(r.status, "FAIL")
            lines.append(f"  {symbol} {r.name} ({r.score:g}/{r.max_score:g})"
                         + ("" if r.status == "passed" else f": {r.status}"))
            if r.status not in ("passed", "not attempted") and r.message:
                lines += [f"      {line}" for line in r.message.splitlines()[:12]]
            if r.status != "passed" and r.hint:
                lines.append(f"      Hint: {r.hint}")
    return "\n".join(lines)


def check(question: str | None = None, exercise: str | None = None, namespace: dict | None = None) -> None:
    """Run the public tests of ``question`` (all questions if None) and print the results.

    The exercise comes from ``exercise`` or from the notebook's ``EXERCISE = "04"``.
    While a submission is being graded this does nothing.
    """
    if os.environ.get("NNEDU_GRADING"):
        return None
    if namespace is None:
        main = sys.modules.get("__main__")
        namespace = vars(main) if main is not None else {}
    exercise = exercise or namespace.get("EXERCISE")
    if not exercise:
        print('nnedu.check: which exercise? Set EXERCISE = "04" in the first cell, '
              'or call nnedu.check("q1", exercise="04").')
        return None
    try:
        tests = load_tests(normalise_exercise(exercise))
    except UnknownExercise as exc:
        print(f"nnedu.check: {exc}")
        return None
    if question is not None:
        known = list(questions(tests))
        tests = [t for t in tests if t.question == question]
        if not tests:
            print(f"nnedu.check: exercise {exercise} has no question {question!r} (questions: {', '.join(known)})")
            return None
    results = [run_test(test, in_process_caller(namespace)) for test in tests]
    print(format_results(results))
    return None


def check_notebook(path: Path, exercise: str | None = None, question: str | None = None,
                   timeout: float = 10.0) -> list[TestResult]:
    """Execute ``path`` in a sandboxed child and run the public tests (``nnedu check``)."""
    from nnedu.grading import notebook
    from nnedu.grading.sandbox import Limits, Sandbox

    nb = notebook.load(path)
    exercise = exercise or notebook.exercise_of(nb, path)
    if exercise is None:
        raise UnknownExercise(f"cannot tell which exercise {path} is: pass --exercise")
    tests = load_tests(normalise_exercise(exercise))
    if question is not None:
        tests = [t for t in tests if t.question == question]
        if not tests:
            raise UnknownExercise(f"exercise {exercise} has no question {question!r}")
    limits = Limits(timeout=timeout, submission_timeout=max(120.0, 20 * timeout))
    with Sandbox(Path(path), notebook.code_cells(nb), limits) as box:
        results = [run_test(test, box.call) for test in tests]
        problems = box.cell_problems
    for p in problems:
        if p.kind == "not attempted":
            continue
        print(f"note: cell {p.cell + 1} did not run to the end ({p.kind}): {p.message.splitlines()[0][:200] if p.message else ''}")
    return results
