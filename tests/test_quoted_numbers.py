"""Numbers in the prose must come from the outputs, so that they cannot drift from them.

A chapter quotes a measured number with myst-nb's glue: a code cell stores it with
`glue(name, value, display=False)`, and the prose shows it with {glue:text}`name:format`.
Two checks keep that honest, on the stored notebooks (no execution, no TensorFlow):

1. every glue reference in the prose names a value that the same chapter stores, and its
   format applies to that value (Sphinx would also stop on a missing name, but only at build);
2. no decimal number is typed into the prose where the chapter's own printed outputs hold a
   number that rounds to it. Such a number was quoted from an output and must be glued.
   A decimal that is also written in the chapter's code (a setting such as a temperature or a
   learning rate) is a setting, not a measurement, and may be typed; so may a version number.
"""

from __future__ import annotations

import ast
import json
import pathlib
import re

import pytest
from book_notebooks import NOTEBOOKS, cells, code_cells, markdown

GLUE_REF = re.compile(r"\{glue(?::(?:text|any|md|math))?\}`([^`]+)`")
GLUE_SAVE = re.compile(r"glue\(\s*[\"']")
# What in a markdown cell is not prose: code, maths, roles with arguments, directive options
# and headers, link targets.
NOT_PROSE = re.compile(
    r"```.*?```|\$\$.*?\$\$|\$[^$\n]+\$|\{[\w:-]+\}`[^`]*`|`[^`]*`|\]\([^)]*\)"
    r"|^\s*:[\w-]+:[^\n]*$|^#+ [^\n]*$",
    re.S | re.M,
)
NUMBER = re.compile(r"(?<![\w.,])(\d+\.\d+)(%?)(?![\w.]\d)")
# A version ("Python 3.11") or a section ("section 9.2") is not a quoted measurement.
NOT_A_QUOTE = re.compile(r"(?:Python|TensorFlow|Probability|version|[Ss]ection|§)\s*$")
OUTPUT_NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?%?")


def glued_values(path: pathlib.Path) -> dict[str, str]:
    """The text/plain of every value the notebook glued, by name."""
    values = {}
    for cell in cells(path):
        for out in cell.get("outputs", []):
            record = out.get("metadata", {}).get("scrapbook", {})
            if "name" in record:
                text = out["data"].get(record["mime_prefix"] + "text/plain", "")
                values[record["name"]] = "".join(text)
    return values


def prose(path: pathlib.Path) -> str:
    return NOT_PROSE.sub(" ", markdown(path))


def printed_numbers(path: pathlib.Path) -> list[str]:
    """Every number in the chapter's printed text outputs (glued values excluded)."""
    found = []
    for cell in cells(path):
        for out in cell.get("outputs", []):
            if "scrapbook" in out.get("metadata", {}):
                continue
            texts = [out.get("text", "")] + [out.get("data", {}).get("text/plain", "")]
            for text in texts:
                found += OUTPUT_NUMBER.findall("".join(text).replace(",", ""))
    return found


def code_numbers(path: pathlib.Path) -> set[float]:
    source = "\n".join("".join(c["source"]) for c in code_cells(path))
    return {float(n) for n in re.findall(r"(?<![\w.])\d*\.\d+(?:[eE][-+]?\d+)?", source)}


def decimals(number: str) -> int:
    return len(number.split(".")[1]) if "." in number else 0


