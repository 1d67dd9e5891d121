"""``nnedu assign``: the student notebooks, generated from the solution notebooks.

In a solution notebook the answer to each question sits in a marked region::

    def softmax(z):
        ### BEGIN SOLUTION
        ### HINT: subtract the row maximum before np.exp
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
        ### END SOLUTION

The exercise notebook gets, at the same indentation, a comment with the hint and
``raise NotImplementedError(...)``. Outputs and execution counts are cleared, and
cells tagged ``solution-only`` (cell metadata ``tags``) are left out.
"""

from __future__ import annotations

import re
from pathlib import Path

BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")
HINT = re.compile(r"^\s*### HINT:\s*(.*?)\s*$")
DEFAULT_HINT = "replace this line with your code"
SOLUTION_ONLY = "solution-only"


class AssignError(ValueError):
    """A solution notebook whose markers do not pair up."""


def stub(code: str, where: str = "") -> str:
    """``code`` with every solution region replaced by a hint and ``raise NotImplementedError``."""
    out, region, indent, hint = [], False, "", DEFAULT_HINT
    for number, line in enumerate(code.splitlines(), 1):
        begin = BEGIN.match(line)
        if begin:
            if region:
                raise AssignError(f"{where} line {number}: BEGIN SOLUTION inside another solution region")
            region, indent, hint = True, begin.group(1), DEFAULT_HINT
        elif END.match(line):
            if not region:
                raise AssignError(f"{where} line {number}: END SOLUTION without BEGIN SOLUTION")
            out.append(f"{indent}# YOUR CODE HERE ({hint})")
            out.append(f"{indent}raise NotImplementedError({hint!r})")
            region = False
        elif region:
            match = HINT.match(line)
            if match:
                hint = match.group(1) or DEFAULT_HINT
        else:
            out.append(line)
    if region:
        raise AssignError(f"{where}: BEGIN SOLUTION without END SOLUTION")
    return "\n".join(out)


def assign_notebook(source: Path, target: Path) -> None:
    """Write the exercise version of the solution notebook ``source`` to ``target``."""
    import nbformat

    nb = nbformat.read(str(source), as_version=4)
    cells = []
    for index, cell in enumerate(nb.cells, 1):
        if SOLUTION_ONLY in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "code":
            cell.source = stub(cell.source, f"{source.name} cell {index}")
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    nb.cells = cells
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(target))


def assign(solutions: Path, out: Path) -> list[Path]:
    """Generate ``out/NAME.ipynb`` for every ``solutions/NAME.ipynb``; returns the files written."""
    solutions, out = Path(solutions), Path(out)
    sources = sorted(p for p in solutions.glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no solution notebooks (*.ipynb) in {solutions}")
    written = []
    for source in sources:
        target = out / source.name
        assign_notebook(source, target)
        written.append(target)
    return written
