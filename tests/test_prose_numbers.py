"""Every number a chapter's prose takes from a computation is glued, so the text cannot go stale.

The rule: a decimal number (``0.97``, ``1.881``) or a percentage (``97 %``) in a chapter's Markdown,
maths included, is allowed only when it is

* inserted by myst-nb's glue (``{glue:text}`acc:.1%```, glued by ``nnedu.style.glue``), or
* a defined constant: a number literal of one of the notebook's code cells (a learning rate, a value
  quoted from a deck and assigned to a name), or a constant declared with its reason in the notebook's
  metadata, ``"nnedu": {"constants": {"0.25": "the maximum of sigma'(z), at z = 0"}}``.

Changing a seed, or switching to the full MNIST, then changes the prose with the computation.
"""

from __future__ import annotations

import io
import json
import math
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))

NUMBER = re.compile(r"(?<![\w.])(\d+\.\d+|\d+(?:\.\d+)?(?=\s*\\?%))(?![\w.]*\d)")
"""A decimal number, or a whole number followed by a percent sign (LaTeX's ``\\%`` too)."""
NOT_PROSE = [
    re.compile(r"```.*?```", re.S),                  # fenced code (a {math} block is kept: see below)
    re.compile(r"\{glue(?::\w+)?\}`[^`]*`"),          # glued values
    re.compile(r"\{(?:ref|numref|eq|doc|download)\}`[^`]*`"),
    re.compile(r"`[^`]*`"),                           # inline code
    re.compile(r"\]\([^)]*\)"),                       # link targets
    re.compile(r"<[^>]+>"),                           # HTML tags and their attributes
]
MATH_BLOCK = re.compile(r"```\{math\}(.*?)```", re.S)


def code_numbers(notebook: dict) -> set[float]:
    """The values of the number literals in the notebook's code cells."""
    values: set[float] = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        except (tokenize.TokenError, IndentationError, SyntaxError):
            tokens = []
        for token in tokens:
            if token.type == tokenize.NUMBER and not token.string.endswith(("j", "J")):
                values.add(float(token.string.replace("_", "")))
    return values


def prose(markdown: str) -> str:
    """The Markdown without what is not prose, keeping the maths of ``{math}`` blocks."""
    maths = " ".join(MATH_BLOCK.findall(markdown))
    for pattern in NOT_PROSE:
        markdown = pattern.sub(" ", markdown)
    return markdown + " " + maths


def unglued_numbers(notebook: dict) -> list[str]:
    """The numbers in the prose that are neither glued nor defined constants, with their context."""
    defined = code_numbers(notebook)
    declared = notebook.get("metadata", {}).get("nnedu", {}).get("constants", {})
    found = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = prose("".join(cell["source"]))
        for match in NUMBER.finditer(text):
            literal = match.group(1)
            value = float(literal)
            if literal in declared or any(math.isclose(value, d, rel_tol=1e-9) or math.isclose(value / 100, d, rel_tol=1e-9)
                                          for d in defined):
                continue
            context = text[max(0, match.start() - 40): match.end() + 20].replace("\n", " ")
            found.append(f"{literal!r} in '…{context}…'")
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_computed_number_in_the_prose_is_glued(path):
    notebook = json.loads(path.read_text())
    unglued = unglued_numbers(notebook)
    assert not unglued, (f"{path.name}: numbers typed into the prose (glue them with nnedu.style.glue and "
                         "{glue:text}`name`, or declare a constant with its reason in the notebook's metadata "
                         "nnedu.constants):\n  " + "\n  ".join(unglued))


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_declared_constants_give_a_reason_and_are_used(path):
    notebook = json.loads(path.read_text())
    declared = notebook.get("metadata", {}).get("nnedu", {}).get("constants", {})
    text = " ".join(prose("".join(c["source"])) for c in notebook["cells"] if c["cell_type"] == "markdown")
    for literal, reason in declared.items():
        assert isinstance(reason, str) and len(reason.split()) >= 3, f"{path.name}: constant {literal} needs a reason"
        assert literal in text, f"{path.name}: constant {literal} is declared but the prose never uses it"


def test_the_check_finds_typed_numbers_and_accepts_glued_and_defined_ones():
    def notebook(markdown: str, code: str = "", constants: dict | None = None) -> dict:
        return {"cells": [{"cell_type": "code", "source": [code]}, {"cell_type": "markdown", "source": [markdown]}],
                "metadata": {"nnedu": {"constants": constants or {}}}}

    found = unglued_numbers(notebook("It reaches 97.3 % on the test set."))
    assert len(found) == 1 and found[0].startswith("'97.3' in '…It reaches 97.3 %")
    assert unglued_numbers(notebook("It reaches 97 % and a loss of 0.12.")) != []
    assert unglued_numbers(notebook("$$L = 1.881$$")) != []
    assert unglued_numbers(notebook("```{math}\nL = 1.881\n```")) != []
    assert unglued_numbers(notebook("It reaches {glue:text}`acc:.1%` after `lr=0.05`.")) == []
    assert unglued_numbers(notebook("With a learning rate of 0.05.", code="lr = 0.05")) == []
    assert unglued_numbers(notebook("The deck prints 98.40 %.", code="DECK_MLP = 0.984")) == []
    assert unglued_numbers(notebook("At most $0.25$.", constants={"0.25": "the maximum of sigma'(z)"})) == []
    assert unglued_numbers(notebook("Chapter 9 and version 1.2.3, [link](https://x.org/a1.5)")) == []


def test_style_glue_passes_python_numbers_to_myst_nb_and_returns_the_value(monkeypatch):
    import sys

    import numpy as np

    from nnedu import style

    recorded = []
    fake = type(sys)("myst_nb")
    fake.glue = lambda name, value, display=True: recorded.append((name, value, display))
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    value = np.float64(0.973)
    assert style.glue("acc", value) is value
    assert recorded == [("acc", 0.973, False)] and type(recorded[0][1]) is float   # so {glue:text}`acc:.1%` formats
    array = np.arange(3)
    assert style.glue("counts", array) is array and recorded[-1][1] is array       # arrays are passed as they are

    monkeypatch.setitem(sys.modules, "myst_nb", None)                               # Colab: no myst-nb
    assert style.glue("acc", 0.5) == 0.5


def test_style_glue_mean_std_glues_the_mean_and_the_population_std(monkeypatch):
    import sys

    from nnedu import style

    recorded = {}
    fake = type(sys)("myst_nb")
    fake.glue = lambda name, value, display=True: recorded.update({name: value})
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    style.glue_mean_std("acc", [0.90, 0.94, 0.95])
    assert recorded.keys() == {"acc", "acc_std"}
    assert abs(recorded["acc"] - 0.93) < 1e-12
    assert abs(recorded["acc_std"] - (0.0014 / 3) ** 0.5) < 1e-12    # deviations -0.03, 0.01, 0.02; divided by n
