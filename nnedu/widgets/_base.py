"""What every stepper shares: one figure, controls, and two ways to be shown.

A stepper holds a small state machine (``reset``, ``step``) and one matplotlib figure
whose artists ``draw`` updates in place. It is shown in one of two ways:

- **live**, with a kernel: an ipywidgets app (the controls, and the figure as a PNG
  that is re-rendered after every change);
- **static**, in the published book (``NNEDU_STATIC=1``, set by ``make book``): a
  self-contained HTML player of a precomputed run (below), no kernel, no script or
  font from the network.

The same code computes both, so the book shows exactly what the live widget does.

Sharp and fast pictures
-----------------------
Figures are sized in inches and their text in points. An image is rendered at
``LIVE_SCALE`` device pixels per CSS pixel (``CSS_DPI`` CSS pixels per inch) and shown at
its natural CSS size, at most the width of its container: sharp on a high-density screen
and never stretched. A Step redraws only what moves (blitting): the parts of a
figure that stay put (axes, ticks, a contour plot) are drawn once into a background, and
every render restores that background and draws the *animated* artists that a widget
registered with :meth:`Stepper.animate` on top. The background is drawn again when the
axis limits change or after :meth:`Stepper.reset`.

The static player (the contract the site's browser tests rely on)
-----------------------------------------------------------------
::

    <div class="nnedu-player" tabindex="0" data-frames="n" role="group" aria-label="...">
      <div class="nnedu-player-frames">
        <img class="nnedu-player-frame" alt="Name, step 1 of n: ..." src="data:image/png;...">
        <img class="nnedu-player-frame" alt="Name, step 2 of n: ..." hidden> ...
      </div>
      <div class="nnedu-player-controls">
        <button type="button" data-action="first">(icon) First</button>   also prev, play, next, last
        <span class="nnedu-player-counter" aria-live="polite">Step 1 of n</span>
      </div>
      <p class="nnedu-player-note">what the recording shows, and how to get the live widget</p>
    </div>

The counter reads "Step k of n" on the k-th of the n frames (the first shows the
start; the figures count their own progress in other words: "after 3 updates",
"check 2 of 24", "epoch 40"). Every frame's alt text is "<Widget>, step k of n: "
followed by what it shows. Buttons are at least 40 CSS px high and carry a visible
word next to an inline SVG icon; the Play button's word becomes "Pause" (and
``aria-pressed="true"``) while it plays. On a screen narrower than 600 px, where a
frame is shrunk to about half its size, a sixth button, ``data-action="zoom"``, shows
the frame at its natural size in a box that scrolls sideways (the page never does).
With the player (or one of its buttons) focused, the arrow keys step, Home and End jump,
and Space or Enter on the player plays or pauses. One small inline script, the same for every player, sets up every
player on the page once. Images scale down with their container (``max-width: 100%``)
and are never shown larger than their natural CSS size. Frames have transparent
backgrounds and are inverted in dark mode (``html[data-theme="dark"]`` of the book's
theme, or JupyterLab's dark theme; hue-rotated back, so red stays red), so they are
neither light slabs on a dark page nor dark text on dark; the player's CSS overrides
the theme's dark-mode rules for images and HTML outputs (white card, dimming filter).
"""

from __future__ import annotations

import base64
import html
import io
import struct
import zlib
from collections.abc import Hashable, Iterator
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import (
    Figure,  # not pyplot: a notebook never shows it a second time
)

from nnedu._static import static_mode  # NNEDU_STATIC is read there, and only there

#: CSS pixels per inch: a figure 7.5 in wide is shown 720 CSS px wide, which fits the
#: book's text column (about 730 px at 1280 px) and JupyterLab's output area.
CSS_DPI = 96
#: device pixels per CSS pixel of the live picture (2 = sharp on a "retina" screen)
LIVE_SCALE = 2.0
#: scales tried in turn for the static player's frames, until the player fits its budget
STATIC_SCALES = (2.0, 1.5, 1.25, 1.0)
#: size budget of one static player (its HTML, images included)
STATIC_BUDGET = 1_400_000
#: how many drawn backgrounds a widget keeps (each is one full-size RGBA image)
BACKGROUNDS = 8
#: milliseconds between two frames when the static player plays
PLAY_INTERVAL_MS = 700




