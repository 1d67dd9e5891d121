"""One look for every figure of the book, and source listings that read like the book.

Every chapter starts with ``style.use()``. It sets matplotlib's sizes for the book's
text column: a full-width figure is :data:`WIDTH` inches at :data:`DPI`, about 680 CSS
pixels, the width of the column on a 1280 px screen, so a figure is shown at (almost)
its natural size and a 9 pt tick label stays 12 px high. Figures are drawn at twice
that resolution, so they stay sharp on high-density screens and when zoomed on a phone.

``style.show(fig, alt=...)`` replaces ``plt.show()``. In Jupyter it shows the figure as
usual. In the published book (``NNEDU_STATIC=1``, set by ``make book``) it shows two
renderings of the same figure, one for the light and one for the dark theme (the
theme's ``only-light`` / ``only-dark`` classes pick one), each with the alt text that
says what the figure shows.

``style.glue(name, value)`` hands a computed number to the chapter's text, which writes
``{glue:text}`name:.1%``` where it would otherwise type the number (myst-nb's glue): the
prose can never disagree with the computation beside it.

``style.source(obj, ...)`` shows the source of a function of ``nnedu`` with its
docstring turned into prose: reStructuredText maths (``:math:`` roles and ``.. math::``
blocks) becomes rendered maths, the code follows in a listing.
"""

from __future__ import annotations

import ast
import base64
import html
import inspect
import io
import pickle
import re
import textwrap
from typing import Any

import numpy as np

from nnedu._static import static_mode

WIDTH = 6.8
"""Width in inches of a full-column figure (at :data:`DPI`: 680 CSS pixels)."""
DPI = 100
"""Dots per inch of one CSS pixel's worth of figure; PNGs are saved at twice this."""

LIGHT_TEXT = "#1f2328"
DARK_TEXT = "#d8dee4"
DARK_SURFACE = "#1e2227"
"""Text colours on the light and the dark theme, and the dark theme's legend fill."""

RC: dict[str, Any] = {
    "figure.figsize": (WIDTH, 3.6),
    "figure.dpi": DPI,
    "figure.constrained_layout.use": True,
    "savefig.dpi": 2 * DPI,
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 11,
    "lines.linewidth": 1.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "text.color": LIGHT_TEXT,
    "axes.labelcolor": LIGHT_TEXT,
    "axes.edgecolor": LIGHT_TEXT,
    "xtick.color": LIGHT_TEXT,
    "ytick.color": LIGHT_TEXT,
    "image.interpolation": "nearest",
}
"""The book's matplotlib settings (sizes in points, so they scale with the figure)."""


def use() -> None:
    """Apply the book's figure style, and in Jupyter draw figures at twice the resolution."""
    import matplotlib.style

    matplotlib.style.use(RC)
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # not in IPython: nothing to configure
        return
    set_matplotlib_formats("retina")


def glue(name: str, value: Any) -> Any:
    """Make ``value`` available to the chapter's text as ``{glue:text}`name``` and return it unchanged.

    The book (myst-nb) substitutes it, formatted with an optional spec (``{glue:text}`acc:.1%```);
    ``make book`` fails on a name that no cell glued. NumPy scalars are passed as Python numbers, so
    the format spec applies. Where myst-nb is not installed (Colab) nothing is recorded.
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # no book tools: the value is still returned for the chapter's own use
        return value
    plain = value.item() if hasattr(value, "item") and getattr(value, "ndim", None) == 0 else value
    myst_glue(name, plain, display=False)
    return value


def glue_mean_std(name: str, values: Any) -> None:
    """Glue the mean of ``values`` (one result per seed) as ``name`` and their standard deviation as
    ``name_std``: the book states a seed-dependent result as mean ± std."""
    glue(name, np.mean(values))
    glue(f"{name}_std", np.std(values))


def show(fig: Any = None, *, alt: str) -> None:
    """Display ``fig`` (default: the current figure) and close it.

    ``alt`` says in words what the figure shows; the book uses it as the image's alt text.
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML, display

    if not alt or not alt.strip():
        raise ValueError("show() needs an alt text that says what the figure shows, got an empty one")
    fig = fig if fig is not None else plt.gcf()
    if not static_mode():
        display(fig)
        plt.close(fig)
        return
    light = _png(fig)
    dark = _png(_dark_copy(fig))
    plt.close(fig)
    display(HTML(_img(light, alt, "only-light") + _img(dark, alt, "only-dark")))


