"""Explorers: activation functions (chapter 4), softmax (chapter 5), convolution (chapter 11)."""

from __future__ import annotations

from collections.abc import Iterator

import ipywidgets as W
import numpy as np

from nnedu import functional as F
from nnedu.widgets._base import Stepper, dropdown, int_slider, slider

#: |g'(z)| below this counts as a vanishing gradient (shaded)
VANISHING = 0.01


class ActivationExplorer(Stepper):
    """An activation from ``nnedu.functional.ACTIVATIONS`` and its derivative, with the
    regions where the derivative (almost) vanishes shaded."""

    relayout = True    # each activation has its own value range, hence tick labels

    def __init__(self, name: str = "sigmoid", width: float = 8.0) -> None:
        super().__init__(figsize=(7.0, 2.8))
        self.names = list(F.ACTIVATIONS)
        self.static_frames = len(self.names)
        self.activation = dropdown("activation", self.names, name)
        self.width = slider("input range ±", width, 1.0, 20.0, 0.5)
        self.watch(self.activation, self.width)
        self.ax_g, self.ax_d = self.fig.subplots(1, 2)
        (self.g_line,) = self.ax_g.plot([], [], color="C0")
        (self.d_line,) = self.ax_d.plot([], [], color="C3")
        self.shades: list = []
        self.reset()

    def controls(self) -> list[W.Widget]:
        return [self.activation, self.width]

    def buttons(self) -> list[W.Widget]:
        return [self.step_button]

    def reset(self) -> None:
        super().reset()
        self.message = ""

    def step(self) -> None:
        """Show the next activation (the static stepper walks through all of them)."""
        i = self.names.index(self.activation.value)
        self.set_quietly(self.activation, self.names[(i + 1) % len(self.names)])

    def background_state(self) -> tuple[str, float]:
        """The whole picture depends on the activation (a Step changes it) and the range."""
        return self.activation.value, self.width.value

    def frames(self, n: int) -> Iterator[int]:
        """Static frames: every activation once, from the one chosen."""
        self.reset()
        yield 0
        for i in range(1, min(n, len(self.names))):
            self.step()
            yield i

    def describe(self) -> str:
        return (f"{self.activation.value}(z) and its derivative for z from {-self.width.value:g} to "
                f"{self.width.value:g}; {self.message}")

    def curves(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g, g_prime = F.ACTIVATIONS[self.activation.value]
        z = np.linspace(-self.width.value, self.width.value, 401)
        return z, g(z), g_prime(z)

    def vanishing_fraction(self) -> float:
        """Share of the plotted inputs where |g'(z)| < VANISHING."""
        _, _, d = self.curves()
        return float(np.mean(np.abs(d) < VANISHING))

    def draw(self) -> None:
        z, g, d = self.curves()
        self.g_line.set_data(z, g)
        self.d_line.set_data(z, d)
        for shade in self.shades:
            shade.remove()
        self.shades = []
        small = np.abs(d) < VANISHING
        edges = np.flatnonzero(np.diff(np.concatenate([[0], small.astype(int), [0]])))
        for start, stop in zip(edges[::2], edges[1::2]):
            for ax in (self.ax_g, self.ax_d):
                self.shades.append(ax.axvspan(z[start], z[stop - 1], color="0.85", zorder=0))
        # the derivative's axis always shows 0 and 1: a constant g' is then read at a glance
        for ax, low, high, label in [(self.ax_g, g.min(), g.max(), f"g(z) = {self.activation.value}(z)"),
                                     (self.ax_d, min(d.min(), 0.0), max(d.max(), 1.0), "g'(z)")]:
            ax.set_xlim(z[0], z[-1])
            pad = 0.1 * (high - low + 1e-9)
            ax.set_ylim(low - pad - 0.05, high + pad + 0.05)
            ax.set_title(label, fontsize=10)
        self.message = f"|g'(z)| < {VANISHING} (shaded) on {100 * self.vanishing_fraction():.0f}% of this range"
        self.ax_d.set_xlabel(self.message, fontsize=9)

    def __repr__(self) -> str:
        return f"ActivationExplorer(name={self.activation.value!r})"


class SoftmaxExplorer(Stepper):
    """Logits in, probabilities out: ``softmax(z / T)``, and the cross-entropy of a true class."""

    def __init__(self, logits=(2.0, 1.0, 0.1), temperature: float = 1.0, true_class: int = 0) -> None:
        super().__init__(figsize=(6.0, 2.8))
        self.logit_sliders = [slider(f"z{k}", float(v), -5.0, 5.0, 0.1) for k, v in enumerate(logits)]
        self.temperature = slider("temperature", temperature, 0.1, 5.0, 0.1)
        self.true_class = dropdown("true class", list(range(len(logits))), true_class)
        self.watch(*self.logit_sliders, self.temperature, self.true_class)
        self.temperatures = np.geomspace(0.2, 5.0, 12)
        self.static_frames = len(self.temperatures)
        self.ax = self.fig.add_subplot()
        self.bars = self.ax.bar(range(len(logits)), np.zeros(len(logits)), color="C0")
        self.ax.set_ylim(0, 1.05)
        self.ax.set_xlim(-0.6, len(logits) - 0.4)
        self.ax.set_xticks(range(len(logits)), [""] * len(logits))
        self.ax.set_ylabel("probability")
        # the logit and probability under each bar (text artists: redrawn at every step)
        self.bar_labels = [self.ax.text(k, -0.04, "", ha="center", va="top", fontsize=9,
                                        transform=self.ax.get_xaxis_transform()) for k in range(len(logits))]
        self.animate(*self.bars, *self.bar_labels, self.ax.title)
        self.reset()

    def controls(self) -> list[W.Widget]:
        return [W.VBox(self.logit_sliders), W.VBox([self.temperature, self.true_class])]

    def buttons(self) -> list[W.Widget]:
        return [self.step_button, self.reset_button]

    @property
    def logits(self) -> np.ndarray:
        return np.array([s.value for s in self.logit_sliders])

    @property
    def probabilities(self) -> np.ndarray:
        return F.softmax(self.logits / self.temperature.value)

    @property
    def cross_entropy(self) -> float:
        """-log p(true class), computed stably with log_softmax."""
        return float(-F.log_softmax(self.logits / self.temperature.value)[self.true_class.value])

    def reset(self) -> None:
        super().reset()
        self.frame = 0
        self.message = ""

    def step(self) -> None:
        """Move the temperature along a sweep from 0.2 to 5 (the static stepper's frames)."""
        value = float(np.round(self.temperatures[self.frame % len(self.temperatures)], 2))
        self.set_quietly(self.temperature, value)
        self.frame += 1

    def frames(self, n: int) -> Iterator[int]:
        for i in range(n):
            self.step()
            yield i

    def draw(self) -> None:
        p = self.probabilities
        for k, (bar, value, label) in enumerate(zip(self.bars, p, self.bar_labels)):
            bar.set_height(value)
            bar.set_color("C3" if k == self.true_class.value else "C0")
            label.set_text(f"z{k} = {self.logits[k]:.1f}\np = {value:.3f}")
        self.message = (f"T = {self.temperature.value:.2f}: cross-entropy −log p{self.true_class.value} "
                        f"= {self.cross_entropy:.3f}")
        self.ax.set_title(self.message, fontsize=10)

    def describe(self) -> str:
        p = ", ".join(f"{q:.2f}" for q in self.probabilities)
        logits = tuple(float(z) for z in self.logits)
        return (f"softmax of the logits {logits} at temperature {self.temperature.value:.2f}: "
                f"probabilities ({p}); true class {self.true_class.value} in red; {self.message}")

    def __repr__(self) -> str:
        return f"SoftmaxExplorer(logits={tuple(self.logits)})"


KERNELS = {
    "edge": np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]),   # vertical edges (Sobel)
    "horizontal edge": np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]),
    "blur": np.full((3, 3), 1.0 / 9.0),
    "sharpen": np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]),
}


