"""Train a paragraph classifier from one TOML config and save it as a model bundle.

The config is the whole recipe (data, task, input mode, features, estimators, search, source
weights, threshold policy, seed, output) and is validated before any work starts. The bundle
stores the resolved config, so ``trainer train`` on a bundle's config repeats the run exactly.

Steps: load the training and validation splits (minus excluded sources), keeping whole
articles that have at least one labelled row (unlabelled rows stay as context); optionally
search the stage-1 estimator's parameters with group folds; fit the two-stage model with
per-source sample weights; choose the decision threshold on the validation split; score the
validation split per source; save the bundle with its report.

Thresholds: one for all rows, chosen on the validation split, or (``threshold.by_kind``) one
per page kind, spoken debate transcripts and written pages, each chosen on that kind's
validation rows or on its training rows' out-of-fold scores (``threshold.chosen_on``). The
CheckThat! 2024 validation sentences come from the training debates, so their scores are
optimistic; out-of-fold scores over debate folds are what unseen debates look like.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.base import clone
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from threadpoolctl import threadpool_limits

from .bundle import is_replaceable as bundle_may_replace
from .config import ConfigError, Option, load_config
from .dataset import build, is_built, load_build_config, load_dataset
from .metrics import best_threshold
from .pipelines import (UNLABELLED, HeldOutCalibration, block_schema, build_model, check_blocks,
                        group_folds, make_estimator, window_option)
from .rows import CLAIM_LABELS, CONTENT_LABELS, PAGE_KINDS, UNKNOWN, page_kinds

__all__ = ["TRAIN_SCHEMA", "TrainResult", "crop_articles", "load_rows", "load_train_config",
           "sample_debates", "sample_weights", "train"]

log = logging.getLogger(__name__)

THRESHOLD_ROWS = ("validation", "training_folds", "both")
THRESHOLD_ROWS_NAMED = {"validation": "the validation split",
                        "training_folds": "the training rows' out-of-fold scores",
                        "both": "the validation split and the training rows' out-of-fold scores"}
LABEL_NAMES = {"content": list(CONTENT_LABELS[:2]), "claim": list(CLAIM_LABELS[:2])}
DEFAULT_LABEL_NAMES = ("negative", "positive")  # classes 0 and 1 when the task is not known

# Licences of the corpora behind each row source (see ../shared/data/README.md).
LICENCES = {
    "wcxb": "CC-BY-4.0 (WCXB v1.0, Foley 2026); claim labels made for this project",
    "scrapinghub": "MIT (Zyte article-extraction-benchmark); claim labels made for this project",
    "checkthat2024": "free for general research use (CLEF CheckThat! 2024 Task 1 EN)",
    "claimbuster": "open data (Arslan et al., ICWSM 2020)",
    "checkthat2019": "free for general research use (CLEF CheckThat! 2019 Task 1)",
    "seeds": "the seed article: labels made for this project; its text belongs to its publisher",
}

TRAIN_SCHEMA = {
    "task": Option(str, choices=("content", "claim"), help="which label to learn"),
    "input": Option(str, choices=("html", "text"),
                    help="html may use markup structure; text only text, position, neighbours"),
    "seed": Option(int, 13, low=0, high=2**32 - 1),
    "data": {
        "path": Option(str, path=True, help="built dataset folder (trainer build output)"),
        "build": Option(str, "", path=True, help="build config used when data.path is missing"),
        "exclude_sources": Option(list, [], help="row sources never trained on"),
        "unlabel_before_content": Option(list, [], help="sources whose gold text leaves out "
                                         "titles and bylines: their rows before an article's "
                                         "first content paragraph are context, not labels"),
        "crops": Option(int, 0, low=0,
                        help="extra copies of each training article, each cut as a reader "
                             "copies it: from its first content paragraph to part of the "
                             "boilerplate after its last"),
        "include_validation": Option(bool, False, help="also fit on the validation split, for "
                                     "a final model once its recipe was chosen there: "
                                     "validation rows are then scored out of fold (their "
                                     "sites held out), and calibration, thresholds and "
                                     "validation metrics use those scores"),
        "debate_samples": {
            "copies": Option(int, 0, low=0,
                             help="extra copies of each training debate transcript holding a "
                                  "sample of its labelled sentences alone, as CheckThat! gives "
                                  "its dev and dev-test sets"),
            "share": Option(float, 1.0, above=0.0, high=1.0,
                            help="share of a debate's labelled sentences dealt into its copies "
                                 "(each into one copy)"),
            "weight": Option(float, 1.0, above=0.0,
                             help="sample weight of a copied sentence, times its source's "
                                  "weight"),
        },
    },
    "features": block_schema(),
    "estimator": {"name": Option(str, "logistic_regression"), "params": Option(dict, {})},
    "context": {
        "window": window_option(2, help="neighbours' stage-1 scores at ±1..±window"),
        "folds": Option(int, 5, low=2, help="group folds for out-of-fold stage-1 scores"),
        "blocks": Option(list, [], help="dense feature blocks stage 2 also sees"),
        "spans": Option(bool, False, help="where the article's stage-1 scores lie around "
                        "each paragraph: shares before and after, best score beyond the window"),
        "estimator": {"name": Option(str, "logistic_regression"), "params": Option(dict, {})},
    },
    "search": {
        "method": Option(str, "none", choices=("none", "grid", "random")),
        "params": Option(dict, {}, help="stage-1 estimator parameter -> list of values"),
        "folds": Option(int, 5, low=2),
        "n_iter": Option(int, 10, low=1, help="candidates tried by the random search"),
        "scoring": Option(str, "average_precision"),
    },
    "weights": {"sources": {"*": Option(float, low=0.0,
                                        help="sample weight of the source's rows")}},
    "calibration": {
        "method": Option(str, "none", choices=("none", "sigmoid", "isotonic"),
                         help="recalibrate probabilities on the validation split"),
    },
    "threshold": {
        "policy": Option(str, "max_f1", choices=("max_f1", "max_macro_f1", "fixed")),
        "value": Option(float, 0.5, low=0.0, high=1.0, help="the threshold when policy = fixed"),
        "sources": Option(list, [], help="validation sources it is chosen on (default all)"),
        "by_kind": Option(bool, False, help="one threshold per page kind: spoken (debate "
                                            "transcripts) and written (every other page)"),
        "chosen_on": {
            kind: Option(str, "validation", choices=THRESHOLD_ROWS,
                         help=f"rows the {kind} threshold is chosen on when by_kind: the "
                              f"validation split, the training rows' out-of-fold scores "
                              f"(group folds: documents and sites never seen in training), or "
                              f"both together")
            for kind in PAGE_KINDS},
    },
    "output": {"path": Option(str, path=True, help="model bundle folder")},
}


def _dataset_sources(path: Path) -> set[str] | None:
    """Source names of a built dataset (its build config's tables), None if not built."""
    summary = path / "summary.json"
    if not summary.is_file():
        return None
    tables = json.loads(summary.read_text()).get("config", {}).get("sources", {})
    return set(tables)


def check_train_config(cfg: dict, where: str) -> None:
    """Everything that can be checked before loading data; raises ConfigError naming the key."""
    check_blocks(cfg["features"]["blocks"], cfg["input"], "features.blocks", where)
    check_blocks(cfg["context"]["blocks"], cfg["input"], "context.blocks", where, context=True)
    for key in ("estimator", "context.estimator"):
        section = cfg["estimator"] if key == "estimator" else cfg["context"]["estimator"]
        try:
            make_estimator(section["name"], section["params"], key=key, seed=cfg["seed"])
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    search = cfg["search"]
    if search["method"] != "none" and not search["params"]:
        raise ConfigError(f"{where}: search.params: search.method = {search['method']!r} "
                          f"needs parameters to search")
    if search["method"] == "none" and search["params"]:
        raise ConfigError(f"{where}: search.params: given, but search.method = 'none' "
                          f"searches nothing: set search.method to 'grid' or 'random', or "
                          f"drop search.params")
    known = make_estimator(cfg["estimator"]["name"], {}, key="estimator").get_params()
    for param, values in search["params"].items():
        if param not in known:
            raise ConfigError(f"{where}: search.params.{param}: not a parameter of estimator "
                              f"{cfg['estimator']['name']!r}")
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}: search.params.{param}: expected a non-empty list of "
                              f"values, got {values!r}")
        for i, value in enumerate(values):  # each candidate, as the search would set it
            try:
                make_estimator(cfg["estimator"]["name"],
                               {**cfg["estimator"]["params"], param: value}, key="estimator")
            except ConfigError as exc:
                problem = str(exc).removeprefix("estimator.params: ")
                raise ConfigError(f"{where}: search.params.{param}[{i}]: {problem}") from None
    if search["scoring"] not in get_scorer_names():
        raise ConfigError(f"{where}: search.scoring: unknown scorer {search['scoring']!r}")
    chars = cfg["features"]["chars"]
    if chars["ngram_min"] > chars["ngram_max"]:
        raise ConfigError(f"{where}: features.chars.ngram_min: must be at most ngram_max "
                          f"({chars['ngram_max']}), got {chars['ngram_min']}")

    # The bundle writer's own rule, checked now rather than after the whole training.
    output = Path(cfg["output"]["path"])
    if output.exists() and not bundle_may_replace(output):
        raise ConfigError(f"{where}: output.path: {output} exists and is not a model bundle; "
                          f"refusing to replace it (give a new folder, an empty one or an "
                          f"earlier bundle's)")

    data = Path(cfg["data"]["path"])
    if not is_built(data):
        if not cfg["data"]["build"]:
            raise ConfigError(f"{where}: data.path: no built dataset at {data} (run `trainer "
                              f"build` first, or set data.build to a build config)")
        if not Path(cfg["data"]["build"]).is_file():
            raise ConfigError(f"{where}: data.build: file not found: {cfg['data']['build']}")
    sources = _dataset_sources(data)
    for key, names in (("data.exclude_sources", cfg["data"]["exclude_sources"]),
                       ("data.unlabel_before_content", cfg["data"]["unlabel_before_content"]),
                       ("threshold.sources", cfg["threshold"]["sources"]),
                       ("weights.sources", list(cfg["weights"]["sources"]))):
        for name in names:
            if not isinstance(name, str):
                raise ConfigError(f"{where}: {key}: expected source names, got {name!r}")
            if sources is not None and name not in sources:
                raise ConfigError(f"{where}: {key}: no source {name!r} in the dataset "
                                  f"(it has: {', '.join(sorted(sources))})")


