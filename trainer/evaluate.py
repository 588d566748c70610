"""Evaluate a model bundle on a split of a built dataset, beside the baselines.

Paragraph level (every task): per-class precision/recall/F1, macro-F1, PR-AUC, confusion
matrix, calibration, per-source and per-page-type breakdowns and the worst errors.

Page level, content task: the page's predicted text (its content paragraphs, one per line)
against the page's gold main text, on the same pages for every system:

* WCXB word F1 (averaged over the split's held-out pages, also per page type and for articles)
  for the model and the HTML extractors of :mod:`trainer.baselines`;
* ScrapingHub 4-gram shingle F1 over all its pages (every split) when the model was not
  trained on ScrapingHub, its external test set;
* text-mode models also on other tools' renderings of the same pages, and beside the jusText
  and C4 line baselines.

Claim task: the named held-out sets (CheckThat! 2024 dev-test, WCXB claims, news claims)
beside the CheckThat! TF-IDF + linear SVM baseline trained on the same training rows.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import cross_val_predict
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from .atomic import write_text_atomically
from .dataset import is_built, skipped_pages
from .metrics import (MIN_INTERVAL_UNITS, bootstrap_interval, calibration_table,
                      classification_scores, count_f1, count_macro_f1, page_scores,
                      shingle_prf, word_prf)
from .rows import UNKNOWN, article_rows
from .segment import Article, segment_text

__all__ = ["claim_baseline", "claim_baseline_scores", "evaluate", "page_texts",
           "paragraph_metrics"]

log = logging.getLogger(__name__)

WORST_ERRORS = 20
HTML_BASELINES = ("trafilatura", "justext", "boilerpy3", "readability", "resiliparse")
# Row source → how its page's gold text is found (see trainer.corpora.web).
PAGE_SOURCES = ("wcxb", "scrapinghub")


def _breakdown(rows: pd.DataFrame, y: np.ndarray, scores: np.ndarray, threshold,
               names: list[str], column: str) -> dict:
    """classification_scores for each value of ``column`` ("(none)" for empty values);
    ``threshold`` is one number or one per row."""
    values = rows[column].fillna("").to_numpy()
    cut = np.broadcast_to(np.asarray(threshold, dtype=np.float64), scores.shape)
    return {(key or "(none)"): classification_scores(y[values == key], scores[values == key],
                                                     cut[values == key], names)
            for key in sorted(set(values))}


def paragraph_metrics(rows: pd.DataFrame, scores, threshold, task: str,
                      worst: int = WORST_ERRORS) -> dict:
    """Scores of labelled rows: overall, per source, per page type, calibration, worst errors.

    ``threshold`` is one number or one per row (per-page-kind thresholds).
    """
    from .train import LABEL_NAMES

    names = LABEL_NAMES[task]
    y = rows[task].to_numpy(dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    if (y == UNKNOWN).any():
        raise ValueError("paragraph_metrics needs labelled rows only")
    wrong = np.flatnonzero((scores >= threshold).astype(int) != y)
    wrong = wrong[np.argsort(-np.abs(scores[wrong] - y[wrong]), kind="stable")][:worst]
    return {
        "overall": classification_scores(y, scores, threshold, names),
        "per_source": _breakdown(rows, y, scores, threshold, names, "source"),
        "per_page_type": _breakdown(rows, y, scores, threshold, names, "page_type"),
        "calibration": calibration_table(y, scores),
        "worst_errors": [{"source": rows["source"].iat[i], "article_id": rows["article_id"].iat[i],
                          "index": int(rows["index"].iat[i]), "label": names[y[i]],
                          "score": float(scores[i]), "text": rows["text"].iat[i][:300]}
                         for i in wrong],
    }


def page_texts(rows: pd.DataFrame, keep) -> dict[str, str]:
    """article_id → the kept paragraphs' text, one per line in article order."""
    frame = rows.assign(keep=np.asarray(keep, dtype=bool)).sort_values(["article_id", "index"])
    return {article: "\n".join(group.loc[group["keep"], "text"])
            for article, group in frame.groupby("article_id", sort=False)}


# --------------------------------------------------------------------------- pages

