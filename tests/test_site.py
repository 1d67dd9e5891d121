"""The published book, in a real browser, with every request outside 127.0.0.1 blocked.

The site is built once for this module (``jupyter-book build``, every notebook executed,
``NNEDU_STATIC=1`` as ``make book`` sets it), served on 127.0.0.1, and visited with
Playwright driving Debian's Chromium (never a downloaded browser) at 1280 px (desktop),
390 px (phone) and in dark mode. Every page must log no console error or warning at all,
never scroll sideways on a phone, give every image an alt text that says what it shows,
and show every figure at (nearly) its natural size; every recorded stepper must step with
the mouse and the keyboard. Screenshots of every page land in ``_build/screenshots/``.
Without Chromium or Playwright the browser tests are skipped with the reason; ``.ci/run``
installs Chromium. The first tests need no browser: they check the notebooks' sources.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from conftest import REPO

from nnedu.widgets._base import PLAY_INTERVAL_MS

CHROMIUM = Path(os.environ.get("NNEDU_CHROMIUM", "/usr/bin/chromium"))
needs_browser = pytest.mark.skipif(not CHROMIUM.exists(),
                                   reason=f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")

# Flags from the machine notes: without the background-networking ones Chromium keeps
# trying to reach Google's hosts, which a closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

def toc_pages() -> list[str]:
    """Every page of ``_toc.yml`` (the chapters, then the exercises), root first, relative to the site root."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    chapters = [c for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]) for c in part["chapters"]]
    return [f"{toc['root']}.html"] + [f"{c['file']}.html" for c in chapters]


# The exercise pages are one template over student notebooks (text, code, no outputs, no figures): every one
# is checked in light mode and on a phone; these two (a capstone each, the longest) also in dark mode, for
# their figures and in screenshots. Eleven more dark loads and full-page screenshots cost a minute of make test.
EXERCISE_SAMPLE = ("exercises/09_sgd.html", "exercises/11_convolution.html")


def looked_at(pages: list[str]) -> list[str]:
    """``pages`` without the exercise pages outside :data:`EXERCISE_SAMPLE`."""
    return [p for p in pages if not p.startswith("exercises/") or p in EXERCISE_SAMPLE]


def clean_cases() -> list[tuple[str, bool]]:
    """(path, dark) for every page in light mode and for the pages looked at in dark mode, path by path."""
    pages = looked_at(toc_pages())
    return [(p, dark) for p in toc_pages() + ["search.html?q=gradient"] for dark in (False, True)
            if not dark or p in pages or p.startswith("search")]


def book_notebooks() -> list[Path]:
    return sorted((REPO / "book").glob("*.ipynb"))


# --- the notebooks' sources (no browser) -------------------------------------------------

# The set-up cell at the top of every chapter: tests/test_setup_cell.py (book, solutions, exercises).

@pytest.mark.parametrize("notebook", book_notebooks(), ids=lambda p: p.stem)
def test_figures_use_the_book_style_and_say_what_they_show(notebook):
    """Every figure goes through ``style.show(fig, alt=...)`` after ``style.use()``; no bare plt.show()."""
    code = ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    text = "\n".join(code)
    assert "plt.show()" not in text, f"{notebook.name}: a figure shown without style.show(..., alt=...)"
    assert "inspect.getsource" not in text, f"{notebook.name}: source listings go through style.source(...)"
    if "style.show(" in text or "widgets." in text:
        first_use = next(i for i, c in enumerate(code) if "style.use()" in c)
        first_figure = next(i for i, c in enumerate(code) if "style.show(" in c or "widgets." in c)
        assert first_use <= first_figure, f"{notebook.name}: style.use() must come before the first figure"


def test_docstring_maths_becomes_markdown_maths():
    from nnedu.style import docstring_markdown

    doc = """Softmax along ``axis``: :math:`e^{z_i} / \\sum_j e^{z_j}`, see :func:`log_softmax`.

    .. math::

        \\sigma(z) = \\frac{1}{1 + e^{-z}}

    Done."""
    md = docstring_markdown(doc)
    assert "Softmax along `axis`: $e^{z_i} / \\sum_j e^{z_j}$, see `log_softmax`." in md
    assert "$$\n\\sigma(z) = \\frac{1}{1 + e^{-z}}\n$$" in md
    assert ":math:" not in md and ".. math::" not in md and "Done." in md


def test_source_listing_shows_code_without_its_docstring():
    from nnedu import functional as F
    from nnedu.style import source

    md = source(F.softmax).data
    assert md.count("```python") == 1 and "def softmax(" in md
    assert ":math:" not in md and '"""' not in md and 'r"""' not in md


