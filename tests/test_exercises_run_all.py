"""Run All on every exercise, as a student meets it: an untouched exercise runs to the end.

Every code cell of a notebook runs in order in one namespace, in a fresh Python process per notebook
(as a kernel would: ``__main__``, the notebook's folder as working directory, numpy's warnings as they
come). On an untouched exercise no cell raises, every demo cell says "not implemented yet" and every
check cell prints its TODO list; on a solution no cell raises, every check is full marks, and no cell
prints a warning. (tests/test_jupyterlab.py does one Run All in a real JupyterLab.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO

RUNNER = textwrap.dedent('''
    import contextlib as _contextlib, io as _io, json as _json, sys as _sys, warnings as _warnings
    _namespace = vars(_sys.modules["__main__"])   # as in a kernel: nnedu.check finds EXERCISE in __main__
    _report = []
    for _cell in _json.load(open(_sys.argv[1]))["cells"]:
        if _cell["cell_type"] != "code":
            continue
        _source = "".join(_cell["source"])
        _out = _io.StringIO()
        with _contextlib.redirect_stdout(_out), _contextlib.redirect_stderr(_out), \\
                _warnings.catch_warnings(record=True) as _caught:
            _warnings.simplefilter("always")
            try:
                exec(compile(_source, "<cell>", "exec"), _namespace)
                _error = ""
            except BaseException as _exc:
                _error = f"{type(_exc).__name__}: {_exc}"
        _report.append({"source": _source, "tags": _cell.get("metadata", {}).get("tags", []), "out": _out.getvalue(),
                        "error": _error, "warnings": [f"{w.category.__name__}: {w.message}" for w in _caught]})
    print(_json.dumps(_report))
''')


def run_all(path) -> list[dict]:
    done = subprocess.run([sys.executable, "-c", RUNNER, str(path)], capture_output=True, text=True,
                          cwd=path.parent, timeout=600, env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg",
                                                             "OMP_NUM_THREADS": "1", "HOME": str(path.parent)})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


EXERCISES = sorted((REPO / "exercises").glob("*.ipynb"))
SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_run_all_on_an_untouched_exercise_runs_to_the_end(path):
    cells = run_all(path)
    errors = [(c["source"][:80], c["error"]) for c in cells if c["error"]]
    assert not errors, errors
    checks = [c for c in cells if "nnedu.check(" in c["source"]]
    assert checks and all("TODO" in c["out"] and "to do: write" in c["out"] for c in checks), \
        [c["out"][:300] for c in checks if "TODO" not in c["out"]]
    demos = [c for c in cells if "demo" in c["tags"]]
    assert all("not implemented yet" in c["out"] for c in demos), [c["source"][:80] for c in demos
                                                                   if "not implemented yet" not in c["out"]]
    assert all("with nnedu.demo():" in c["source"] for c in demos)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_run_all_on_a_solution_passes_every_check_without_a_warning(path):
    cells = run_all(path)
    problems = [(c["source"][:80], c["error"], c["warnings"]) for c in cells if c["error"] or c["warnings"]]
    assert not problems, problems
    for c in cells:
        if "nnedu.check(" in c["source"]:
            assert "FAIL" not in c["out"] and "TODO" not in c["out"] and "PASS" in c["out"], c["out"]
        assert "not implemented yet" not in c["out"]
