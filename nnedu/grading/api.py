"""What an exercise test file uses: ``@points``, the ``expect_*`` checks and ``Partial``.

A test is a function of ``student``, a proxy to the functions the notebook defined::

    import numpy as np
    from nnedu import functional as F
    from nnedu.grading import expect_close, points

    @points(2, question="q1", hint="Subtract the row maximum before np.exp.")
    def test_softmax_matches_reference(student):
        z = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]])
        expect_close(student.softmax(z), F.softmax(z))

``student.softmax(z)`` runs the student's function (in a sandboxed child when grading)
and returns plain data; the reference answer and the comparison stay in the grader.
A test passes when it returns without an exception; it may instead return a fraction
in [0, 1] (or a :class:`Partial`) for partial credit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

KINDS = ("implement", "derive", "predict", "capstone")


@dataclass(frozen=True)
class TestInfo:
    """What ``@points`` attaches to a test function."""

    points: float
    question: str
    hint: str = ""
    kind: str = "implement"
    timeout: float | None = None


def points(value: float, question: str, hint: str = "", kind: str = "implement",
           timeout: float | None = None) -> Callable:
    """Mark a function of ``student`` as a test worth ``value`` points for ``question``.

    ``kind`` says what the question asks: ``implement`` (code), ``derive`` (a number worked out by
    hand), ``predict`` (a choice or a prediction about behaviour) or ``capstone`` (a network trained by
    the student's own code). ``timeout`` gives each call of the student's code in this test its own
    limit in seconds (a capstone's training), instead of the grader's ``--timeout``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")

    def mark(test: Callable) -> Callable:
        info = TestInfo(float(value), question, hint, kind, timeout)
        test.nnedu_test = info  # type: ignore[attr-defined]  # read by the runner
        return test

    return mark


class ExpectationFailed(AssertionError):
    """The student's answer is wrong; the message says how.

    ``mistake`` names the common mistake the answer matches ("the gradient has the wrong sign"),
    or is empty: the grader counts each named mistake in ``mistakes.csv``.
    """

    def __init__(self, message: str, mistake: str = "") -> None:
        super().__init__(message)
        self.mistake = mistake


def mistake(name: str, detail: str = "") -> ExpectationFailed:
    """The failure for a recognised mistake: ``raise mistake("changes its input in place", "x[0] was ...")``."""
    return ExpectationFailed(f"common mistake: {name}." + (f"\n{detail}" if detail else ""), mistake=name)


# What can go wrong on the student's side of a call. The runner turns each into a status.
class StudentProblem(Exception):
    status = "error"


class NotAttempted(StudentProblem):
    status = "not attempted"


def to_do(name: str, stub: str) -> str:
    """What a student still has to write: ``name``, or the stub (``Dropout.forward``) that ``name`` calls."""
    stub = (stub or "").rsplit("<locals>.", 1)[-1]  # a function defined inside another: its own name
    stub = stub if re.fullmatch(r"[A-Za-z_][\w.]{0,80}", stub) else ""
    if stub and stub != name and not stub.endswith("<module>"):
        return f"to do: write {stub} (called by {name}; it still raises NotImplementedError)"
    return f"to do: write {name} (it still raises NotImplementedError)"


class StudentError(StudentProblem):
    status = "error"


class MissingFunction(StudentProblem):
    status = "error"


class NotPlainResult(StudentProblem):
    status = "failed"


class StudentTimeout(StudentProblem):
    status = "timeout"


class StudentOutOfMemory(StudentProblem):
    status = "out of memory"


class StudentCrashed(StudentProblem):
    status = "crashed"


def describe(value: object) -> str:
    """A short description of a value: type, shape and dtype for arrays."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}, dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of length {len(value)}"
    return f"{type(value).__name__} {value!r}"[:200]


def _first_differences(got: np.ndarray, expected: np.ndarray, bad: np.ndarray, limit: int = 3) -> str:
    if got.ndim == 0:
        return f"  expected {expected.item()!r}, got {got.item()!r}"
    lines = []
    for index in np.argwhere(bad)[:limit]:
        where = tuple(int(i) for i in index)
        lines.append(f"  at {where}: expected {expected[where].item()!r}, got {got[where].item()!r}")
    count = int(bad.sum())
    more = f" ({count} of {bad.size} entries differ)" if count > limit else ""
    return "\n".join(lines) + more


Signature = object  # an expected wrong answer (array-like) or a predicate of the received array


def show(value: object, limit: int = 6) -> str:
    """An input as a message shows it: shape and the first values of an array, a short repr otherwise."""
    if isinstance(value, np.ndarray) or (isinstance(value, (list, tuple)) and _numeric_like(value)):
        array = np.asarray(value)
        flat = ", ".join(f"{x:.4g}" if array.dtype.kind == "f" else str(x) for x in array.ravel()[:limit].tolist())
        more = ", ..." if array.size > limit else ""
        return f"shape {array.shape}: [{flat}{more}]"
    return repr(value)[:120]


def _given(given: dict | None) -> str:
    if not given:
        return ""
    return "\n".join(f"  input {name} = {show(value)}" for name, value in given.items()) + "\n"


def _matches(got: np.ndarray, signature: Signature, rtol: float, atol: float) -> bool:
    try:
        if callable(signature):
            return bool(signature(got))
        wrong = np.asarray(signature, dtype=float)
        return wrong.shape == got.shape and bool(np.allclose(got, wrong, rtol=rtol, atol=atol, equal_nan=True))
    except Exception:  # noqa: BLE001 (a signature that cannot be compared does not match)
        return False


def _recognise(got: np.ndarray, mistakes: dict | None, rtol: float, atol: float) -> str:
    for name, signature in (mistakes or {}).items():
        if _matches(got, signature, rtol, atol):
            return name
    return ""


def expect_close(got: object, expected: object, rtol: float = 1e-6, atol: float = 1e-8, what: str = "result",
                 given: dict | None = None, mistakes: dict[str, Signature] | None = None) -> None:
    """``got`` and ``expected`` have the same shape and agree to ``numpy.allclose``.

    ``given`` (name to value) is the input the student's code was called with, shown in the message.
    ``mistakes`` maps the name of a common mistake to the answer it produces (or to a predicate of
    the received array): when ``got`` is wrong and matches one, the message names it.
    """
    if got is None:
        raise ExpectationFailed(f"{what}: got None (did the function forget to return?)\n{_given(given)}".rstrip())
    if isinstance(got, (str, dict)) or not _numeric_like(got):
        raise ExpectationFailed(f"{what}: expected numbers, got {describe(got)}")
    got_a = np.asarray(got, dtype=float)
    expected_a = np.asarray(expected, dtype=float)
    if got_a.shape == expected_a.shape:
        bad = ~np.isclose(got_a, expected_a, rtol=rtol, atol=atol, equal_nan=True)
        if not bad.any():
            return
        difference = f"values differ\n{_first_differences(got_a, expected_a, bad)}"
    else:
        difference = f"expected shape {expected_a.shape}, got shape {got_a.shape} ({describe(got)})"
    name = _recognise(got_a, mistakes, rtol, atol)
    if name:
        message = f"{what}: common mistake: {name}.\n{_given(given)}  {difference}"
    else:
        message = f"{what}: {difference}\n{_given(given)}"
    raise ExpectationFailed(message.rstrip(), mistake=name)


def expect_unchanged(before: object, after: object, what: str = "the input") -> None:
    """The student's function left its input as it was (``after`` is the input once it has returned)."""
    before_a, after_a = np.asarray(before), np.asarray(after)
    if before_a.shape != after_a.shape or not np.array_equal(before_a, after_a, equal_nan=True):
        raise mistake("changes its input in place",
                      f"{what} was changed by your function: compute new arrays instead of writing into it")


def expect_choice(got: object, answer: str, choices: str, what: str = "your choice",
                  mistakes: dict[str, str] | None = None) -> None:
    """A multiple-choice answer: one of the letters ``choices``; ``mistakes`` names a wrong letter's reasoning."""
    if not isinstance(got, str) or got.strip().lower() not in choices:
        raise ExpectationFailed(f"{what}: expected one of the letters {', '.join(choices)} (as a string), "
                                f"got {describe(got)}")
    letter = got.strip().lower()
    if letter != answer:
        name = (mistakes or {}).get(letter, "")
        detail = f"common mistake: {name}." if name else "that is not the answer; read the question again"
        raise ExpectationFailed(f"{what}: you chose ({letter}): {detail}", mistake=name)


def _numeric_like(value: object) -> bool:
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 (whatever cannot become an array is not numeric)
        return False
    return array.dtype.kind in "biuf"


def expect_equal(got: object, expected: object, what: str = "result") -> None:
    """``got == expected`` exactly (ints, strings, booleans, or arrays compared element-wise)."""
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        if not _numeric_like(got):
            raise ExpectationFailed(f"{what}: expected an array, got {describe(got)}")
        got_a, expected_a = np.asarray(got), np.asarray(expected)
        if got_a.shape != expected_a.shape:
            raise ExpectationFailed(f"{what}: expected shape {expected_a.shape}, got shape {got_a.shape}")
        bad = got_a != expected_a
        if bad.any():
            raise ExpectationFailed(f"{what}: values differ\n{_first_differences(got_a, expected_a, bad)}")
        return
    if type(got) in (bool, np.bool_) and type(expected) is not bool:
        raise ExpectationFailed(f"{what}: expected {expected!r}, got the boolean {got!r}")
    if not (got == expected):
        raise ExpectationFailed(f"{what}: expected {expected!r}, got {describe(got)}")


def expect_shape(got: object, shape: tuple[int, ...], what: str = "result") -> None:
    """``got`` is an array (or nested list) of shape ``shape``."""
    if not _numeric_like(got):
        raise ExpectationFailed(f"{what}: expected an array of shape {shape}, got {describe(got)}")
    got_shape = np.asarray(got).shape
    if got_shape != tuple(shape):
        raise ExpectationFailed(f"{what}: expected shape {tuple(shape)}, got shape {got_shape}")


def expect_length(got: object, length: int, what: str = "result") -> None:
    """``got`` is a list or tuple of ``length`` items."""
    if not isinstance(got, (list, tuple)) or len(got) != length:
        raise ExpectationFailed(f"{what}: expected a tuple or list of {length} items, got {describe(got)}")


class Partial:
    """Points per sub-check: ``with part(1): expect_close(...)``; return ``part`` at the end.

    A failing sub-check does not stop the test; its message is kept. The test scores
    the weight of the sub-checks that passed over the total weight.
    """

    def __init__(self) -> None:
        self.earned = 0.0
        self.total = 0.0
        self.messages: list[str] = []
        self.mistakes: list[str] = []

    @contextmanager
    def __call__(self, weight: float = 1.0) -> Iterator[None]:
        self.total += weight
        try:
            yield
        except ExpectationFailed as exc:
            self.messages.append(str(exc))
            if exc.mistake:
                self.mistakes.append(exc.mistake)
        else:
            self.earned += weight

    @property
    def fraction(self) -> float:
        return self.earned / self.total if self.total else 1.0
