"""Every exercise notebook a chapter points to exists."""

from __future__ import annotations

import re

from conftest import REPO


def test_chapter_exercise_pointers_exist():
    missing = []
    for chapter in sorted((REPO / "book").glob("*.ipynb")):
        for target in set(re.findall(r"exercises/[0-9a-z_]+\.ipynb", chapter.read_text())):
            if not (REPO / target).exists():
                missing.append(f"{chapter.name} -> {target}")
    assert not missing, missing


def test_chapters_and_exercises_keep_matching_numbers():
    """Chapter NN points to exercises/NN_*.ipynb, whose title says "Exercise N" and whose checks run exercise NN."""
    exercises = {p.name[:2]: p for p in (REPO / "exercises").glob("*.ipynb")}
    chapters = {p.name[:2]: p for p in (REPO / "book").glob("[0-9][0-9]_*.ipynb")}
    assert sorted(exercises) == [n for n in sorted(chapters) if n != "01"], "one exercise per chapter from 2 on"
    for number, chapter in chapters.items():
        if number == "01":
            continue
        pointers = set(re.findall(r"exercises/([0-9a-z_]+)\.ipynb", chapter.read_text()))
        assert pointers == {exercises[number].stem}, f"{chapter.name} points to {pointers}"
        text = exercises[number].read_text()
        assert f"# Exercise {int(number)}:" in text, f"{exercises[number].name}'s title has another number"
        assert f'EXERCISE = \\"{number}\\"' in text, f"{exercises[number].name} runs another exercise's checks"
