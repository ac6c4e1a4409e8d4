"""Every committed run measured every way chapter 9 measures it, with the proxies of text-GAN papers.

For each run folder under ``results/`` (the full-scale runs of every machine and the exploratory
runs), this writes one row: the run's decomposition, invalid-string kinds, coverage at a matched
count and, where q is tractable, its exact metrics (``gumbel_tutorial.evaluation``), plus the
proxies unique, novel, BLEU-4 against the training set, self-BLEU-4 and the plug-in TV
(``gumbel_tutorial.calibration``). BLEU costs seconds per run, which is why chapter 9 reads this
file rather than computing it:

    .venv/bin/python benchmarks/calibration.py --out results/calibration.json

Run it again whenever runs are added under ``results/``, and commit what it writes. A row already
in the file is kept (a stored run never changes), so a rerun measures only the new runs; each row
records the commit that measured it.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
from gumbel_tutorial import calibration, evaluation, grammar  # noqa: E402
from gumbel_tutorial.records import cpu_model, git_commit, load_samples, versions, write_json  # noqa: E402


def run_folders(results: pathlib.Path) -> list[pathlib.Path]:
    """Every run folder (one holding ``metrics.json`` and ``samples.txt``) under ``results``."""
    return sorted(path.parent for path in results.glob("**/seed*/metrics.json") if (path.parent / "samples.txt").exists())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, required=True, help="the JSON file to write")
    parser.add_argument("--results", type=pathlib.Path, default=ROOT / "results", help="where the runs are")
    args = parser.parse_args(argv)
    training = grammar.sample_dataset(grammar.DATASET_SIZE, grammar.MAX_LEN, seed=0)
    start = time.perf_counter()
    kept = {row["folder"]: row for row in json.loads(args.out.read_text())["runs"]} if args.out.exists() else {}
    rows = []
    folders = run_folders(args.results)
    for count, folder in enumerate(folders, 1):
        name = folder.relative_to(args.results).as_posix()
        if name not in kept:
            row = evaluation.evaluate_run(folder)
            proxies = calibration.proxy_metrics(load_samples(folder), training)
            kept[name] = {"folder": name, **row, **{f"proxy_{key}": value for key, value in proxies.items()},
                          "measured_at": git_commit()}
        rows.append(kept[name])
        print(f"[{count}/{len(folders)}] {name}", file=sys.stderr)
    write_json(args.out, {
        "command": " ".join(["python", "benchmarks/calibration.py", *(argv if argv is not None else sys.argv[1:])]),
        "commit": git_commit(), "versions": versions(), "cpu": cpu_model(),
        "wall_seconds": round(time.perf_counter() - start, 1), "runs": rows,
    })


if __name__ == "__main__":
    main()
