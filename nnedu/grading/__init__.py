"""Exercises, self-checks and a sandboxed autograder.

* :mod:`nnedu.grading.assign`: exercise notebooks generated from solution notebooks;
* :mod:`nnedu.grading.api`: what a test file uses (``@points``, ``expect_close`` with named mistakes, ``Partial``);
* :mod:`nnedu.grading.check`: ``nnedu.check("q1")`` for students;
* :mod:`nnedu.grading.grade`: ``nnedu grade`` for instructors, each submission in a
  sandboxed child (:mod:`nnedu.grading.sandbox`, :mod:`nnedu.grading.child`) that
  returns plain data only (:mod:`nnedu.grading.protocol`), every result streamed to
  ``results.jsonl`` (:mod:`nnedu.grading.results`) and the reports made from it
  (:mod:`nnedu.grading.reports`, with the class summary of :mod:`nnedu.grading.summary`);
* :mod:`nnedu.grading.integrity`: flags code that uses what an exercise forbids;
* :mod:`nnedu.grading.lms`: Canvas's gradebook import CSV;
* :mod:`nnedu.grading.autograder`: Gradescope's autograder bundle;
* ``nnedu/grading/exercises/``: the public tests of every exercise (package data).

See INSTRUCTORS.md in this folder for the grading workflow.
"""

from nnedu.grading.api import (
    ExpectationFailed,
    Partial,
    expect_choice,
    expect_close,
    expect_equal,
    expect_length,
    expect_shape,
    expect_unchanged,
    mistake,
    points,
)

__all__ = [
    "ExpectationFailed",
    "Partial",
    "expect_choice",
    "expect_close",
    "expect_equal",
    "expect_length",
    "expect_shape",
    "expect_unchanged",
    "mistake",
    "points",
]