class PageStore:
    """HTML and gold main text of WCXB and ScrapingHub pages, found from a row's article id."""

    def __init__(self, source_paths: dict[str, str]):
        self.paths = {name: Path(path) for name, path in source_paths.items()}

    def available(self, source: str) -> bool:
        return source in self.paths and self.paths[source].is_dir()

    @staticmethod
    def _page_id(article_id: str) -> str:
        return article_id.split(":", 1)[1]

    def html(self, source: str, article_id: str) -> bytes:
        path = self.paths[source] / "html" / f"{self._page_id(article_id)}.html.gz"
        return gzip.decompress(path.read_bytes())

    def gold(self, source: str, article_id: str) -> str:
        page = self._page_id(article_id)
        if source == "wcxb":
            record = json.loads((self.paths[source] / "ground-truth" / f"{page}.json").read_text())
            return record["ground_truth"]["main_content"]
        return self._scrapinghub()[page]["articleBody"]

    @lru_cache(maxsize=1)
    def _scrapinghub(self) -> dict:
        return json.loads((self.paths["scrapinghub"] / "ground-truth.json").read_text())


def _page_summary(pairs: dict[str, tuple[str, str]], page_types: dict[str, str], metric,
                  convention: str) -> dict:
    summary = page_scores(pairs.values(), metric=metric, convention=convention)
    articles = [pairs[a] for a in pairs if page_types.get(a) == "article"]
    if articles and convention == "wcxb":
        summary["f1_articles"] = page_scores(articles, metric=metric)["f1"]
        summary["pages_articles"] = len(articles)
    return summary


def _per_page_type(pairs: dict[str, tuple[str, str]], page_types: dict[str, str]) -> dict:
    by_type: dict[str, list] = {}
    for article, pair in pairs.items():
        by_type.setdefault(page_types.get(article) or "(none)", []).append(pair)
    return {t: {"f1": page_scores(p)["f1"], "pages": len(p)} for t, p in sorted(by_type.items())}


def _text_rows(text: str, article_id: str) -> list[dict]:
    return article_rows(Article("text", text, segment_text(text)), source="evaluate",
                        article_id=article_id, group=article_id)


def _predict_rows(model, threshold: float, rows: list[dict]) -> list[bool]:
    if not rows:
        return []
    return list(model.predict_proba(pd.DataFrame.from_records(rows))[:, 1] >= threshold)


def content_pages(model, threshold: float, input_mode: str, rows: pd.DataFrame, scores,
                  store: PageStore, source: str, metric, convention: str,
                  progress: bool, unread: dict[str, str] | None = None) -> dict:
    """Page-level scores of the model and the baselines on the pages of ``rows``, and on the
    ``unread`` pages (article id -> page type) that have no rows because the model's
    segmenter found no text in them: the model's output for those is empty."""
    from . import baselines

    rows = rows[rows["source"] == source]
    ours = page_texts(rows, np.asarray(scores)[rows.index] >= threshold)
    page_types = rows.groupby("article_id")["page_type"].first().to_dict()
    for article, page_type in (unread or {}).items():
        ours.setdefault(article, "")
        page_types.setdefault(article, page_type)
    gold = {a: store.gold(source, a) for a in ours}
    systems = {f"model ({input_mode})": {a: (ours[a], gold[a]) for a in ours}}
    extractors = {}
    for name in HTML_BASELINES:
        try:
            extractors[name] = baselines.make_extractor(name)
        except baselines.BaselineUnavailable as exc:
            log.warning("skipping baseline %s: %s", name, exc)
    outputs: dict[str, dict] = {f"{n} (HTML)": {} for n in extractors}
    renderings = baselines.RENDERERS if input_mode == "text" else {}
    for name in renderings:
        outputs[f"model ({name} text)"] = {}
    if input_mode == "text":
        for name in ("justext_lines", "c4_line_filter"):
            outputs[f"{name} (our text)"] = {}
    our_text = page_texts(rows, np.ones(len(rows), dtype=bool))
    for article in tqdm(list(ours), desc=f"{source} pages", disable=not progress, leave=False):
        html = store.html(source, article)
        for name, extractor in extractors.items():
            outputs[f"{name} (HTML)"][article] = extractor(html)
        for name, render in renderings.items():
            try:
                text = render(html)
            except Exception as exc:  # a renderer failing on one page counts as an empty page
                log.warning("%s failed on %s: %s", name, article, exc)
                text = ""
            keep = _predict_rows(model, threshold, _text_rows(text, article))
            outputs[f"model ({name} text)"][article] = "\n".join(
                p.text for p, k in zip(segment_text(text), keep) if k)
        if input_mode == "text":
            paragraphs = segment_text(our_text.get(article, ""))
            for name in ("justext_lines", "c4_line_filter"):
                keep = getattr(baselines, name)(our_text.get(article, ""))
                outputs[f"{name} (our text)"][article] = "\n".join(
                    p.text for p, k in zip(paragraphs, keep) if k)
    for name, texts in outputs.items():
        systems[name] = {a: (texts[a], gold[a]) for a in texts}
    result = {"systems": {}, "per_page_type": {}}
    for name, pairs in systems.items():
        result["systems"][name] = _page_summary(pairs, page_types, metric, convention)
        if convention == "wcxb":
            result["per_page_type"][name] = _per_page_type(pairs, page_types)
    if convention == "wcxb":
        # Each page's F1 for the model and the extractor its targets are set against: the
        # targets' intervals resample pages, both systems' together.
        result["page_f1"] = {name: {a: metric(*pair)[2] for a, pair in systems[name].items()}
                             for name in (f"model ({input_mode})", "trafilatura (HTML)")
                             if name in systems}
        result["page_types"] = page_types
    for name, extractor in extractors.items():
        result["systems"][f"{name} (HTML)"]["failures"] = extractor.failures
    return result