def _png(fig: Any) -> tuple[bytes, int, int]:
    """The figure as a PNG at twice :data:`DPI`, with its size in CSS pixels."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=2 * DPI, bbox_inches="tight", pad_inches=0.05,
                facecolor=fig.get_facecolor())
    data = buffer.getvalue()
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return data, width // 2, height // 2


def _img(png: tuple[bytes, int, int], alt: str, variant: str) -> str:
    data, width, height = png
    source = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return (f'<img class="nnedu-figure {variant}" src="{source}" width="{width}" height="{height}" '
            f'alt="{html.escape(alt.strip())}">')


def _is_ink(colour: Any) -> bool:
    """Dark grey or black: the colour of text, axes and black lines on the light theme."""
    from matplotlib.colors import to_rgba

    try:
        r, g, b, a = to_rgba(colour)
    except (ValueError, TypeError):
        return False
    return a > 0 and max(r, g, b) < 0.35 and max(r, g, b) - min(r, g, b) < 0.1


def _swap(colour: Any) -> Any:
    return DARK_TEXT if _is_ink(colour) else colour


def _is_paper(colour: Any) -> bool:
    """White or nearly: the fill of node circles, label boxes and legends on the light theme."""
    from matplotlib.colors import to_rgba

    try:
        r, g, b, a = to_rgba(colour)
    except (ValueError, TypeError):
        return False
    return a > 0 and min(r, g, b) > 0.9


def _fill(colour: Any) -> Any:
    return DARK_SURFACE if _is_paper(colour) else colour


def _dark_copy(fig: Any) -> Any:
    """A copy of ``fig`` for the dark theme: transparent, with light text, axes and black lines.

    Black and dark grey (ink) become light, white fills (node circles, label boxes, legends)
    become the dark surface; what the data look like (images, colour maps, coloured lines,
    and text written over an image) is kept as it is.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import Collection, QuadMesh
    from matplotlib.contour import ContourSet
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    copy = pickle.loads(pickle.dumps(fig))
    plt.close(copy)
    copy.patch.set_alpha(0.0)
    for text in copy.texts:
        text.set_color(_swap(text.get_color()))
    for ax in copy.axes:
        ax.patch.set_alpha(0.0)
        for spine in ax.spines.values():
            spine.set_edgecolor(_swap(spine.get_edgecolor()))
        ax.tick_params(which="both", colors=DARK_TEXT)
        for text in [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label,
                     ax.xaxis.offsetText, ax.yaxis.offsetText]:
            text.set_color(_swap(text.get_color()))
        for artist in ax.get_children():
            if isinstance(artist, Line2D):
                artist.set_color(_swap(artist.get_color()))
                artist.set_markeredgecolor(_swap(artist.get_markeredgecolor()))
            elif isinstance(artist, Collection):
                edges = artist.get_edgecolor()
                if len(edges) and all(_is_ink(c) for c in edges):
                    artist.set_edgecolor(DARK_TEXT)
                faces = artist.get_facecolor()
                if len(faces) and all(_is_ink(c) for c in faces):
                    artist.set_facecolor(DARK_TEXT)
                elif len(faces) and all(_is_paper(c) for c in faces):   # white markers, e.g. nodes
                    artist.set_facecolor(DARK_SURFACE)
            elif isinstance(artist, Patch) and artist is not ax.patch:
                artist.set_edgecolor(_swap(artist.get_edgecolor()))
                artist.set_facecolor(_fill(artist.get_facecolor()))
        # Text written over an image or a filled contour keeps its colour (it was chosen for
        # the data under it); other text in the axes, and the boxes behind it, turn dark.
        over_data = any(isinstance(a, (AxesImage, QuadMesh, ContourSet)) for a in ax.get_children())
        for text in ax.texts:
            box = text.get_bbox_patch()
            if box is not None and _is_paper(box.get_facecolor()):
                box.set_facecolor(DARK_SURFACE)
                box.set_edgecolor(_swap(box.get_edgecolor()))
                text.set_color(_swap(text.get_color()))
            elif not over_data:
                text.set_color(_swap(text.get_color()))
        for line in ax.get_xgridlines() + ax.get_ygridlines():
            line.set_color(_swap(line.get_color()))
    for legend in [ax.get_legend() for ax in copy.axes] + list(copy.legends):
        if legend is None:
            continue
        legend.get_frame().set_facecolor(DARK_SURFACE)
        legend.get_frame().set_edgecolor("#555b63")
        for text in legend.get_texts() + [legend.get_title()]:
            text.set_color(_swap(text.get_color()))
    return copy


# --- source listings ------------------------------------------------------------------

_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj):`~?([^`]+)`")
_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")


def docstring_markdown(doc: str) -> str:
    """A reStructuredText docstring as Markdown with dollar maths.

    ``:math:`x``` becomes ``$x$``, a ``.. math::`` block a ``$$ ... $$`` block, ````code````
    becomes ```code``` and cross-reference roles keep their target as code.
    """
    out: list[str] = []
    lines = inspect.cleandoc(doc).splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith(".. math::"):
            first = line.strip()[len(".. math::"):].strip()
            body = [first] if first else []
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                body.append(lines[i])
                i += 1
            out += ["", "$$", textwrap.dedent("\n".join(body)).strip(), "$$", ""]
            continue
        line = _MATH_ROLE.sub(lambda m: f"${m.group(1)}$", line)
        line = _LITERAL.sub(lambda m: f"`{m.group(1)}`", line)
        line = _ROLE.sub(lambda m: f"`{m.group(1)}`", line)
        out.append(line.rstrip("\n"))
        i += 1
    return "\n".join(out).strip()


def code_without_docstring(obj: Any) -> tuple[str, str | None]:
    """The source of a function or class with its docstring removed, and the docstring."""
    source = textwrap.dedent(inspect.getsource(obj))
    tree = ast.parse(source)
    node = tree.body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return source.rstrip(), None
    doc = ast.get_docstring(node, clean=False)
    if doc is None:
        return source.rstrip(), None
    first = node.body[0]
    lines = source.splitlines()
    start, end = first.lineno - 1, (first.end_lineno or first.lineno)
    del lines[start:end]
    return "\n".join(lines).rstrip(), doc


def source(*objects: Any) -> Any:
    """Markdown for the source of ``objects``: each docstring as prose with maths, then the code."""
    from IPython.display import Markdown

    if not objects:
        raise ValueError("source() expected at least one function or class to show")
    parts = []
    for obj in objects:
        code, doc = code_without_docstring(obj)
        if doc:
            name = getattr(obj, "__qualname__", getattr(obj, "__name__", ""))
            parts.append(f"**`{name}`**: {docstring_markdown(doc)}")
        parts.append(f"```python\n{code}\n```")
    return Markdown("\n\n".join(parts))
