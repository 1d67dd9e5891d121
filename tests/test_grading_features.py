"""What the second edition's exercises rely on, on a small exercise of our own (number 99).

Named mistakes and inputs in messages, inputs changed in place, a test's own time limit, hidden
tests with inputs of their own per student, demo cells, no warnings from a textbook answer, and
the class summary (``summary.md``, ``mistakes.csv``).
"""

from __future__ import annotations

import csv
import json
import textwrap

import numpy as np
import pytest

import nnedu
from nnedu.grading import ExpectationFailed, expect_choice, expect_close, expect_unchanged
from nnedu.grading.check import check, in_process_caller
from nnedu.grading.grade import grade
from nnedu.grading.notebook import code_cells
from nnedu.grading.runner import Student, UnknownExercise, run_test, student_seed
from nnedu.grading.runner import Test as GradedTest
from nnedu.grading.sandbox import Limits, isolation_level

INSECURE = isolation_level() != "full"

TESTS = textwrap.dedent('''
    import numpy as np
    from nnedu.grading import expect_close, expect_unchanged, points

    X = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]])

    @points(2, question="q1", hint="Rows are samples.")
    def test_centre(student):
        got, (x_after,) = student.centre.and_inputs(X.copy())
        expect_unchanged(X, x_after, what="x")
        expected = X - X.mean(axis=0)
        expect_close(got, expected, what="centred x", given={"x": X},
                     mistakes={"the mean over the wrong axis": X - X.mean(axis=1, keepdims=True)})

    @points(1, question="q2", kind="capstone", timeout=5)
    def test_slow(student):
        expect_close(student.slow(), 1.0)

    @points(1, question="q3", kind="derive")
    def test_hidden_like(student, rng):
        n = int(rng.integers(2, 50))
        expect_close(student.count(np.ones(n)), n, what="count")
''')

NOTEBOOK_CODE = {
    "right": ["import numpy as np\nimport time\nEXERCISE = '99'",
              "def centre(x):\n    return x - x.mean(axis=0)",
              "def slow():\n    time.sleep(1.5)\n    return 1.0",
              "def count(x):\n    return len(x)"],
    "wrong_axis": ["import numpy as np\nimport time\nEXERCISE = '99'",
                   "def centre(x):\n    return x - x.mean(axis=1, keepdims=True)",
                   "def slow():\n    return 2.0",
                   "def count(x):\n    return 6"],  # hard-coded to one input
    "in_place": ["import numpy as np\nimport time\nEXERCISE = '99'",
                 "def centre(x):\n    x -= x.mean(axis=0)\n    return x",
                 "def slow():\n    raise NotImplementedError",
                 "def count(x):\n    raise NotImplementedError"],
}


@pytest.fixture
def exercise99(tmp_path, monkeypatch):
    folder = tmp_path / "tests"
    folder.mkdir()
    (folder / "ex99_demo.py").write_text(TESTS)
    monkeypatch.setenv("NNEDU_EXERCISE_TESTS", str(folder))
    return folder


