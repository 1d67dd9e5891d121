"""Finding an exercise's tests and running one test against a student's functions."""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import time
import traceback
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from nnedu.grading.api import ExpectationFailed, Partial, StudentProblem
from nnedu.grading.protocol import Ref

REPO = Path(__file__).resolve().parents[2]
STATUSES = ("passed", "failed", "error", "not attempted", "timeout", "out of memory", "crashed")


class UnknownExercise(LookupError):
    """No tests for the exercise asked for."""


class GraderFault(RuntimeError):
    """The grader's own machinery failed (e.g. a sandbox could not be built): never a student's result."""


@dataclass(frozen=True)
class Test:
    name: str
    question: str
    points: float
    hint: str
    function: Callable
    hidden: bool = False
    kind: str = "implement"
    timeout: float | None = None


@dataclass
class TestResult:
    name: str
    question: str
    status: str
    score: float
    max_score: float
    message: str = ""
    hint: str = ""
    hidden: bool = False
    seconds: float = 0.0
    after_hidden: bool = False  # ran after a hidden test had called the student's code: message withheld
    mistake: str = ""  # the common mistake the answer was recognised as (see expect_close's mistakes)
    kind: str = "implement"

    def as_dict(self) -> dict:
        return asdict(self)


def tests_dir() -> Path:
    """Where the public tests live: ``$NNEDU_EXERCISE_TESTS`` or the package's ``grading/exercises``."""
    return Path(os.environ.get("NNEDU_EXERCISE_TESTS", Path(__file__).resolve().parent / "exercises"))


def exercise_files(folder: Path, exercise: str) -> list[Path]:
    """``exNN_*.py`` (or ``exNN.py``) in ``folder`` for exercise ``NN``."""
    folder = Path(folder)
    return sorted(p for p in folder.glob(f"ex{exercise}*.py") if re.fullmatch(rf"ex{exercise}(_\w+)?\.py", p.name))


def known_exercises(folder: Path | None = None) -> dict[str, Path]:
    """Exercise number to public test file, e.g. ``{"04": .../ex04_activations.py}``."""
    found = {}
    for path in sorted(Path(folder or tests_dir()).glob("ex*.py")):
        match = re.fullmatch(r"ex(\d+)(_\w+)?\.py", path.name)
        if match:
            found[match.group(1)] = path
    return found


def normalise_exercise(exercise: str | int) -> str:
    text = str(exercise).strip()
    match = re.match(r"(?:ex)?(\d+)", text)
    if not match:
        raise UnknownExercise(f"unknown exercise {exercise!r}: expected a number such as 04")
    return match.group(1).zfill(2)


def _load_module(path: Path, prefix: str) -> ModuleType:
    name = f"{prefix}_{re.sub(r'[^0-9A-Za-z_]', '_', path.stem)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load tests from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_tests(exercise: str | int, hidden_dir: Path | None = None, public_dir: Path | None = None) -> list[Test]:
    """The public tests of ``exercise``, then the hidden ones from ``hidden_dir`` (same format)."""
    exercise = normalise_exercise(exercise)
    public = exercise_files(public_dir or tests_dir(), exercise)
    if not public:
        known = ", ".join(sorted(known_exercises(public_dir))) or "none"
        raise UnknownExercise(f"unknown exercise {exercise!r} (known: {known})")
    sources = [(path, False) for path in public]
    if hidden_dir is not None:
        sources += [(path, True) for path in exercise_files(hidden_dir, exercise)]
    tests, seen = [], set()
    for path, hidden in sources:
        module = _load_module(path, "nnedu_hidden_tests" if hidden else "nnedu_exercise_tests")
        for name, value in vars(module).items():
            info = getattr(value, "nnedu_test", None)
            if info is None or not callable(value):
                continue
            full = f"hidden/{name}" if hidden else name
            if full in seen:
                raise ValueError(f"two tests called {full} for exercise {exercise}")
            seen.add(full)
            tests.append(Test(full, info.question, info.points, info.hint, value, hidden,
                              getattr(info, "kind", "implement"), getattr(info, "timeout", None)))
    return tests


def questions(tests: list[Test]) -> dict[str, float]:
    """Points per question, in the order the questions first appear (q1, q2, ...)."""
    totals: dict[str, float] = {}
    for test in tests:
        totals[test.question] = totals.get(test.question, 0.0) + test.points
    return dict(sorted(totals.items(), key=lambda kv: _question_key(kv[0])))


def _question_key(question: str) -> tuple:
    match = re.match(r"q(\d+)", question)
    return (int(match.group(1)) if match else 10**6, question)


Caller = Callable[..., object]  # (name, args, kwargs, seed) and, for a hidden test, hidden=True
AFTER_HIDDEN = "(details withheld: this test ran after a hidden test, so its output could carry hidden inputs)"


