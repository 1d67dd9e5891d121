"""Reading a submitted notebook without trusting it: plain JSON, size-capped, code cells only."""

from __future__ import annotations

import json
import re
from pathlib import Path

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024

_CHECK_CALL = re.compile(r"^(\s*)(?:nnedu\.)?check\s*\(.*\)\s*(#.*)?$")
_EXERCISE = re.compile(r"""^\s*EXERCISE\s*=\s*["']([0-9]+)["']""", re.MULTILINE)


class BadNotebook(ValueError):
    """The file is not a notebook we can read."""


def load(path: Path) -> dict:
    """The notebook at ``path`` as a dict (:class:`BadNotebook` when it is not one)."""
    path = Path(path)
    if not path.is_file():
        raise BadNotebook(f"{path} is not a file")
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise BadNotebook(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
    try:
        nb = json.loads(path.read_bytes())
    except (ValueError, RecursionError) as exc:
        raise BadNotebook(f"{path.name} is not valid notebook JSON: {str(exc)[:120]}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise BadNotebook(f"{path.name} has no list of cells")
    return nb


def source(cell: dict) -> str:
    text = cell.get("source", "")
    if isinstance(text, list):
        text = "".join(t for t in text if isinstance(t, str))
    return text if isinstance(text, str) else ""


def neutralise(code: str) -> str:
    """``code`` with IPython magics, shell escapes and ``nnedu.check(...)`` lines made inert.

    A cell magic (``%%time``) is dropped with its cell. Lines are replaced by ``pass``
    with the same indentation, so line numbers in tracebacks still match the notebook.
    """
    if code.lstrip().startswith("%%"):
        return ""
    lines = []
    for line in code.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith(("%", "!")) or _CHECK_CALL.match(line):
            lines.append(f"{indent}pass")
        else:
            lines.append(line)
    return "\n".join(lines)


DEMO = "demo"  # a cell that only tries the student's functions out (``with nnedu.demo():``)


def _tags(cell: dict) -> list:
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    return tags if isinstance(tags, list) else []


def code_cells(nb: dict) -> list[str]:
    """The neutralised source of every code cell, in order; a cell tagged ``demo`` is left empty.

    Demo cells define nothing the tests call (they train and plot to show the student their work),
    so grading skips them; skipping can only take away from a submission, never add to it.
    """
    cells = []
    for cell in nb["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            cells.append("" if DEMO in _tags(cell) else neutralise(source(cell)))
    return cells


def exercise_of(nb: dict, path: Path | None = None) -> str | None:
    """The exercise number a notebook declares (``EXERCISE = "04"``), else from its file name."""
    for cell in nb.get("cells", []):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            match = _EXERCISE.search(source(cell))
            if match:
                return match.group(1).zfill(2)
    if path is not None:
        match = re.match(r"(?:ex)?(\d+)", Path(path).name)
        if match:
            return match.group(1).zfill(2)
    return None
