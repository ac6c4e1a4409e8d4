"""The built HTML book: every chapter is there, its math is typeset offline, and it fits its column.

The book is built by the README's first command (into `_build/html`). These tests open built pages
from disk in headless Chromium with every network feature off. They check that MathJax (bundled by
sphinx-mathjax-offline, not fetched from a CDN) has typeset the equations, and that every page lays
out at 1280 px and at 800 px with nothing wider than the box that holds it (`_static/layout.css`
sizes the column and the code font for that).
"""

import html
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def built() -> pathlib.Path:
    if not (HTML / "index.html").exists():
        pytest.fail("The book is not built: run the README's first command (jupyter-book build .)")
    return HTML


def test_every_notebook_is_a_page(built):
    for notebook in sorted((ROOT / "book").glob("*.ipynb")):
        assert (built / "book" / f"{notebook.stem}.html").exists(), notebook.name


def test_mathjax_is_bundled_not_fetched(built):
    page = (built / "book" / "01_reparameterization.html").read_text()
    assert "_static/mathjax/tex-chtml.js" in page
    assert "cdn.jsdelivr.net" not in page
    assert (built / "_static" / "mathjax" / "tex-chtml.js").exists()


def chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def render(page: pathlib.Path, width: int | None = None) -> str:
    """The page's DOM once its scripts have run (15 s of virtual time), `width` px wide if given."""
    browser = chromium()
    size = [f"--window-size={width},900"] if width else []
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=15000",
                *size, "--dump-dom", page.as_uri(),
            ],
            capture_output=True, text=True, timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("name", ["01_reparameterization", "03_gumbel_softmax"])
def test_math_is_typeset_offline(built, name):
    dom = render(built / "book" / f"{name}.html")
    # MathJax 3 replaces each \(...\) / \[...\] with an <mjx-container> element once it has run.
    assert dom.count("<mjx-container") >= 5, "MathJax did not typeset the page's equations"
    assert "<mjx-merror" not in dom, "MathJax reported an error in an equation"


# --- Layout: nothing is wider than the box that holds it --------------------------------------

# The window widths every page is laid out at: a laptop, with both sidebars beside the article,
# and a narrow window, where both sidebars are drawers.
LAYOUT_WIDTHS = (1280, 800)

# Cell outputs that may be wider than the column and scroll sideways in their own box, in the
# whole book: a handful of printed tables whose columns only make sense side by side. An output
# counts once whether it is too wide at one width or at both. Every other output, and every code
# cell, code block, display or inline equation, table, image and line of text must fit at both
# widths (an output may scroll, but never stick out of the column or be clipped).
MAX_WIDE_OUTPUTS = 4

# What the reader must never see: nbval's markers (a `# NBVAL_...` comment, a cell tag shown as
# text). The command-line option `--nbval`, which the chapters tell readers to run, is fine.
NBVAL_TEXT = re.compile(r"NBVAL|(?<!-)nbval-(?:ignore-output|check-output|skip|raises-exception)")


def _built_pages() -> list[str]:
    pages = sorted(p.stem for p in (HTML / "book").glob("*.html") if not p.name.startswith("_"))
    return pages or ["intro"]  # not built: the `built` fixture then fails with the instructions