# --------------------------------------------------------------------------- claims

def claim_baseline_scores(cfg: dict, data, split_rows: pd.DataFrame) -> tuple[np.ndarray,
                                                                             np.ndarray, dict]:
    """The CheckThat! TF-IDF + linear SVM baseline, fitted on the model's labelled training rows
    (and validation rows, with ``data.include_validation``, which then scores them out of fold
    as the model does) and thresholded like the model (``cfg["threshold"]``: per page kind, on
    validation or out-of-fold training scores; max F1 where the model's policy is a fixed
    probability, which means nothing on SVM margins).

    Returns its scores on ``split_rows`` (SVM margins, not probabilities), each row's threshold,
    and ``{"threshold": ..., "thresholds": {kind: ...}}``.
    """
    from .baselines import checkthat_baseline
    from .bundle import kind_thresholds
    from .pipelines import group_folds
    from .train import LABEL_NAMES, choose_thresholds, load_rows, targets, uses_training_folds

    exclude = cfg["data"]["exclude_sources"]
    train_rows = load_rows(data, "train", "claim", exclude)
    train_rows = train_rows[train_rows["claim"] != UNKNOWN].reset_index(drop=True)
    validation = load_rows(data, "validation", "claim", exclude)
    validation = validation[validation["claim"] != UNKNOWN].reset_index(drop=True)
    include = cfg["data"].get("include_validation", False)  # older bundles lack the key
    fitted = pd.concat([train_rows, validation], ignore_index=True) if include else train_rows
    baseline = checkthat_baseline().fit(fitted["text"], fitted["claim"])
    policy = dict(cfg["threshold"])
    policy.setdefault("by_kind", False)
    policy.setdefault("chosen_on", {})
    if policy["policy"] == "fixed":
        policy["policy"] = "max_f1"
    if include or uses_training_folds(policy):
        y = targets(fitted, "claim")
        groups = fitted["group"].to_numpy()
        oof = cross_val_predict(checkthat_baseline(), fitted["text"], y, groups=groups,
                                cv=group_folds(groups, cfg["context"]["folds"], cfg["seed"]),
                                method="decision_function")
    n = len(train_rows)
    rows = {"validation": (targets(validation, "claim"), oof[n:] if include
                           else baseline.decision_function(validation["text"]),
                           validation["source"], validation["page_type"])}
    if uses_training_folds(policy):
        rows["training_folds"] = (y[:n], oof[:n], train_rows["source"], train_rows["page_type"])
    threshold, thresholds = choose_thresholds(policy, rows, LABEL_NAMES["claim"])
    scores = baseline.decision_function(split_rows["text"])
    cut = kind_thresholds(threshold, thresholds, split_rows["page_type"])
    return scores, cut, {"threshold": threshold, "thresholds": thresholds}


