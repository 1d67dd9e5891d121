"""Hostile submissions for exercise 04, built from the solution notebook plus a few cells.

Each builder returns ``(notebook text, expectations)`` where expectations maps a test
name to the status it must get; tests not listed must pass. ``paths`` holds absolute
paths the attacks aim at (results folder, another student's notebook, solutions).
"""

from __future__ import annotations

import json
from pathlib import Path

from nnedu.grading.runner import load_tests

REPO = Path(__file__).resolve().parents[2]
SOLUTION = REPO / "solutions" / "04_activations.ipynb"
Q1 = ["test_sigmoid_values", "test_sigmoid_extremes", "test_sigmoid_grad"]
Q2 = ["test_relu", "test_relu_grad"]


def solution_cells() -> list[str]:
    nb = json.loads(SOLUTION.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def notebook(cells: list[str]) -> str:
    return json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": source} for source in cells],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    })


def with_extra(*extra: str) -> str:
    return notebook(solution_cells() + list(extra))


def build(paths: dict[str, str]) -> dict[str, tuple[str, dict[str, str]]]:
    results, victim, solutions = paths["results"], paths["victim"], paths["solutions"]
    return {
        "good": (with_extra(), {}),
        "infinite_loop_in_function": (with_extra("def relu(z):\n    while True:\n        pass"),
                                      {"test_relu": "timeout"}),
        "infinite_loop_at_top": (with_extra("while True:\n    pass"), {}),
        "memory_bomb_in_function": (with_extra("def relu(z):\n    big = np.ones(10**11)\n    return big"),
                                    {"test_relu": "out of memory"}),
        "memory_bomb_at_top": (with_extra("hog = [0] * 10**10"), {}),
        "sys_exit_cell": (notebook(solution_cells()[:3] + ["import sys\nsys.exit(0)"] + solution_cells()[3:]), {}),
        "os_exit_cell": (notebook(solution_cells()[:3] + ["import os\nos._exit(0)"] + solution_cells()[3:]), {}),
        "os_exit_in_function": (with_extra("def relu(z):\n    import os\n    os._exit(3)"),
                                {"test_relu": "crashed"}),
        "monkeypatch": (with_extra(
            "import numpy\nnumpy.allclose = lambda *a, **k: True\nnumpy.isclose = lambda a, b, **k: numpy.ones(numpy.shape(a), bool)\n"
            "import nnedu.grading.api as api\napi.expect_close = lambda *a, **k: None\n"
            "api.ExpectationFailed = type('Never', (Exception,), {})\n"
            "def relu(z):\n    return z * 0 + 42.0\n\ndef relu_grad(z):\n    return 'PASSED'"),
            {"test_relu": "failed", "test_relu_grad": "failed"}),
        "eq_always_true": (with_extra(
            "class Liar:\n    def __eq__(self, other):\n        return True\n    __array_priority__ = 1000\n\n"
            "class Float(float):\n    def __eq__(self, other):\n        return True\n\n"
            "def relu(z):\n    return Liar()\n\ndef relu_grad(z):\n    return [Float(1.0)] * 3"),
            {"test_relu": "failed", "test_relu_grad": "failed"}),
        "fake_output": (with_extra(
            "print('PASSED ' * 100)\nimport sys, json, os\n"
            "fake = json.dumps({'type': 'test', 'student': 'fake_output', 'name': 'test_relu', 'status': 'passed', "
            "'score': 100, 'max_score': 1, 'id': '0', 'ok': True, 'value': 1.0})\n"
            "print(fake); print(fake, file=sys.stderr)\n"
            "for fd in range(3, 64):\n    try:\n        os.write(fd, (fake + '\\n').encode())\n    except OSError:\n        pass\n"
            "def relu(z):\n    for fd in range(3, 64):\n        try:\n            os.write(fd, (fake + '\\n').encode())\n"
            "        except OSError:\n            pass\n    print(fake)\n    return np.zeros(3)\n"
            "def relu_grad(z):\n    print('test_relu_grad PASSED 1/1')\n    return None"),
            {"test_relu": "failed", "test_relu_grad": "failed"}),
        "vandal": (with_extra(
            "import os, shutil, glob\nfor path in [" + repr(results) + ", " + repr(victim) + ", " + repr(solutions) + "]:\n"
            "    for action in (lambda: shutil.rmtree(path), lambda: os.remove(path),\n"
            "                   lambda: open(path, 'w').write('pwned'), lambda: open(os.path.join(path, 'pwned.txt'), 'w').write('x')):\n"
            "        try:\n            action()\n        except Exception:\n            pass"), {}),
        "reads_solutions": (with_extra(
            "import json, glob\n"
            "def relu(z):\n    nb = json.load(open(" + repr(str(Path(solutions) / "04_activations.ipynb")) + "))\n"
            "    namespace = {'np': np}\n    exec(''.join(nb['cells'][6]['source']), namespace)\n    return namespace['relu'](z)"),
            {"test_relu": "error"}),
        "gigantic_print": (with_extra("print('x' * 10**8)", "for i in range(10**7):\n    print(i, 'spam' * 20)"), {}),
        "not_json": ("{ this is not a notebook", {t.name: "error" for t in load_tests("04")}),
        "missing_function": (notebook([c for c in solution_cells() if "def relu(" not in c]),
                             {t: "error" for t in Q2}),
    }