# Runs in the page once it has loaded and MathJax has typeset it. Opens every dropdown, then
# looks at every element of the article and records, in the data-json attribute of a hidden
# <div id="layout-probe">:
# - each box that scrolls or clips sideways (overflow other than visible) whose content is
#   wider than the box (scrollWidth > clientWidth + 1): a code block, a display equation's
#   MathJax container, a table's scroll container, an admonition;
# - each element, or run of text, that reaches past the article's column (its content edge) by
#   more than 1 px with no such box around it to hold it;
# each with its kind (named after what is too wide: code, output, equation, table, image,
# other), how it overflows, by how many px, its code cell and a short excerpt (an equation's TeX,
# a code block's longest line); whether the page itself scrolls sideways; and the lines of
# visible text (document.body.innerText) that mention nbval; and the width at which each
# figure (an image in a cell's output) is shown, next to its own width in pixels.
PROBE_JS = r"""
(function () {
  var MATH = "mjx-container, span.math, div.math";
  function tex(el) {
    try {
      var items = MathJax.startup.document.getMathItemsWithin(el);
      if (items.length) return String(items[0].math);
    } catch (e) {}
    return "";
  }
  function clip(text, n) {
    text = text.replace(/\s+/g, " ").trim();
    return text.length > n ? text.slice(0, n - 3) + "..." : text;
  }
  function kindOf(el) {
    if (el.closest(MATH)) return "equation";
    if (el.closest(".cell_input")) return "code";
    if (el.closest("img, svg, figure")) return "image";
    if (el.closest(".cell_output")) return "output";
    if (el.closest("table, .pst-scrollable-table-container")) return "table";
    if (el.closest("pre, div[class*='highlight']")) return "code";
    return "other";
  }
  function boxOf(el) {
    return el.closest("mjx-container, span.math, div.math, pre, table, img, svg, code") || el;
  }
  function excerpt(box) {
    var source = tex(box);
    if (source) return clip(source, 80);
    if (box.tagName === "PRE") {
      var lines = box.textContent.split("\n"), longest = "";
      lines.forEach(function (line) { if (line.length > longest.length) longest = line; });
      return clip(longest, 72) + " (" + longest.length + " characters)";
    }
    if (box.tagName === "IMG") return "image " + (box.getAttribute("src") || "").split("/").pop();
    if (box.tagName === "TABLE") return clip((box.rows[0] || box).innerText, 80);
    return clip(box.innerText || box.textContent || "", 80);
  }
  function skipped(el) {
    if (el.closest("mjx-assistive-mml, button, .headerlink, .copybtn")) return true;
    var tag = el.tagName;
    return tag.indexOf("MJX-") === 0 && tag !== "MJX-CONTAINER";  // MathJax's own parts
  }
  function sticksOut(el, left, right) {
    var r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return 0;
    return Math.max(r.right - right, left - r.left);
  }
  function measure() {
    var hide = document.createElement("style");  // offscreen copy for screen readers
    hide.textContent = "mjx-assistive-mml { display: none !important; }";
    document.head.appendChild(hide);
    document.querySelectorAll(".toggle-hidden").forEach(function (e) {
      e.classList.remove("toggle-hidden");
    });
    document.querySelectorAll("details").forEach(function (e) { e.open = true; });
    var article = document.querySelector("article.bd-article") || document.body;
    var a = article.getBoundingClientRect(), style = getComputedStyle(article);
    var left = a.left + parseFloat(style.paddingLeft);
    var right = a.right - parseFloat(style.paddingRight);
    var cells = Array.prototype.slice.call(article.querySelectorAll(".cell"));
    var found = [], seen = [], runs = [];
    function held(el) {  // inside a box that scrolls or clips: that box reports it
      for (var up = el.parentElement; up && up !== article; up = up.parentElement) {
        if (getComputedStyle(up).overflowX !== "visible") return true;
      }
      return false;
    }
    function report(el, how, px) {
      var box = boxOf(el);
      if (seen.indexOf(box) >= 0) return;
      seen.push(box);
      var cell = box.closest(".cell");
      found.push({kind: kindOf(el), how: how, px: Math.round(px),
                  cell: cell ? cells.indexOf(cell) + 1 : 0, text: excerpt(box)});
    }
    var all = article.querySelectorAll("*");
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      if (skipped(el)) continue;
      var st = getComputedStyle(el);
      if (st.display === "none" || st.position === "fixed") continue;
      if (st.overflowX !== "visible" && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
        var culprit = el;
        if (kindOf(el) === "other") {
          // Name it after what sticks out of it: an admonition that clips an equation is the
          // equation's fault.
          var inLeft = el.getBoundingClientRect().left + el.clientLeft;
          var inRight = inLeft + el.clientWidth, inner = el.querySelectorAll("*");
          for (var j = 0; j < inner.length; j++) {
            if (!skipped(inner[j]) && sticksOut(inner[j], inLeft, inRight) > 1) {
              culprit = inner[j];
              break;
            }
          }
        }
        var how = st.overflowX === "auto" || st.overflowX === "scroll" ? "scrolls" : "is clipped";
        report(culprit, how, el.scrollWidth - el.clientWidth);
      }
      var out = sticksOut(el, left, right);
      if (out > 1 && !held(el)) report(el, "sticks out of the column", out);
      if (st.overflowX === "visible" && el.clientWidth > 0) {
        // Text (not an element) that runs past the column: a word too long for any line.
        var reach = el.getBoundingClientRect().left + el.clientLeft + el.scrollWidth - right;
        if (reach > 1 && !held(el)) runs.push([el, reach]);
      }
    }
    runs.forEach(function (run) {  // the innermost element whose own text runs out
      var inner = runs.some(function (o) { return o[0] !== run[0] && run[0].contains(o[0]); })
        || seen.some(function (box) { return run[0].contains(box); });
      if (!inner) report(run[0], "sticks out of the column", run[1]);
    });
    var page = document.documentElement;
    if (page.scrollWidth > page.clientWidth + 1) {
      found.push({kind: "page", how: "scrolls sideways", px: page.scrollWidth - page.clientWidth,
                  cell: 0, text: document.title});
    }
    var nbval = document.body.innerText.split("\n").filter(function (line) {
      return /nbval/i.test(line);
    });
    var images = Array.prototype.map.call(article.querySelectorAll(".cell_output img"),
      function (img) {
        return {src: (img.getAttribute("src") || "").split("/").pop(),
                shown: img.getBoundingClientRect().width, natural: img.naturalWidth,
                cell: cells.indexOf(img.closest(".cell")) + 1};
      });
    var result = document.createElement("div");
    result.hidden = true;
    result.setAttribute("data-json", JSON.stringify({
      viewport: window.innerWidth, column: [Math.round(left), Math.round(right)],
      overflows: found, nbval: nbval, images: images}));
    result.id = "layout-probe";
    document.body.appendChild(result);
  }
  window.addEventListener("load", function () {
    var typeset = window.MathJax && MathJax.startup && MathJax.startup.promise;
    Promise.all([typeset || Promise.resolve(), document.fonts.ready]).then(function () {
      setTimeout(measure, 500);
    });
  });
})();
"""