def load_train_config(path, overrides=()) -> dict:
    """Load, override and fully validate a training config."""
    cfg = load_config(path, TRAIN_SCHEMA, overrides)
    check_train_config(cfg, str(path))
    return cfg


# --------------------------------------------------------------------------- data

def load_rows(data_path, split: str, task: str, exclude=(),
              unlabel_before_content=(), input_mode: str | None = None) -> pd.DataFrame:
    """One split as a DataFrame of whole articles that have at least one ``task`` label.

    Rows of excluded sources are dropped, and with ``input_mode`` "html" the articles that
    were not HTML (a model of markup learns and is scored on pages that have it). Unlabelled
    rows of kept articles stay (as context).
    In articles of the ``unlabel_before_content`` sources, the rows before the first content
    paragraph lose their content label: those sources' gold leaves out the title and byline,
    which the others' gold keeps, so the two would teach opposite labels for the same lines.
    """
    frame = load_dataset(data_path)[split].to_pandas()
    frame = frame[~frame["source"].isin(list(exclude))]
    if input_mode == "html":
        frame = frame[frame["format"] == "html"]
    if unlabel_before_content:
        first = frame["index"].where(frame["content"] == 1).groupby(frame["article_id"]) \
            .transform("min")
        head = frame["source"].isin(list(unlabel_before_content)) & (frame["index"] < first)
        frame = frame.assign(content=frame["content"].mask(head, UNKNOWN))
    labelled_articles = frame.loc[frame[task] != UNKNOWN, "article_id"].unique()
    return frame[frame["article_id"].isin(labelled_articles)].reset_index(drop=True)


