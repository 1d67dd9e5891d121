"""The live widgets and the self-checks in a real JupyterLab, driven in Chromium.

JupyterLab runs on 127.0.0.1 (free port, fresh token) over a temporary copy of ``book/``,
``exercises/`` and ``solutions/`` (so nothing it saves reaches the repository), and
Playwright drives Debian's ``/usr/bin/chromium`` with every request to another host
blocked. Each notebook is run with Run > Run All Cells (JupyterLab's ``notebook:run-all-cells``
command); buttons and sliders are clicked and dragged with the mouse. Screenshots land in
``_build/screenshots/jupyterlab/``. Skipped, with the reason, without Chromium, Playwright or
JupyterLab. The click-to-new-picture times are printed (``pytest -s``); the speed target
lives in ``make bench`` (benchmarks/bench_browser.py), not here.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
from typing import Any

import pytest
from conftest import REPO

from benchmarks.bench_browser import CHROMIUM, CHROMIUM_ARGS, Lab, missing

pytestmark = [pytest.mark.slow, pytest.mark.skipif(missing() is not None, reason=str(missing()))]

SHOTS = REPO / "_build" / "screenshots" / "jupyterlab"
# chapter 7 (gradient descent in 1-D and 2-D) and chapter 10 (the optimizer race)
CHAPTERS = ["book/07_gradient_descent.ipynb", "book/10_training_deep_networks.ipynb"]
# The self-check outputs with full marks on a solution; Run All on the untouched exercise runs to the end.
CHECKED = "solutions/04_activations.ipynb"
EXERCISE = "exercises/04_activations.ipynb"
CHECK_CALL = re.compile(r"""^\s*nnedu\.check\(\s*["'](q\d+)["']\s*\)\s*$""", re.MULTILINE)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("lab")
    for folder in ("book", "exercises", "solutions"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_build"))
    server = Lab(root)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(lab: Lab, browser: Any):
    page = lab.new_page(browser)
    yield page
    page.context.close()


def shot(target: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(SHOTS / f"{name}.png"))


def code_sources(notebook: str) -> list[str]:
    cells = json.loads((REPO / notebook).read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def drag_first_slider(page: Any, widget: Any) -> str:
    """Drag the widget's first slider handle 40 px to the right with the mouse; returns its label."""
    slider = widget.locator(".widget-slider").first
    label = slider.locator("label").first.inner_text()
    box = slider.locator(".noUi-handle").first.bounding_box()
    assert box, "the slider has no visible handle"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 20, y, steps=4)
    page.mouse.move(x + 40, y, steps=4)
    page.mouse.up()
    return label


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_widgets_step_and_redraw_live(lab: Lab, page: Any, chapter: str):
    name = f"chapter{chapter[5:7]}"
    expected = sum("nnedu.widgets." in source for source in code_sources(chapter))
    assert expected >= 1, f"{chapter} shows no widget: pick another chapter for this test"
    lab.open(page, chapter)
    lab.run_all(page)
    assert lab.errors(page) == [], f"{chapter} raised in JupyterLab"
    widgets = lab.widgets(page)
    assert widgets.count() == expected, f"{chapter} shows {widgets.count()} live widgets, expected {expected}"
    shot(page, f"{name}-after-run-all")

    lab.count_idle(page)
    timings = {}
    for i in range(expected):
        widget = widgets.nth(i)
        key = f"widget{i + 1}"
        widget.scroll_into_view_if_needed()
        lab.watch(page, widget, key)
        picture = widget.locator("img").first
        before_src, before_png = picture.get_attribute("src"), picture.screenshot()
        shot(widget, f"{name}-{key}-before-step")
        seconds = lab.click_and_wait(page, widget, "Step", key)
        assert seconds is not None, f"{key}: Step brought no new picture"
        assert picture.get_attribute("src") != before_src
        assert picture.screenshot() != before_png, f"{key}: the new picture looks the same as the old one"
        shot(widget, f"{name}-{key}-after-step")
        timings[key] = lab.step_times(page, widget, key, repeats=8)

        before_src, before_png = picture.get_attribute("src"), picture.screenshot()
        label = drag_first_slider(page, widget)
        page.wait_for_function("([el, src]) => el.src !== src && el.complete",
                               arg=[picture.element_handle(), before_src], timeout=10_000, polling="raf")
        assert picture.screenshot() != before_png, f"{key}: moving the slider '{label}' did not redraw"
        shot(widget, f"{name}-{key}-after-slider")

    page.emulate_media(color_scheme="dark")
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    page.wait_for_timeout(1000)
    widgets.nth(0).scroll_into_view_if_needed()
    shot(page, f"{name}-dark")
    print()
    for key, samples in timings.items():
        print(f"{chapter} {key}: click Step to new picture, median {statistics.median(samples) * 1e3:.0f} ms "
              f"over {len(samples)} clicks (min {min(samples) * 1e3:.0f}, max {max(samples) * 1e3:.0f})")
    assert lab.blocked == [], f"JupyterLab asked for other hosts: {lab.blocked}"


def test_every_question_check_output_appears(lab: Lab, page: Any):
    questions = CHECK_CALL.findall("\n".join(code_sources(CHECKED)))
    assert questions, f"{CHECKED} has no nnedu.check(\"qN\") cell"
    lab.open(page, CHECKED)
    lab.run_all(page)
    assert lab.errors(page) == [], f"{CHECKED} raised in JupyterLab"
    outputs = page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets
        .filter(c => c.model.type === 'code')
        .map(c => [c.model.sharedModel.getSource(),
                   c.model.outputs.toJSON().map(o => [].concat(o.text || (o.data && o.data['text/plain']) || '').join('')).join('')])""")
    seen = {}
    for source, text in outputs:
        call = CHECK_CALL.fullmatch(source.strip())
        if call:
            seen[call.group(1)] = text
    assert sorted(seen) == sorted(questions), f"check cells found: {sorted(seen)}, expected {questions}"
    for question, text in seen.items():
        match = re.search(rf"^{question}: (\d+) of (\d+) tests passed", text, re.MULTILINE)
        assert match, f"no check output under nnedu.check({question!r}) in JupyterLab:\n{text}"
        assert match.group(1) == match.group(2), f"the solution fails {question}:\n{text}"
    page.get_by_text(f"{questions[0]}: ").first.scroll_into_view_if_needed()
    shot(page, "solution04-checks")


def test_run_all_on_an_untouched_exercise_runs_to_the_end(lab: Lab, page: Any):
    """The student's view of an untouched exercise: Run All reaches the last cell with no error, every
    check cell lists what is still to do and every demo cell says "not implemented yet". Outputs are read
    from the notebook's model: JupyterLab renders only the cells in view."""
    lab.open(page, EXERCISE)
    lab.run_all(page)
    assert lab.errors(page) == [], f"{EXERCISE} raised in JupyterLab"
    outputs = page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets
        .filter(c => c.model.type === 'code')
        .map(c => [c.model.sharedModel.getSource(), c.model.executionCount,
                   c.model.outputs.toJSON().map(o => [].concat(o.text || (o.data && o.data['text/plain']) || '').join('')).join('')])""")
    assert all(count is not None for _, count, _ in outputs), "Run All stopped before the last cell"
    checks = [text for source, _, text in outputs if CHECK_CALL.fullmatch(source.strip())]
    assert checks and all("TODO" in text and "to do: write" in text for text in checks), checks
    demos = [text for source, _, text in outputs if source.startswith("with nnedu.demo():")]
    assert all("not implemented yet" in text for text in demos), demos
    page.get_by_text("TODO").first.scroll_into_view_if_needed()
    shot(page, "exercise04-run-all")
