"""Students' self-checks (``nnedu.check``) and the ``nnedu`` command's error messages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO

import nnedu
from nnedu.grading.runner import load_tests, questions

NNEDU = [sys.executable, "-m", "nnedu.cli"]


def run(*args, cwd=REPO):
    return subprocess.run([*NNEDU, *args], check=False, capture_output=True, text=True, cwd=cwd, timeout=120)


def softmax_right(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# A small exercise of the tests' own (97), so that these checks of nnedu.check outlive any rewrite of the
# course's exercises: softmax (q1, three tests), one_hot (q2), predict and accuracy (q3).
EXERCISE97 = """
import numpy as np
from nnedu import functional as F
from nnedu.grading import expect_close, expect_equal, points

Z = np.random.default_rng(5).normal(size=(4, 3))

@points(1, question="q1", hint="Each row is one sample.")
def test_softmax_matches_reference(student):
    expect_close(student.softmax(Z), F.softmax(Z), given={"z": Z})

@points(1, question="q1", hint="Each row sums to one.")
def test_softmax_rows_sum_to_one(student):
    expect_close(np.sum(student.softmax(Z * 3), axis=-1), np.ones(4), what="row sums")

@points(1, question="q1", hint="Subtract the row maximum before exponentiating.")
def test_softmax_is_stable(student):
    z = np.array([[1000.0, 1000.0, 1000.0], [-1000.0, 0.0, 1000.0]])
    expect_close(student.softmax(z), F.softmax(z), given={"z": z},
                 mistakes={"softmax without the max shift (overflow)": lambda got: bool(np.isnan(got).any())})

@points(2, question="q2", hint="One row per label.")
def test_one_hot(student):
    labels = np.array([2, 0, 1, 2])
    expect_close(student.one_hot(labels, 4), F.one_hot(labels, 4))

@points(1, question="q3", hint="The index of the largest probability.")
def test_predict(student):
    expect_equal(np.asarray(student.predict(F.softmax(Z))), np.argmax(Z, axis=1))

@points(1, question="q3", hint="The share of right predictions.")
def test_accuracy(student):
    labels = np.array([np.argmax(Z[0]), np.argmax(Z[1]), 5, 5])
    expect_close(student.accuracy(F.softmax(Z), labels), 0.5)
