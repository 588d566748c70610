"""Quality on held-out data: page text against gold main text, and claim detection.

Content vs boilerplate: every system gets the same held-out pages and is scored with each
benchmark's own metric (WCXB word F1 per page, averaged; ScrapingHub 4-gram shingle F1 by its
convention). Our models run the way users run them, through :class:`trainer.predict.Predictor`:
the HTML model on the page's HTML, the text model on plain-text renderings of the page (ours,
``segment_html(...).text``, and each of :data:`trainer.baselines.RENDERERS`, which the model
never trained on), fed as text.

Claims: the shipped claim model scores the dataset's test-split rows (whole articles, so it sees
each paragraph's context); the CheckThat! TF-IDF + linear SVM baseline is trained on the same
training rows. Both are scored per held-out set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd

from trainer.baselines import EXTRACTOR_NAMES, RENDERERS, BaselineUnavailable, make_extractor
from trainer.bundle import Bundle
from trainer.metrics import (bootstrap_interval, classification_scores, has_words,
                             page_scores)
from trainer.predict import ArticleInput, Predictor
from trainer.rows import CLAIM_LABELS, UNKNOWN
from trainer.segment import segment_html
from trainer.evaluate import claim_baseline_scores
from trainer.train import load_rows

from .pages import Page

__all__ = ["OURS_HTML", "OURS_RENDERED", "OURS_TEXT", "available_extractors",
           "claim_quality", "content_quality", "f1_interval", "system_outputs"]

log = logging.getLogger(__name__)

OURS_HTML = "ours (HTML input)"
OURS_TEXT = "ours (text input, our rendering)"
# Users' text comes from other renderers: the text model on each independent one.
OURS_RENDERED = {name: f"ours (text input, {name} rendering)" for name in RENDERERS}
CLAIM_SETS = {  # row source of the test split -> the held-out set it is
    "checkthat2024": "CheckThat! 2024 dev-test",
    "wcxb": "wcxb-claims (held-out sites)",
    "scrapinghub": "news-claims (held-out sites)",
    "checkthat2019": "CheckThat! 2019 (held-out transcripts)",
    "seeds": "seed article (hand-labelled)",
}


def _ours(predictor: Predictor, inputs: list[ArticleInput]) -> tuple[list[str], int]:
    texts, failures = [], 0
    for record in predictor.predict_many(inputs):
        texts.append(record["content_text"])
        failures += record["error"] is not None
    return texts, failures


def _render(renderer: str, page: Page) -> str:
    try:
        return RENDERERS[renderer](page.html)
    except Exception as exc:  # noqa: BLE001 - a renderer failing on one page makes it empty
        log.warning("%s failed on %s: %s", renderer, page.id, exc)
        return ""


def available_extractors() -> list[str]:
    """The extractors whose packages are installed; the others are logged and left out."""
    found = []
    for name in EXTRACTOR_NAMES:
        try:
            make_extractor(name)
        except BaselineUnavailable as exc:
            log.warning("leaving out %s: %s", name, exc)
            continue
        found.append(name)
    return found


def system_outputs(pages: list[Page], predictor: Predictor,
                   extractors: list[str]) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Each system's extracted text for every page (same order), and its failure count."""
    outputs, failures = {}, {}
    runs = {
        OURS_HTML: [ArticleInput(p.html, id=p.id, format="html") for p in pages],
        OURS_TEXT: [ArticleInput(segment_html(p.html, p.id).text, id=p.id, format="text")
                    for p in pages],
        **{system: [ArticleInput(_render(renderer, p), id=p.id, format="text") for p in pages]
           for renderer, system in OURS_RENDERED.items()},
    }
    for name, inputs in runs.items():
        outputs[name], failures[name] = _ours(predictor, inputs)
    for name in extractors:
        extractor = make_extractor(name)
        outputs[name] = [extractor(page.html) for page in pages]
        failures[name] = extractor.failures
    return outputs, failures


