"""Where prediction spends its CPU time: ``python -m benchmarks.stages [--pages N] [--input html]``.

Runs the batch path of :func:`trainer.predict.predict_articles` over held-out WCXB pages on one
core and one native thread, and reports CPU milliseconds per page for every stage: segmenting,
building the rows, each model's stage-1 features and scores, its context (stage-2 inputs), its
final estimator and calibration, and the output records. ``--scores FILE`` saves every
paragraph's scores (``.npz``); ``--compare FILE`` checks them against a saved run, so an
optimisation can be shown to leave the outputs unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402 - after the thread settings above

__all__ = ["main"]

REPO = Path(__file__).resolve().parents[1]


class _Clock:
    """CPU seconds added up by stage name."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)

    def __call__(self, name: str, fn, *args, **kwargs):
        started = time.process_time()
        result = fn(*args, **kwargs)
        self.seconds[name] += time.process_time() - started
        return result


def _model_scores(clock: _Clock, name: str, model, rows) -> np.ndarray:
    """``model.predict_proba(rows)[:, 1]``, stage by stage."""
    calibration = getattr(model, "calibrate", None)
    stack = model.estimator if calibration else model
    features = clock(f"{name}: stage-1 features", stack.features_.transform, rows)
    from trainer.pipelines import _scores

    scores = clock(f"{name}: stage-1 scores", _scores, stack.classifier_, features)
    context = clock(f"{name}: context", stack._context, rows, scores)
    scaled = stack.context_scale_.transform(context)
    positive = clock(f"{name}: stage 2", stack.final_estimator_.predict_proba, scaled)[:, 1]
    if calibration:
        positive = clock(f"{name}: calibration", calibration, positive)
    return positive


def _input_files(models: Path, data: Path, pages: int, folder: Path) -> dict[str, Path]:
    """JSONL files of ``pages`` held-out WCXB pages, as HTML and as text; written once."""
    paths = {kind: folder / f"pages-{kind}.jsonl" for kind in ("html", "text")}
    if not all(path.is_file() for path in paths.values()):
        from .pages import held_out_pages, write_inputs

        held_out = held_out_pages(models, data, wcxb_limit=pages, scrapinghub_limit=0)
        write_inputs(held_out.wcxb, folder)
    return paths


def run(models: Path, pages: Path, batch_size: int) -> tuple[dict, dict[str, np.ndarray], int]:
    """Per-stage CPU seconds, every paragraph's scores, and the number of pages."""
    from trainer.memo import shared_work
    from trainer.predict import (Predictor, _chunks, _segment, article_record, read_inputs)
    from trainer.rows import articles_frame

    predictor = Predictor.load(models)
    items = list(read_inputs([pages]))
    clock = _Clock()
    scores = defaultdict(list)
    for batch in _chunks(items, batch_size):
        segmented = clock("segment", lambda: [_segment(item) for item in batch])

        articles = [article for article, _ in segmented if article is not None]
        rows = clock("rows", articles_frame, articles, source="predict")
        is_html = (rows["format"] == "html").to_numpy(dtype=bool)
        content = np.empty(len(rows))
        with shared_work():  # as trainer.predict scores a batch
            for mask, name, bundle in ((is_html, "content-html", predictor.content_html),
                                       (~is_html, "content-text", predictor.content_text)):
                if mask.any():
                    content[mask] = _model_scores(clock, name, bundle.model, rows[mask])
            claim = _model_scores(clock, "claim", predictor.claim.model, rows)
        scores["content_score"].append(content)
        scores["claim_score"].append(claim)

        def records():
            offset = 0
            for item, (article, _) in zip(batch, segmented):
                if article is not None:
                    end = offset + len(article.paragraphs)
                    article_record(item, article, content[offset:end].tolist(),
                                   claim[offset:end].tolist(), content_threshold=0.5,
                                   claim_threshold=0.5)
                    offset = end

        clock("records", records)
    return dict(clock.seconds), {k: np.concatenate(v) for k, v in scores.items()}, len(items)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stages", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", choices=("html", "text"), default="html")
    parser.add_argument("--pages", type=int, default=300, help="held-out WCXB pages")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/trainer-stages"),
                        help="where the page files are written once and reused")
    parser.add_argument("--models", type=Path, default=REPO / "models")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="articles per model call (default: trainer.predict.BATCH_SIZE)")
    parser.add_argument("--scores", type=Path, help="save every paragraph's scores here (.npz)")
    parser.add_argument("--compare", type=Path, help="check the scores against this .npz")
    args = parser.parse_args(argv)

    from trainer.predict import BATCH_SIZE

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    pages = _input_files(args.models, args.data, args.pages, args.folder)[args.input]
    seconds, scores, n_pages = run(args.models, pages, args.batch_size or BATCH_SIZE)
    total = sum(seconds.values())
    for name, value in seconds.items():
        print(f"{name:32s} {1000 * value / n_pages:8.2f} CPU ms/page")
    print(f"{'total':32s} {1000 * total / n_pages:8.2f} CPU ms/page "
          f"({n_pages / total:.1f} pages/s, {len(scores['claim_score'])} paragraphs)")
    if args.scores:
        np.savez(args.scores, **scores)
    if args.compare:
        saved = np.load(args.compare)
        diffs = {k: float(np.max(np.abs(saved[k] - scores[k]))) for k in scores}
        print(json.dumps({"max_abs_diff": diffs}))
        if max(diffs.values()) >= 1e-9:
            raise SystemExit("scores differ from the saved run")


if __name__ == "__main__":
    main()
