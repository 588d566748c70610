"""One measured run in a fresh process: ``python -m benchmarks.worker TASK ... --result FILE``.

Each tool runs alone in its own interpreter, so its peak resident memory is its own and not the
sum of everything imported before it. Single-process runs are pinned to one
core. Imports, model loading and a one-page warm-up happen before the clock starts; the result
(JSON) gives the measured part's wall and CPU seconds, the memory held right after the imports
and the most the process (and its children) ever held.

Tasks:

* ``extract NAME PAGES``: a page extractor of :mod:`trainer.baselines` over a JSONL file of
  ``{"id", "html"}`` records, read one line at a time.
* ``predict MODELS PAGES``: our :class:`trainer.predict.Predictor` streaming over a JSONL file
  of ``{"id", "html"|"text"}`` records (the ``trainer predict`` batch path), ``--jobs`` workers;
  ``--repeat N`` streams the file N times over (a long batch without a file N times as big).
* ``train CONFIG``: :func:`trainer.train.train` on a resolved training config (JSON).
* ``load BUNDLE``: :func:`trainer.bundle.load_bundle` of one model bundle, or with ``--all``
  :meth:`trainer.predict.Predictor.load` of a whole models folder.

All tasks but training run without pyarrow, as ``trainer predict`` does (:mod:`trainer.lean`).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

__all__ = ["main"]

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def pin_to_one_core() -> None:
    """Run on the first core this process may use, so "single core" means one core."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _peak_kib(pid: int | str) -> int:
    """VmHWM, the peak resident memory of a process's address space. Unlike ``ru_maxrss`` it
    starts afresh at exec, so it does not inherit the parent's size at fork."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def peak_rss_mb() -> float:
    return _peak_kib("self") / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE_SIZE / 2**20


def children_peak_rss_mb() -> float:
    """Sum of the peak memory of this process's live children, e.g. joblib workers."""
    me, total = str(os.getpid()), 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                parent = f.read().rsplit(")", 1)[1].split()[1]
            if parent == me:
                total += _peak_kib(entry.name)
        except (OSError, StopIteration, IndexError):
            continue  # a process that ended while we looked
    return total / 1024


def _first_record(pages: Path) -> dict:
    with pages.open(encoding="utf-8") as f:
        return json.loads(f.readline())


def _timed(loop) -> dict:
    """Wall and CPU seconds of ``loop()``, merged with what it returns."""
    cpu, wall = time.process_time(), time.perf_counter()
    counts = loop()
    return {"seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu,
            **counts}


def run_extract(name: str, pages: Path) -> dict:
    from trainer.baselines import make_extractor

    warm_up = make_extractor(name)  # imports the tool's package
    imports_rss = current_rss_mb()
    warm_up(_first_record(pages)["html"])  # lazy initialisation, stoplists
    extractor = make_extractor(name)

    def loop() -> dict:
        with pages.open(encoding="utf-8") as f:
            for line in f:
                extractor(json.loads(line)["html"])
        return {"pages": extractor.pages, "failures": extractor.failures}

    return {**_timed(loop), "imports_rss_mb": imports_rss}


def run_predict(models: Path, pages: Path, jobs: int, repeat: int = 1,
                claims: bool = True) -> dict:
    from trainer.predict import ArticleInput, Predictor, read_inputs

    imports_rss = current_rss_mb()
    predictor = Predictor.load(models)
    first = _first_record(pages)
    text_format = "html" if "html" in first else "text"
    # Warm-up; with several jobs, enough one-article batches to start every worker process.
    list(predictor.predict_many([ArticleInput(first[text_format], format=text_format)] * 2 * jobs,
                                n_jobs=jobs, batch_size=1, claims=claims))

    def loop() -> dict:
        count = failures = 0
        for record in predictor.predict_many(read_inputs([pages] * repeat), n_jobs=jobs,
                                             claims=claims):
            count += 1
            failures += record["error"] is not None
        return {"pages": count, "failures": failures}

    return {**_timed(loop), "imports_rss_mb": imports_rss}


def run_train(config: Path) -> dict:
    from trainer.config import validate
    from trainer.train import TRAIN_SCHEMA, check_train_config, train

    # A bundle's stored config predates options added since: the schema fills their defaults.
    cfg = validate(json.loads(config.read_text()), TRAIN_SCHEMA, str(config), config.parent)
    check_train_config(cfg, str(config))
    started = time.perf_counter()
    result = train(cfg)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "labelled_rows": result["metrics"]["training"]["labelled_rows"],
            "rows": result["metrics"]["training"]["rows"], "size_mb": result["size_mb"]}


def run_load(path: Path, whole_folder: bool) -> dict:
    from trainer.bundle import load_bundle
    from trainer.predict import Predictor

    started = time.perf_counter()
    if whole_folder:
        Predictor.load(path)
    else:
        load_bundle(path)
    return {"seconds": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--result", type=Path, required=True, help="where to write the JSON result")
    tasks = parser.add_subparsers(dest="task", required=True)
    extract = tasks.add_parser("extract")
    extract.add_argument("name")
    extract.add_argument("pages", type=Path)
    predict = tasks.add_parser("predict")
    predict.add_argument("models", type=Path)
    predict.add_argument("pages", type=Path)
    predict.add_argument("--jobs", type=int, default=1)
    predict.add_argument("--repeat", type=int, default=1, help="stream the pages this many times")
    predict.add_argument("--no-claims", action="store_true", help="content only")
    train = tasks.add_parser("train")
    train.add_argument("config", type=Path)
    load = tasks.add_parser("load")
    load.add_argument("path", type=Path)
    load.add_argument("--all", action="store_true", help="load a whole models folder")
    args = parser.parse_args(argv)

    if args.task != "predict" or args.jobs == 1:
        pin_to_one_core()
    if args.task != "train":  # as `trainer predict` runs (training reads Arrow datasets)
        from trainer.lean import without_pyarrow

        without_pyarrow()
    if args.task == "extract":
        result = run_extract(args.name, args.pages)
    elif args.task == "predict":
        result = run_predict(args.models, args.pages, args.jobs, args.repeat,
                             claims=not args.no_claims)
    elif args.task == "train":
        result = run_train(args.config)
    else:
        result = run_load(args.path, args.all)
    result["peak_rss_mb"] = peak_rss_mb()
    result["children_peak_rss_mb"] = children_peak_rss_mb()
    args.result.write_text(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