def test_show_needs_an_alt_text_and_draws_a_dark_variant(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    from nnedu import style

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], "k--")
    ax.set_title("a title")
    ax.scatter([0.5], [0.5], s=400, facecolors="white", edgecolors="black")   # a node
    ax.text(0.5, 0.5, "1", color="black")                                       # its value
    with pytest.raises(ValueError, match="alt text"):
        style.show(fig, alt="  ")
    dark = style._dark_copy(fig)
    dark_ax = dark.axes[0]
    assert to_hex(dark_ax.title.get_color()) == style.DARK_TEXT
    assert to_hex(dark_ax.lines[0].get_color()) == style.DARK_TEXT   # black lines turn light
    assert dark.patch.get_alpha() == 0.0
    node = dark_ax.collections[0]
    assert to_hex(node.get_facecolor()[0]) == style.DARK_SURFACE and to_hex(node.get_edgecolor()[0]) == style.DARK_TEXT
    assert to_hex(dark_ax.texts[0].get_color()) == style.DARK_TEXT
    assert to_hex(ax.lines[0].get_color()) == "#000000"                # the original is untouched
    plt.close("all")


# --- the built site ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """Build the book into a temporary folder (the working tree's _build is left alone).

    ``NNEDU_SITE=_build/html`` tests a site built already (by ``make book``) instead.
    """
    if os.environ.get("NNEDU_SITE"):
        built = Path(os.environ["NNEDU_SITE"]).resolve()
        assert (built / "index.html").exists(), f"NNEDU_SITE={built} holds no built site"
        return built
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NNEDU_STATIC="1")
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jb), "build", str(REPO), "--path-output", str(out), "-W", "--keep-going"],
                            check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, f"book build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    html = out / "_build" / "html"
    assert (html / "index.html").exists()
    return html


@pytest.fixture(scope="module")
def server(site: Path):
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    playwright_sync = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    with playwright_sync.sync_playwright() as p:
        # --hide-scrollbars is Playwright's headless default; readers see scrollbars, so do the screenshots
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                                    ignore_default_args=["--hide-scrollbars"])
        yield browser
        browser.close()


class Visit:
    """A page opened in a fresh profile with external requests blocked, recording what went wrong."""

    def __init__(self, browser, url: str, viewport: dict = DESKTOP, dark: bool = False) -> None:
        self.context = browser.new_context(viewport=viewport, color_scheme="dark" if dark else "light")
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.failed: list[str] = []
        self.blocked: list[str] = []
        self.page.on("console", lambda m: m.type in ("error", "warning") and self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"uncaught: {e}"))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} ({r.status})"))
        self.context.route("**/*", self._route)
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        if self.page.evaluate("() => document.querySelectorAll('.math').length") > 0:
            self.page.wait_for_function("() => !document.querySelector('.math:not(:has(mjx-container))')",
                                        timeout=20000)

    def _route(self, route) -> None:
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = None


@pytest.fixture
def visit(browser, server):
    opened = []

    def open_page(path: str, viewport: dict = DESKTOP, dark: bool = False) -> Visit:
        v = Visit(browser, server + path, viewport, dark)
        opened.append(v)
        return v

    yield open_page
    for v in opened:
        v.close()


@pytest.fixture(scope="module")
def view(browser, server):
    """Open ``path`` (read-only tests): one loaded page per (path, viewport, theme), shared by every test that
    only looks at it. The page tests are grouped by path (``scope="module"`` on their parametrization), so the
    pages of one path are closed when the next path's tests begin, and a page is loaded once, not once per test.
    Tests that click or type use ``visit``, which always opens a fresh page.
    """
    views: dict[tuple[str, int, bool], Visit] = {}

    def open_view(path: str, viewport: dict = DESKTOP, dark: bool = False) -> Visit:
        for key in [key for key in views if key[0] != path]:
            views.pop(key).close()
        key = (path, viewport["width"], dark)
        if key not in views:
            views[key] = Visit(browser, server + path, viewport, dark)
        return views[key]

    yield open_view
    for v in views.values():
        v.close()


def test_toc_pages_exist(site):
    missing = [p for p in toc_pages() if not (site / p).exists()]
    assert not missing and len(toc_pages()) == 24   # the introduction, chapters 1-12, exercises 2-12


def solution_lines(number: str) -> list[str]:
    """The distinctive lines of every solution region of exercise ``number`` (what the site must never show)."""
    from nnedu.grading.assign import BEGIN, END, HINT

    (path,) = (REPO / "solutions").glob(f"{number}_*.ipynb")
    lines, inside = [], False
    for cell in json.loads(path.read_text())["cells"]:
        for line in "".join(cell["source"]).splitlines() if cell["cell_type"] == "code" else []:
            if BEGIN.match(line) or END.match(line):
                inside = bool(BEGIN.match(line))
            elif inside and not HINT.match(line) and len(line.strip()) > 24:
                lines.append(line.strip())
    return lines


@pytest.mark.parametrize("number", [f"{n:02d}" for n in range(2, 13)])
def test_exercises_are_on_the_site_as_students_get_them(site, number):
    """The student version, not executed, with its stubs and a download button; never a line of the solution."""
    (page,) = (site / "exercises").glob(f"{number}_*.html")
    text = page.read_text()
    assert "raise NotImplementedError" in re.sub(r"<[^>]+>", "", text)
    assert f"_sources/exercises/{page.stem}.ipynb" in text            # the download button's .ipynb
    assert (site / "_sources" / "exercises" / f"{page.stem}.ipynb").exists()
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    student = "\n".join("".join(cell["source"])   # what the student version says anyway (given code, the text)
                         for cell in json.loads((REPO / "exercises" / f"{page.stem}.ipynb").read_text())["cells"])
    leaked = [line for line in solution_lines(number) if line in plain and line not in student]
    assert not leaked, leaked
    assert 'class="cell_output' not in text and 'class="output' not in text  # not executed: no outputs
    assert not (site / "solutions").exists()


def test_no_page_refers_to_a_cdn(site):
    pattern = re.compile(r"""<(script|link|img)[^>]+(src|href)=["'](https?:)?//""", re.IGNORECASE)
    offenders = {}
    for path in toc_pages():
        found = [m.group(0) for m in pattern.finditer((site / path).read_text())]
        found = [f for f in found if "<link" not in f.lower() or "stylesheet" in f.lower() or "preload" in f.lower()]
        if found:
            offenders[path] = found[:3]
    assert not offenders, f"pages loading resources from other hosts: {offenders}"