"""


@pytest.fixture
def exercise97(tmp_path, monkeypatch):
    (tmp_path / "ex97_softmax.py").write_text(EXERCISE97)
    monkeypatch.setenv("NNEDU_EXERCISE_TESTS", str(tmp_path))
    return tmp_path


def test_check_prints_pass_fail_and_not_attempted(capsys, exercise97):
    def softmax_unstable(z):
        with np.errstate(over="ignore", invalid="ignore"):
            return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)

    def one_hot(labels, num_classes):
        raise NotImplementedError("todo")

    nnedu.check("q1", namespace={"EXERCISE": "97", "softmax": softmax_right, "np": np})
    out = capsys.readouterr().out
    assert "q1: 3 of 3 tests passed (3/3 points)" in out and "PASS test_softmax_is_stable" in out

    nnedu.check("q1", namespace={"EXERCISE": "97", "softmax": softmax_unstable})
    out = capsys.readouterr().out
    assert "FAIL test_softmax_is_stable (0/1): failed" in out
    assert "common mistake: softmax without the max shift (overflow)." in out
    assert "input z = shape (2, 3): [1000, 1000, 1000, -1000, 0, 1000]" in out
    assert "values differ" in out and "expected" in out and "got nan" in out
    assert "Hint: Subtract the row maximum" in out

    nnedu.check("q2", namespace={"EXERCISE": "97", "one_hot": one_hot})
    out = capsys.readouterr().out
    assert "TODO test_one_hot (0/2): not attempted" in out and "to do: write one_hot" in out
    assert "Traceback" not in out


def test_check_reports_shapes_missing_functions_and_non_plain_data(capsys, exercise97):
    nnedu.check("q1", namespace={"EXERCISE": "97", "softmax": lambda z: softmax_right(z)[0]})
    assert "expected shape (4, 3), got shape (3,)" in capsys.readouterr().out
    nnedu.check("q3", exercise="97", namespace={"predict": lambda p: object()})
    out = capsys.readouterr().out
    assert "accuracy is not defined" in out and "object object, not plain data" in out


def test_check_finds_the_exercise_in_main(capsys, monkeypatch, exercise97):
    main = sys.modules["__main__"]
    monkeypatch.setattr(main, "EXERCISE", "97", raising=False)
    monkeypatch.setattr(main, "one_hot", lambda labels, k: np.eye(k)[labels], raising=False)
    nnedu.check("q2")
    assert "PASS test_one_hot (2/2)" in capsys.readouterr().out


def test_check_explains_unknown_exercises_and_questions(capsys):
    nnedu.check("q1", namespace={})
    assert 'EXERCISE = "04"' in capsys.readouterr().out
    nnedu.check("q1", exercise="99", namespace={})
    assert "unknown exercise '99'" in capsys.readouterr().out
    nnedu.check("q9", exercise="04", namespace={})
    assert "no question 'q9'" in capsys.readouterr().out


def test_check_is_silent_while_grading(capsys, monkeypatch):
    monkeypatch.setenv("NNEDU_GRADING", "1")
    assert nnedu.check("q1", exercise="04", namespace={}) is None
    assert capsys.readouterr().out == ""


def test_import_nnedu_stays_light():
    code = "import sys, nnedu; print(any(m in sys.modules for m in ('nbformat', 'torch', 'nnedu.grading')))"
    assert subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True).stdout.strip() == "False"


def test_command_line_check_of_a_notebook():
    full = sum(questions(load_tests("06")).values())
    good = run("check", "solutions/06_losses.ipynb")
    assert good.returncode == 0 and f"total: {full:g}/{full:g} points" in good.stdout
    todo = run("check", "exercises/06_losses.ipynb", "--question", "q2")
    assert todo.returncode == 1 and "TODO test_" in todo.stdout and "to do: write" in todo.stdout
    assert "Traceback" not in todo.stdout


@pytest.mark.parametrize("args, message", [
    (["check", "no/such.ipynb"], "no such notebook: no/such.ipynb"),
    (["check", "exercises/04_activations.ipynb", "--exercise", "42"], "unknown exercise '42'"),
    (["grade", "no/such/folder", "--exercise", "04", "--out", "x"], "no such folder of submissions"),
    (["grade", "exercises", "--exercise", "77", "--out", "x"], "unknown exercise '77'"),
    (["grade", "exercises", "--exercise", "04", "--out", "x", "--tests", "nowhere"], "no such folder of hidden tests"),
    (["grade", "exercises", "--exercise", "04", "--out", "x", "-j", "zero"], "expected a positive number"),
    (["grade", "exercises", "--exercise", "04"], "the following arguments are required: --out"),
    (["assign", "no_solutions_here"], "no such folder: no_solutions_here"),
    (["frobnicate"], "invalid choice"),
])
def test_command_line_errors_are_one_clear_line(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_command_line_rejects_a_notebook_that_is_not_json(tmp_path):
    bad = tmp_path / "04_broken.ipynb"
    bad.write_text("{ nope")
    result = run("check", str(bad))
    assert result.returncode == 2 and "not valid notebook JSON" in result.stderr


def test_command_line_grade_writes_the_reports(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "zoe.ipynb").write_text((REPO / "solutions" / "03_forward_pass.ipynb").read_text())
    result = run("grade", str(subs), "--exercise", "3", "--out", str(tmp_path / "out"), "-j", "2", "--timeout", "10")
    assert result.returncode == 0, result.stderr
    full = sum(questions(load_tests("03")).values())
    assert f"zoe: {full:g}/{full:g}" in result.stdout
    assert json.loads((tmp_path / "out" / "gradescope" / "zoe" / "results.json").read_text())["score"] == full
    assert "what the class got wrong:" in result.stdout and (tmp_path / "out" / "summary.md").exists()


def test_check_works_from_an_installed_copy_on_a_lone_notebook(tmp_path):
    """The public tests ship inside the package: a copy of ``nnedu`` outside the repository
    (as a wheel installs it) checks a notebook alone in an empty folder."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "nnedu", site / "nnedu", ignore=shutil.ignore_patterns("__pycache__"))
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(REPO / "exercises" / "05_softmax.ipynb", work)
    shutil.copy(REPO / "solutions" / "05_softmax.ipynb", work / "mine.ipynb")
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("NNEDU_EXERCISE_TESTS", None)
    where = subprocess.run([sys.executable, "-c", "import nnedu; print(nnedu.__file__)"], cwd=work, env=env,
                           check=False, capture_output=True, text=True)
    assert where.stdout.strip() == str(site / "nnedu" / "__init__.py")
    stub = subprocess.run([sys.executable, "-m", "nnedu.cli", "check", "05_softmax.ipynb"], cwd=work, env=env,
                          check=False, capture_output=True, text=True, timeout=120)
    full = sum(questions(load_tests("05")).values())
    assert stub.returncode == 1 and f"total: 0/{full:g} points" in stub.stdout, stub.stdout + stub.stderr
    solved = subprocess.run([sys.executable, "-m", "nnedu.cli", "check", "mine.ipynb", "--exercise", "5"], cwd=work,
                            env=env, check=False, capture_output=True, text=True, timeout=120)
    assert solved.returncode == 0 and f"total: {full:g}/{full:g} points" in solved.stdout, solved.stdout + solved.stderr
    # nnedu.check in a plain Python process, on the solution's code cells (as a kernel would run them)
    cells = [c for c in json.loads((work / "mine.ipynb").read_text())["cells"] if c["cell_type"] == "code"]
    notebook_code = "\n".join("".join(c["source"]) for c in cells
                              if "nnedu-setup" not in c["metadata"].get("tags", [])
                              and "demo" not in c["metadata"].get("tags", []))
    in_notebook = subprocess.run([sys.executable, "-c", notebook_code], cwd=work, env=env, check=False,
                                 capture_output=True, text=True, timeout=120)
    assert "q1: " in in_notebook.stdout and "FAIL" not in in_notebook.stdout and "TODO" not in in_notebook.stdout, \
        in_notebook.stdout + in_notebook.stderr


