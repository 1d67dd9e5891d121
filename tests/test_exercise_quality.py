"""The exercise set a lecturer would assign: enough questions of every kind, hints that never give the answer.

* every exercise (chapters 2-12) has 4-8 graded questions and at least 10 points; at least 60 in all;
* every exercise mixes kinds (something to implement, and something to derive or predict); the set
  has every kind and two capstones (an MLP and a CNN of the student's own);
* no hint shares an expression with a solution: the hints in the notebooks (``### HINT:``) and in
  the tests (``@points(hint=...)``) are compared with every solution region as normalised tokens.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path

import pytest
from conftest import REPO

from nnedu.grading.assign import BEGIN, END, HINT
from nnedu.grading.runner import load_tests, questions

NUMBERS = [f"{n:02d}" for n in range(2, 13)]
RUN = 5  # tokens in a row that a hint may not share with a solution


def solution_of(number: str) -> Path:
    (path,) = (REPO / "solutions").glob(f"{number}_*.ipynb")
    return path


def regions_and_hints(path: Path) -> tuple[list[str], list[str]]:
    """The code of every solution region of a notebook, and its ``### HINT:`` texts."""
    regions, hints = [], []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        inside: list[str] | None = None
        for line in "".join(cell["source"]).splitlines():
            if BEGIN.match(line):
                inside = []
            elif END.match(line) and inside is not None:
                regions.append("\n".join(inside))
                inside = None
            elif inside is not None:
                hint = HINT.match(line)
                if hint:
                    hints.append(hint.group(1))
                else:
                    inside.append(line)
    return regions, hints


KEEP = {"True", "False", "None", "and", "or", "not", "in", "is", "for", "if", "else", "return", "lambda"}


def _normal(token: str, after_dot: bool) -> str:
    """A variable's name stands for any name (renaming is not rewording); attributes and numbers keep theirs."""
    if re.fullmatch(r"\d+\.\d*|\d*\.\d+|\d+", token):
        return repr(float(token)).removesuffix(".0")
    if re.fullmatch(r"[A-Za-z_]\w*", token) and not after_dot and token not in KEEP:
        return "NAME"
    return token


def code_tokens(code: str) -> list[str]:
    import textwrap

    out: list[str] = []
    reader = io.StringIO(textwrap.dedent(code) + "\n").readline
    for tok in tokenize.generate_tokens(reader):
        if tok.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER):
            out.append(_normal(tok.string, bool(out) and out[-1] == "."))
    return out


PROSE = re.compile(r"\d+\.\d+|\d+|\w+|\*\*|//|[-+*/@%=<>!]=?|[()\[\],:]|\.(?=\w)")


def prose_tokens(text: str) -> list[str]:
    """Tokens of a hint; a word before a spaced bracket ("the (W, b) pairs") is prose, not a call."""
    out: list[str] = []
    text = re.sub(r"(\w)\s+([(\[])", r"\1 | \2", text.replace("`", " "))
    for token in PROSE.findall(text) if "|" not in text else re.findall(PROSE.pattern + r"|\|", text):
        out.append(_normal(token, bool(out) and out[-1] == "."))
    return out


def shared_run(hint: list[str], code: list[str]) -> list[str]:
    """The first run of RUN tokens of ``hint`` that ``code`` also has and that is an expression."""
    grams = {tuple(code[i:i + RUN]) for i in range(len(code) - RUN + 1)}
    for i in range(len(hint) - RUN + 1):
        gram = tuple(hint[i:i + RUN])
        if gram in grams and any(t not in ("NAME", *KEEP) and not t.isalnum() for t in gram):
            return list(gram)
    return []


def test_the_hint_check_can_fail():
    """The first edition's hint for backprop gave the code away; the check must catch it, and its rewordings."""
    solution = code_tokens("delta2 = 2 * (out - y) / out.size\ndW2 = delta2.T @ h\n")
    assert shared_run(prose_tokens("delta2 = 2 * (out - y) / out.size; dW2 = delta2.T @ h"), solution)
    assert shared_run(prose_tokens("use `d = 2 * (o - t) / o.size`"), solution)   # renamed, still the code
    assert not shared_run(prose_tokens("The loss is a mean: divide by the number of entries."), solution)


@pytest.mark.parametrize("number", NUMBERS)
def test_no_hint_shares_an_expression_with_a_solution(number):
    regions, hints = regions_and_hints(solution_of(number))
    hints += [t.hint for t in load_tests(number)]
    codes = [code_tokens(code) for code in regions]
    leaks = {}
    for hint in filter(None, hints):
        for code in codes:
            run = shared_run(prose_tokens(hint), code)
            if run:
                leaks[hint] = " ".join(run)
    assert not leaks, f"hints that give the code away (hint: shared tokens): {leaks}"


@pytest.mark.parametrize("number", NUMBERS)
def test_every_exercise_has_4_to_8_questions_10_points_and_mixed_kinds(number):
    tests = load_tests(number)
    points = questions(tests)
    assert 4 <= len(points) <= 8, points
    assert sum(points.values()) >= 10, points
    kinds = {t.kind for t in tests}
    assert "implement" in kinds and kinds & {"derive", "predict"}, kinds
    for question in points:  # one kind per question
        assert len({t.kind for t in tests if t.question == question}) == 1, question


def test_the_set_has_60_questions_every_kind_and_two_capstones():
    per_kind: dict[str, int] = {}
    total = 0
    capstones = []
    for number in NUMBERS:
        tests = load_tests(number)
        for question in questions(tests):
            kind = next(t.kind for t in tests if t.question == question)
            per_kind[kind] = per_kind.get(kind, 0) + 1
            total += 1
            if kind == "capstone":
                capstones.append(number)
    assert total >= 60, per_kind
    assert min(per_kind.get(k, 0) for k in ("implement", "derive", "predict")) >= 8, per_kind
    assert capstones == ["09", "11"], capstones