def png_bytes(rgba: np.ndarray, level: int = 1) -> bytes:
    """Encode an ``(H, W, 4)`` uint8 image as an RGBA PNG, fast.

    A PNG is a header, the rows (each prefixed by its filter type, here 0: none)
    compressed with zlib, and an end marker; each chunk is length, type, data, CRC-32.
    zlib at level 1 on unfiltered rows is several times faster than Pillow's encoder
    for a mostly white figure, at a slightly larger file: the right trade for a picture
    that is sent over a local socket at every Step.
    """
    height, width = rgba.shape[:2]
    rows = np.empty((height, 1 + 4 * width), dtype=np.uint8)
    rows[:, 0] = 0
    rows[:, 1:] = rgba.reshape(height, 4 * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)   # 8-bit RGBA, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.data, level)) + chunk(b"IEND", b""))


def palette_png(rgba: np.ndarray, colors: int = 96) -> bytes:
    """Encode an RGBA image with a palette of ``colors`` (transparency kept): 3-5x
    smaller than true colour for a plot, which has few colours; used for recorded frames."""
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(rgba), "RGBA").quantize(colors, method=Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    image.save(buffer, format="png", optimize=True)
    return buffer.getvalue()


def slider(description: str, value: float, low: float, high: float, step: float, **kw: Any) -> W.FloatSlider:
    """A float slider that updates on release (a redraw is not free), label never cut."""
    return W.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                         continuous_update=False, style={"description_width": "initial"}, **kw)


def dropdown(description: str, options: Any, value: Any) -> W.Dropdown:
    """A drop-down list whose label is shown in full."""
    return W.Dropdown(options=options, value=value, description=description,
                      style={"description_width": "initial"})


def int_slider(description: str, value: int, low: int, high: int) -> W.IntSlider:
    """An integer slider that updates on release, label never cut."""
    return W.IntSlider(value=value, min=low, max=high, description=description, continuous_update=False,
                       style={"description_width": "initial"})


