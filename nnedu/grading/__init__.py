"""Exercises, self-checks and a sandboxed autograder.

* :mod:`nnedu.grading.assign`: exercise notebooks generated from solution notebooks;
* :mod:`nnedu.grading.api`: what a test file uses (``@points``, ``expect_close``, ``Partial``);
* :mod:`nnedu.grading.check`: ``nnedu.check("q1")`` for students;
* :mod:`nnedu.grading.grade`: ``nnedu grade`` for instructors, each submission in a
  sandboxed child (:mod:`nnedu.grading.sandbox`, :mod:`nnedu.grading.child`) that
  returns plain data only (:mod:`nnedu.grading.protocol`).

See INSTRUCTORS.md in this folder for the grading workflow.
"""

from nnedu.grading.api import (
    ExpectationFailed,
    Partial,
    expect_close,
    expect_equal,
    expect_length,
    expect_shape,
    points,
)

__all__ = ["points", "expect_close", "expect_equal", "expect_shape", "expect_length", "Partial",
           "ExpectationFailed"]
