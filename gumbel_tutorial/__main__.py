"""Command line for long runs (chapter 9): ``python -m gumbel_tutorial reproduce --help``."""

from __future__ import annotations

import argparse
import shlex
import sys

from .experiments import PAPER_VARIANTS, parse_variants, reproduce


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, check them all before any training, then run the experiment."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m gumbel_tutorial")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("reproduce", help="train the paper's variants and write results/")
    run.add_argument("--variants", default=",".join(PAPER_VARIANTS),
                     help="comma-separated variants (default: %(default)s)")
    run.add_argument("--iterations", type=int, default=20_000, help="GAN iterations (default: %(default)s)")
    run.add_argument("--out", default="results", help="output folder (default: %(default)s)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    args = parser.parse_args(argv)
    command = "python -m gumbel_tutorial " + shlex.join(argv)
    try:
        variants = parse_variants(args.variants)
        reproduce(variants, args.iterations, args.out, args.seed, command, progress=not args.no_progress)
    except ValueError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