class Stepper:
    """Base class: subclasses build ``self.fig``, controls, and define reset/step/draw."""

    #: how many frames the static stepper shows
    static_frames: int = 30
    #: lay the figure out again whenever its background is redrawn (for a widget whose
    #: tick labels change width from one background to the next)
    relayout: bool = False

    def __init__(self, figsize: tuple[float, float] = (7.5, 3.2)) -> None:
        self.fig = Figure(figsize=figsize, dpi=CSS_DPI * LIVE_SCALE, layout="constrained")
        self.canvas = FigureCanvasAgg(self.fig)
        self._animated: list[Artist] = []
        self._backgrounds: dict[tuple, Any] = {}
        self._generation = 0
        self._laid_out = -1                     # the generation the layout was made for
        #: True while a static run is recorded: a figure then writes in itself what the
        #: live app shows in its status line (a line of HTML under the buttons)
        self.recording = False
        self.message = ""
        width = round(figsize[0] * CSS_DPI)
        # natural CSS size, shrinking with a narrow output area, never stretched
        self.picture = W.Image(format="png", layout=W.Layout(width=f"{width}px", max_width="100%", height="auto"))
        self.status = W.HTML()
        self.step_button = W.Button(description="Step", button_style="primary")
        self.reset_button = W.Button(description="Reset")
        self.step_button.on_click(lambda _: self._step_and_show())
        self.reset_button.on_click(lambda _: self._reset_and_show())

    # -- to be defined by each widget ------------------------------------------------
    def reset(self) -> None:
        """Back to the start. Subclasses call ``super().reset()`` first: what stays put
        in the figure may change, so the background is drawn again at the next render."""
        self._generation += 1

    def step(self) -> None:
        raise NotImplementedError

    def draw(self) -> None:
        raise NotImplementedError

    @property
    def finished(self) -> bool:
        """True at the last stage, where Step has nothing left to do."""
        return False

    def describe(self) -> str:
        """What the picture shows, in words (status line, alt text of a recorded frame)."""
        return self.message

    @property
    def step_word(self) -> str:
        """The button that steps: the live app's Step is the recorded player's Next."""
        return "Next" if self.recording else "Step"

    def controls(self) -> list[W.Widget]:
        """The widget's own controls (sliders, dropdowns), shown above the buttons."""
        return []

    def buttons(self) -> list[W.Widget]:
        return [self.step_button, self.reset_button]

    # -- drawing -----------------------------------------------------------------------
    def animate(self, *artists: Artist) -> None:
        """Register artists that change at every step: they are drawn over the background."""
        for artist in artists:
            artist.set_animated(True)
            self._animated.append(artist)

    def background_state(self) -> Hashable:
        """What the still parts of the figure depend on between two resets, besides the
        axis limits (``None``: nothing). A widget whose Step changes a still part says
        so here; up to ``BACKGROUNDS`` backgrounds are kept, so going back is cheap."""
        return None

    def pixels(self) -> np.ndarray:
        """Update the artists and return the figure as an ``(H, W, 4)`` RGBA array."""
        self.draw()
        canvas = self.canvas

        key = (self._generation, self.background_state(), self.fig.dpi, self.fig.patch.get_alpha(),
               tuple((ax.get_xlim(), ax.get_ylim()) for ax in self.fig.axes))
        if any(old[0] != self._generation for old in self._backgrounds):
            self._backgrounds.clear()           # reset: the still parts may all have changed
        if key in self._backgrounds:
            background, positions = self._backgrounds[key]
            for ax, position in zip(self.fig.axes, positions):
                ax.set_position(position)       # the layout this background was drawn with
            canvas.restore_region(background)
        else:
            if self.relayout or self._laid_out != self._generation:
                self.fig.set_layout_engine("constrained")
                self._laid_out = self._generation
            canvas.draw()                       # all but the animated artists
            # The first draw after a reset places the axes; later ones keep them
            # (re-running the layout engine at every step would cost more than the
            # drawing itself), unless the widget asks for a new layout with every new
            # background.
            self.fig.set_layout_engine("none")
            if len(self._backgrounds) >= BACKGROUNDS:
                del self._backgrounds[next(iter(self._backgrounds))]    # the oldest
            self._backgrounds[key] = (canvas.copy_from_bbox(self.fig.bbox),
                                      [ax.get_position() for ax in self.fig.axes])
        for artist in sorted(self._animated, key=lambda a: a.get_zorder()):   # stable: ties keep their order
            if artist.get_visible() and artist.figure is not None:
                self.fig.draw_artist(artist)
        return np.asarray(canvas.buffer_rgba())

    def render(self) -> bytes:
        """The figure as PNG bytes, for the live picture."""
        return png_bytes(self.pixels())

    # -- live ------------------------------------------------------------------------
    def refresh(self) -> None:
        self.picture.value = self.render()
        text = self.describe()
        if self.finished:
            text = f"{text} (last stage: press Reset to start again)" if text else "last stage: press Reset"
        for button in self.buttons():               # Step, and Run / Play where a widget has them
            if isinstance(button, W.Button) and button is not self.reset_button:
                button.disabled = self.finished
        self.status.value = f"<code>{html.escape(text)}</code>" if text else ""

    def _step_and_show(self) -> None:
        if not self.finished:
            self.step()
        self.refresh()

    def _reset_and_show(self) -> None:
        self.reset()
        self.refresh()

    def watch(self, *controls: W.Widget) -> None:
        """Reset and redraw whenever one of ``controls`` changes value."""
        for control in controls:
            control.observe(self._on_change, names="value")

    def _on_change(self, _change: Any) -> None:
        if not getattr(self, "_quiet", False):
            self._reset_and_show()

    def set_quietly(self, control: W.Widget, value: Any) -> None:
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
            controls = self.controls()
            self.picture.add_class("nnedu-live-picture")
            self._app = W.VBox([W.HBox(controls, layout=W.Layout(flex_flow="row wrap")) if controls else W.HTML(),
                                W.HBox(self.buttons(), layout=W.Layout(flex_flow="row wrap")),
                                self.status, self.picture, W.HTML(_LIVE_CSS)])
        return self._app

    # -- static ----------------------------------------------------------------------
    def frames(self, n: int) -> Iterator[int]:
        """Reset, then yield after each of ``n - 1`` steps (frame 0 is the start)."""
        self.reset()
        yield 0
        for i in range(1, n):
            if self.finished:
                return
            self.step()
            yield i

    def recorded_frames(self, n: int, scale: float) -> list[tuple[bytes, str]]:
        """``(png, description)`` of each frame of a recorded run, on a transparent background."""
        self.fig.set_dpi(CSS_DPI * scale)
        self.fig.set_layout_engine("constrained")    # room for the text a recording adds
        self.fig.patch.set_alpha(0.0)
        for ax in self.fig.axes:
            ax.patch.set_alpha(0.0)
        self._generation += 1
        self.recording = True
        try:
            return [(palette_png(self.pixels()), self.describe()) for _ in self.frames(n)]
        finally:
            self.recording = False
            self.fig.set_dpi(CSS_DPI * LIVE_SCALE)
            self.fig.patch.set_alpha(1.0)
            for ax in self.fig.axes:
                ax.patch.set_alpha(1.0)
            self._generation += 1

    def static_html(self, n_frames: int | None = None) -> str:
        """A self-contained HTML player of ``n_frames`` precomputed frames (see the module doc)."""
        n = n_frames or self.static_frames
        for scale in STATIC_SCALES:
            frames = self.recorded_frames(n, scale)
            page = player_html(type(self).__name__, frames, self.fig.get_size_inches(), self.static_caption())
            if len(page) <= STATIC_BUDGET:
                break
        return page

    def static_caption(self) -> str:
        return ("A recorded run of the live widget: step through it with the buttons or the arrow keys. "
                "Open this chapter in Jupyter (or with the Binder or Colab button) to change the settings.")

    # -- display ---------------------------------------------------------------------
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        if static_mode():
            return {"text/html": self.static_html(), "text/plain": repr(self)}
        app = self.app
        if hasattr(app, "_repr_mimebundle_"):  # ipywidgets 8
            return app._repr_mimebundle_(include=include, exclude=exclude)
        # ipywidgets 7 (Colab ships 7.7) displays widgets through _ipython_display_ only: the same
        # widget view, built by hand.
        view = {"version_major": 2, "version_minor": 0, "model_id": app.model_id}
        return {"application/vnd.jupyter.widget-view+json": view, "text/plain": repr(self)}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


