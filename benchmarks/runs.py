"""Speed, memory, scaling, model size and load time: every measurement is one run of
:mod:`benchmarks.worker` in a fresh process, on the same input files for every tool.

Throughput counts the input: pages, paragraphs (as our segmenter splits the page, the same
count for every tool) and MB of UTF-8 input per second of the measured loop. Peak memory is the
process's peak (VmHWM) plus the peaks of its live children (joblib workers with ``-j 2``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from datasets import DatasetDict

from trainer.bundle import MODEL_FILE, read_manifest
from trainer.dataset import load_dataset
from trainer.predict import BATCH_SIZE, MODEL_TASKS

from .pages import InputFile, Page, write_inputs

__all__ = ["WorkerError", "fit_slope", "model_footprint", "prediction_scaling", "ratio",
           "run_worker", "speed", "subsample_dataset", "throughput", "training_scaling"]

REPO = Path(__file__).resolve().parents[1]
# Numerical libraries must not start a thread per core behind a "single core" measurement.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                     "MKL_NUM_THREADS")}
REFERENCES = ("trafilatura", "resiliparse")  # our throughput is reported as a ratio to these
PARALLEL_JOBS = 2


class WorkerError(RuntimeError):
    """A measured run failed; the message carries the end of its stderr."""


def run_worker(args: list, timeout: float) -> dict:
    """Run ``python -m benchmarks.worker ARGS`` in a fresh process and return its result."""
    with tempfile.TemporaryDirectory(prefix="benchmark-run-") as folder:
        result = Path(folder) / "result.json"
        command = [sys.executable, "-m", "benchmarks.worker", "--result", str(result),
                   *map(str, args)]
        # The caller's PYTHONPATH first (it may point at another checkout of trainer), then
        # the folder holding benchmarks/.
        env = {**os.environ, **ONE_THREAD,
               "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"),
                                                           str(REPO)]))}
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise WorkerError(f"{' '.join(command[3:])}: no result within {timeout:.0f} s") from None
        if done.returncode != 0 or not result.is_file():
            raise WorkerError(f"{' '.join(command[3:])} failed (exit {done.returncode}):\n"
                              f"{done.stderr[-3000:]}")
        return json.loads(result.read_text())


def throughput(result: dict, inputs: InputFile) -> dict:
    """Rates of one run over ``inputs``."""
    seconds = result["seconds"]
    return {"pages": result["pages"], "failures": result["failures"], "seconds": seconds,
            "cpu_seconds": result["cpu_seconds"],
            "pages_per_s": inputs.pages / seconds,
            "paragraphs_per_s": inputs.paragraphs / seconds,
            "mb_per_s": inputs.bytes / 2**20 / seconds,
            "imports_rss_mb": result["imports_rss_mb"],
            "peak_rss_mb": result["peak_rss_mb"] + result["children_peak_rss_mb"]}


def ratio(ours: dict, reference: dict) -> float:
    """How many times as many pages per second as ``reference`` (above 1: we are faster)."""
    return ours["pages_per_s"] / reference["pages_per_s"]


def speed(models: Path, html: InputFile, text: InputFile, extractors: list[str],
          timeout: float) -> dict:
    """Every extractor and our predictor over the same pages, one process each."""
    runs = {}
    for name in extractors:
        result = run_worker(["extract", name, html.path], timeout)
        runs[name] = {"input": "HTML", "jobs": 1, **throughput(result, html)}
    # Content only (--no-claims, and the text output format) does what the extractors do.
    for kind, inputs in (("HTML", html), ("text", text)):
        for jobs, claims in ((1, True), (PARALLEL_JOBS, True), (1, False)):
            result = run_worker(["predict", models, inputs.path, "--jobs", jobs,
                                 *([] if claims else ["--no-claims"])], timeout)
            name = f"ours ({kind} input{f', -j {jobs}' if jobs > 1 else ''}" \
                   f"{'' if claims else ', content only'})"
            runs[name] = {"input": kind, "jobs": jobs, **throughput(result, inputs)}
            runs[name]["ratios"] = {reference: ratio(runs[name], runs[reference])
                                    for reference in REFERENCES if reference in runs}
    return {"pages": html.pages, "paragraphs": html.paragraphs, "html_mb": html.bytes / 2**20,
            "text_mb": text.bytes / 2**20, "runs": runs}


def fit_slope(sizes, values) -> float:
    """Slope of log(value) against log(size) by least squares: 1.0 means linear growth."""
    return float(np.polyfit(np.log(np.asarray(sizes, dtype=float)),
                            np.log(np.asarray(values, dtype=float)), 1)[0])


def prediction_scaling(models: Path, pages: list[Page], folder: Path, factors: tuple[int, ...],
                       timeout: float) -> dict:
    """Our HTML predictor streaming over the pages repeated 1×, 4×, 16×…: time and memory.
    The worker reads the one file ``factor`` times in a row (as ``trainer predict`` reads
    several inputs), so the largest batch needs no copy of its gigabytes on disk."""
    html, text = write_inputs(pages, folder)
    text.path.unlink()
    points = []
    for factor in factors:
        result = run_worker(["predict", models, html.path, "--repeat", factor], timeout)
        if result["pages"] != html.pages * factor:
            raise WorkerError(f"prediction scaling: {result['pages']} records for "
                              f"{html.pages * factor} pages")
        points.append({"factor": factor, "pages": result["pages"],
                       "mb": html.bytes * factor / 2**20, "seconds": result["seconds"],
                       "pages_per_s": result["pages"] / result["seconds"],
                       "peak_rss_mb": result["peak_rss_mb"]})
    html.path.unlink()
    return {"points": points, "window_articles": BATCH_SIZE,  # one process: one batch
            "time_slope": fit_slope([p["pages"] for p in points], [p["seconds"] for p in points]),
            "peak_rss_growth": points[-1]["peak_rss_mb"] / points[0]["peak_rss_mb"]}


def _rank(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


def subsample_dataset(dataset_path: str | os.PathLike, fraction: float, folder: Path) -> Path:
    """A copy of the dataset keeping ``fraction`` of the training split's articles, chosen by a
    hash of their id, so a smaller sample is part of every larger one. Validation stays whole
    (the threshold is chosen there); the test split, which training never reads, is left out.
    Returns the new folder."""
    dataset = load_dataset(dataset_path)
    train = dataset["train"]
    articles = sorted(set(train["article_id"]), key=_rank)
    kept = set(articles[:max(2, round(fraction * len(articles)))])
    indices = [i for i, article in enumerate(train["article_id"]) if article in kept]
    DatasetDict({"train": train.select(indices), "validation": dataset["validation"]}) \
        .save_to_disk(str(folder / "dataset"))
    return folder


def training_scaling(models: Path, name: str, fractions: tuple[float, ...], search: bool,
                     folder: Path, timeout: float) -> dict:
    """Train the shipped model ``name``'s own config on ``fractions`` of its training data."""
    config = read_manifest(models / name)["config"]
    points = []
    for fraction in fractions:
        subset = subsample_dataset(config["data"]["path"], fraction,
                                   folder / f"{name}-{fraction:g}")
        run_config = json.loads(json.dumps(config))
        run_config["data"].update(path=str(subset), build="")
        run_config["output"]["path"] = str(subset / "model")
        if not search:
            run_config["search"]["method"] = "none"
        config_path = subset / "config.json"
        config_path.write_text(json.dumps(run_config))
        result = run_worker(["train", config_path], timeout)
        shutil.rmtree(subset)  # a full copy of the training data: free the disk now
        points.append({"fraction": fraction, "labelled_rows": result["labelled_rows"],
                       "rows": result["rows"], "seconds": result["seconds"],
                       "peak_rss_mb": result["peak_rss_mb"] + result["children_peak_rss_mb"],
                       "model_mb": result["size_mb"]})
    return {"model": name, "search": search and config["search"]["method"] != "none",
            "points": points,
            "time_slope": fit_slope([p["labelled_rows"] for p in points],
                                    [p["seconds"] for p in points])}


def model_footprint(models: Path, repeats: int, timeout: float) -> dict:
    """Bytes on disk and load time (median of ``repeats`` fresh processes) of every bundle,
    and of loading the whole models folder as a Predictor."""
    def load_seconds(args: list) -> float:
        return statistics.median(run_worker(["load", *args], timeout)["seconds"]
                                 for _ in range(repeats))

    bundles = {}
    for name in MODEL_TASKS:
        path = models / name
        manifest = read_manifest(path)
        files = [p for p in path.rglob("*") if p.is_file()]
        bundles[name] = {"bytes": sum(p.stat().st_size for p in files),
                         "model_bytes": (path / MODEL_FILE).stat().st_size,
                         "threshold": manifest["threshold"],
                         "created_utc": manifest.get("created_utc"),
                         "load_seconds": load_seconds([path])}
    return {"bundles": bundles, "predictor_load_seconds": load_seconds([models, "--all"]),
            "repeats": repeats}
