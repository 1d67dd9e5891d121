"""Live widgets in a real JupyterLab: time from a click on Step to the new picture on screen.

JupyterLab runs on 127.0.0.1 (free port, fresh token) over a temporary folder, and Playwright
drives Debian's Chromium (``/usr/bin/chromium``). For each widget, a listener in the page
notes the click on Step and the moment the widget's ``<img>`` holds a new, decoded picture:
the kernel's step and redraw, the PNG over the websocket, and the browser's decode.

:class:`Lab` is also what ``tests/test_jupyterlab.py`` drives. Without Chromium, Playwright
or JupyterLab, :func:`run` prints why and returns no rows.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.common import Row

CHROMIUM = Path(os.environ.get("NNEDU_CHROMIUM", "/usr/bin/chromium"))
JUPYTER_LAB = Path(sys.executable).with_name("jupyter-lab")
# The machine notes' flags: without the background-networking ones Chromium keeps trying
# to reach Google's hosts, which a closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Every live widget, as the book shows it (class name, constructor call).
WIDGETS = [
    ("GradientDescent1D", "nnedu.widgets.GradientDescent1D()"),
    ("GradientDescent2D", "nnedu.widgets.GradientDescent2D()"),
    ("PerceptronStepper", 'nnedu.widgets.PerceptronStepper(dataset="and")'),
    ("ActivationExplorer", "nnedu.widgets.ActivationExplorer()"),
    ("SoftmaxExplorer", "nnedu.widgets.SoftmaxExplorer()"),
    ("BackpropStepper", "nnedu.widgets.BackpropStepper()"),
    ("ConvolutionExplorer", "nnedu.widgets.ConvolutionExplorer()"),
    ("Playground", 'nnedu.widgets.Playground(dataset="spirals", hidden=(8, 8), activation="tanh", lr=0.3)'),
]
TARGET_S = 0.100  # issue 15: click to new picture <= 100 ms median, every widget


def missing() -> str | None:
    """Why the browser cannot be driven here, or None."""
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    if not JUPYTER_LAB.exists():
        return f"JupyterLab is not installed next to {sys.executable} (pip install 'nnedu[lab]')"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# In the page: the notebook panel open in JupyterLab (exposed by --LabApp.expose_app_in_browser).
_PANEL = """const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel) return false;"""
_READY = _PANEL + """
  return !!(panel.context && panel.context.path === path && panel.sessionContext && panel.sessionContext.session &&
            panel.sessionContext.session.kernel &&
            panel.sessionContext.session.kernel.connectionStatus === 'connected' &&
            panel.sessionContext.session.kernel.status === 'idle' && panel.content.widgets.length > 0);"""
_DONE = _PANEL + """
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  return panel.sessionContext.session.kernel.status === 'idle' &&
         cells.every(c => c.model.executionCount !== null);"""
_ERRORS = _PANEL + """
  const errors = [];
  panel.content.widgets.forEach((c, i) => {
    if (c.model.type !== 'code') return;
    for (const o of c.model.outputs.toJSON())
      if (o.output_type === 'error') errors.push(`cell ${i + 1}: ${o.ename}: ${o.evalue}`);
  });
  return errors;"""
# Notes when Step is clicked (capture phase, before ipywidgets handles it) and when the
# widget's <img> has a different src whose picture is decoded.
_WATCH = """(args) => {
  const [root, key] = args;
  const state = window.__nneduClicks = window.__nneduClicks || {};
  const s = state[key] = {t0: null, t1: null, src: null};
  const img = () => root.querySelector('img');
  const step = [...root.querySelectorAll('button')].find(b => b.textContent.trim() === 'Step');
  step.addEventListener('click', () => { s.t0 = performance.now(); s.t1 = null; s.src = img().src; }, true);
  new MutationObserver(() => {
    const im = img();
    if (s.t0 === null || s.t1 !== null || !im || im.src === s.src) return;
    const done = () => { if (s.t1 === null) s.t1 = performance.now(); };
    im.decode().then(done, done);
  }).observe(root, {attributes: true, childList: true, subtree: true});
}"""


class Lab:
    """A JupyterLab server over ``root`` and a Chromium page on it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.private = Path(tempfile.mkdtemp(prefix="nnedu-lab-"))
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.blocked: list[str] = []
        self.workspaces = 0
        self.server: subprocess.Popen | None = None

    # -- server --------------------------------------------------------------------
    def start(self) -> None:
        settings = self.private / "settings"
        # No news or update checks (no network), no autosave into the copied notebooks.
        for plugin, values in {"@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                                                "checkForUpdates": False},
                               "@jupyterlab/docmanager-extension/plugin": {"autosave": False}}.items():
            path = settings / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = {k: v for k, v in os.environ.items() if k not in ("NNEDU_STATIC", "JUPYTER_TOKEN")}
        env.update(JUPYTER_CONFIG_DIR=str(self.private / "config"), JUPYTER_RUNTIME_DIR=str(self.private / "run"),
                   JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(self.private / "ws"),
                   JUPYTER_TOKEN=self.token, IPYTHONDIR=str(self.private / "ipython"))
        args = [str(JUPYTER_LAB), "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0", f"--ServerApp.root_dir={self.root}",
                "--LabApp.expose_app_in_browser=True",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if os.geteuid() == 0:
            args.append("--allow-root")
        with open(self.private / "server.log", "w") as log:  # the server keeps its own copy of the file
            self.server = subprocess.Popen(args, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({self.server.returncode}):\n{self.server_log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not answer on {self.url} within 90 s:\n{self.server_log()}")

    def server_log(self) -> str:
        return (self.private / "server.log").read_text()[-4000:]

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        shutil.rmtree(self.private, ignore_errors=True)

    # -- browser -------------------------------------------------------------------
    def new_page(self, browser: Any, width: int = 1280, height: int = 900) -> Any:
        """A page whose requests to any host but 127.0.0.1 are blocked (and listed)."""
        context = browser.new_context(viewport={"width": width, "height": height})

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(("data:", "blob:", f"http://127.0.0.1:{self.port}/", f"ws://127.0.0.1:{self.port}/")):
                r.continue_()
            else:
                self.blocked.append(url)
                r.abort()

        context.route("**/*", route)
        return context.new_page()

    def open(self, page: Any, notebook: str, timeout_s: float = 90) -> None:
        """Open ``notebook`` (relative to the root) in a fresh workspace; wait for its kernel to be idle."""
        self.workspaces += 1
        page.goto(f"{self.url}/lab/workspaces/w{self.workspaces}/tree/{notebook}?reset&token={self.token}",
                  wait_until="load")
        page.wait_for_function(f"(path) => {{ {_READY} }}", arg=notebook, timeout=timeout_s * 1000, polling=200)

    def run_all(self, page: Any, timeout_s: float = 300) -> None:
        """Run > Run All Cells, then wait until every code cell has run and the kernel is idle."""
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(f"() => {{ {_DONE} }}", timeout=timeout_s * 1000, polling=250)

    def errors(self, page: Any) -> list[str]:
        return page.evaluate(f"() => {{ {_ERRORS} }}")

    # -- widgets -------------------------------------------------------------------
    @staticmethod
    def widgets(page: Any) -> Any:
        """The output areas that hold a live stepper (a Step button and a picture)."""
        return page.locator(".jp-OutputArea-output").filter(
            has=page.locator("button", has_text="Step")).filter(has=page.locator("img"))

    @staticmethod
    def watch(page: Any, widget: Any, key: str) -> None:
        widget.evaluate(f"(root) => ({_WATCH})([root, {json.dumps(key)}])")

    @staticmethod
    def count_idle(page: Any) -> None:
        """Count the kernel's returns to idle: one per message it has handled (a click is one)."""
        page.evaluate("""() => {
          if (window.__nneduIdle !== undefined) return;
          window.__nneduIdle = 0;
          const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
          kernel.statusChanged.connect((_, status) => { if (status === 'idle') window.__nneduIdle += 1; });
        }""")

    @staticmethod
    def click_and_wait(page: Any, widget: Any, name: str, key: str, timeout_s: float = 10,
                       grace_s: float = 1.0) -> float | None:
        """Click the widget's button ``name``, wait until the kernel has handled the click and
        then up to ``grace_s`` for a new picture.

        Returns the click-to-picture seconds measured in the page, or None when the picture
        did not change (a stepper at its end, a Reset of a widget already reset).
        """
        img = widget.locator("img").first
        before = img.get_attribute("src")
        idle = page.evaluate("() => window.__nneduIdle")
        widget.get_by_role("button", name=name, exact=True).click()
        page.wait_for_function("(n) => window.__nneduIdle > n", arg=idle, timeout=timeout_s * 1000, polling="raf")
        try:
            page.wait_for_function("([el, src]) => el.src !== src && el.complete",
                                   arg=[img.element_handle(), before], timeout=grace_s * 1000, polling="raf")
        except Exception as exc:  # playwright's TimeoutError: no new picture
            if "Timeout" not in type(exc).__name__:
                raise
            return None
        if name != "Step":
            return float("nan")
        page.wait_for_function(f"() => window.__nneduClicks[{json.dumps(key)}].t1 !== null",
                               timeout=timeout_s * 1000, polling="raf")
        state = page.evaluate(f"() => window.__nneduClicks[{json.dumps(key)}]")
        return (state["t1"] - state["t0"]) / 1000

    def step_times(self, page: Any, widget: Any, key: str, repeats: int, warmup: int = 2) -> list[float]:
        """Click-to-picture seconds of ``repeats`` clicks on Step that brought a new picture.

        When Step is disabled or brings no new picture (the stepper has reached its end), Reset
        is clicked and that click is not counted; a widget that never shows a new picture fails.
        """
        widget.scroll_into_view_if_needed()
        self.count_idle(page)
        self.watch(page, widget, key)
        step = widget.get_by_role("button", name="Step", exact=True)
        reset = widget.get_by_role("button", name="Reset", exact=True)
        times: list[float] = []
        misses = 0
        while len(times) < warmup + repeats:
            t = None if step.is_disabled() else self.click_and_wait(page, widget, "Step", key)
            if t is not None:
                times.append(t)
                continue
            misses += 1
            if misses > repeats or reset.count() == 0:
                raise AssertionError(f"{key}: Step brought no new picture ({misses} times)")
            self.click_and_wait(page, widget, "Reset", key)
        return times[warmup:]


def widget_notebook(folder: Path) -> Path:
    """A notebook with every widget, one per cell."""
    cells: list[dict[str, Any]] = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": "import nnedu"}]
    cells += [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": call}
              for _, call in WIDGETS]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                       "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path = folder / "widgets.ipynb"
    path.write_text(json.dumps(nb))
    return path


def measure(repeats: int) -> dict[str, list[float]]:
    """Click-to-picture times of every widget in :data:`WIDGETS`, in one JupyterLab session."""
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="nnedu-bench-browser-"))
    widget_notebook(folder)
    lab = Lab(folder)
    try:
        lab.start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            page = lab.new_page(browser)
            lab.open(page, "widgets.ipynb")
            lab.run_all(page)
            errors = lab.errors(page)
            if errors:
                raise RuntimeError(f"the widget notebook failed in JupyterLab: {errors}")
            shown = lab.widgets(page)
            if shown.count() != len(WIDGETS):
                raise RuntimeError(f"expected {len(WIDGETS)} live widgets, JupyterLab shows {shown.count()}")
            times = {name: lab.step_times(page, shown.nth(i), name, repeats) for i, (name, _) in enumerate(WIDGETS)}
            browser.close()
        return times
    finally:
        lab.stop()
        shutil.rmtree(folder, ignore_errors=True)


def run(quick: bool = False) -> list[Row]:
    reason = missing()
    if reason:
        print(f"bench_browser: skipped, {reason}", file=sys.stderr)
        return []
    load = os.getloadavg()[0]  # the page, the server and the kernel share the cores: say how busy they were
    times = measure(repeats=5 if quick else 20)
    rows = []
    for name, samples in times.items():
        t = statistics.median(samples)
        rows.append(Row(f"{name}: click Step to new picture (JupyterLab, Chromium)", t, None, "<= 100 ms",
                        t <= TARGET_S, note=f"load average {load:.1f} at start"))
    return rows
