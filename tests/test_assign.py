"""``nnedu assign``: exercises/ is generated from solutions/ and must be up to date."""

from __future__ import annotations

import json

import pytest
from conftest import REPO

from nnedu.grading.assign import AssignError, assign, stub


def test_committed_exercises_are_up_to_date(tmp_path):
    written = assign(REPO / "solutions", tmp_path)
    stale = [p.name for p in written if p.read_bytes() != (REPO / "exercises" / p.name).read_bytes()]
    assert not stale, f"exercises/ is out of date, run `nnedu assign`: {stale}"
    assert sorted(p.name for p in (REPO / "exercises").glob("*.ipynb")) == sorted(p.name for p in written)


def test_exercises_contain_no_solution_code():
    for path in (REPO / "exercises").glob("*.ipynb"):
        text = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        assert "BEGIN SOLUTION" not in text and "HINT:" not in text
        assert "raise NotImplementedError" in text


def test_stub_keeps_indentation_and_uses_the_hint():
    code = (
        "def f(x):\n"
        "    ### BEGIN SOLUTION\n"
        "    ### HINT: double it\n"
        "    return 2 * x\n"
        "    ### END SOLUTION\n"
        "\n"
        "def g(x):\n"
        "    ### BEGIN SOLUTION\n"
        "    return x\n"
        "    ### END SOLUTION"
    )
    out = stub(code)
    assert "return 2 * x" not in out and "return x" not in out
    assert "    # YOUR CODE HERE (double it)\n    raise NotImplementedError('double it')" in out
    assert "raise NotImplementedError('replace this line with your code')" in out
    namespace = {}
    exec(out, namespace)  # noqa: S102 (running the generated stub is the point)
    with pytest.raises(NotImplementedError, match="double it"):
        namespace["f"](1)


@pytest.mark.parametrize("bad", ["    ### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION",
                                 "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"])
def test_unbalanced_markers_are_an_error(bad):
    with pytest.raises(AssignError):
        stub(bad)


def test_solution_only_cells_and_outputs_are_removed(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook(cells=[
        new_markdown_cell("Question"),
        new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
                      outputs=[nbformat.v4.new_output("stream", text="1")], execution_count=3),
        new_code_cell("print('answer key')", metadata={"tags": ["solution-only"]}),
    ])
    (tmp_path / "sol").mkdir()
    nbformat.write(nb, str(tmp_path / "sol" / "01_x.ipynb"))
    (out,) = assign(tmp_path / "sol", tmp_path / "ex")
    cells = json.loads(out.read_text())["cells"]
    assert len(cells) == 2
    assert cells[1]["outputs"] == [] and cells[1]["execution_count"] is None
