"""How long each chapter takes to check, measured for the setup-and-timings appendix.

    python benchmarks/chapter_timings.py [--out results/chapter_timings.json]

Runs ``pytest --nbval`` on every chapter notebook, one at a time, each in a fresh process, and
records its wall time together with the machine (CPU model, cores, instruction sets), the
versions and how busy the machine was (the load average before and after). The appendix page
loads the file; nothing here is asserted, because timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import time

from gumbel_tutorial.checkpoints import write_atomically
from gumbel_tutorial.records import git_commit, versions

ROOT = pathlib.Path(__file__).resolve().parents[1]


def cpu() -> dict[str, object]:
    """The CPU's model name, core count and vector instruction sets (Linux), or what is known."""
    model, flags = platform.processor() or platform.machine(), set()
    cpuinfo = pathlib.Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    vector = sorted(flag for flag in flags if flag.startswith(("avx", "sse4", "fma", "amx")))
    return {"model": model, "cores": os.cpu_count(), "vector_extensions": vector}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/chapter_timings.json", help="JSON file to write")
    args = parser.parse_args(argv)
    chapters = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    rows = []
    for notebook in chapters:
        load_before = os.getloadavg()[0]
        clock = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "--nbval", "-p", "no:cacheprovider",
             str(notebook.relative_to(ROOT))],
            cwd=ROOT, capture_output=True, text=True,
        )
        seconds = time.perf_counter() - clock
        rows.append({
            "chapter": notebook.stem, "seconds": round(seconds, 1), "passed": done.returncode == 0,
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
        })
        print(f"{notebook.stem}: {seconds:.1f} s, {'passed' if done.returncode == 0 else 'FAILED'}")
    record = {
        "command": "python benchmarks/chapter_timings.py " + " ".join(argv or sys.argv[1:]),
        "cpu": cpu(), "versions": versions(), "commit": git_commit(),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"), "chapters": rows,
        "total_seconds": round(sum(row["seconds"] for row in rows), 1),
    }
    out = ROOT / args.out
    write_atomically(out, lambda f: f.write(json.dumps(record, indent=1).encode()))
    print(f"total {record['total_seconds']:.0f} s; wrote {out}")
    return 0 if all(row["passed"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