#: JupyterLab's dark theme: the live picture (drawn on white) inverted, like the book's frames
_LIVE_CSS = ("<style>body[data-jp-theme-light='false'] .nnedu-live-picture"
             "{filter: invert(1) hue-rotate(180deg)}</style>")


# -- the static player -------------------------------------------------------------------

def _icon(path: str) -> str:
    return (f'<svg aria-hidden="true" focusable="false" viewBox="0 0 16 16" width="16" height="16">'
            f'<path fill="currentColor" d="{path}"/></svg>')


_BUTTONS = [
    ("first", "First", _icon("M2 2h2v12H2zM14 2v12L5 8z")),
    ("prev", "Previous", _icon("M12 2v12L3 8z")),
    ("play", "Play", _icon("M4 2v12l10-6z") + '<svg aria-hidden="true" focusable="false" viewBox="0 0 16 16" '
     'width="16" height="16" hidden class="nnedu-pause">'
     '<path fill="currentColor" d="M3 2h4v12H3zM9 2h4v12H9z"/></svg>'),
    ("next", "Next", _icon("M4 2v12l9-6z")),
    ("last", "Last", _icon("M2 2v12l9-6zM12 2h2v12h-2z")),
    # only on a narrow screen: the frame at its natural size, in a box that scrolls sideways
    ("zoom", "Zoom", _icon("M6.5 1a5.5 5.5 0 0 1 4.4 8.8l4 4-1.1 1.1-4-4A5.5 5.5 0 1 1 6.5 1zm0 2a3.5 3.5 0 1 0 0 7 "
                           "3.5 3.5 0 0 0 0-7z")),
]