def sample_digit(index: int = 0) -> np.ndarray:
    """An 8x8 digit from the real digits data set."""
    from nnedu import data

    images, _ = data.load_digits(flatten=False)
    return images[index]


def text_color(rgba: tuple[float, ...]) -> str:
    """Black on a light cell, white on a dark one (relative luminance, ITU-R BT.709)."""
    r, g, b = rgba[:3]
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "white"


class ConvolutionExplorer(Stepper):
    """A filter sliding over a digit: the window, the dot product, the output filling in."""

    def __init__(self, kernel: str = "edge", stride: int = 1, padding: int = 0,
                 image: np.ndarray | None = None) -> None:
        from matplotlib.patches import Rectangle

        super().__init__(figsize=(7.5, 3.2))
        self.kernel_choice = dropdown("kernel", list(KERNELS), kernel)
        self.stride = int_slider("stride", stride, 1, 3)
        self.padding = int_slider("padding", padding, 0, 2)
        self.watch(self.kernel_choice, self.stride, self.padding)
        self.image = image if image is not None else sample_digit(0)
        self.ax_in, self.ax_k, self.ax_out = self.fig.subplots(1, 3, width_ratios=[1.2, 0.6, 1.0])
        for ax in (self.ax_in, self.ax_k, self.ax_out):
            ax.set_xticks([])
            ax.set_yticks([])
        self.input_image = self.ax_in.imshow(np.zeros((2, 2)), cmap="gray_r", vmin=0, vmax=1)
        self.kernel_image = self.ax_k.imshow(np.zeros((3, 3)), cmap="RdBu")
        self.kernel_texts = [[self.ax_k.text(v, u, "", ha="center", va="center", fontsize=9) for v in range(3)]
                             for u in range(3)]
        self.output_image = self.ax_out.imshow(np.zeros((2, 2)), cmap="RdBu")
        self.window = self.ax_in.add_patch(Rectangle((0, 0), 3, 3, fill=False, ec="C2", lw=2.5))
        self.cell = self.ax_out.add_patch(Rectangle((0, 0), 1, 1, fill=False, ec="C2", lw=2.5))
        self.footer = self.fig.supxlabel("", fontsize=9)
        self.animate(self.output_image, self.window, self.cell, self.footer)
        self.reset()

    def controls(self) -> list[W.Widget]:
        return [self.kernel_choice, self.stride, self.padding]

    @property
    def kernel(self) -> np.ndarray:
        return KERNELS[self.kernel_choice.value]

    def reset(self) -> None:
        from nnedu.convolution import conv2d, pad

        super().reset()
        p, s = self.padding.value, self.stride.value
        x = self.image[None, None]
        self.padded = pad(x, (p, p))[0, 0]
        # the full output map, from the same function the Conv2d layer uses
        self.output = conv2d(x, self.kernel[None, None], None, stride=s, padding=p)[0, 0]
        size = F.conv2d_output_size(self.image.shape, self.kernel.shape, stride=s, padding=p)
        assert isinstance(size, tuple) and self.output.shape == size, (self.output.shape, size)
        self.position = 0   # output pixels computed so far
        self.static_frames = min(self.output.size + 1, 40)
        n, k = self.image.shape[0], self.kernel.shape[0]
        self.message = (f"output size {size[0]}x{size[1]} = ⌊({n} + 2·{p} − {k})/{s}⌋ + 1; "
                        f"press {self.step_word} to slide the filter")
        self._draw_still_parts()

    def _draw_still_parts(self) -> None:
        """What stays put during a run: the input, the filter with its numbers, the titles."""
        p, s = self.padding.value, self.stride.value
        self.input_image.set_data(self.padded)
        self.input_image.set_extent((-0.5, self.padded.shape[1] - 0.5, self.padded.shape[0] - 0.5, -0.5))
        self.ax_in.set_title(f"input (padding {p})", fontsize=10)
        limit = float(np.abs(self.kernel).max()) or 1.0
        self.kernel_image.set_data(self.kernel)
        self.kernel_image.set_clim(-limit, limit)
        for (u, v), w in np.ndenumerate(self.kernel):
            # the text colour follows the cell's brightness, so every number stays legible
            self.kernel_texts[u][v].set_text(f"{w:.2g}".replace("-", "\u2212"))
            self.kernel_texts[u][v].set_color(text_color(self.kernel_image.cmap(self.kernel_image.norm(w))))
        self.ax_k.set_title(f"filter: {self.kernel_choice.value}", fontsize=10)
        rows, cols = self.output.shape
        self.output_image.set_extent((-0.5, cols - 0.5, rows - 0.5, -0.5))
        limit = float(np.abs(self.output).max()) or 1.0
        self.output_image.set_clim(-limit, limit)
        self.ax_out.set_title(f"output {rows}x{cols} (stride {s})", fontsize=10)

    @property
    def total(self) -> int:
        return self.output.size

    @property
    def finished(self) -> bool:
        return self.position == self.total

    def step(self) -> None:
        self.position = min(self.position + 1, self.total)
        if self.position:
            i, j = divmod(self.position - 1, self.output.shape[1])
            s = self.stride.value
            window = self.padded[i * s : i * s + 3, j * s : j * s + 3]
            terms = " + ".join(f"{w:g}·{v:.2f}" for w, v in zip(self.kernel.ravel(), window.ravel()) if w != 0)
            self.message = f"out[{i},{j}] = {terms} = {self.output[i, j]:.3f}"
            if len(self.message) > 100:                 # the blur's nine terms: keep the line short
                self.message = f"out[{i},{j}] = sum of filter × window = {self.output[i, j]:.3f}"

    def frames(self, n: int) -> Iterator[int]:
        """Static frames: the first output row pixel by pixel, then a row at a time."""
        self.reset()
        yield 0
        width = self.output.shape[1]
        targets = list(range(1, min(width, self.total) + 1)) + list(range(2 * width, self.total + 1, width))
        for count, target in enumerate(targets[: n - 1], start=1):
            while self.position < target:
                self.step()
            yield count

    def static_html(self, n_frames: int | None = None) -> str:
        width = self.output.shape[1]
        frames = 1 + min(width, self.total) + len(range(2 * width, self.total + 1, width))
        return super().static_html(min(frames, n_frames or 40))

    def describe(self) -> str:
        done = f"{self.position} of {self.total} output pixels computed"
        return f"{self.kernel_choice.value} filter over an 8x8 digit: {done}; {self.message}"

    def draw(self) -> None:
        s = self.stride.value
        shown = np.full(self.output.shape, np.nan)
        shown.flat[: self.position] = self.output.flat[: self.position]
        self.output_image.set_data(shown)
        i, j = divmod(max(self.position - 1, 0), self.output.shape[1])
        self.window.set_xy((j * s - 0.5, i * s - 0.5))
        self.cell.set_xy((j - 0.5, i - 0.5))
        self.window.set_visible(self.position > 0)
        self.cell.set_visible(self.position > 0)
        self.footer.set_text(self.message if self.recording else "")   # live: in the status line

    def __repr__(self) -> str:
        return f"ConvolutionExplorer(kernel={self.kernel_choice.value!r})"