def test_check_in_a_notebook_stops_an_infinite_loop(capsys, exercise97):
    """A student's infinite loop fails its test with "timeout" instead of hanging the kernel,
    even a loop that swallows every Exception; the notebook's own alarm is put back."""
    import signal
    import threading
    import time

    def softmax(z):
        while True:
            try:
                z = z + 0
            except Exception:  # noqa: BLE001, S110 (the loop a student might write to swallow errors)
                pass

    def one_hot(labels, num_classes):
        time.sleep(30)

    handler = signal.signal(signal.SIGALRM, signal.default_int_handler)
    try:
        start = time.monotonic()
        nnedu.check("q1", namespace={"EXERCISE": "97", "softmax": softmax}, timeout=0.3)
        out = capsys.readouterr().out
        assert "FAIL test_softmax_matches_reference (0/1): timeout" in out
        assert "softmax did not return within 0.3 s" in out
        assert time.monotonic() - start < 10
        assert signal.getsignal(signal.SIGALRM) is signal.default_int_handler
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)

        thread = threading.Thread(target=nnedu.check, args=("q2",),  # a kernel running cells off the main thread
                                  kwargs={"namespace": {"EXERCISE": "97", "one_hot": one_hot}, "timeout": 0.3})
        thread.start()
        thread.join(10)
        assert not thread.is_alive()
        assert "one_hot did not return within 0.3 s" in capsys.readouterr().out
    finally:
        signal.signal(signal.SIGALRM, handler)


def test_check_in_a_real_kernel_stops_an_infinite_loop_and_the_kernel_goes_on(exercise97):
    """As a student meets it: a Jupyter kernel runs `nnedu.check` on a softmax that never returns;
    the check prints "timeout" within the limit and the next cell runs in the same kernel."""
    nbclient = pytest.importorskip("nbclient", reason="nbclient runs a real Jupyter kernel")
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('import nnedu\nEXERCISE = "97"\ndef softmax(z):\n    while True:\n        pass'),
        nbformat.v4.new_code_cell('nnedu.check("q1", timeout=0.5)'),
        nbformat.v4.new_code_cell('print("kernel still alive")'),
    ])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    check_output = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert "FAIL test_softmax_matches_reference (0/1): timeout" in check_output
    assert "softmax did not return within 0.5 s" in check_output
    assert "kernel still alive" in "".join(o.get("text", "") for o in nb.cells[2].outputs)