class StudentFunction:
    def __init__(self, student: Student, name: str) -> None:
        self._student, self.name = student, name

    def __call__(self, *args, **kwargs):
        def convert(v: object) -> object:
            return Ref(v.name) if isinstance(v, StudentFunction) else v

        args = tuple(convert(a) for a in args)
        kwargs = {k: convert(v) for k, v in kwargs.items()}
        return self._student._call(self.name, args, kwargs)

    def and_inputs(self, *args, **kwargs):
        """``(result, args_after)``: the result and the positional arguments as the call left them.

        ``out, (x_after,) = student.softmax.and_inputs(x)`` then ``expect_unchanged(x, x_after, "z")``
        finds a function that changes its input in place (arguments cross to the student's code as copies).
        """
        args = tuple(Ref(a.name) if isinstance(a, StudentFunction) else a for a in args)
        value = self._student._call(self.name, args, kwargs, echo=True)
        if not (isinstance(value, tuple) and len(value) == 2):
            raise TypeError("the student's side did not return the call's arguments")
        return value[0], tuple(value[1])

    def __repr__(self) -> str:
        return f"student.{self.name}"


class Student:
    """``student.name(...)`` calls the student's function ``name``; the result is plain data.

    Each call gets its own seed, fixed by the test's name and the call's position, so
    random numbers drawn by the student's code are the same in every run.
    """

    def __init__(self, caller: Caller, test_name: str, hidden: bool = False, timeout: float | None = None) -> None:
        self._caller = caller
        self._hidden = hidden
        self._timeout = timeout
        self._base_seed = zlib.crc32(test_name.encode()) % (2**31)
        self._calls = 0

    def __getattr__(self, name: str) -> StudentFunction:
        if name.startswith("_"):
            raise AttributeError(name)
        return StudentFunction(self, name)

    def _call(self, name: str, args: tuple, kwargs: dict, echo: bool = False):
        seed = (self._base_seed + self._calls) % (2**31)
        self._calls += 1
        extra: dict = {"echo": True} if echo else {}
        if self._hidden:  # the sandbox then keeps what the student's code says next out of the feedback
            extra["hidden"] = True
        if self._timeout is not None:
            extra["timeout"] = self._timeout
        return self._caller(name, args, kwargs, seed, **extra)


def _hidden_seen(caller: Caller) -> bool:
    """Whether a hidden test has already called the student's code through ``caller`` (a sandbox's ``call``)."""
    return bool(getattr(getattr(caller, "__self__", None), "hidden_seen", False))


def student_seed(test_name: str, student: str) -> int:
    """The seed of a test's ``rng`` for one student: fixed by both names, different for every student."""
    return zlib.crc32(f"{student}\x00{test_name}".encode("utf-8", "surrogateescape")) % (2**31)


def _wants_rng(function: Callable) -> bool:
    try:
        return "rng" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def run_test(test: Test, caller: Caller, student: str = "") -> TestResult:
    """Run one test; every outcome of the student's code becomes a :class:`TestResult`.

    Only a :class:`GraderFault` passes through. A test with a second parameter ``rng`` gets a
    ``numpy.random.Generator`` seeded from the test's and the student's names (:func:`student_seed`):
    hidden tests draw their shapes and values from it, so every student gets other inputs and an
    answer hard-coded to the public tests' inputs fails.

    A visible test that runs after a hidden one keeps its status and score, but not its
    message: what the student's code returns or raises then could repeat a hidden input.
    """
    after_hidden = not test.hidden and _hidden_seen(caller)
    start = time.perf_counter()
    status, fraction, message, named = "passed", 1.0, "", ""
    try:
        proxy = Student(caller, test.name, test.hidden, test.timeout)
        if _wants_rng(test.function):
            outcome = test.function(proxy, rng=np.random.default_rng(student_seed(test.name, student)))
        else:
            outcome = test.function(proxy)
        if isinstance(outcome, Partial):
            fraction, message = outcome.fraction, "\n".join(outcome.messages)
            named = outcome.mistakes[0] if outcome.mistakes else ""
        elif isinstance(outcome, (int, float)) and not isinstance(outcome, bool):
            fraction = min(max(float(outcome), 0.0), 1.0)
        if fraction < 1.0:
            status = "failed"
            message = message or "partly right"
    except ExpectationFailed as exc:
        status, fraction, message, named = "failed", 0.0, str(exc), exc.mistake
    except AssertionError as exc:
        status, fraction, message = "failed", 0.0, str(exc) or "an assertion failed"
    except StudentProblem as exc:
        status, fraction, message = exc.status, 0.0, str(exc)
    except GraderFault:
        raise  # the whole submission is a grader error (retried by --resume), not this test's failure
    except Exception as exc:  # noqa: BLE001 (the answer had the wrong form for the test to inspect)
        status, fraction = "failed", 0.0
        where = traceback.extract_tb(exc.__traceback__)[-1]
        message = f"the result could not be checked ({type(exc).__name__}: {exc}; line {where.lineno} of the test)"
    score = round(test.points * fraction, 6)
    if after_hidden and message:
        message = AFTER_HIDDEN
    return TestResult(test.name, test.question, status, score, test.points, message[:3000], test.hint,
                      test.hidden, round(time.perf_counter() - start, 4), after_hidden, named, test.kind)