_LAYOUT: dict[tuple[str, int], dict] = {}


@pytest.fixture(scope="module")
def layout_tree(built, tmp_path_factory) -> pathlib.Path:
    """A copy of the built book, where a probing copy of each page can sit next to the page."""
    chromium()
    tree = tmp_path_factory.mktemp("layout") / "html"
    shutil.copytree(built, tree)
    return tree


def layout(tree: pathlib.Path, name: str, width: int) -> dict:
    """What PROBE_JS found on the page `name` at a window `width` px wide (rendered once)."""
    if (name, width) not in _LAYOUT:
        page = tree / "book" / f"{name}.html"
        assert page.exists(), f"{name}.html is not in the built book"
        probe = page.with_name(f"_probe_{name}.html")  # same folder: relative links still work
        script = f"<script>{PROBE_JS}</script></body>"
        probe.write_text(page.read_text().replace("</body>", script, 1))
        try:
            dom = render(probe, width)
        finally:
            probe.unlink()
        tag = re.search(r'<div[^>]*\bid="layout-probe"[^>]*>', dom)
        assert tag, f"{name}.html at {width} px: the layout probe did not run (MathJax hung?)"
        data = json.loads(html.unescape(re.search(r'data-json="([^"]*)"', tag.group(0)).group(1)))
        assert data["viewport"] == width, data
        _LAYOUT[name, width] = data
    return _LAYOUT[name, width]


def scrolling_output(overflow: dict) -> bool:
    return overflow["kind"] == "output" and overflow["how"] == "scrolls"


