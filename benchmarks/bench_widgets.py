"""Time of one Step in the live widgets: the step, the artists updated, the PNG rendered."""

from __future__ import annotations

from benchmarks.common import Row, median_time


def run(quick: bool = False) -> list[Row]:
    import matplotlib

    matplotlib.use("Agg")
    from nnedu import widgets

    rows = []
    for cls, target in [(widgets.GradientDescent1D, 0.030), (widgets.GradientDescent2D, 0.030),
                        (widgets.PerceptronStepper, 0.030), (widgets.ActivationExplorer, 0.030),
                        (widgets.SoftmaxExplorer, 0.030), (widgets.BackpropStepper, None),
                        (widgets.ConvolutionExplorer, None), (widgets.Playground, None)]:
        widget = cls()
        widget.app  # first render: lays out the figure

        def click():
            if getattr(widget, "finished", False):
                widget.reset()
            widget.step_button.click()

        t = median_time(click, repeats=10 if quick else 40, warmup=2)
        rows.append(Row(f"{cls.__name__}: Step + redraw", t, None,
                        "<= 30 ms" if target else "for information", t <= target if target else True))
    return rows