def crop_articles(frame: pd.DataFrame, copies: int, seed: int) -> pd.DataFrame:
    """``frame`` plus ``copies`` cropped copies of each article, in the same site group.

    A copy is what a reader copies or a reader view keeps: it starts at the article's first
    content paragraph (the headline, where the gold text has one) and keeps all content, with
    a random part (less than half) of the boilerplate after the last content paragraph cut
    off; a page without content loses less than half of its end. Users' text rarely is a
    whole page rendered our way, so the model must not learn that content always follows a
    page's worth of menus. (Copies cut to a random run of lines, starting anywhere in the
    first half, did worse on article pages from every renderer, and on the seed article.)
    """
    rng = np.random.default_rng(seed)
    ordered = frame.sort_values(["article_id", "index"], kind="stable")
    article = pd.factorize(ordered["article_id"])[0]
    rank = ordered.groupby("article_id", sort=False).cumcount().to_numpy()
    n = np.bincount(article)
    hit = np.flatnonzero(ordered["content"].to_numpy() == 1)
    first, last = np.full(len(n), n.max()), np.full(len(n), -1)
    np.minimum.at(first, article[hit], rank[hit])
    np.maximum.at(last, article[hit], rank[hit])
    first[last < 0] = 0
    tail = n - 1 - last  # boilerplate paragraphs after the last content paragraph
    parts = [frame]
    for copy in range(1, copies + 1):
        end = n - np.floor(rng.random(len(n)) * np.ceil(tail / 2)).astype(int)
        kept = ordered[(rank >= first[article]) & (rank < end[article])].copy()
        kept["article_id"] = kept["article_id"] + f"#crop{copy}"
        kept["index"] = kept.groupby("article_id", sort=False).cumcount()
        kept["n_paragraphs"] = kept.groupby("article_id", sort=False)["index"].transform("size")
        parts.append(kept)
    return pd.concat(parts, ignore_index=True)


