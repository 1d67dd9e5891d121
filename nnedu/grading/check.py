"""Self-checks for students: ``nnedu.check("q3")`` in a notebook, ``nnedu check NOTEBOOK`` in a terminal.

In a notebook the public tests run in the same process, against the functions the
notebook defined (its ``__main__`` namespace), each call with a time limit (an infinite
loop fails its test instead of hanging the kernel). That is fine for checking oneself;
the instructor's grading runs each submission in a sandboxed child instead.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import numpy as np

from nnedu.grading import protocol
from nnedu.grading.api import (
    MissingFunction,
    NotAttempted,
    NotPlainResult,
    StudentError,
    StudentOutOfMemory,
    StudentTimeout,
    to_do,
)
from nnedu.grading.child import stub_name
from nnedu.grading.runner import (
    TestResult,
    UnknownExercise,
    load_tests,
    normalise_exercise,
    questions,
    run_test,
)

SYMBOLS = {"passed": "PASS", "not attempted": "TODO"}


class _OutOfTime(BaseException):
    """Raised into the student's function when its time is up (not an Exception: ``except Exception`` misses it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`_OutOfTime` in the code of the ``with`` block after ``seconds`` (main thread only).

    Uses a real-time interval timer (``SIGALRM``), as a kernel runs cells in its main thread; the
    notebook's own alarm handler and timer are put back afterwards. Elsewhere it does nothing
    and :func:`call_with_time_limit` waits in a helper thread instead.
    """
    previous = signal.signal(signal.SIGALRM, _expire)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)  # re-fires until disarmed
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_delay:
            signal.setitimer(signal.ITIMER_REAL, old_delay, old_interval)


def _expire(signum: int, frame: object) -> None:
    raise _OutOfTime


def call_with_time_limit(function: Callable, args: object, kwargs: object, seconds: float | None) -> object:
    """``function(*args, **kwargs)``, or :class:`_OutOfTime` once ``seconds`` have passed."""
    assert isinstance(args, list) and isinstance(kwargs, dict)
    if seconds is None:
        return function(*args, **kwargs)
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        with time_limit(seconds):
            return function(*args, **kwargs)
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 (handed back to the caller below)
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _OutOfTime
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome.get("value")


LIBRARIES = (str(Path(np.__file__).parent), str(Path(__file__).resolve().parents[1]))


def _in_notebook(filename: str) -> bool:
    """Code of the notebook (a kernel's cell file), not numpy's or nnedu's."""
    return not filename.startswith(LIBRARIES)


def in_process_caller(namespace: dict, timeout: float | None = 10.0) -> Callable:
    """Call the notebook's own functions, with the grader's seeds, plain-data rule and time limit."""

    def resolve(name: str) -> object:
        return namespace[name]

    def call(name: str, args: tuple, kwargs: dict, seed: int, timeout: float | None = timeout,
             echo: bool = False) -> object:
        function = namespace.get(name)
        if not callable(function):
            raise MissingFunction(f"{name} is not defined in the notebook (did you run its cell?)")
        plain_args = protocol.decode(protocol.encode(list(args)), resolve=resolve)
        plain_kwargs = protocol.decode(protocol.encode(dict(kwargs)), resolve=resolve)
        np.random.seed(seed)
        try:
            # A textbook answer such as 1 / (1 + np.exp(-z)) overflows for large |z| and is still right:
            # numpy's warnings would print a box under the check cell that looks like a failure.
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                value = call_with_time_limit(function, plain_args, plain_kwargs, timeout)
        except _OutOfTime:
            raise StudentTimeout(f"{name} did not return within {timeout:g} s (an infinite loop?)") from None
        except NotImplementedError as exc:
            raise NotAttempted(to_do(name, stub_name(exc, _in_notebook))) from None
        except MemoryError:
            raise StudentOutOfMemory(f"{name} ran out of memory") from None
        except Exception as exc:  # noqa: BLE001 (any error of the student's code is reported as theirs)
            frames = [f for f in traceback.extract_tb(exc.__traceback__)[1:]]
            where = "".join(traceback.format_list(frames[-2:]))
            raise StudentError(f"{name} raised {type(exc).__name__}: {exc}\n{where}".rstrip()) from None
        if echo:  # the arguments as the call left them (an input changed in place?)
            value = (value, plain_args)
        try:
            return protocol.decode(protocol.encode(value))
        except protocol.NotPlainData as exc:
            raise NotPlainResult(f"{name} returned {exc}, not plain data") from None

    return call


class demo:  # noqa: N801 (used as a statement: with nnedu.demo(): ...)
    """``with nnedu.demo(): ...``: a cell that tries the student's functions out.

    While a function it calls is still a stub, the cell prints "not implemented yet" and the name
    of that function instead of raising, so Run All on an untouched exercise runs to the end. Every
    other error is the student's to see and passes through. The grader skips cells tagged ``demo``.
    """

    def __enter__(self) -> demo:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, tb: TracebackType | None) -> bool:
        if kind is None or not issubclass(kind, NotImplementedError):
            return False
        frames = traceback.extract_tb(tb)
        where = frames[-1].name if frames else "a function"
        print(f"not implemented yet: {where} (fill in its YOUR CODE HERE, then run this cell again)")
        return True


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
            if r.status == "not attempted" and r.message:
                lines.append(f"      {r.message.splitlines()[0]}")
            elif r.status != "passed" and r.message:
                lines += [f"      {line}" for line in r.message.splitlines()[:12]]
            if r.status != "passed" and r.hint:
                lines.append(f"      Hint: {r.hint}")
    return "\n".join(lines)