@needs_browser
@pytest.mark.parametrize(("path", "dark"), clean_cases(), scope="module",
                         ids=[f"{p}-{'dark' if d else 'light'}" for p, d in clean_cases()])
def test_page_is_clean_offline_and_typesets_its_maths(view, path, dark):
    """No console error or warning at all (no allowlist), no request leaves 127.0.0.1, no raw TeX."""
    v = view(path, dark=dark)
    assert not v.blocked, f"{path} tried to reach other hosts: {v.blocked[:5]}"
    assert not v.failed, f"{path} had failed requests: {v.failed[:5]}"
    assert not v.console, f"{path} logged to the console: {v.console[:5]}"
    assert v.page.evaluate("() => document.documentElement.dataset.theme") == ("dark" if dark else "light")
    text = v.page.inner_text("main")
    assert "\\(" not in text and "\\[" not in text and "$$" not in text, f"raw TeX left on {path}"
    assert ":math:" not in text and ".. math::" not in text, f"reStructuredText maths shown on {path}"
    assert "inspect.getsource" not in text, f"a source listing shows its own call on {path}"
    assert not re.search(r"\d+%\|", text) and "it/s]" not in text, f"a progress bar is printed on {path}"


# Elements wider than the viewport that are not inside a box that scrolls (and itself fits).
OVERFLOWING = """() => {
  const vw = document.documentElement.clientWidth, found = [];
  for (const el of document.querySelectorAll('.bd-main *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= vw + 0.5 && r.left >= -0.5) continue;
    if (getComputedStyle(el).visibility !== 'visible') continue;   // e.g. the closed drawer of the page's contents
    let p = el.parentElement, contained = false;
    while (p && p !== document.body) {
      const s = getComputedStyle(p), pr = p.getBoundingClientRect();
      if (/(auto|scroll|hidden|clip)/.test(s.overflowX) && pr.right <= vw + 0.5 && pr.left >= -0.5) { contained = true; break; }
      p = p.parentElement;
    }
    if (!contained) found.push(`${el.tagName.toLowerCase()}.${String(el.className).trim().split(/\\s+/)[0]} `
                               + `${Math.round(r.left)}..${Math.round(r.right)}px`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, viewport: vw, found: found.slice(0, 8)};
}"""


@needs_browser
@pytest.mark.parametrize("path", toc_pages() + ["search.html?q=gradient"], scope="module")
def test_no_horizontal_scrolling_on_a_phone(view, path):
    v = view(path, viewport=PHONE)
    result = v.page.evaluate(OVERFLOWING)
    assert result["scrollWidth"] <= result["viewport"], f"{path} scrolls sideways on a phone: {result}"
    assert not result["found"], f"{path}: elements wider than a 390 px screen: {result['found']}"