def sample_debates(frame: pd.DataFrame, copies: int, share: float, seed: int,
                   task: str) -> pd.DataFrame:
    """``frame`` plus ``copies`` sampled copies of each debate transcript, in its group.

    CheckThat! gives its dev and dev-test sentences sampled from their debates (a sentence
    every 7 to 9 lines, median), so there a sentence's neighbours are not the lines around it,
    while the training debates hold every line. A ``share`` of each debate's labelled
    sentences is dealt at random into the copies, each sentence into one, without the
    transcript's context lines, so stage 2 also learns from sentences whose neighbours are
    other samples.
    """
    rng = np.random.default_rng(seed)
    spoken = frame[(page_kinds(frame["page_type"]) == "spoken") & (frame[task] != UNKNOWN)]
    spoken = spoken.sort_values(["article_id", "index"], kind="stable")
    deal = np.where(rng.random(len(spoken)) < share, rng.integers(0, copies, len(spoken)), -1)
    parts = [frame]
    for copy in range(copies):
        kept = spoken[deal == copy].copy()
        kept["article_id"] = kept["article_id"] + f"#sample{copy + 1}"
        kept["index"] = kept.groupby("article_id", sort=False).cumcount()
        kept["n_paragraphs"] = kept.groupby("article_id", sort=False)["index"].transform("size")
        parts.append(kept)
    return pd.concat(parts, ignore_index=True)


def targets(frame: pd.DataFrame, task: str) -> np.ndarray:
    """Labels 0/1, and -1 (context only) where the task's label is unknown."""
    y = frame[task].to_numpy(dtype=np.int64)
    return np.where(y == UNKNOWN, UNLABELLED, y)


def sample_weights(frame: pd.DataFrame, weights: dict[str, float]) -> np.ndarray | None:
    """Per-row weight of each row's source (1 when not configured); None when all are 1."""
    if not weights:
        return None
    return frame["source"].map(weights).fillna(1.0).to_numpy(dtype=np.float64)


# --------------------------------------------------------------------------- steps

def search_params(model, X: pd.DataFrame, y: np.ndarray, weights, cfg: dict) -> dict:
    """Best stage-1 estimator parameters by group-fold CV on the training rows.

    Features are computed once; only the estimator is refitted per fold and candidate.
    Sample weights reach both the estimator and the scorer (metadata routing).
    """
    search = cfg["search"]
    labelled = y != UNLABELLED
    matrix = clone(model.features).fit_transform(X)[labelled]
    groups = X["group"].to_numpy()[labelled]
    w = np.ones(labelled.sum()) if weights is None else weights[labelled]
    cv = group_folds(groups, search["folds"], cfg["seed"])
    with config_context(enable_metadata_routing=True):
        estimator = clone(model.classifier).set_fit_request(sample_weight=True)
        scorer = get_scorer(search["scoring"]).set_score_request(sample_weight=True)
        if search["method"] == "grid":
            searcher = GridSearchCV(estimator, search["params"], scoring=scorer, cv=cv,
                                    refit=False)
        else:
            searcher = RandomizedSearchCV(estimator, search["params"], n_iter=search["n_iter"],
                                          scoring=scorer, cv=cv, refit=False,
                                          random_state=cfg["seed"])
        searcher.fit(matrix, y[labelled], sample_weight=w, groups=groups)
    results = searcher.cv_results_
    return {
        "best_params": searcher.best_params_,
        "best_score": float(searcher.best_score_),
        "group_folds": cv.get_n_splits(),
        "candidates": [{"params": p, "mean": float(m), "std": float(s)} for p, m, s in zip(
            results["params"], results["mean_test_score"], results["std_test_score"])],
    }


