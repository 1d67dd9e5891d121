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
