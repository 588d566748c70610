"""Scores for extracted page text and for binary paragraph classifiers.

Two page-level text metrics reproduce the public benchmarks we compare against, so our numbers
sit beside the published ones:

* :func:`word_prf` is the WCXB metric (Foley 2026): bag-of-words overlap of lower-cased ``\\w+``
  tokens, scored per page and averaged over pages.
* :func:`shingle_prf` is the ScrapingHub article-extraction-benchmark metric: overlap of
  4-token shingles. Like the benchmark's ``evaluate.py`` it keeps the case of tokens and counts
  repeated shingles (a multiset, not a set).

Both follow the benchmarks' edge cases: an empty prediction scores 0, a non-empty prediction
against an empty gold text scores 0, and an empty prediction of an empty gold text scores 1
(nothing was to be found and nothing was returned). "Empty" means "has no ``\\w`` token".

The classification helpers return plain ``dict``/``float`` values that ``json.dumps`` accepts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_fscore_support

__all__ = [
    "has_words",
    "bootstrap_interval",
    "best_threshold",
    "calibration_table",
    "classification_scores",
    "count_f1",
    "count_macro_f1",
    "page_scores",
    "shingle_prf",
    "word_prf",
]

PRF = tuple[float, float, float]

_WORD_RE = re.compile(r"\w+")  # str patterns match Unicode word characters


def _harmonic_mean(a: float, b: float) -> float:
    return 2 * a * b / (a + b) if a + b > 0 else 0.0


def _overlap_prf(predicted: Counter, gold: Counter) -> PRF:
    """Precision, recall and F1 of two multisets, with the benchmarks' empty-text rules."""
    n_predicted, n_gold = sum(predicted.values()), sum(gold.values())
    if n_gold == 0:
        return (1.0, 1.0, 1.0) if n_predicted == 0 else (0.0, 0.0, 0.0)
    if n_predicted == 0:
        return 0.0, 0.0, 0.0
    overlap = sum((predicted & gold).values())
    precision, recall = overlap / n_predicted, overlap / n_gold
    return precision, recall, _harmonic_mean(precision, recall)


def has_words(text: str) -> bool:
    """Whether ``text`` is not "empty" for the page metrics: it has a ``\\w`` token."""
    return _WORD_RE.search(text) is not None


def word_prf(predicted: str, gold: str) -> PRF:
    """WCXB word-level (precision, recall, F1) of one page.

    Tokens are lower-cased ``\\w+`` runs; the overlap is the sum over words of
    ``min(count in predicted, count in gold)``.
    """
    return _overlap_prf(Counter(_WORD_RE.findall(predicted.lower())),
                        Counter(_WORD_RE.findall(gold.lower())))


def _shingles(text: str, n: int) -> Counter:
    tokens = _WORD_RE.findall(text)
    if len(tokens) < n:
        # A text shorter than one shingle is one shingle of all its tokens, as in the benchmark.
        return Counter([tuple(tokens)] if tokens else [])
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def shingle_prf(predicted: str, gold: str, n: int = 4) -> PRF:
    """ScrapingHub (precision, recall, F1) of one page over word ``n``-gram shingles.

    Case is kept and repeated shingles count once per occurrence, as the benchmark does; a text
    with fewer than ``n`` tokens becomes a single shorter shingle.
    """
    if n < 1:
        raise ValueError(f"shingle size must be at least 1, got {n}")
    return _overlap_prf(_shingles(predicted, n), _shingles(gold, n))


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def page_scores(pairs: Iterable[tuple[str, str]],
                metric: Callable[[str, str], PRF] = word_prf,
                convention: str = "wcxb") -> dict:
    """Average a page metric over ``(predicted, gold)`` pairs.

    ``convention="wcxb"`` averages per-page precision, recall and F1 each over all pages.
    ``convention="scrapinghub"`` reproduces that benchmark's headline: precision averaged over
    pages with a non-empty prediction, recall over pages with a non-empty gold text, and F1 the
    harmonic mean of those two averages.
    """
    if convention not in ("wcxb", "scrapinghub"):
        raise ValueError(f"unknown convention {convention!r}: use 'wcxb' or 'scrapinghub'")
    precisions: list[float] = []
    recalls: list[float] = []
    f1s: list[float] = []
    empty_predictions = empty_gold = 0
    for predicted, gold in pairs:
        precision, recall, f1 = metric(predicted, gold)
        predicted_empty, gold_empty = not has_words(predicted), not has_words(gold)
        empty_predictions += predicted_empty
        empty_gold += gold_empty
        f1s.append(f1)
        if convention == "wcxb" or not predicted_empty:
            precisions.append(precision)
        if convention == "wcxb" or not gold_empty:
            recalls.append(recall)
    if not f1s:
        raise ValueError("page_scores needs at least one (predicted, gold) pair")
    mean_precision, mean_recall = _mean(precisions), _mean(recalls)
    if convention == "wcxb":
        f1 = _mean(f1s)
    else:
        f1 = _harmonic_mean(mean_precision or 0.0, mean_recall or 0.0)
    return {
        "convention": convention,
        "precision": mean_precision,
        "recall": mean_recall,
        "f1": f1,
        "pages": len(f1s),
        "empty_predictions": empty_predictions,
        "empty_gold": empty_gold,
    }