IMAGES = """() => [...document.querySelectorAll('article img')].map(img => {
  const r = img.getBoundingClientRect(), attr = parseFloat(img.getAttribute('width'));
  return {alt: img.getAttribute('alt'), src: (img.getAttribute('src') || '').slice(0, 80),
          shown: r.width, natural: attr > 0 ? attr : img.naturalWidth,
          visible: r.width > 0 && getComputedStyle(img).visibility !== 'hidden'};
})"""
FILE_NAME = re.compile(r"(^|/)[\w.-]+\.(png|jpe?g|gif|svg|webp)$|_images/|^data:", re.IGNORECASE)


@needs_browser
@pytest.mark.parametrize("path", toc_pages(), scope="module")
def test_every_image_says_what_it_shows(view, path):
    images = view(path).page.evaluate(IMAGES)
    bad = [(i["src"], i["alt"]) for i in images
           if not (i["alt"] or "").strip() or FILE_NAME.search(i["alt"].strip()) or len(i["alt"].split()) < 3]
    assert not bad, f"{path}: images without an alt text that says what they show: {bad[:5]}"


@needs_browser
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("path", looked_at(toc_pages()), scope="module")
def test_figures_are_shown_at_three_quarters_of_their_natural_width(view, path, dark):
    """At 1280 px a figure drawn for the text column is not shrunk (its 9 pt text stays >= 9 px).

    The natural width is the image's ``width`` attribute when it has one (figures drawn at
    2x for sharpness declare their CSS size), else its pixel width.
    """
    images = [i for i in view(path, dark=dark).page.evaluate(IMAGES) if i["visible"]]
    small = [(i["alt"][:50], round(i["shown"]), i["natural"]) for i in images if i["shown"] < 0.75 * i["natural"]]
    assert not small, f"{path}: figures shrunk below 75% of their natural width: {small}"


@needs_browser
@pytest.mark.parametrize("path", ["book/02_neurons_and_perceptrons.html", "book/08_backpropagation.html"],
                         scope="module")
def test_dark_mode_shows_the_dark_rendering_of_each_figure(view, path):
    for dark in (False, True):
        v = view(path, dark=dark)
        shown = v.page.evaluate("""() => [...document.querySelectorAll('img.nnedu-figure')]
            .filter(i => i.getBoundingClientRect().width > 0).map(i => i.classList.contains('only-dark'))""")
        assert all(s == dark for s in shown), (dark, shown)
        assert shown or v.page.locator("div.nnedu-player").count(), f"{path} has neither figures nor players"
        # and nothing behind a figure paints a light slab on the dark page
        light_behind = v.page.evaluate("""() => [...document.querySelectorAll('img.nnedu-figure, .nnedu-player')]
          .filter(e => e.getBoundingClientRect().width > 0).flatMap(e => {
            const found = [];
            for (let p = e; p && p.tagName !== 'ARTICLE'; p = p.parentElement) {
              const m = getComputedStyle(p).backgroundColor.match(/[\\d.]+/g).map(Number);
              const alpha = m.length > 3 ? m[3] : 1;
              if (alpha > 0.1 && (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255 > 0.5)
                found.push(p.tagName + '.' + p.className);
            }
            return found; })""")
        if dark:
            assert not light_behind, f"light backgrounds behind figures in dark mode: {light_behind[:3]}"


def steppers_in(site: Path) -> list[str]:
    """Pages with a recorded stepper (nnedu's static player)."""
    return [p for p in toc_pages() if 'class="nnedu-player"' in (site / p).read_text()]


PLAYER_STATE = """player => {
  const frames = [...player.querySelectorAll('img')];
  const shown = frames.filter(f => f.getBoundingClientRect().width > 0);
  const counter = player.querySelector('.nnedu-player-counter');
  return {shown: shown.map(f => frames.indexOf(f)), counter: counter ? counter.textContent.trim() : null,
          n: frames.length, declared: Number(player.dataset.frames)};
}"""


def player_state(player) -> dict:
    return player.evaluate(PLAYER_STATE)