def f1_interval(page_prf: list[tuple[float, float, float, bool, bool]],
                convention: str) -> tuple[float, float]:
    """95% percentile-bootstrap interval, over pages, of the F1 the benchmark convention
    reports (see :func:`trainer.metrics.page_scores`): the mean page F1 for WCXB; for
    ScrapingHub, the F1 of precision averaged over pages with output and recall averaged over
    pages with gold text. ``page_prf``: each page's precision, recall, F1 and whether its
    output and its gold text are non-empty."""
    p, r, f1, has_output, has_gold = (np.asarray(c, dtype=np.float64) for c in zip(*page_prf))
    if convention == "wcxb":
        sums = np.column_stack([f1, np.ones(len(f1))])
        return bootstrap_interval(sums, lambda t: t[:, 0] / t[:, 1], seed=13)
    sums = np.column_stack([p * has_output, has_output, r * has_gold, has_gold])

    def f1_of_means(t):
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = np.where(t[:, 1] > 0, t[:, 0] / t[:, 1], 0.0)
            recall = np.where(t[:, 3] > 0, t[:, 2] / t[:, 3], 0.0)
            return np.where(precision + recall > 0,
                            2 * precision * recall / (precision + recall), 0.0)

    return bootstrap_interval(sums, f1_of_means, seed=13)


def content_quality(pages: list[Page], outputs: dict[str, list[str]], failures: dict[str, int],
                    metric: Callable, convention: str) -> dict:
    """Each system's page scores (benchmark convention), 95% interval of the mean page F1,
    per-page F1 and, for WCXB, F1 per page type."""
    systems = {}
    for name, texts in outputs.items():
        pairs = [(text, page.gold) for text, page in zip(texts, pages)]
        page_prf = [(*metric(text, gold), has_words(text), has_words(gold))
                    for text, gold in pairs]
        per_page = [prf[2] for prf in page_prf]
        summary = page_scores(pairs, metric=metric, convention=convention)
        summary["f1_interval"] = f1_interval(page_prf, convention)
        summary["failures"] = failures[name]
        summary["per_page_f1"] = dict(zip((p.id for p in pages), per_page))
        if convention == "wcxb":
            by_type: dict[str, list] = {}
            for pair, page in zip(pairs, pages):
                by_type.setdefault(page.page_type or "(none)", []).append(pair)
            summary["per_page_type"] = {t: {"f1": page_scores(p, metric=metric)["f1"],
                                            "pages": len(p)} for t, p in sorted(by_type.items())}
        systems[name] = summary
    return {"pages": len(pages), "metric": metric.__name__, "convention": convention,
            "systems": systems}


def _per_set(rows: pd.DataFrame, scores: np.ndarray, threshold) -> dict:
    """Claim-class F1, macro-F1 and average precision on each held-out set (row source);
    ``threshold`` is one number or one per row (per-page-kind thresholds)."""
    y, sources = rows["claim"].to_numpy(), rows["source"].to_numpy()
    cut = np.broadcast_to(np.asarray(threshold, dtype=float), scores.shape)
    per_set = {}
    for source in sorted(set(sources)):
        chosen = sources == source
        m = classification_scores(y[chosen], scores[chosen], cut[chosen], CLAIM_LABELS[:2])
        per_set[CLAIM_SETS.get(source, source)] = {
            "claim_f1": m["per_class"]["claim"]["f1"], "macro_f1": m["macro_f1"],
            "average_precision": m["pr_auc"], "n": m["n"],
            "claims": m["per_class"]["claim"]["support"]}
    return per_set


def claim_quality(bundle: Bundle) -> dict:
    """The claim model and the CheckThat! baseline on the test split of the model's dataset.

    The model scores whole test articles, so every paragraph has its context; only labelled
    paragraphs are scored, each at its page kind's threshold. The baseline is
    :func:`trainer.evaluate.claim_baseline_scores`: fitted on the model's labelled training
    rows and thresholded the way the model was.
    """
    cfg = bundle.manifest["config"]
    rows = load_rows(cfg["data"]["path"], "test", "claim")
    labelled = (rows["claim"] != UNKNOWN).to_numpy()
    scores = bundle.model.predict_proba(rows)[:, 1][labelled]
    test_rows = rows[labelled].reset_index(drop=True)
    cut = bundle.row_thresholds(test_rows["page_type"])
    baseline_scores, baseline_cut, chosen = claim_baseline_scores(
        cfg, cfg["data"]["path"], test_rows)
    where = ", ".join(f"{kind} pages {value:.4f}" for kind, value in
                      chosen["thresholds"].items()) or f"{chosen['threshold']:.4f}"
    return {"dataset": cfg["data"]["path"], "threshold": bundle.threshold,
            "thresholds": bundle.thresholds,
            "systems": {"ours (claim model)": _per_set(test_rows, scores, cut),
                        "CheckThat! baseline (TF-IDF + LinearSVC)": _per_set(
                            test_rows, baseline_scores, baseline_cut)},
            "baseline": "TF-IDF word unigrams + LinearSVC (CheckThat! baseline) fitted on the "
                        "claim model's labelled training rows; threshold chosen like the "
                        f"model's ({where}, on the SVM's margin)."}