def describe(name: str, width: int, overflow: dict) -> str:
    where = f"code cell {overflow['cell']}" if overflow["cell"] else "text"
    return (f"{name} at {width} px, {where}: {overflow['kind']} {overflow['how']} "
            f"({overflow['px']} px too wide): {overflow['text']}")


@pytest.mark.parametrize("width", LAYOUT_WIDTHS)
@pytest.mark.parametrize("name", _built_pages())
def test_layout_fits(layout_tree, name, width):
    found = layout(layout_tree, name, width)["overflows"]
    bad = [describe(name, width, o) for o in found if not scrolling_output(o)]
    assert not bad, "wider than the box that holds it:\n" + "\n".join(bad)


def test_few_wide_outputs(layout_tree):
    wide = {}
    for name in _built_pages():
        for width in LAYOUT_WIDTHS:
            for o in layout(layout_tree, name, width)["overflows"]:
                if scrolling_output(o):  # the same output at both widths counts once
                    key = (name, o["cell"], o["text"])
                    wide.setdefault(key, []).append(describe(name, width, o))
    assert len(wide) <= MAX_WIDE_OUTPUTS, (
        f"{len(wide)} outputs are wider than the column, at most {MAX_WIDE_OUTPUTS} may be:\n"
        + "\n".join(line for lines in wide.values() for line in lines)
    )


@pytest.mark.parametrize("width", LAYOUT_WIDTHS)
@pytest.mark.parametrize("name", _built_pages())
def test_figures_are_shown_at_their_own_size(layout_tree, name, width):
    """A figure scaled down to fit the column shrinks its fonts below the style's 10.5 pt."""
    images = layout(layout_tree, name, width)["images"]
    assert all(image["natural"] > 0 for image in images), f"{name}: an image did not load"
    small = [i for i in images if i["shown"] < i["natural"] - 1]
    assert not small, f"{name} at {width} px: figures shown smaller than drawn: {small}"


@pytest.mark.parametrize("name", _built_pages())
def test_no_visible_nbval_text(layout_tree, name):
    lines = layout(layout_tree, name, LAYOUT_WIDTHS[0])["nbval"]
    shown = [line for line in lines if NBVAL_TEXT.search(line)]
    assert not shown, f"{name}.html shows nbval's markers to the reader:\n" + "\n".join(shown)


SLIDER_JS = r"""
window.addEventListener("load", function () {
  var root = document.getElementById("temperature-explorer");
  var result = {found: !!root};
  if (root) {
    var slider = root.querySelector("input"), dot = root.querySelector("circle");
    var state = function () {
      return {tau: root.querySelector("output").textContent, cx: dot.getAttribute("cx"),
              cy: dot.getAttribute("cy")};
    };
    result.before = state();
    slider.value = slider.max;
    slider.dispatchEvent(new Event("input"));
    result.after = state();
    result.steps = Number(slider.max) + 1;
  }
  var out = document.createElement("div");
  out.id = "slider-probe";
  out.setAttribute("data-json", JSON.stringify(result));
  document.body.appendChild(out);
});
"""


def test_temperature_slider_moves_the_points(layout_tree):
    """Chapter 3's explorer works offline: moving its slider moves the samples."""
    page = layout_tree / "book" / "03_gumbel_softmax.html"
    probe = page.with_name("_slider_03_gumbel_softmax.html")
    probe.write_text(page.read_text().replace("</body>", f"<script>{SLIDER_JS}</script></body>", 1))
    try:
        dom = render(probe, 1280)
    finally:
        probe.unlink()
    tag = re.search(r'<div[^>]*\bid="slider-probe"[^>]*>', dom)
    assert tag, "the slider probe did not run"
    result = json.loads(html.unescape(re.search(r'data-json="([^"]*)"', tag.group(0)).group(1)))
    assert result["found"], "chapter 3 has no element with id temperature-explorer"
    assert result["steps"] >= 5
    assert result["before"]["tau"] != result["after"]["tau"]
    assert (result["before"]["cx"], result["before"]["cy"]) != (result["after"]["cx"], result["after"]["cy"])