@needs_browser
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_steppers_step_with_mouse_and_keyboard(site, visit, dark):
    pages = steppers_in(site)
    assert len(pages) >= 7, f"recorded steppers expected on at least 7 pages, found {pages}"
    for path in pages:
        v = visit(path, dark=dark)
        players = v.page.locator("div.nnedu-player")
        for k in range(players.count()):
            player = players.nth(k)
            player.scroll_into_view_if_needed()
            where = f"{path}, player {k + 1}"
            start = player_state(player)
            assert start["n"] == start["declared"] >= 2 and start["shown"] == [0], (where, start)
            assert start["counter"] and re.search(rf"\b({start['n']}|{start['n'] - 1})\b", start["counter"]), (where, start)
            for action in ("first", "prev", "play", "next", "last"):
                button = player.locator(f"button[data-action={action}]")
                assert button.count() == 1, f"{where}: no {action} button"
                box = button.bounding_box()
                assert box and box["height"] >= 40 and box["width"] >= 40, f"{where}: {action} button {box}"
                assert button.inner_text().strip() or button.get_attribute("aria-label"), f"{where}: {action} unlabelled"
            # mouse
            player.locator("button[data-action=next]").click()
            after_next = player_state(player)
            assert after_next["shown"] == [1] and after_next["counter"] != start["counter"], (where, after_next)
            player.locator("button[data-action=prev]").click()
            assert player_state(player)["shown"] == [0], where
            player.locator("button[data-action=last]").click()
            assert player_state(player)["shown"] == [start["n"] - 1], where
            player.locator("button[data-action=first]").click()
            assert player_state(player)["shown"] == [0], where
            # keyboard: the player takes focus and the arrow keys step
            player.focus()
            v.page.keyboard.press("ArrowRight")
            assert player_state(player)["shown"] == [1], f"{where}: ArrowRight did not step"
            v.page.keyboard.press("ArrowLeft")
            assert player_state(player)["shown"] == [0], f"{where}: ArrowLeft did not step back"
            # play advances by itself, and a second press pauses
            player.locator("button[data-action=play]").click()
            v.page.wait_for_function(f"""() => {{
                const p = document.querySelectorAll('div.nnedu-player')[{k}];
                return [...p.querySelectorAll('img')].findIndex(f => f.getBoundingClientRect().width > 0) > 0; }}""",
                timeout=10000)
            player.locator("button[data-action=play]").click()
            paused = player_state(player)["shown"]
            v.page.wait_for_timeout(PLAY_INTERVAL_MS + 300)   # a player still playing would have stepped
            assert player_state(player)["shown"] == paused, f"{where}: Play did not pause"
        assert not v.console, f"{path}: console messages while stepping: {v.console[:5]}"


@needs_browser
def test_one_search_box(visit):
    visible_fields = """() => [...document.querySelectorAll('.search-button-field, form.bd-search input, #search-input')]
        .filter(e => e.getBoundingClientRect().width > 0 && getComputedStyle(e).visibility !== 'hidden').length"""
    assert visit("book/08_backpropagation.html").page.evaluate(visible_fields) == 1
    assert visit("search.html?q=neuron").page.evaluate(visible_fields) == 1


@needs_browser
def test_search_finds_a_word_from_chapter_8_and_shows_maths_as_text(visit):
    v = visit("search.html?q=backpropagation")
    v.page.wait_for_selector("#search-results li, ul.search li", timeout=20000)
    links = v.page.eval_on_selector_all("ul.search li a", "els => els.map(e => e.getAttribute('href'))")
    assert any("08_backpropagation" in (href or "") for href in links), links
    v = visit("search.html?q=weighted")
    v.page.wait_for_selector("ul.search li p.context", timeout=20000)
    v.page.wait_for_timeout(1000)   # summaries arrive one page at a time
    snippets = v.page.eval_on_selector_all("ul.search li p.context", "els => els.map(e => e.textContent)")
    assert snippets, "no search result snippets"
    raw = [s for s in snippets if re.search(r"\\\(|\\\)|\\[{}]|\\[A-Za-z]{2,}|\$\$", s)]
    assert not raw, f"search snippets with raw TeX: {raw[:3]}"
    assert v.page.evaluate("() => window.nneduPlainMaths('a \\\\(\\\\mathbf{w}^\\\\top \\\\mathbf{x}\\\\) b')") == "a wᵀ x b"
    assert v.page.evaluate(r"() => window.nneduPlainMaths('x \\(\\{0, 1\\}\\) and \\[\\begin{split}a &= \\frac{1}{2}\\end{split}\\]')") \
        == "x {0, 1} and  a = (1)/(2) "


@needs_browser
@pytest.mark.parametrize("path", looked_at(toc_pages()), scope="module")
def test_screenshots_of_every_page(view, path):
    """Desktop, phone and dark screenshots of every chapter and two exercises, for people to look at."""
    out = REPO / "_build" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    for mode, viewport, dark in [("desktop", DESKTOP, False), ("phone", PHONE, False), ("dark", DESKTOP, True)]:
        target = out / f"{Path(path).stem}-{mode}.png"
        view(path, viewport=viewport, dark=dark).page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000
