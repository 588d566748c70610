"""``python -m benchmarks [--quick] [--output docs/] [--data ../shared/data] [--models models/]``"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

import datasets

from .report import headline, write_results
from .runs import REPO
from .suite import FULL, QUICK, run_suite


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Quality, speed, memory and scaling of our models beside today's tools; "
                    "writes benchmarks.md and benchmarks.json to --output.")
    parser.add_argument("--quick", action="store_true",
                        help="samples of the pages and small training fractions: a few minutes")
    parser.add_argument("--output", type=Path, default=REPO / "docs",
                        help="folder for benchmarks.md and benchmarks.json (default: docs/)")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data",
                        help="the shared corpora folder (default: ../shared/data)")
    parser.add_argument("--models", type=Path, default=REPO / "models",
                        help="models folder with content-html/, content-text/, claim/ "
                             "(default: models/)")
    args = parser.parse_args(argv)
    # Our progress at INFO; other libraries from WARNING up. Extractors that log every page
    # they stumble on are silenced: their failures are counted in the report instead.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("benchmarks").setLevel(logging.INFO)
    for chatty in ("boilerpy3", "readability", "trafilatura", "justext"):
        logging.getLogger(chatty).setLevel(logging.CRITICAL)
    datasets.disable_progress_bars()

    command = shlex.join(["python", "-m", "benchmarks", *(argv if argv is not None
                                                          else sys.argv[1:])])
    results = run_suite(args.models, args.data, QUICK if args.quick else FULL, command)
    markdown, raw = write_results(results, args.output)
    print("\n".join(f"- {line}" for line in headline(results)))
    print(f"wrote {markdown} and {raw}")


if __name__ == "__main__":
    main()