def rounds_to(printed: str, quoted: str, percent: bool) -> bool:
    """Whether a printed number, shown with at least as many decimals, rounds to the quoted one."""
    printed = printed.replace("−", "-").lstrip("-")
    if "e" in printed.lower():
        return False
    places = decimals(quoted)
    if printed.endswith("%"):
        value, printed_places = float(printed[:-1]), decimals(printed[:-1])
    elif percent:
        value, printed_places = 100 * float(printed), decimals(printed) - 2
    else:
        value, printed_places = float(printed), decimals(printed)
    if printed_places < places:
        return False
    return round(value, places) == float(quoted) and (
        printed_places > places or f"{value:.{places}f}" == quoted
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_glue_references_resolve(path):
    values = glued_values(path)
    for reference in GLUE_REF.findall(markdown(path)):
        name, _, spec = reference.partition(":")
        assert name in values, f"{path.name}: the prose quotes {name!r}, which is never glued"
        if spec:
            value = ast.literal_eval(values[name])
            format(value, spec)  # raises on a format that does not apply to the value


def typed_quotes(path: pathlib.Path) -> list[str]:
    """Decimals typed into the prose that round from a number the chapter printed."""
    printed = printed_numbers(path)
    settings = code_numbers(path)
    typed = []
    text = prose(path)
    for match in NUMBER.finditer(text):
        number, percent = match.groups()
        if float(number) in settings or NOT_A_QUOTE.search(text[: match.start()]):
            continue
        if any(rounds_to(p, number, bool(percent)) for p in printed):
            typed.append(number + percent)
    return typed


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_quoted_numbers_are_glued(path):
    typed = typed_quotes(path)
    assert not typed, (
        f"{path.name}: these numbers in the prose repeat printed outputs; glue them so they "
        f"cannot drift: {typed}"
    )


def test_the_check_finds_typed_quotes_and_spares_settings(tmp_path):
    notebook = {
        "cells": [
            {"cell_type": "code", "source": ["lr = 0.25\n", "print(ratio)"],
             "outputs": [{"output_type": "stream", "name": "stdout",
                          "text": ["ratio 3.2871, share 0.1234\n"]}]},
            {"cell_type": "markdown",
             "source": ["The ratio is 3.29 at a rate of 0.25, and 12.3% of it; "
                        "the sum is 3.3; `3.29` in code and $3.29$ in maths are not prose. "
                        "Python 3.29 is a version, section 3.29 a heading."]},
        ]
    }
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps(notebook))
    assert [m.group(0) for m in NUMBER.finditer(prose(path))] == [
        "3.29", "0.25", "12.3%", "3.3", "3.29", "3.29",
    ]
    assert typed_quotes(path) == ["3.29", "12.3%", "3.3"]  # not the setting, version, section
    assert not rounds_to("3.2871", "3.28", False)
    assert not rounds_to("3.3", "3.30", False)  # fewer decimals printed than quoted


def shown_decimals(spec: str) -> int | None:
    """How many decimals of the value a glue format shows; None for a format that shows up to
    six significant digits (``g``, or no format for a float)."""
    fixed = re.fullmatch(r",?\.(\d+)([f%])", spec)
    if fixed:
        return int(fixed.group(1)) + (2 if fixed.group(2) == "%" else 0)
    return 0 if spec == "," else None


def overprecise_glue(path: pathlib.Path) -> list[str]:
    """Glued floats stored with more decimals than any of the prose's references shows.

    Strict nbval compares the stored text of every glue record, so a value stored with 17
    digits fails on a machine that changes its last bits while the page stays the same."""
    shown: dict[str, list[int | None]] = {}
    for reference in GLUE_REF.findall(markdown(path)):
        name, _, spec = reference.partition(":")
        shown.setdefault(name, []).append(shown_decimals(spec))
    found = []
    for name, text in glued_values(path).items():
        if not re.fullmatch(r"-?\d+\.\d+", text):
            continue  # an int, a string or an exponent: stored as the page shows it
        wanted = shown.get(name, [0])
        if None in wanted:
            if len(text.replace("-", "").replace(".", "").lstrip("0")) > 6:
                found.append(f"{name}={text} (shown to 6 significant digits)")
        elif decimals(text.rstrip("0")) > max(wanted):
            found.append(f"{name}={text} (shown to {max(wanted)} decimals)")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_glued_values_are_plain_literals(path):
    """A glued NumPy scalar is stored as ``np.int64(24)``, and the page would show that text."""
    for name, text in glued_values(path).items():
        try:
            ast.literal_eval(text)
        except (ValueError, SyntaxError):
            pytest.fail(f"{path.name}: {name} is stored as {text!r}; glue a Python int or float")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_glue_stores_what_the_page_shows(path):
    found = overprecise_glue(path)
    assert not found, (
        f"{path.name}: round these glued values to the decimals the page shows, so that a "
        f"last-bit change cannot fail strict nbval while the page is unchanged: {found}"
    )


def test_the_check_finds_overprecise_glue(tmp_path):
    def record(name: str, text: str) -> dict:
        return {"output_type": "display_data", "data": {"text/plain": text},
                "metadata": {"scrapbook": {"name": name, "mime_prefix": ""}}}

    notebook = {"cells": [
        {"cell_type": "code", "source": ["glue(...)"], "outputs": [
            record("a", "0.12360442708333247"), record("b", "0.124"), record("c", "0.124"),
            record("d", "12"), record("e", "0.1234567"), record("f", "0.5")]},
        {"cell_type": "markdown", "source": [
            "{glue:text}`a:.3f` {glue:text}`b:.3f` {glue:text}`c:.1%` {glue:text}`c:.2f` "
            "{glue:text}`d:,` {glue:text}`e:g` {glue:text}`f`"]},
    ]}
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps(notebook))
    assert overprecise_glue(path) == [
        "a=0.12360442708333247 (shown to 3 decimals)",
        "e=0.1234567 (shown to 6 significant digits)",
    ]