_CSS = """<style>
.nnedu-player{max-width:100%;margin:0.5em 0 1em;border-radius:6px}
.nnedu-player:focus-visible{outline:3px solid var(--pst-color-primary,#1a73e8);outline-offset:3px}
.nnedu-player-frame{display:block;max-width:100%;height:auto}
.nnedu-player-frames{max-width:100%;contain:inline-size}
.nnedu-player.nnedu-zoomed .nnedu-player-frames{overflow-x:auto;scrollbar-width:thin;
 scrollbar-color:var(--pst-color-border,#8a8a8a) transparent;padding-bottom:4px}
.nnedu-player.nnedu-zoomed .nnedu-player-frames::-webkit-scrollbar{height:8px}
.nnedu-player.nnedu-zoomed .nnedu-player-frames::-webkit-scrollbar-thumb{background:var(--pst-color-border,#8a8a8a);
 border-radius:4px}
.nnedu-player button[aria-pressed="true"]{border-color:var(--pst-color-primary,#1a73e8);border-width:2px}
.nnedu-player.nnedu-zoomed .nnedu-player-frame{max-width:none}
.nnedu-player button[data-action="zoom"]{display:none}
@media (max-width:600px){.nnedu-player button[data-action="zoom"]{display:inline-flex}}
.nnedu-player-frame[hidden]{display:none}
.nnedu-player-controls{display:flex;flex-wrap:wrap;align-items:center;gap:0.4em;margin-top:0.4em}
.nnedu-player button{display:inline-flex;align-items:center;gap:0.35em;min-height:40px;min-width:40px;
 padding:0.3em 0.75em;font:inherit;font-size:0.95rem;line-height:1.2;color:inherit;cursor:pointer;
 background:var(--pst-color-surface,transparent);border:1px solid var(--pst-color-border,#8a8a8a);border-radius:6px}
.nnedu-player button:hover{border-color:var(--pst-color-primary,#1a73e8)}
.nnedu-player button:focus-visible{outline:3px solid var(--pst-color-primary,#1a73e8);outline-offset:1px}
.nnedu-player button[aria-disabled="true"]{opacity:0.45;cursor:default}
.nnedu-player svg[hidden]{display:none}
.nnedu-player-counter{margin-left:0.3em;font-variant-numeric:tabular-nums}
.nnedu-player-note{margin:0.4em 0 0;font-size:0.9em}
html[data-theme="dark"] .nnedu-player img.nnedu-player-frame,body[data-jp-theme-light="false"] .nnedu-player-frame{
 filter:invert(1) hue-rotate(180deg)!important;background:none!important;padding:0!important;border-radius:0!important}
html[data-theme="dark"] .cell_output .text_html:has(.nnedu-player){background:none!important;padding:0!important;
 color:inherit!important}
</style>"""