def _threshold_rows(policy: dict, y: np.ndarray, sources, where: str,
                    label_names=DEFAULT_LABEL_NAMES) -> np.ndarray:
    """Which rows a threshold is chosen on: the labelled ones (of ``threshold.sources`` when it
    names some). Raises, naming the class missing from them and what to do, unless they hold
    both classes. ``where`` describes the rows, ``label_names`` the classes 0 and 1."""
    labelled = y != UNLABELLED
    chosen = labelled & np.isin(np.asarray(sources), policy["sources"]) if policy["sources"] \
        else labelled
    counts = [int((y[chosen] == label).sum()) for label in (0, 1)]
    if all(counts):
        return chosen
    in_sources = f" from threshold.sources ({', '.join(policy['sources'])})" \
        if policy["sources"] else ""
    missing = [name for name, n in zip(label_names, counts) if not n]
    problem = (f"cannot choose a threshold by {policy['policy']} (threshold.policy): the "
               f"labelled rows of {where}{in_sources} hold no "
               f"{missing[0] if len(missing) == 1 else 'labelled'} row"
               + "".join(f", only {n} {name} ones" for name, n in zip(label_names, counts) if n))
    if policy["sources"] and len(np.unique(y[labelled])) == 2:
        raise ValueError(f"{problem}; the other sources' rows there hold both classes: add "
                         f"some of those sources to threshold.sources")
    raise ValueError(f"{problem}; label articles from more sites, or set threshold.policy = "
                     f"\"fixed\" (the threshold is then threshold.value)")


def choose_threshold(policy: dict, y: np.ndarray, scores: np.ndarray, sources,
                     where: str = "the validation split",
                     label_names=DEFAULT_LABEL_NAMES) -> float:
    if policy["policy"] == "fixed":
        return policy["value"]
    chosen = _threshold_rows(policy, y, sources, where, label_names)
    metric = "macro_f1" if policy["policy"] == "max_macro_f1" else "f1"
    return best_threshold(y[chosen], scores[chosen], metric=metric)


def uses_training_folds(policy: dict) -> bool:
    """Whether a threshold policy chooses a threshold on the training rows' out-of-fold scores."""
    return policy["by_kind"] and policy["policy"] != "fixed" \
        and bool({"training_folds", "both"} & set(policy["chosen_on"].values()))


def choose_thresholds(policy: dict, rows: dict[str, tuple], label_names=DEFAULT_LABEL_NAMES
                      ) -> tuple[float, dict[str, float]]:
    """The threshold, and with ``policy["by_kind"]`` one per page kind.

    ``rows`` maps "validation" (and "training_folds", when a kind is chosen there or on
    "both") to ``(y, scores, sources, page_types)``. Without ``by_kind`` (or with a fixed threshold) the
    single threshold is chosen on the validation rows and the per-kind dict is empty. With it, each kind's threshold is
    chosen on that kind's rows of ``policy["chosen_on"][kind]`` (a kind absent there gets the
    threshold of all those rows), and the returned single threshold is the written pages' one:
    what prediction applies to its input. ``label_names`` name the classes 0 and 1 in errors.
    """
    if not policy["by_kind"] or policy["policy"] == "fixed":
        y, scores, sources, _ = rows["validation"]
        return choose_threshold(policy, np.asarray(y), np.asarray(scores), sources,
                                label_names=label_names), {}
    thresholds = {}
    for kind in PAGE_KINDS:
        where = policy["chosen_on"][kind]
        parts = [rows[w] for w in (THRESHOLD_ROWS[:2] if where == "both" else (where,))]
        y, scores, sources, page_types = (np.concatenate([np.asarray(part[i]) for part in parts])
                                          for i in range(4))
        mine = page_kinds(page_types) == kind
        rows_named = f"{kind} pages in {THRESHOLD_ROWS_NAMED[where]}"
        if not (mine & (y != UNLABELLED)).any():
            mine, rows_named = np.ones(len(y), dtype=bool), THRESHOLD_ROWS_NAMED[where]
        thresholds[kind] = choose_threshold(policy, y[mine], scores[mine],
                                            np.asarray(sources)[mine], rows_named, label_names)
    return thresholds["written"], thresholds


