"""Time of one Step in the live widgets: the step, the artists updated, the PNG rendered.

Every widget must answer a Step within 30 ms (median, kernel side; the picture is
rendered at 2 device pixels per CSS pixel). The note gives the median CPU time of the
same clicks, which other processes on a shared machine do not inflate.
"""

from __future__ import annotations

import statistics
import time

from benchmarks.common import Row

TARGET_S = 0.030


def run(quick: bool = False) -> list[Row]:
    import matplotlib

    matplotlib.use("Agg")
    from nnedu import widgets

    rows = []
    for cls in [widgets.GradientDescent1D, widgets.GradientDescent2D, widgets.PerceptronStepper,
                widgets.ActivationExplorer, widgets.SoftmaxExplorer, widgets.BackpropStepper,
                widgets.ConvolutionExplorer, widgets.Playground]:
        widget = cls()
        widget.app  # noqa: B018 (first render: lays out the figure)

        def click(widget: widgets.Stepper = widget) -> None:
            if widget.finished:          # start again, as a student would with Reset
                widget.reset_button.click()
            widget.step_button.click()

        for _ in range(2):
            click()
        wall, cpu = [], []
        for _ in range(10 if quick else 40):
            start, start_cpu = time.perf_counter(), time.process_time()
            click()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        t = statistics.median(wall)
        rows.append(Row(f"{cls.__name__}: Step + redraw", t, None, "<= 30 ms", t <= TARGET_S,
                        f"CPU {statistics.median(cpu) * 1e3:.1f} ms"))
    return rows