#: sets up every player on the page once (each player's output carries this same script)
_SCRIPT = """<script>
(function () {
  function setup(player) {
    if (player.dataset.nneduReady) return;
    player.dataset.nneduReady = "1";
    var frames = player.querySelectorAll(".nnedu-player-frame");
    var counter = player.querySelector(".nnedu-player-counter");
    var play = player.querySelector('button[data-action="play"]');
    var n = frames.length, k = 0, timer = null;
    function button(action) { return player.querySelector('button[data-action="' + action + '"]'); }
    function show(i) {
      k = Math.max(0, Math.min(n - 1, i));
      for (var j = 0; j < n; j++) frames[j].hidden = (j !== k);
      counter.textContent = "Step " + (k + 1) + " of " + n;
      ["first", "prev"].forEach(function (a) { button(a).setAttribute("aria-disabled", String(k === 0)); });
      ["next", "last"].forEach(function (a) { button(a).setAttribute("aria-disabled", String(k === n - 1)); });
    }
    function pause() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      play.setAttribute("aria-pressed", "false");
      play.querySelector(".nnedu-label").textContent = "Play";
      play.querySelector("svg").hidden = false;
      play.querySelector(".nnedu-pause").hidden = true;
    }
    function start() {
      if (k === n - 1) show(0);
      play.setAttribute("aria-pressed", "true");
      play.querySelector(".nnedu-label").textContent = "Pause";
      play.querySelector("svg").hidden = true;
      play.querySelector(".nnedu-pause").hidden = false;
      timer = setInterval(function () { show(k + 1); if (k >= n - 1) pause(); }, PLAY_INTERVAL_MS);
    }
    var actions = {
      first: function () { pause(); show(0); },
      prev: function () { pause(); show(k - 1); },
      next: function () { pause(); show(k + 1); },
      last: function () { pause(); show(n - 1); },
      play: function () { if (timer === null) start(); else pause(); },
      zoom: function () {
        var zoomed = player.classList.toggle("nnedu-zoomed");
        button("zoom").setAttribute("aria-pressed", String(zoomed));
      }
    };
    player.addEventListener("click", function (event) {
      var target = event.target.closest("button[data-action]");
      if (target && player.contains(target)) actions[target.dataset.action]();
    });
    var keys = { ArrowLeft: "prev", ArrowUp: "prev", ArrowRight: "next", ArrowDown: "next",
                 Home: "first", End: "last" };
    player.addEventListener("keydown", function (event) {
      var action = keys[event.key];
      if (!action && event.target === player && (event.key === " " || event.key === "Enter")) action = "play";
      if (!action) return;
      event.preventDefault();
      actions[action]();
    });
    show(0);
  }
  var players = document.querySelectorAll(".nnedu-player");
  for (var i = 0; i < players.length; i++) setup(players[i]);
})();
</script>""".replace("PLAY_INTERVAL_MS);", f"{PLAY_INTERVAL_MS});")


def player_html(name: str, frames: list[tuple[bytes, str]], size_inches: Any, caption: str) -> str:
    """The HTML of a player of ``frames`` (PNG bytes and a description of each)."""
    n = len(frames)
    width, height = (round(float(v) * CSS_DPI) for v in size_inches)
    images = []
    for k, (png, description) in enumerate(frames):
        alt = html.escape(f"{name}, step {k + 1} of {n}: {description}", quote=True)
        data = base64.b64encode(png).decode("ascii")
        hidden = " hidden" if k else ""
        images.append(f'<img class="nnedu-player-frame" width="{width}" height="{height}" alt="{alt}"{hidden} '
                      f'src="data:image/png;base64,{data}">')
    buttons = "".join(
        f'<button type="button" data-action="{action}"'
        + (' aria-pressed="false"' if action in ("play", "zoom") else "")
        + f'>{icon}<span class="nnedu-label">{label}</span></button>'
        for action, label, icon in _BUTTONS)
    label = html.escape(f"{name}: a recorded run of {n} steps", quote=True)
    return (f'{_CSS}<div class="nnedu-player" tabindex="0" data-frames="{n}" role="group" aria-label="{label}">'
            f'<div class="nnedu-player-frames">{"".join(images)}</div>'
            f'<div class="nnedu-player-controls">{buttons}'
            f'<span class="nnedu-player-counter" aria-live="polite">Step 1 of {n}</span></div>'
            f'<p class="nnedu-player-note"><em>{html.escape(caption)}</em></p></div>{_SCRIPT}')
