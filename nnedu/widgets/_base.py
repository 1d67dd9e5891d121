"""What every stepper shares: one figure, controls, and two ways to be shown.

A stepper holds a small state machine (``reset``, ``step``) and one matplotlib figure
whose artists ``draw`` updates in place. It is shown in one of two ways:

- **live**, with a kernel: an ipywidgets app (the controls, and the figure as an
  image that is re-rendered after every change);
- **static**, in the published book (``NNEDU_STATIC=1``, set by ``make book``): a
  self-contained HTML player of a precomputed run, made by matplotlib's
  ``FuncAnimation.to_jshtml``: First / Previous / Next / Last / Play and a frame slider,
  frames embedded as images, no script from the network and no kernel.

The same code computes both, so the book shows exactly what the live widget does.
"""

from __future__ import annotations

import io
import os
import re

import ipywidgets as W
from matplotlib.animation import FuncAnimation
from matplotlib.figure import Figure  # not pyplot: a notebook never shows it a second time

#: matplotlib's player draws its buttons with Font Awesome icons loaded from a CDN; the
#: book must not fetch anything, so the icons become plain characters.
_ICONS = {
    "fa fa-minus": "&minus;", "fa fa-plus": "+", "fa fa-fast-backward": "&#x23EE;",
    "fa fa-step-backward": "&#x25C0;&#x2759;", "fa fa-play fa-flip-horizontal": "&#x25C0;",
    "fa fa-pause": "&#x23F8;", "fa fa-play": "&#x25B6;", "fa fa-step-forward": "&#x2759;&#x25B6;",
    "fa fa-fast-forward": "&#x23ED;",
}


def offline_player(html: str) -> str:
    """Remove the player's CDN stylesheet and replace its icons by characters."""
    html = re.sub(r"<link[^>]*font-awesome[^>]*>", "", html)
    for css_class, character in _ICONS.items():
        html = html.replace(f'<i class="{css_class}"></i>', f'<span aria-hidden="true">{character}</span>')
    return html


#: Resolution of the figures (live and static): small images keep a step fast and a
#: static stepper well under its 1.5 MB budget.
DPI = 72


def static_mode() -> bool:
    """True when widgets should render as kernel-free HTML (the book build)."""
    return os.environ.get("NNEDU_STATIC", "") not in ("", "0")


class Stepper:
    """Base class: subclasses build ``self.fig``, controls, and define reset/step/draw."""

    #: how many frames the static stepper shows
    static_frames: int = 30

    def __init__(self, figsize: tuple[float, float] = (7.5, 3.2)) -> None:
        self.fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
        self.message = ""
        self.picture = W.Image(format="png")
        self.status = W.HTML()
        self.step_button = W.Button(description="Step", button_style="primary")
        self.reset_button = W.Button(description="Reset")
        self.step_button.on_click(lambda _: self._step_and_show())
        self.reset_button.on_click(lambda _: self._reset_and_show())

    # -- to be defined by each widget ------------------------------------------------
    def reset(self) -> None:
        raise NotImplementedError

    def step(self) -> None:
        raise NotImplementedError

    def draw(self) -> None:
        raise NotImplementedError

    def controls(self) -> list[W.Widget]:
        """The widget's own controls (sliders, dropdowns), shown above the buttons."""
        return []

    def buttons(self) -> list[W.Widget]:
        return [self.step_button, self.reset_button]

    # -- live ------------------------------------------------------------------------
    def render(self) -> bytes:
        """Update the artists and return the figure as PNG bytes."""
        self.draw()
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
        # The first render placed the axes; later ones keep them (re-running the layout
        # engine at every step would cost more than the drawing itself).
        self.fig.set_layout_engine("none")
        return buffer.getvalue()

    def refresh(self) -> None:
        self.picture.value = self.render()
        self.status.value = f"<code>{self.message}</code>" if self.message else ""

    def _step_and_show(self) -> None:
        self.step()
        self.refresh()

    def _reset_and_show(self) -> None:
        self.reset()
        self.refresh()

    def watch(self, *controls: W.Widget) -> None:
        """Reset and redraw whenever one of ``controls`` changes value."""
        for control in controls:
            control.observe(self._on_change, names="value")

    def _on_change(self, _change) -> None:
        if not getattr(self, "_quiet", False):
            self._reset_and_show()

    def set_quietly(self, control: W.Widget, value) -> None:
        """Change a control's value without resetting (used when a step moves a control)."""
        self._quiet = True
        try:
            control.value = value
        finally:
            self._quiet = False

    @property
    def app(self) -> W.Widget:
        """The live ipywidgets app (built on first use)."""
        if not hasattr(self, "_app"):
            self.refresh()
            self._app = W.VBox([W.HBox(self.controls()) if self.controls() else W.HTML(),
                                W.HBox(self.buttons()), self.status, self.picture])
        return self._app

    # -- static ----------------------------------------------------------------------
    def frames(self, n: int):
        """Reset, then yield after each of ``n - 1`` steps (frame 0 is the start)."""
        self.reset()
        yield 0
        for i in range(1, n):
            self.step()
            yield i

    def static_html(self, n_frames: int | None = None) -> str:
        """A self-contained HTML player of ``n_frames`` precomputed frames."""
        n = n_frames or self.static_frames
        states = self.frames(n)

        def advance(_):
            next(states, None)
            self.draw()
            return []

        animation = FuncAnimation(self.fig, advance, frames=n, init_func=lambda: [],
                                  blit=False, repeat=False, cache_frame_data=False)
        html = offline_player(animation.to_jshtml(fps=2, embed_frames=True, default_mode="once"))
        caption = f'<p class="nnedu-stepper-note"><em>{self.static_caption()}</em></p>'
        return f'<div class="nnedu-stepper">{html}{caption}</div>'

    def static_caption(self) -> str:
        return ("A recorded run: use the buttons or the slider to step through it. "
                "In Jupyter the same widget is live.")

    # -- display ---------------------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None):
        if static_mode():
            return {"text/html": self.static_html(), "text/plain": repr(self)}
        return self.app._repr_mimebundle_(include=include, exclude=exclude)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def slider(description: str, value: float, low: float, high: float, step: float, **kw) -> W.FloatSlider:
    """A float slider that updates on release (a redraw is not free)."""
    return W.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                         continuous_update=False, **kw)
