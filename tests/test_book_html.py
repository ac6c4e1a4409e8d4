"""The built HTML book: every chapter is there and its math is typeset offline.

The book is built by the README's first command (into `_build/html`). This test opens a built page
from disk in headless Chromium with every network feature off and checks that MathJax (bundled by
sphinx-mathjax-offline, not fetched from a CDN) has typeset the equations.
"""

import os
import pathlib
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


def render(page: pathlib.Path) -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=15000",
                "--dump-dom", page.as_uri(),
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