def check(question: str | None = None, exercise: str | None = None, namespace: dict | None = None,
          timeout: float | None = 10.0) -> None:
    """Run the public tests of ``question`` (all questions if None) and print the results.

    The exercise comes from ``exercise`` or from the notebook's ``EXERCISE = "04"``. Each call of
    the notebook's functions may take ``timeout`` seconds (None: no limit); a call that takes
    longer fails its test with "timeout". While a submission is being graded this does nothing.
    """
    if os.environ.get("NNEDU_GRADING"):
        return
    if namespace is None:
        main = sys.modules.get("__main__")
        namespace = vars(main) if main is not None else {}
    exercise = exercise or namespace.get("EXERCISE")
    if not exercise:
        print('nnedu.check: which exercise? Set EXERCISE = "04" in the first cell, '
              'or call nnedu.check("q1", exercise="04").')
        return
    try:
        tests = load_tests(normalise_exercise(exercise))
    except UnknownExercise as exc:
        print(f"nnedu.check: {exc}")
        return
    if question is not None:
        known = list(questions(tests))
        tests = [t for t in tests if t.question == question]
        if not tests:
            print(f"nnedu.check: exercise {exercise} has no question {question!r} (questions: {', '.join(known)})")
            return
    results = [run_test(test, in_process_caller(namespace, timeout)) for test in tests]
    print(format_results(results))
    return


def check_notebook(path: Path, exercise: str | None = None, question: str | None = None,
                   timeout: float = 10.0) -> list[TestResult]:
    """Execute ``path`` in a sandboxed child and run the public tests (``nnedu check``).

    A student's own check runs with whatever isolation the machine offers (``insecure=True``:
    it is their own code on their own machine). Lines the grader would flag for academic
    integrity are printed as notes.
    """
    from nnedu.grading import integrity, notebook
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
    cells = notebook.code_cells(nb)
    with Sandbox(Path(path), cells, limits, insecure=True) as box:
        results = [run_test(test, box.call) for test in tests]
        problems = box.cell_problems
    for p in problems:
        if p.kind == "not attempted":
            continue
        first = p.message.splitlines()[0][:200] if p.message else ""
        print(f"note: cell {p.cell + 1} did not run to the end ({p.kind}): {first}")
    forbidden = integrity.declared(tests)
    for finding in integrity.scan_submission(cells, None, forbidden):
        print(f"note: academic integrity: this exercise must not use {', '.join(forbidden)}; "
              f"the grader will flag {finding}")
    return results
