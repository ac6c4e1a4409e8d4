"""Checks that strict nbval alone lets through.

nbval compares nothing for a code cell stored without an execution count, so an unexecuted
notebook would pass it. Every notebook must therefore be a fresh top-to-bottom run (execution
counts 1..N), store no error, and hold no log or warning noise that readers of the book would see.
"""

import re

import pytest
from book_notebooks import BOOK, NOTEBOOKS, code_cells

NOISE = re.compile(
    r"(^[IWEF]\d{4} \d\d:\d\d:\d\d|absl::InitializeLog|oneDNN custom operations|cudart_stub"
    r"|Could not find cuda drivers|WARNING:tensorflow|Warning:|DeprecationWarning|UserWarning"
    r"|RuntimeWarning|FutureWarning|Traceback)",
    re.M,
)


def output_texts(cell: dict) -> list[str]:
    texts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            texts.append("".join(out["text"]))
        for mime in ("text/plain", "text/html"):
            texts.append("".join(out.get("data", {}).get(mime, "")))
    return texts


def test_book_has_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executed_in_order(path):
    counts = [c["execution_count"] for c in code_cells(path)]
    assert None not in counts, f"{path.name}: {counts.count(None)} code cell(s) never executed"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: counts {counts} are not 1..N"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_errors_or_noise(path):
    for i, cell in enumerate(code_cells(path)):
        kinds = [out["output_type"] for out in cell.get("outputs", [])]
        assert "error" not in kinds, f"{path.name}: code cell {i} stores an error"
        for text in output_texts(cell):
            match = NOISE.search(text)
            assert match is None, f"{path.name}: code cell {i} stores noise {match.group(0)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignored_outputs_are_followed_by_assertions(path):
    cells = code_cells(path)
    for i, cell in enumerate(cells):
        if "timing" in cell.get("metadata", {}).get("tags", []):
            continue  # wall-clock figures: printed for the reader, asserted only in benchmarks/
        outputs = cell.get("outputs", [])
        if outputs and all("scrapbook" in out.get("metadata", {}) for out in outputs):
            continue  # only glued values: they show nothing, the prose quotes them
        if "nbval-ignore-output" in cell.get("metadata", {}).get("tags", []):
            following = "".join(cells[i + 1]["source"]) if i + 1 < len(cells) else ""
            assert "assert" in following, (
                f"{path.name}: ignored cell {i} is not followed by a cell that asserts its result"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_listed_in_toc(path):
    toc = (BOOK.parent / "_toc.yml").read_text()
    assert f"book/{path.stem}" in toc, f"{path.name} is not in _toc.yml"


TIMERS = re.compile(r"perf_counter|time\.time\(|\.steps_per_second|\.seconds\b")
TARGETS = re.compile(r"^\s*([A-Za-z_][\w, ]*?)\s*(?:=[^=]|\+=|\.append\()")


def timed_names(lines: list[str]) -> set[str]:
    """Names that hold a timing: assigned (or appended to) from a clock or from another timing."""
    timed: set[str] = set()
    while True:
        grown = set(timed)
        for line in lines:
            match = TARGETS.match(line)
            if match and (TIMERS.search(line) or timed & set(re.findall(r"[A-Za-z_]\w*", line.split("=", 1)[-1]))):
                grown.update(name.strip() for name in match.group(1).split(",") if name.strip())
        if grown == timed:
            return timed
        timed = grown


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_wall_clock_assertions(path):
    """Timings depend on the machine and its load: chapters print them, benchmarks/ asserts them.

    No assertion may use a clock or a name computed from one (figures read from committed result
    files, as in chapter 9, are data, not measurements of this run).
    """
    timed = timed_names([line for cell in code_cells(path) for line in "".join(cell["source"]).splitlines()])
    for i, cell in enumerate(code_cells(path)):
        source = "".join(cell["source"])
        if "timing" in cell.get("metadata", {}).get("tags", []):
            assert "nbval-ignore-output" in cell["metadata"]["tags"], f"{path.name}: timing cell {i}"
            assert "assert" not in source, f"{path.name}: timing cell {i} asserts"
        for line in source.splitlines():
            if line.lstrip().startswith("assert"):
                used = timed & set(re.findall(r"[A-Za-z_]\w*", line))
                assert not TIMERS.search(line) and not used, f"{path.name}: cell {i} asserts a timing: {line}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_package_imported_first(path):
    """runtime.py pins the numerics before NumPy and TensorFlow load, so it must come first."""
    first = "".join(code_cells(path)[0]["source"]).lstrip().splitlines()[0]
    assert first.startswith("import gumbel_tutorial as gt"), f"{path.name}: first line is {first!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_execution_timestamps(path):
    """Timestamps in cell metadata change on every run and bury real changes in the diff."""
    stamped = [i for i, c in enumerate(code_cells(path)) if "execution" in c.get("metadata", {})]
    assert not stamped, f"{path.name}: cells {stamped} store execution timestamps"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nbval_markers_are_tags_not_comments(path):
    """Readers see a cell's code, not its tags: nbval's markers live in tags (nbval-ignore-output)."""
    for i, cell in enumerate(code_cells(path)):
        assert "NBVAL_" not in "".join(cell["source"]), f"{path.name}: code cell {i} has an NBVAL comment"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_printed_output_is_one_block_per_stream(path):
    # A kernel under load sends a cell's prints in pieces, which the book shows as separate
    # boxes; the README's editing commands join them (CoalesceStreamsPreprocessor).
    for cell in code_cells(path):
        names = [out.get("name") for out in cell.get("outputs", [])]  # None: not a stream
        split = [a for a, b in zip(names, names[1:]) if a is not None and a == b]
        assert not split, f"{path.name}, cell {cell['execution_count']}: {split} in pieces"


MAX_CODE_LINE = 88


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_lines_fit_the_page(path):
    """Every source line of a code cell is at most 88 characters, the newline not counted."""
    long = [
        f"cell {i}: {len(line)} characters: {line[:40]}..."
        for i, cell in enumerate(code_cells(path))
        for line in "".join(cell["source"]).splitlines()
        if len(line) > MAX_CODE_LINE
    ]
    assert not long, f"{path.name}: code lines over {MAX_CODE_LINE} characters: {long}"


def test_the_one_thread_run_skips_only_the_settings_cell():
    """The README's strict one-thread run deselects one appendix cell: the one that prints the
    thread setting, which is meant to differ there."""
    readme = (BOOK.parent / "README.md").read_text()
    skipped = re.findall(r'--deselect "book/([\w.]+)::Cell (\d+)"', readme)
    assert len(skipped) == 1, skipped
    name, index = skipped[0]
    source = "".join(code_cells(BOOK / name)[int(index)]["source"])
    assert "runtime.THREADS" in source and "PINNED_VARIABLES" in source, source
