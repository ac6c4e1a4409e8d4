"""Which assertion cells hold at ten seed offsets, in the chapters that train or sample.

Each chapter runs under ``pytest --nbval-lax`` (every assertion runs, no stored output is
compared) once per seed offset 0-9 and once with XLA capped at SSE4.2, two runs at a time. The
result, ``results/robustness.json``, lists for every code cell that asserts something the
conditions under which it held, with the command, versions, CPU and wall time beside it:

    .venv/bin/python benchmarks/robustness.py --out results/robustness.json

Run it again whenever one of these chapters changes, and commit what it writes. A claim that
fails under any condition is rewritten to what the method reliably does (never loosened).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parents[1]
from gumbel_tutorial.records import cpu_model, git_commit, versions, write_json

# The chapters whose assertions follow a training run inside the notebook.
TRAINING_CHAPTERS = ("05_toy_gan", "07_mle_baseline", "08_sequence_gan", "10_policy_gradient")
# And the chapters whose assertions test sampled statistics against exact values.
SAMPLING_CHAPTERS = (
    "02_gumbel_max", "04_gradient_estimators", "06_grammar_data", "11_gumbel_top_k",
    "12_estimators_since_2016",
)
CONDITIONS = {f"offset{k}": {"GUMBEL_TUTORIAL_SEED_OFFSET": str(k)} for k in range(10)}
CONDITIONS["sse4_2"] = {"XLA_FLAGS": "--xla_cpu_max_isa=SSE4_2"}


def assertion_cells(chapter: str) -> dict[int, str]:
    """Code-cell index (nbval's ``Cell N``) -> first asserting line, for every asserting cell."""
    notebook = json.loads((ROOT / "book" / f"{chapter}.ipynb").read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    found = {}
    for index, cell in enumerate(code):
        lines = [l.strip() for l in "".join(cell["source"]).splitlines()]
        asserting = [l for l in lines if l.startswith("assert")]
        if asserting:
            found[index] = asserting[0][:100]
    return found


def run_one(chapter: str, condition: str, threads: int) -> dict:
    """Run one chapter under one condition; return the cells that passed and failed."""
    env = dict(os.environ, **CONDITIONS[condition], GUMBEL_TUTORIAL_THREADS=str(threads))
    with tempfile.TemporaryDirectory() as tmp:
        report = pathlib.Path(tmp) / "report.xml"
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
             f"book/{chapter}.ipynb", f"--junitxml={report}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            check=False)
        seconds = time.perf_counter() - start
        failed, passed = {}, []
        for case in ET.parse(report).getroot().iter("testcase"):
            index = int(case.get("name").split()[-1])
            problem = case.find("failure")
            problem = case.find("error") if problem is None else problem
            if problem is None:
                passed.append(index)
            else:
                failed[index] = failing_line(problem.text or "")
    return {"chapter": chapter, "condition": condition, "seconds": round(seconds, 1),
            "passed": sorted(passed), "failed": failed}


def failing_line(traceback: str) -> str:
    """The source line that nbval's traceback marks with an arrow, without colour codes
    (which the JUnit report writes as ``#x1B[...m``)."""
    plain = re.sub(r"(?:\x1b|#x1B)\[[0-9;]*m", "", traceback)
    marked = [line for line in plain.splitlines() if "---->" in line]
    return re.sub(r"^\s*---->\s*\d+\s*", "", marked[-1]).strip() if marked else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "results/robustness.json")
    parser.add_argument("--chapters", default=",".join(SAMPLING_CHAPTERS + TRAINING_CHAPTERS))
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    chapters = args.chapters.split(",")
    conditions = args.conditions.split(",")
    for name in conditions:
        if name not in CONDITIONS:
            parser.error(f"--conditions: {name!r} is not one of {', '.join(CONDITIONS)}")
    threads = max(1, (os.cpu_count() or 2) // args.jobs)
    start = time.perf_counter()
    runs = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run_one, c, k, threads) for c in chapters for k in conditions]
        for future in concurrent.futures.as_completed(futures):
            run = future.result()
            runs.append(run)
            print(f"{run['chapter']} {run['condition']}: {run['seconds']:.0f} s, "
                  f"failed cells {run['failed']}", flush=True)
    # Chapters not run this time keep their entries from the file.
    report = json.loads(args.out.read_text())["chapters"] if args.out.exists() else {}
    command, commit = "python " + " ".join(sys.argv), git_commit()
    for chapter in chapters:
        cells = assertion_cells(chapter)
        mine = [r for r in runs if r["chapter"] == chapter]
        report[chapter] = {
            "command": command,
            "commit": commit,
            "conditions": conditions,
            "failed_cells": {r["condition"]: {str(i): line for i, line in r["failed"].items()}
                             for r in mine if r["failed"]},
            "seconds": {r["condition"]: r["seconds"] for r in mine},
            "assertion_cells": {
                str(i): {"first_assert": line,
                         "held_under": [r["condition"] for r in mine if i in r["passed"]]}
                for i, line in cells.items()},
        }
    write_json(args.out, {
        "command": command,
        "threads_per_run": threads,
        "jobs": args.jobs,
        "wall_seconds": round(time.perf_counter() - start, 1),
        "cpu": cpu_model(),
        "versions": versions(),
        "commit": commit,
        "chapters": dict(sorted(report.items())),
    })


if __name__ == "__main__":
    main()
