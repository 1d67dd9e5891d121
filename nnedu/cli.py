"""The ``nnedu`` command: ``assign``, ``check`` and ``grade`` (see ``nnedu --help``).

Errors a user can make (a missing file, an unknown exercise, a bad option) print one
line and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value

    return parse


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nnedu", description="Exercises, self-checks and grading for the nnedu course.")
    sub = p.add_subparsers(dest="command", required=True, metavar="{assign,check,grade,autograder}")

    a = sub.add_parser("assign", help="generate exercise notebooks from solution notebooks")
    a.add_argument("solutions", nargs="?", default="solutions",
                   help="folder of solution notebooks (default: solutions)")
    a.add_argument("--out", default="exercises", help="where to write the exercises (default: exercises)")

    c = sub.add_parser("check", help="run a notebook in a sandbox and check it against the public tests")
    c.add_argument("notebook", help="the exercise notebook, e.g. exercises/04_activations.ipynb")
    c.add_argument("--exercise", help="exercise number (default: the notebook's EXERCISE variable)")
    c.add_argument("--question", help="only this question, e.g. q2")
    c.add_argument("--timeout", type=_positive(float), default=10.0, help="seconds per cell and per call (default 10)")

    g = sub.add_parser("grade", help="grade a folder of submissions in sandboxed processes")
    g.add_argument("submissions", help="folder with one notebook (or one folder) per student")
    g.add_argument("--exercise", required=True, help="exercise number, e.g. 04")
    g.add_argument("--out", required=True, help="results folder")
    g.add_argument("--tests", help="extra folder of hidden tests (files exNN_*.py)")
    g.add_argument("-j", "--jobs", type=_positive(int), default=1, help="submissions graded in parallel")
    g.add_argument("--timeout", type=_positive(float), default=10.0, help="seconds per cell and per call (default 10)")
    g.add_argument("--submission-timeout", type=_positive(float),
                   help="seconds per submission (default 20 x timeout, at least 120)")
    g.add_argument("--memory", type=_positive(int), default=2048,
                   help="memory limit per submission in MB (default 2048)")
    g.add_argument("--resume", action="store_true",
                   help="keep results.jsonl; grade only what is missing and retry grader errors")
    g.add_argument("--roster", help="CSV mapping submission names to Canvas students: also write OUT/canvas.csv")
    g.add_argument("--assignment", help="the Canvas assignment column (default: 'nnedu exercise NN')")
    g.add_argument("--question", action="append", metavar="qN",
                   help="grade only this question (repeat for more), e.g. after fixing its test")
    g.add_argument("--insecure", action="store_true",
                   help="grade even where submissions cannot be isolated from the machine (recorded in grades.csv)")

    z = sub.add_parser("autograder", help="build Gradescope's autograder bundle (zip) for one exercise")
    z.add_argument("--exercise", required=True, help="exercise number, e.g. 04")
    z.add_argument("-o", "--output", default="autograder.zip", help="the zip to write (default: autograder.zip)")
    z.add_argument("--tests", help="folder of hidden tests (files exNN_*.py) to include")
    z.add_argument("--timeout", type=_positive(float), default=10.0, help="seconds per cell and per call (default 10)")
    z.add_argument("--memory", type=_positive(int), default=2048, help="memory limit in MB (default 2048)")
    z.add_argument("--extra", action="append", choices=["data", "torch"],
                   help="also install this extra of nnedu; repeatable (default: what the exercise notebook imports, "
                        "e.g. torch for exercise 12)")
    return p


def fail(message: str) -> int:
    print(f"nnedu: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from nnedu.grading.runner import UnknownExercise

    try:
        if args.command == "assign":
            return _assign(args)
        if args.command == "check":
            return _check(args)
        if args.command == "autograder":
            return _autograder(args)
        return _grade(args)
    except UnknownExercise as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted")


def _assign(args) -> int:
    from nnedu.grading.assign import AssignError, assign

    if not Path(args.solutions).is_dir():
        return fail(f"no such folder: {args.solutions}")
    try:
        written = assign(Path(args.solutions), Path(args.out))
    except (AssignError, FileNotFoundError) as exc:
        return fail(str(exc))
    for path in written:
        print(f"wrote {path}")
    return 0


def _check(args) -> int:
    from nnedu.grading.check import check_notebook, format_results
    from nnedu.grading.notebook import BadNotebook

    if not Path(args.notebook).is_file():
        return fail(f"no such notebook: {args.notebook}")
    try:
        results = check_notebook(Path(args.notebook), args.exercise, args.question, args.timeout)
    except BadNotebook as exc:
        return fail(str(exc))
    print(format_results(results))
    score, top = sum(r.score for r in results), sum(r.max_score for r in results)
    print(f"total: {score:g}/{top:g} points")
    return 0 if all(r.status == "passed" for r in results) else 1


def _grade(args) -> int:
    from nnedu.grading.grade import SubmissionNameClash, grade
    from nnedu.grading.runner import UnknownExercise, load_tests, normalise_exercise
    from nnedu.grading.sandbox import IsolationUnavailable, Limits

    if not Path(args.submissions).is_dir():
        return fail(f"no such folder of submissions: {args.submissions}")
    if args.tests and not Path(args.tests).is_dir():
        return fail(f"no such folder of hidden tests: {args.tests}")
    exercise = normalise_exercise(args.exercise)
    load_tests(exercise)  # an unknown exercise fails here, before anything is written
    roster = None
    if args.roster:
        from nnedu.grading.lms import RosterError, read_roster

        try:
            roster = read_roster(Path(args.roster))  # a bad roster fails here too
        except RosterError as exc:
            return fail(str(exc))
    limits = Limits(timeout=args.timeout, memory_mb=args.memory,
                    submission_timeout=args.submission_timeout or max(120.0, 20 * args.timeout))
    try:
        report = grade(Path(args.submissions), exercise, Path(args.out), Path(args.tests) if args.tests else None,
                       args.jobs, limits, args.resume, insecure=args.insecure, only=tuple(args.question or ()))
    except (SubmissionNameClash, IsolationUnavailable, UnknownExercise) as exc:
        return fail(str(exc))
    print(f"graded {len(report.students)} submissions: {Path(args.out) / 'grades.csv'}")
    print(f"what the class got wrong: {Path(args.out) / 'summary.md'} and {Path(args.out) / 'mistakes.csv'}")
    if roster is not None:
        from nnedu.grading.lms import write_canvas

        export = write_canvas(Path(args.out), roster, args.assignment or f"nnedu exercise {exercise}", report.students)
        print("\n".join(export.summary()))
    return 0


def _autograder(args) -> int:
    from nnedu.grading.autograder import BundleError, build_bundle

    if args.tests and not Path(args.tests).is_dir():
        return fail(f"no such folder of hidden tests: {args.tests}")
    try:
        names = build_bundle(args.exercise, Path(args.output), Path(args.tests) if args.tests else None,
                             args.timeout, args.memory, tuple(args.extra) if args.extra else None)
    except BundleError as exc:
        return fail(str(exc))
    print(f"wrote {args.output}: {', '.join(names)}")
    print("Upload it in Gradescope (Configure Autograder, zip file); students submit their .ipynb.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
