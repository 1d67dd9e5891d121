"""``python -m benchmarks [--quick] [--only NAME]``: run every ``bench_*.py`` and print a table."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import sys

import benchmarks
import nnedu  # noqa: F401  (sets nnedu's BLAS threads before blas_threads() reads them)
from benchmarks.common import Row, blas_threads


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import numpy

    versions = f"Python {platform.python_version()}, numpy {numpy.__version__}"
    try:
        import torch

        versions += f", torch {torch.__version__}"
    except ImportError:
        pass
    return f"{cpu}, {os.cpu_count()} cores; nnedu: {blas_threads()} BLAS thread(s), torch: its default; {versions}"


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1e3:.2f} ms" if value < 1 else f"{value:.2f} s"


def table(rows: list[Row]) -> str:
    lines = ["| workload | nnedu median | torch median | ratio | target | met |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        note = f" ({r.note})" if r.note else ""
        ours = seconds(r.nnedu_s) if r.unit == "s" else f"{r.nnedu_s:g} {r.unit}"
        lines.append(f"| {r.workload}{note} | {ours} | {seconds(r.torch_s)} | {ratio} | "
                     f"{r.target} | {'yes' if r.met else '**no**'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--only", metavar="NAME", help="run only bench_NAME.py")
    args = parser.parse_args(argv)
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    if args.only:
        names = [n for n in names if n == f"bench_{args.only}"]
        if not names:
            parser.error(f"no benchmark named {args.only!r}")
    rows: list[Row] = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += importlib.import_module(f"benchmarks.{name}").run(quick=args.quick)
    print(f"Machine: {machine()}\n")
    print(table(rows))
    missed = [r.workload for r in rows if not r.met]
    if missed:
        print(f"\nTargets not met: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