def claim_baseline(cfg: dict, data, split_rows: pd.DataFrame) -> dict:
    """The CheckThat! baseline's report on ``split_rows`` (see :func:`claim_baseline_scores`).

    Its scores are SVM margins, so it gets classification scores only, no calibration table.
    """
    scores, cut, chosen = claim_baseline_scores(cfg, data, split_rows)
    y, names = split_rows["claim"].to_numpy(dtype=np.int64), ["non-claim", "claim"]
    where = ", ".join(f"{kind} pages {value:.4f}" for kind, value in
                      chosen["thresholds"].items()) or f"{chosen['threshold']:.4f}"
    return {"description": "TF-IDF word unigrams + LinearSVC (CheckThat! baseline), trained on "
                           "the same training rows; threshold chosen like the model's "
                           f"({where}, on the SVM's decision scale).",
            **chosen,
            "overall": classification_scores(y, scores, cut, names),
            "per_source": _breakdown(split_rows, y, scores, cut, names, "source")}


def _units(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _target(name: str, value: float, goal: float, unit_sums, margin, units: str) -> dict:
    """A quality target with the 95% bootstrap interval of its margin (value minus goal):
    ``margin`` maps resampled column totals of ``unit_sums`` to margins."""
    low, high = bootstrap_interval(unit_sums, margin)
    return {"name": name, "value": value, "goal": goal, "met": value >= goal,
            "margin_interval": [low, high], "resampled": units}


def _counts_by_unit(rows: pd.DataFrame, y: np.ndarray,
                    predicted: np.ndarray) -> tuple[np.ndarray, str]:
    """tp, fp, fn, tn summed per article; when the articles are too few, per run of
    consecutive paragraphs of an article (a block bootstrap: neighbouring sentences of a
    debate share a speaker and a topic, so resampling them one by one is too narrow)."""
    counts = np.column_stack([y & predicted, ~y & predicted, y & ~predicted,
                              ~y & ~predicted]).astype(np.float64)
    articles = pd.factorize(rows["article_id"])[0]
    n = articles.max(initial=-1) + 1
    if n >= MIN_INTERVAL_UNITS:
        return np.stack([np.bincount(articles, weights=c, minlength=n) for c in counts.T],
                        axis=1), _units(n, "article")
    # Runs of about the cube root of the paragraph count, the usual block length.
    run = max(1, round(len(counts) ** (1 / 3)))
    # Each paragraph's place in its article (0, 1, ...), whatever the rows' order.
    position = pd.Series(rows["index"].to_numpy()).groupby(articles).rank(method="first")
    runs = (position.to_numpy(dtype=np.int64) - 1) // run
    units = pd.factorize(articles * len(counts) + runs)[0]
    n_units = units.max(initial=-1) + 1
    sums = np.stack([np.bincount(units, weights=c, minlength=n_units) for c in counts.T], axis=1)
    return sums, f"{_units(len(counts), 'paragraph')} in {n_units} runs of up to {run}"


def _claim_targets(paragraphs: dict, rows: pd.DataFrame, y: np.ndarray,
                   predicted: np.ndarray) -> list[dict]:
    per_source = paragraphs["per_source"]
    found = []
    for name, source, key, goal in (
            ("CT24 dev-test F1 (claim)", "checkthat2024", "f1", 0.85),
            ("held-out wcxb-claims F1 (claim)", "wcxb", "f1", 0.75),
            ("news-claims macro-F1", "scrapinghub", "macro_f1", 0.80)):
        if source in per_source:
            m = per_source[source]
            value = m["macro_f1"] if key == "macro_f1" else m["per_class"]["claim"]["f1"]
            of_source = (rows["source"] == source).to_numpy()
            sums, units = _counts_by_unit(rows[of_source], y[of_source], predicted[of_source])
            statistic = count_macro_f1 if key == "macro_f1" else count_f1
            found.append(_target(name, value, goal, sums,
                                 lambda totals, f=statistic, g=goal: f(totals) - g, units))
    return found


def _content_targets(result: dict, paragraphs: dict, input_mode: str, rows: pd.DataFrame,
                     y: np.ndarray, predicted: np.ndarray) -> list[dict]:
    found = []
    wcxb = result.get("pages", {}).get("WCXB word F1", {})
    if wcxb:
        model = wcxb["systems"][f"model ({input_mode})"]
        trafilatura = wcxb["systems"].get("trafilatura (HTML)")
        page_f1 = wcxb["page_f1"]
        pages = list(page_f1[f"model ({input_mode})"])
        articles = np.array([wcxb["page_types"].get(a) == "article" for a in pages])
        # Per page: the model's F1, trafilatura's (0 when it did not run) and a 1 to count.
        sums = np.column_stack([
            [page_f1[f"model ({input_mode})"][a] for a in pages],
            [page_f1.get("trafilatura (HTML)", {}).get(a, 0.0) for a in pages],
            np.ones(len(pages))])
        units = _units(len(pages), "page")

        def ours(t):
            return t[:, 0] / t[:, 2]

        def theirs(t):
            return t[:, 1] / t[:, 2]

        if input_mode == "html" and trafilatura:
            goal = trafilatura["f1"] + 0.03
            found.append(_target("WCXB word F1, all pages (trafilatura + 0.03)", model["f1"],
                                 goal, sums, lambda t: ours(t) - theirs(t) - 0.03, units))
        if input_mode == "html" and model.get("f1_articles") is not None:
            found.append(_target("WCXB word F1, article pages", model["f1_articles"], 0.96,
                                 sums[articles], lambda t: ours(t) - 0.96,
                                 _units(articles.sum(), "article page")))
        if input_mode == "text" and trafilatura and model.get("f1_articles") is not None:
            goal = trafilatura["f1_articles"]
            found.append(_target("WCXB word F1, article pages (>= trafilatura on HTML)",
                                 model["f1_articles"], goal, sums[articles],
                                 lambda t: ours(t) - theirs(t),
                                 _units(articles.sum(), "article page")))
    if input_mode == "html":
        f1 = paragraphs["overall"]["per_class"]["content"]["f1"]
        sums, units = _counts_by_unit(rows, y, predicted)
        found.append(_target("paragraph F1 (content)", f1, 0.88, sums,
                             lambda t: count_f1(t) - 0.88, units))
    return found


def _skipped_note(unread: dict, left_out: dict) -> str:
    note = ""
    if unread:
        note += (f" {len(unread)} of these pages gave our segmenter no text: the model's "
                 f"output for them is empty ({', '.join(sorted(unread))}).")
    if left_out:
        reasons = Counter(left_out.values())
        note += (f" Left out: {len(left_out)} page{'s' * (len(left_out) != 1)} of these sites "
                 f"that no system can be scored on ("
                 + ", ".join(f"{n} {r}" for r, n in sorted(reasons.items())) + ").")
    return note


# --------------------------------------------------------------------------- entry point

def evaluate(model_dir, data=None, split: str = "test", output=None,
             progress: bool = False) -> dict:
    """Evaluate a bundle on ``split``; write metrics.json, report.md and plots to ``output``.

    ``data`` defaults to the dataset the model was trained from; ``output`` to
    ``reports/<bundle name>-<split>``. Returns the metrics written to metrics.json. Native
    thread pools run one thread, as in :func:`trainer.train.train`.
    """
    with threadpool_limits(limits=1):
        return _evaluate(model_dir, data, split, output, progress)


def _evaluate(model_dir, data, split: str, output, progress: bool) -> dict:
    from .bundle import MANIFEST_FILE, load_bundle
    from .report import evaluation_markdown, write_plots
    from .train import LABEL_NAMES, _dataset_summary, load_rows

    started = time.perf_counter()
    bundle = load_bundle(model_dir)
    cfg = bundle.manifest["config"]
    task, input_mode, threshold = cfg["task"], cfg["input"], bundle.threshold
    data = Path(data or cfg["data"]["path"])
    output = Path(output or Path("reports") / f"{Path(model_dir).resolve().name}-{split}")
    if (output / MANIFEST_FILE).is_file():
        # Its hashes cover its own report and metrics: writing them would break the bundle.
        raise ValueError(f"{output}: is a model bundle; write the evaluation elsewhere "
                         f"(--output)")
    log.info("evaluating %s on %s/%s", model_dir, data, split)

    # Bundles trained before data.unlabel_before_content existed lack the key.
    unlabel = cfg["data"].get("unlabel_before_content", [])
    # The paragraphs of the sources the model was made for, as its training report scores
    # them (debate sentences are no test of boilerplate); an excluded corpus that serves as
    # an external test set (ScrapingHub for the content models) gets its page scores below.
    excluded = cfg["data"].get("exclude_sources", [])
    rows = load_rows(data, split, task, excluded, unlabel, input_mode)
    labelled = (rows[task] != UNKNOWN).to_numpy()
    if not labelled.any() and input_mode == "html" and (
            load_rows(data, split, task, excluded)[task] != UNKNOWN).any():
        raise ValueError(f"{data}: the {split} split has no HTML page labelled for {task}, "
                         f"and an HTML model is scored on HTML pages only; score a text model "
                         f"on its text articles")
    if not labelled.any():
        raise ValueError(f"{data}: the {split} split has no rows labelled for {task} "
                         f"(articles are dealt to splits by site); evaluate on another split "
                         f"(--split), or label articles from more sites")
    scores = bundle.model.predict_proba(rows)[:, 1]
    cut = bundle.row_thresholds(rows["page_type"])
    paragraphs = paragraph_metrics(rows[labelled], scores[labelled], cut[labelled], task)
    y = rows.loc[labelled, task].to_numpy() == 1
    predicted = scores[labelled] >= cut[labelled]
    result = {"model": str(model_dir), "task": task, "input": input_mode, "split": split,
              "data": str(data), "excluded_sources": excluded,
              "threshold": threshold, "thresholds": bundle.thresholds,
              "label_names": LABEL_NAMES[task],
              "output": str(output), "paragraphs": paragraphs, "pages": {}, "baselines": {}}

    if task == "content":
        store = PageStore(_dataset_summary(data))
        if store.available("wcxb"):
            log.info("page-level WCXB word F1 with baselines")
            unread, left_out = skipped_pages(data, [split], "wcxb")
            pages = content_pages(bundle.model, threshold, input_mode, rows, scores, store,
                                  "wcxb", word_prf, "wcxb", progress, unread)
            pages["description"] = (
                f"WCXB word F1 averaged over the {split} split's pages (sites never seen in "
                f"training); F1 articles: article pages only. Baselines ran on the same pages' "
                f"HTML." + _skipped_note(unread, left_out))
            result["pages"]["WCXB word F1"] = pages
        if store.available("scrapinghub"):
            external = "scrapinghub" in cfg["data"]["exclude_sources"]
            sh_rows = pd.concat([load_rows(data, s, task) for s in ("train", "validation",
                                                                     "test")]) if external \
                else rows
            sh_rows = sh_rows[sh_rows["source"] == "scrapinghub"].reset_index(drop=True)
            if len(sh_rows):
                log.info("page-level ScrapingHub shingle F1 with baselines")
                sh_scores = bundle.model.predict_proba(sh_rows)[:, 1]
                unread, left_out = skipped_pages(
                    data, ["train", "validation", "test"] if external else [split],
                    "scrapinghub")
                pages = content_pages(bundle.model, threshold, input_mode, sh_rows, sh_scores,
                                      store, "scrapinghub", shingle_prf, "scrapinghub",
                                      progress, unread)
                pages["description"] = (
                    "ScrapingHub article-extraction benchmark: 4-gram shingle F1 (benchmark "
                    "convention) over " + ("all its pages: the model never trained on them."
                                           if external else f"the {split} split's pages.")
                    + _skipped_note(unread, left_out))
                result["pages"]["ScrapingHub shingle F1"] = pages
        result["targets"] = _content_targets(result, paragraphs, input_mode, rows[labelled],
                                             y, predicted)
    else:
        # The baseline learns from the model's own training rows, whatever data it is scored on.
        trained_on = Path(cfg["data"]["path"])
        if is_built(trained_on):
            log.info("training the CheckThat! baseline on the model's training rows")
            result["baselines"]["CheckThat! TF-IDF + LinearSVC"] = claim_baseline(
                cfg, trained_on, rows[labelled])
        else:
            log.warning("no CheckThat! baseline: it trains on the model's training rows, and "
                        "their dataset %s is not here", trained_on)
        result["targets"] = _claim_targets(paragraphs, rows[labelled], y, predicted)

    output.mkdir(parents=True, exist_ok=True)
    write_plots(output / "plots", paragraphs, rows.loc[labelled, task].to_numpy(),
                scores[labelled], LABEL_NAMES[task], f"{task} ({input_mode}) {split}")
    result["seconds"] = round(time.perf_counter() - started, 1)
    write_text_atomically(output / "metrics.json",
                          json.dumps(result, indent=2, default=str) + "\n")
    write_text_atomically(output / "report.md", evaluation_markdown(result))
    log.info("wrote %s/report.md in %.0f s", output, result["seconds"])
    return result
