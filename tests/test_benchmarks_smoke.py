"""The benchmark harness works (the benchmarks themselves run in `make bench`, not here)."""

from __future__ import annotations

import importlib
import pkgutil

import benchmarks
from benchmarks.common import Row, median_time, ratio_row


def test_median_time_measures_something():
    calls = []
    t = median_time(lambda: calls.append(sum(range(1000))), repeats=5, warmup=2)
    assert len(calls) == 7 and 0 < t < 1


def test_rows_compute_ratios_and_targets():
    assert ratio_row("x", 3.0, 2.0, 2.0).met and ratio_row("x", 3.0, 2.0, 2.0).ratio == 1.5
    assert not ratio_row("x", 5.0, 2.0, 2.0).met
    assert Row("import", 0.1, None, "< 0.5 s", True).ratio is None


def test_every_benchmark_module_has_run():
    names = [m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")]
    assert {"bench_mlp", "bench_conv", "bench_import"} <= set(names)
    for name in names:
        assert callable(importlib.import_module(f"benchmarks.{name}").run)