# --------------------------------------------------------------------------- classification

def _binary_inputs(y_true, scores) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=float)
    if y.ndim != 1 or y.shape != s.shape:
        raise ValueError(f"y_true and scores must be 1-D and the same length, got shapes "
                         f"{y.shape} and {s.shape}")
    if y.size == 0:
        raise ValueError("no examples to score")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"y_true must hold only 0/1 labels (drop 'unknown' rows first); "
                         f"found {sorted(set(np.unique(y).tolist()) - {0, 1})}")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or infinite values")
    return y.astype(int), s


def classification_scores(y_true, scores, threshold=0.5,
                          class_names: Sequence[str] = ("negative", "positive")) -> dict:
    """Everything we report for one binary task: ``score >= threshold`` predicts class 1.

    ``threshold`` is one number or one per example (e.g. per page kind); the result's
    ``threshold`` is that number when all are equal, else None with the distinct values in
    ``thresholds``. Per-class precision/recall/F1/support, macro-F1, accuracy, the confusion
    matrix (rows are true classes, columns predicted, both in ``class_names`` order) and
    PR-AUC as average precision of the scores (``None`` when there is no positive example).
    """
    y, s = _binary_inputs(y_true, scores)
    cut = np.asarray(threshold, dtype=float)
    if cut.ndim and cut.shape != s.shape:
        raise ValueError(f"threshold must be one number or one per example, got shape "
                         f"{cut.shape} for {s.size} examples")
    distinct = np.unique(cut)
    predicted = (s >= cut).astype(int)
    precision, recall, f1, support = precision_recall_fscore_support(
        y, predicted, labels=[0, 1], zero_division=0)
    tn = int(np.sum((y == 0) & (predicted == 0)))
    fp = int(np.sum((y == 0) & (predicted == 1)))
    fn = int(np.sum((y == 1) & (predicted == 0)))
    tp = int(np.sum((y == 1) & (predicted == 1)))
    return {
        "threshold": float(distinct[0]) if distinct.size == 1 else None,
        **({} if distinct.size == 1 else {"thresholds": distinct.tolist()}),
        "n": int(y.size),
        "accuracy": (tp + tn) / y.size,
        "macro_f1": float(np.mean(f1)),
        "pr_auc": float(average_precision_score(y, s)) if y.any() else None,
        "per_class": {
            name: {"precision": float(precision[i]), "recall": float(recall[i]),
                   "f1": float(f1[i]), "support": int(support[i])}
            for i, name in enumerate(class_names)
        },
        "confusion_matrix": {"labels": list(class_names), "matrix": [[tn, fp], [fn, tp]]},
    }


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros(tp.shape), where=denominator > 0)