class TrainResult(dict):
    """What :func:`train` did: bundle path, threshold, timings, peak memory, metrics."""


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def train(cfg: dict) -> TrainResult:
    """Run a validated training config end to end and save the bundle; returns a summary.

    Native thread pools run one thread: OpenMP threads (gradient boosting) spin-wait for each
    other when other processes share the cores, which measured 16x slower than one thread,
    while on idle cores one thread costs less than 2x.
    """
    with threadpool_limits(limits=1):
        return _train(cfg)


def _group_folds_used(key: str, folds: int, groups: np.ndarray) -> int:
    """How many group folds ``folds`` (the config's ``key``) gives over ``groups``: one per
    group when there are fewer groups, with a warning, as the config asked for more."""
    used = group_folds(groups, folds, seed=None).get_n_splits()
    if used < folds:
        log.warning("%s = %d asks for more group folds than the %d sites or documents (the "
                    "dataset's `group`) of the labelled training rows: %d group folds used",
                    key, folds, used, used)
    return used


def _check_learnable(task: str, train_rows: pd.DataFrame, y_train: np.ndarray,
                     y_validation: np.ndarray) -> None:
    """Refuse, before the fit and with what to do, data the two-stage model cannot learn or
    be tuned from (small datasets of a user's own articles meet each case)."""
    classes, names = np.unique(y_train[y_train != UNLABELLED]), LABEL_NAMES[task]
    if len(classes) < 2:
        found = (f"every labelled training row is {names[classes[0]]}" if len(classes)
                 else f"no training row is labelled for {task}")
        raise ValueError(f"{task}: {found}; the model needs examples of both {names[0]} and "
                         f"{names[1]}")
    sites = train_rows.loc[y_train != UNLABELLED, "group"].nunique()
    if sites < 2:
        raise ValueError(
            f"{task}: the labelled training rows come from {sites} site or document (the "
            f"dataset's `group`); stage 2 learns from scores out of fold over sites, so it "
            f"needs 2 or more: label articles from more sites, or give training a larger share "
            f"(`split.validation`, `split.test` in the build config)")
    if not (y_validation != UNLABELLED).any():
        raise ValueError(
            f"{task}: the validation split has no rows labelled for {task} (articles are dealt "
            f"to splits by site); calibration, the threshold and the scores are worked out on "
            f"it: give it a share (`split.validation` in the build config), or label articles "
            f"from more sites")


def _check_validation_classes(cfg: dict, validation_rows: pd.DataFrame,
                              y_validation: np.ndarray) -> None:
    """Refuse, before the fit, a validation split of one class when calibration or the
    threshold is fitted on it: isotonic calibration would map every score to that class (and
    sigmoid calibration cannot be fitted)."""
    names = LABEL_NAMES[cfg["task"]]
    classes = np.unique(y_validation[y_validation != UNLABELLED])
    method = cfg["calibration"]["method"]
    if method != "none" and len(classes) < 2:
        raise ValueError(
            f"{cfg['task']}: the validation split has no {names[1 - classes[0]]} rows to "
            f"calibrate on (calibration.method = \"{method}\"): all its "
            f"{(y_validation != UNLABELLED).sum()} labelled rows are {names[classes[0]]}; label "
            f"articles from more sites, or set calibration.method = \"none\"")
    policy = cfg["threshold"]
    # Thresholds per page kind may be chosen on out-of-fold scores: checked as they are chosen.
    if policy["policy"] != "fixed" and not policy["by_kind"]:
        _threshold_rows(policy, y_validation, validation_rows["source"], "the validation split",
                        names)


