"""What the class got wrong: ``summary.md`` and ``mistakes.csv`` for the lecturer, from the graded results.

Tests name the common mistakes they recognise (``expect_close(..., mistakes={...})``), so a grading
run can say, per question, how the scores spread and how many students made each named mistake:
what to re-teach on Monday. Both files are computed from the same results as ``grades.csv``.
"""

from __future__ import annotations

from pathlib import Path

from nnedu.grading.runner import Test, questions

BANDS = ("zero", "below half", "half or more", "full marks")
BAR = 24  # characters of the longest bar


def _band(score: float, top: float) -> str:
    if top <= 0 or score >= top - 1e-9:
        return BANDS[3]
    if score <= 1e-9:
        return BANDS[0]
    return BANDS[1] if score < top / 2 else BANDS[2]


def _bar(count: int, most: int) -> str:
    return "█" * (round(BAR * count / most) if most else 0) or ("▏" if count else "")


def mistake_counts(tests: list[Test], details: list[tuple[str, list[dict]]]) -> list[dict]:
    """One row per (question, named mistake): how many students made it and who, most frequent first."""
    order = {q: i for i, q in enumerate(questions(tests))}
    found: dict[tuple[str, str], dict] = {}
    for student, results in details:
        for r in results:
            name = r.get("mistake") or ""
            if not name:
                continue
            row = found.setdefault((r["question"], name), {"question": r["question"], "mistake": name,
                                                           "students": set(), "tests": set()})
            row["students"].add(student)
            row["tests"].add(r["name"])
    rows = []
    graded = max(1, len(details))
    for row in found.values():
        rows.append({"question": row["question"], "mistake": row["mistake"], "students": len(row["students"]),
                     "share": f"{len(row['students']) / graded:.0%}", "tests": "; ".join(sorted(row["tests"])),
                     "who": "; ".join(sorted(row["students"]))})
    rows.sort(key=lambda r: (order.get(r["question"], len(order)), -r["students"], r["mistake"]))
    return rows


def class_summary(exercise: str, tests: list[Test], details: list[tuple[str, list[dict]]],
                  mistakes: list[dict]) -> str:
    """``summary.md``: per question the score bands and the named mistakes, each with a bar."""
    per_question = questions(tests)
    kinds: dict[str, str] = {}
    for test in tests:
        kinds.setdefault(test.question, test.kind)
    count = len(details)
    totals = [sum(r["score"] for r in results) for _, results in details]
    top = sum(per_question.values())
    lines = [f"# Exercise {exercise}: what the class got wrong", ""]
    if not count:
        return "\n".join(lines + ["No submissions were graded.", ""])
    mean = sum(totals) / count
    ordered = sorted(totals)
    median = (ordered[(count - 1) // 2] + ordered[count // 2]) / 2
    lines += [f"{count} submission(s); mean {mean:.1f} / {top:g}, median {median:g} / {top:g}.", "",
              "| Question | Kind | Points | Mean | Full marks | Zero | Not attempted | Students with a named mistake |",
              "|---|---|---|---|---|---|---|---|"]
    bands: dict[str, dict[str, int]] = {}
    for q, points in per_question.items():
        scores, untried, named = [], 0, 0
        for _, results in details:
            mine = [r for r in results if r["question"] == q]
            scores.append(sum(r["score"] for r in mine))
            untried += bool(mine) and all(r["status"] == "not attempted" for r in mine)
            named += any(r.get("mistake") for r in mine)
        bands[q] = {band: 0 for band in BANDS}
        for score in scores:
            bands[q][_band(score, points)] += 1
        lines.append(f"| {q} | {kinds.get(q, '')} | {points:g} | {sum(scores) / count:.2f} | "
                     f"{bands[q]['full marks']} | {bands[q]['zero']} | {untried} | {named} |")
    lines += ["", "## Scores per question", "", "Students per band of the question's points.", "", "```text"]
    for q, points in per_question.items():
        lines.append(f"{q} ({points:g} points)")
        for band in BANDS:
            lines.append(f"  {band:<13} {_bar(bands[q][band], count):<{BAR}} {bands[q][band]}")
    lines += ["```", "", "## Named mistakes", ""]
    if not mistakes:
        lines += ["No answer matched a named mistake.", ""]
        return "\n".join(lines)
    most = max(m["students"] for m in mistakes)
    lines += ["Students whose answer matched each common mistake the tests recognise (see `mistakes.csv` for "
              "who): what to go over again.", "", "```text"]
    width = min(60, max(len(m["mistake"]) for m in mistakes))
    for m in mistakes:
        label = m["mistake"] if len(m["mistake"]) <= width else m["mistake"][: width - 1] + "…"
        lines.append(f"{m['question']:<4} {label:<{width}} {_bar(m['students'], most):<{BAR}} "
                     f"{m['students']} ({m['share']})")
    lines += ["```", ""]
    return "\n".join(lines)


def write_class_summary(out: Path, exercise: str, tests: list[Test], details: list[tuple[str, list[dict]]],
                        write_csv) -> None:  # noqa: ANN001 (reports.write_csv, passed in to keep one CSV writer)
    """``summary.md`` and ``mistakes.csv`` in ``out``."""
    mistakes = mistake_counts(tests, details)
    write_csv(Path(out) / "mistakes.csv", ["question", "mistake", "students", "share", "tests", "who"], mistakes)
    (Path(out) / "summary.md").write_text(class_summary(exercise, tests, details, mistakes), encoding="utf-8")