def best_threshold(y_true, scores, metric: str = "f1") -> float:
    """The threshold that maximises ``metric`` on (validation) data; ``score >= t`` is positive.

    ``metric`` is "f1" (F1 of class 1) or "macro_f1". Candidates are every distinct score
    (predict positive from that score up) plus a value just above the highest score (predict
    nothing positive). Ties go to the highest threshold, so the result is deterministic and
    predicts no more positives than needed.
    """
    if metric not in ("f1", "macro_f1"):
        raise ValueError(f"unknown metric {metric!r}: use 'f1' or 'macro_f1'")
    y, s = _binary_inputs(y_true, scores)
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    # Last index of each run of equal scores: cutting there keeps ties on the same side.
    cut = np.flatnonzero(np.append(s_sorted[1:] != s_sorted[:-1], True))
    tp = np.concatenate([[0], np.cumsum(y_sorted)[cut]]).astype(float)
    fp = np.concatenate([[0], cut + 1]) - tp
    thresholds = np.concatenate([[np.nextafter(s_sorted[0], np.inf)], s_sorted[cut]])
    positives, negatives = y.sum(), y.size - y.sum()
    fn, tn = positives - tp, negatives - fp
    value = _f1(tp, fp, fn)
    if metric == "macro_f1":
        value = (value + _f1(tn, fn, fp)) / 2
    # Thresholds fall along the array: the first best is the highest. Equal F1s computed from
    # different counts may differ in the last bit (0.6 against 0.6000000000000001).
    return float(thresholds[np.flatnonzero(value >= value.max() - 1e-12)[0]])


def calibration_table(y_true, scores, bins: int = 10) -> dict:
    """Reliability of probability scores: equal-width bins over [0, 1], ECE and Brier score.

    Each bin gives its range, count, mean score and observed fraction of positives (``None`` for
    an empty bin); the last bin includes 1.0. ECE weights each bin's |fraction - mean score| by
    its share of examples.
    """
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    y, s = _binary_inputs(y_true, scores)
    if s.min() < 0 or s.max() > 1:
        raise ValueError("calibration needs probabilities in [0, 1]; got scores from "
                         f"{s.min():g} to {s.max():g} (use predict_proba, not decision_function)")
    index = np.minimum((s * bins).astype(int), bins - 1)
    table = []
    ece = 0.0
    for b in range(bins):
        member = index == b
        count = int(member.sum())
        mean_score = float(s[member].mean()) if count else None
        fraction = float(y[member].mean()) if count else None
        if count:
            ece += count / y.size * abs(fraction - mean_score)
        table.append({"lower": b / bins, "upper": (b + 1) / bins, "count": count,
                      "mean_score": mean_score, "fraction_positive": fraction})
    return {"bins": table, "ece": ece, "brier": float(np.mean((s - y) ** 2)), "n": int(y.size)}


# --------------------------------------------------------------------------- intervals

BOOTSTRAP_RESAMPLES = 2000
# Fewer units than this (CheckThat! 2024 dev-test has two debates) cannot stand for the
# population of documents: evaluation then resamples runs of consecutive paragraphs, and says so.
MIN_INTERVAL_UNITS = 20


def bootstrap_interval(unit_sums, statistic: Callable[[np.ndarray], np.ndarray],
                       resamples: int = BOOTSTRAP_RESAMPLES, level: float = 0.95,
                       seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of a statistic over independent units (pages, documents).

    ``unit_sums`` has one row per unit, holding the amounts the statistic is computed from
    (counts of true and false positives, or a page's score and a 1); ``statistic`` maps
    column totals, one row per resample, to one value per resample. Units are drawn with
    replacement, so the paragraphs of one page move together: they are not independent, and
    resampling them one by one would give too narrow an interval. Fixed ``seed``: the same
    data give the same interval.
    """
    sums = np.asarray(unit_sums, dtype=np.float64)
    if sums.ndim != 2 or len(sums) == 0:
        raise ValueError(f"unit_sums must be a non-empty 2-D array, got shape {sums.shape}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie between 0 and 1, got {level}")
    rng = np.random.default_rng(seed)
    n = len(sums)
    draws = rng.integers(0, n, size=(resamples, n))
    # How often each unit was drawn, per resample, without a resamples x units loop.
    counts = np.bincount((draws + n * np.arange(resamples)[:, None]).ravel(),
                         minlength=n * resamples).reshape(resamples, n)
    values = np.asarray(statistic(counts @ sums), dtype=np.float64)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def count_f1(totals: np.ndarray) -> np.ndarray:
    """F1 of the positive class from totals whose columns are tp, fp, fn (and maybe tn)."""
    return _f1(totals[:, 0], totals[:, 1], totals[:, 2])


def count_macro_f1(totals: np.ndarray) -> np.ndarray:
    """Mean F1 of both classes from totals whose columns are tp, fp, fn, tn."""
    tp, fp, fn, tn = totals.T
    return (_f1(tp, fp, fn) + _f1(tn, fn, fp)) / 2