def _train(cfg: dict) -> TrainResult:
    from .bundle import kind_thresholds, save_bundle
    from .evaluate import paragraph_metrics
    from .report import write_validation_report

    started = time.perf_counter()
    task, data = cfg["task"], Path(cfg["data"]["path"])
    if cfg["data"]["build"] and not is_built(data):
        log.info("building the dataset %s from %s", data, cfg["data"]["build"])
        build(load_build_config(cfg["data"]["build"], [f'output.path="{data}"']))
    exclude, unlabel = cfg["data"]["exclude_sources"], cfg["data"]["unlabel_before_content"]
    train_rows = load_rows(data, "train", task, exclude, unlabel, cfg["input"])
    validation_rows = load_rows(data, "validation", task, exclude, unlabel, cfg["input"])
    # Rows of the validation split among the fitted ones (with data.include_validation).
    held_out = slice(0, 0)
    if cfg["data"]["include_validation"]:
        held_out = slice(len(train_rows), len(train_rows) + len(validation_rows))
        train_rows = pd.concat([train_rows, validation_rows], ignore_index=True)
    y_validation = targets(validation_rows, task)
    if cfg["input"] == "html" and not len(train_rows) and len(
            load_rows(data, "train", task, exclude, unlabel)):
        raise ValueError(f"{task}: the training split has no HTML page labelled for {task}, and "
                         f"an HTML model (input = \"html\") learns from HTML pages only; train "
                         f"a text model (input = \"text\") on text articles")
    # Before the copies below: they hold the same labels and sites, and cannot be cut from
    # no rows at all.
    _check_learnable(task, train_rows, targets(train_rows, task), y_validation)
    _check_validation_classes(cfg, validation_rows, y_validation)
    if cfg["data"]["crops"]:
        train_rows = crop_articles(train_rows, cfg["data"]["crops"], cfg["seed"])
    originals = len(train_rows)
    samples = cfg["data"]["debate_samples"]
    if samples["copies"]:
        train_rows = sample_debates(train_rows, samples["copies"], samples["share"],
                                    cfg["seed"], task)
    y_train = targets(train_rows, task)
    log.info("%s: %d training rows (%d labelled) in %d articles; %d validation rows",
             task, len(train_rows), (y_train != UNLABELLED).sum(),
             train_rows["article_id"].nunique(), (y_validation != UNLABELLED).sum())
    weights = sample_weights(train_rows, cfg["weights"]["sources"])
    if len(train_rows) > originals and samples["weight"] != 1.0:
        # A copy: pandas may hand back a read-only array.
        weights = np.ones(len(train_rows)) if weights is None else weights.copy()
        weights[originals:] *= samples["weight"]

    labelled_groups = train_rows["group"].to_numpy()[y_train != UNLABELLED]
    context_folds = _group_folds_used("context.folds", cfg["context"]["folds"], labelled_groups)
    if cfg["search"]["method"] != "none":
        _group_folds_used("search.folds", cfg["search"]["folds"], labelled_groups)

    model = build_model(cfg).set_params(out_of_fold=uses_training_folds(cfg["threshold"])
                                        or cfg["data"]["include_validation"])
    search = None
    if cfg["search"]["method"] != "none":
        log.info("searching %s over %s", cfg["search"]["method"], cfg["search"]["params"])
        search = search_params(model, train_rows, y_train, weights, cfg)
        log.info("best %s = %.4f with %s", cfg["search"]["scoring"], search["best_score"],
                 search["best_params"])
        model.set_params(**{f"classifier__{k}": v for k, v in search["best_params"].items()})
    log.info("fitting the two-stage model (%d group folds for stage 2)", context_folds)
    fit_started = time.perf_counter()
    model.fit(train_rows, y_train, sample_weight=weights)
    fit_seconds = time.perf_counter() - fit_started

    stacked = model
    labelled = y_validation != UNLABELLED
    if cfg["data"]["include_validation"]:
        log.info("validation rows were fitted: scoring them out of fold")
        scores = stacked.oof_proba_[held_out]  # NaN for context rows
    else:
        log.info("scoring the validation split")
        scores = model.predict_proba(validation_rows)[:, 1]
    if cfg["calibration"]["method"] != "none":
        log.info("calibrating (%s) on the validation split", cfg["calibration"]["method"])
        model = HeldOutCalibration(model, cfg["calibration"]["method"]).fit_scores(
            scores[labelled], y_validation[labelled])
        scores = model.calibrate(scores)
    rows = {"validation": (y_validation, scores, validation_rows["source"],
                           validation_rows["page_type"])}
    # The training rows themselves, without the validation split's, and their debate-sample
    # copies: sampled as CheckThat! samples its dev and test sentences, they are scored as
    # those will be (without their real neighbours) when the spoken threshold is chosen.
    fitted = np.ones(len(y_train), dtype=bool)
    fitted[held_out] = False
    if stacked.out_of_fold:  # not needed for prediction: not saved
        oof = stacked.oof_proba_ if model is stacked else model.calibrate(stacked.oof_proba_)
        del stacked.oof_proba_
        rows["training_folds"] = (y_train[fitted], oof[fitted], train_rows["source"][fitted],
                                  train_rows["page_type"][fitted])
    threshold, thresholds = choose_thresholds(cfg["threshold"], rows, LABEL_NAMES[task])
    # Training-fold scores of the training rows themselves: debate samples are copies.
    train_labelled = (y_train != UNLABELLED) & (np.arange(len(y_train)) < originals) & fitted
    cut = kind_thresholds(threshold, thresholds, validation_rows["page_type"])
    train_cut = kind_thresholds(threshold, thresholds, train_rows["page_type"])
    metrics = {
        "validation": paragraph_metrics(validation_rows[labelled], scores[labelled],
                                        cut[labelled], task),
        "training_folds": paragraph_metrics(train_rows[train_labelled], oof[train_labelled],
                                            train_cut[train_labelled], task)
        if stacked.out_of_fold else None,
        "search": search,
        "training": {"rows": int(len(train_rows)),
                     "labelled_rows": int((y_train != UNLABELLED).sum()),
                     "articles": int(train_rows["article_id"].nunique()),
                     "rows_per_source": {k: int(v) for k, v in train_rows.loc[
                         y_train != UNLABELLED, "source"].value_counts().items()},
                     "context_group_folds": context_folds,
                     "fit_seconds": round(fit_seconds, 1),
                     "includes_validation": cfg["data"]["include_validation"]},
    }
    metrics["training"]["seconds"] = round(time.perf_counter() - started, 1)
    metrics["training"]["peak_rss_mb"] = _peak_rss_mb()
    log.info("threshold %.4f%s; validation F1 of %s = %.4f", threshold,
             "".join(f", {k} {v:.4f}" for k, v in thresholds.items()), LABEL_NAMES[task][1],
             metrics["validation"]["overall"]["per_class"][LABEL_NAMES[task][1]]["f1"])

    summary = _dataset_summary(data)
    sources = [{"name": name, "path": summary.get(name, ""),
                "licence": LICENCES.get(name, "see the corpus's own licence")}
               for name in sorted(train_rows["source"].unique())]
    with tempfile.TemporaryDirectory(prefix="trainer-report-") as folder:
        extra = write_validation_report(Path(folder), cfg, metrics, threshold,
                                        validation_rows[labelled], scores[labelled],
                                        thresholds)
        path = save_bundle(model, cfg["output"]["path"], task=task,
                           label_names=LABEL_NAMES[task], threshold=threshold, config=cfg,
                           metrics=metrics, sources=sources, extra_files=extra,
                           thresholds=thresholds)
    size_mb = sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 2**20
    log.info("saved %s (%.1f MB) in %.0f s, peak memory %.0f MB", path, size_mb,
             time.perf_counter() - started, _peak_rss_mb())
    return TrainResult(path=Path(path), threshold=threshold, thresholds=thresholds,
                       metrics=metrics,
                       seconds=round(time.perf_counter() - started, 1),
                       peak_rss_mb=_peak_rss_mb(), size_mb=round(size_mb, 2))


def _dataset_summary(data: Path) -> dict[str, str]:
    """Source name → corpus path, from the dataset's build summary (empty when unknown)."""
    path = data / "summary.json"
    if not path.is_file():
        return {}
    config = json.loads(path.read_text()).get("config", {})
    return {options.get("adapter") or name: os.fspath(options.get("path", ""))
            for name, options in config.get("sources", {}).items()}
