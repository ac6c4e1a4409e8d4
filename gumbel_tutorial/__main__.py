"""Command line for long runs (chapter 9): ``python -m gumbel_tutorial reproduce --help``."""

from __future__ import annotations

import argparse
import shlex
import sys

from .experiments import CHECKPOINT_EVERY, check_request, reproduce
from .variants import PAPER_VARIANTS, parse_seeds, parse_variants


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
    run.add_argument("--seeds", default="0", help="comma-separated seeds, e.g. 0,1,2 (default: %(default)s)")
    run.add_argument("--jobs", type=int, default=1,
                     help="runs trained at once, each in its own process with its share of the cores "
                          "(default: %(default)s)")
    run.add_argument("--checkpoint-every", type=int, default=CHECKPOINT_EVERY,
                     help="iterations between checkpoints and points of the validity curve "
                          "(default: %(default)s)")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    # Set by --jobs for the processes it starts: the command to record, and no runs.jsonl entry.
    run.add_argument("--record-command", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    command = args.record_command or "python -m gumbel_tutorial " + shlex.join(argv)
    try:
        variants = parse_variants(args.variants)
        seeds = parse_seeds(args.seeds)
        check_request(variants, args.iterations, args.out, seeds, args.jobs, args.checkpoint_every)
    except ValueError as error:
        parser.error(str(error))
    reproduce(variants, args.iterations, args.out, seeds, command, jobs=args.jobs,
              progress=not args.no_progress, log_run=args.record_command is None,
              checkpoint_every=args.checkpoint_every)
    return 0


if __name__ == "__main__":
    sys.exit(main())