def notebook(cells: list[str], demo: str | None = None) -> dict:
    code = [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None} for c in cells]
    if demo is not None:
        code.append({"cell_type": "code", "metadata": {"tags": ["demo"]}, "source": demo, "outputs": [],
                     "execution_count": None})
    return {"cells": code, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def namespace_of(cells: list[str]) -> dict:
    namespace: dict = {}
    for code in cells:
        exec(code, namespace)  # noqa: S102 (our own test code)
    return namespace


def test_a_named_mistake_shows_its_name_the_input_and_the_difference():
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(ExpectationFailed) as caught:
        expect_close(-x, x, what="dW", given={"x": x}, mistakes={"the gradient has the wrong sign": -x})
    message = str(caught.value)
    assert caught.value.mistake == "the gradient has the wrong sign"
    assert message.startswith("dW: common mistake: the gradient has the wrong sign.")
    assert "input x = shape (2, 3): [0, 1, 2, 3, 4, 5]" in message
    assert "at (0, 1): expected 1.0, got -1.0" in message
    with pytest.raises(ExpectationFailed) as caught:   # wrong, but not a mistake we know: no name
        expect_close(x + 1, x, mistakes={"the gradient has the wrong sign": -x})
    assert caught.value.mistake == "" and "common mistake" not in str(caught.value)
    with pytest.raises(ExpectationFailed) as caught:   # a predicate names a wrong shape
        expect_close(x.T, x, mistakes={"the weight gradient is transposed": lambda got: got.shape == (3, 2)})
    assert caught.value.mistake == "the weight gradient is transposed" and "expected shape (2, 3)" in str(caught.value)


def test_unchanged_and_choice_name_their_mistakes():
    with pytest.raises(ExpectationFailed, match="changes its input in place"):
        expect_unchanged(np.ones(3), np.zeros(3), what="x")
    expect_unchanged(np.ones(3), np.ones(3))
    with pytest.raises(ExpectationFailed) as caught:
        expect_choice("A", "b", "abcd", mistakes={"a": "a larger rate always trains faster"})
    assert caught.value.mistake == "a larger rate always trains faster" and "you chose (a)" in str(caught.value)
    with pytest.raises(ExpectationFailed, match="one of the letters a, b, c, d"):
        expect_choice(2, "b", "abcd")
    expect_choice(" B ", "b", "abcd")


def test_the_seed_of_a_test_differs_per_student_and_not_per_run():
    draws = {}

    def hidden(student, rng):
        draws.setdefault(student_name[0], []).append(int(rng.integers(10**9)))

    test = GradedTest("hidden/t", "q1", 1.0, "", hidden, hidden=True)
    for name in ("ann", "bob", "ann"):
        student_name = [name]
        assert run_test(test, lambda *a, **k: None, name).status == "passed"
    assert draws["ann"][0] == draws["ann"][1] != draws["bob"][0]
    assert student_seed("t", "ann") != student_seed("t", "bob")


def test_check_names_the_mistake_and_prints_the_todo_list(exercise99, capsys):
    check(namespace=namespace_of(NOTEBOOK_CODE["wrong_axis"]), timeout=1)
    out = capsys.readouterr().out
    assert "centred x: common mistake: the mean over the wrong axis." in out
    assert "input x = shape (2, 3)" in out
    check(namespace=namespace_of(NOTEBOOK_CODE["in_place"]), timeout=1)
    out = capsys.readouterr().out
    assert "common mistake: changes its input in place." in out
    assert "TODO test_slow (0/1): not attempted" in out and "to do: write slow" in out


def test_a_test_s_own_time_limit_replaces_the_check_s(exercise99, capsys):
    check("q2", namespace=namespace_of(NOTEBOOK_CODE["right"]), timeout=0.5)   # slow() takes 1.5 s, the test allows 5
    assert "PASS test_slow" in capsys.readouterr().out


def test_a_textbook_answer_s_overflow_warning_stays_out_of_the_check(tmp_path, monkeypatch, capfd):
    (tmp_path / "ex98_sigmoid.py").write_text(
        "import numpy as np\nfrom nnedu.grading import expect_close, points\n\n"
        "@points(1, question='q1')\ndef test_sigmoid(student):\n"
        "    z = np.array([-1000.0, 0.0, 1000.0])\n"
        "    expect_close(student.sigmoid(z), [0.0, 0.5, 1.0])\n")
    monkeypatch.setenv("NNEDU_EXERCISE_TESTS", str(tmp_path))
    namespace = namespace_of(["import numpy as np\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))"])
    with np.errstate(all="warn"):
        check(exercise="98", namespace=namespace)
    out, err = capfd.readouterr()
    assert "PASS test_sigmoid" in out and "Warning" not in out + err


def test_demo_cells_say_not_implemented_yet_and_pass_other_errors_on(capsys):
    def stub():
        raise NotImplementedError("write me")

    with nnedu.demo():
        stub()
    assert capsys.readouterr().out.startswith("not implemented yet: stub")
    with pytest.raises(ZeroDivisionError), nnedu.demo():
        print(1 / 0)
    assert code_cells(notebook(["x = 1"], demo="x = 2")) == ["x = 1", ""]


def test_grade_writes_what_the_class_got_wrong(exercise99, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, cells in NOTEBOOK_CODE.items():
        (subs / f"{name}.ipynb").write_text(json.dumps(notebook(cells, demo="centre(None)  # never run by the grader")))
    out = tmp_path / "out"
    grade(subs, "99", out, jobs=2, limits=Limits(timeout=1, submission_timeout=60), progress=lambda _: None,
          insecure=INSECURE)
    grades = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert grades["right"]["total"] == "4.0" and grades["right"]["status"] == "graded"  # slow() passes with its 5 s
    assert grades["wrong_axis"]["q3"] == "0.0" or grades["wrong_axis"]["q3"] == "1.0"
    rows = list(csv.DictReader((out / "mistakes.csv").open()))
    assert [(r["question"], r["mistake"], r["students"], r["who"]) for r in rows] == [
        ("q1", "changes its input in place", "1", "in_place"),
        ("q1", "the mean over the wrong axis", "1", "wrong_axis")]
    summary = (out / "summary.md").read_text()
    assert "3 submission(s)" in summary and "| q1 | implement | 2 | 0.67 | 1 | 2 | 0 | 2 |" in summary
    assert "q1   the mean over the wrong axis" in summary and "█" in summary
    with pytest.raises(UnknownExercise, match="no question q7"):
        grade(subs, "99", tmp_path / "again", limits=Limits(timeout=1), progress=lambda _: None,
              insecure=INSECURE, only=("q7",))


def test_hard_coded_answers_fail_hidden_tests_for_most_students(exercise99):
    """count() returning 6 passes for a student whose drawn n is 6 and fails for the others."""
    namespace = namespace_of(NOTEBOOK_CODE["wrong_axis"])
    test = next(t for t in __import__("nnedu.grading.runner", fromlist=["x"]).load_tests("99") if t.name == "test_hidden_like")
    passed = [run_test(test, in_process_caller(namespace), f"student{i}").status == "passed" for i in range(40)]
    assert sum(passed) <= 4
    assert run_test(test, in_process_caller(namespace_of(NOTEBOOK_CODE["right"])), "anyone").status == "passed"
    assert Student  # the proxy the runner hands to tests
