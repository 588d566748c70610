"""Models built from a training config: feature blocks, estimators, and the two-stage model.

Every model is a :class:`ContextStackingClassifier` (jusText's idea: classify blocks
context-free, then revise them by their context):

* stage 1, a linear model over sparse per-paragraph features (``[features] blocks``), scores
  every paragraph;
* stage 2 (``[context]``) sees each paragraph's stage-1 score, its neighbours' scores at
  ±1..±window, running means over the window and the article's score statistics, plus dense
  page features (``context.blocks``: statistics, position, structure). It learns from
  out-of-fold stage-1 scores over site/document folds, so it sees scores as good as on sites
  never seen in training, and it turns them into probabilities.

:class:`HeldOutCalibration` recalibrates a fitted model's probabilities on held-out rows.
Feature blocks and estimators are registered by name; configs pick them and set parameters.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from .config import ConfigError, Option
from .features import (ArticlePosition, ClaimCues, NeighbourFeatures, PageRepeats,
                       PathTextShare, TextStatistics, lower_words, neighbour_rows)
from .memo import shared_work
from .rows import page_kinds

__all__ = [
    "ESTIMATORS",
    "FEATURE_BLOCKS",
    "STRUCTURE_COLUMNS",
    "ContextStackingClassifier",
    "HeldOutCalibration",
    "build_features",
    "build_model",
    "group_folds",
    "make_estimator",
]

UNLABELLED = -1  # scikit-learn's semi-supervised convention: a row given only as context

# What only HTML input has; a text-mode model must not read any of it.
STRUCTURE_COLUMNS = frozenset({"tag", "heading_level", "in_list", "in_table", "link_density",
                               "dom_depth", "path", "class_tokens"})

ESTIMATORS: dict[str, type] = {
    "logistic_regression": LogisticRegression,
    "linear_svc": LinearSVC,
    "sgd": SGDClassifier,
    "ridge": RidgeClassifier,
    "complement_nb": ComplementNB,
    "hist_gradient_boosting": HistGradientBoostingClassifier,
    "random_forest": RandomForestClassifier,
}


def _estimator_class(name: str, key: str) -> type:
    """A registered name, or the dotted path of any scikit-learn estimator class."""
    if name in ESTIMATORS:
        return ESTIMATORS[name]
    module, _, attribute = name.rpartition(".")
    if module.split(".")[0] == "sklearn":
        try:
            cls = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError):
            cls = None
        if isinstance(cls, type) and issubclass(cls, BaseEstimator):
            return cls
    raise ConfigError(f"{key}: unknown estimator {name!r} (registered: {', '.join(ESTIMATORS)}; "
                      f"or the dotted path of a scikit-learn estimator, e.g. "
                      f"sklearn.linear_model.LogisticRegression)")


def make_estimator(name: str, params: dict, *, key: str, seed: int | None = None):
    """An estimator from its name and params; any bad param is a ConfigError naming it."""
    cls = _estimator_class(name, f"{key}.name")
    known = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    for param in params:
        if param not in known:
            raise ConfigError(f"{key}.params.{param}: {cls.__name__} has no parameter {param!r} "
                              f"(it has: {', '.join(sorted(known))})")
    params = dict(params)
    if seed is not None and "random_state" in known and "random_state" not in params:
        params["random_state"] = seed
    try:
        estimator = cls(**params)
        estimator._validate_params()  # scikit-learn's own parameter constraints, before any fit
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{key}.params: {exc}") from None
    return estimator


# --------------------------------------------------------------------------- feature blocks

# Tags whose presence among a block's ancestors says "navigation, chrome or a link list".
INSIDE_TAGS = ("nav", "header", "footer", "aside", "form", "li", "a", "menu", "main", "article",
               "section", "table", "button", "label", "figure", "figcaption", "blockquote",
               "p", "h1", "h2", "h3", "h4", "span", "strong", "em", "time", "address")


def _words(p: dict):
    return HashingVectorizer(ngram_range=(1, p["ngram_max"]), n_features=p["n_features"],
                             alternate_sign=False, binary=p["binary"])


def _chars(p: dict):
    return HashingVectorizer(analyzer="char_wb", ngram_range=(p["ngram_min"], p["ngram_max"]),
                             n_features=p["n_features"], alternate_sign=False)


def _windowed(transformer, columns: list[str], window: int):
    inner = ColumnTransformer([("own", transformer, columns)], sparse_threshold=0)
    return Pipeline([("neighbours", NeighbourFeatures(inner, window=window)),
                     ("scale", StandardScaler())])


def kind_tagged_words(frame: pd.DataFrame) -> list[str]:
    """Each lower-cased word of ``text`` prefixed by its row's page kind ("spoken_", "written_");
    each distinct text of a kind is tagged once, as boilerplate repeats within a batch."""
    texts = tuple(dict.fromkeys(frame["text"]))
    words = dict(zip(texts, lower_words(texts)))
    rows = list(zip(page_kinds(frame["page_type"]), frame["text"]))
    tagged = {(kind, text): f"{kind}_" + f" {kind}_".join(words[text]) if words[text] else ""
              for kind, text in dict.fromkeys(rows)}
    return list(map(tagged.__getitem__, rows))


def _words_by_kind(p: dict):
    # Daume's "frustratingly easy" domain adaptation: beside the shared word features, a copy
    # of each word per page kind lets the few written paragraphs learn their own word weights.
    return Pipeline([
        ("tag", FunctionTransformer(kind_tagged_words)),
        ("hash", HashingVectorizer(n_features=p["n_features"], token_pattern=r"\S+",
                                   lowercase=False, alternate_sign=False)),
    ])


def _structure(p: dict):
    markup = ColumnTransformer([
        ("numbers", "passthrough", ["link_density", "heading_level", "in_list", "in_table",
                                    "dom_depth"]),
        ("inside", CountVectorizer(vocabulary=INSIDE_TAGS, binary=True, token_pattern=r"[^>]+"),
         "path"),
    ], sparse_threshold=0)
    return Pipeline([("neighbours", NeighbourFeatures(markup, window=p["window"])),
                     ("scale", StandardScaler())])


def _markup_tokens(p: dict):
    return ColumnTransformer([
        ("path", HashingVectorizer(token_pattern=r"[^>]+", ngram_range=(1, 2),
                                   n_features=p["n_features"], alternate_sign=False), "path"),
        ("classes", HashingVectorizer(n_features=p["n_features"], alternate_sign=False),
         "class_tokens"),
        ("tag", OneHotEncoder(handle_unknown="ignore", min_frequency=p["min_tag_count"]),
         ["tag"]),
    ])


@dataclass(frozen=True)
class FeatureBlock:
    """A named group of features: the row columns it reads, its parameters and its builder.

    ``select`` is what the block's transformer is given: one column name (a 1-D column of
    text, as the vectorizers want) or a list of names (a DataFrame).
    """

    select: str | tuple[str, ...]
    schema: dict
    build: Callable[[dict], object]
    help: str

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.select,) if isinstance(self.select, str) else self.select

    @property
    def hashed(self) -> bool:
        """Hashed into ``n_features`` sparse columns: for the linear stage 1 only."""
        return "n_features" in self.schema


_ARTICLE = ("article_id", "index")
# Each neighbour offset copies a block's columns (stage 1) or adds score columns (stage 2):
# windows beyond this cost memory for context no page layout carries.
MAX_WINDOW = 20


def window_option(default: int, help: str = "") -> Option:
    return Option(int, default, low=0, high=MAX_WINDOW, help=help)


def _n_features(default: int) -> Option:
    return Option(int, default, low=1, high=2**31 - 1, help="hashed columns")

FEATURE_BLOCKS: dict[str, FeatureBlock] = {
    "words": FeatureBlock("text", {
        "ngram_max": Option(int, 2, low=1), "n_features": _n_features(2**18),
        "binary": Option(bool, False)}, _words, "hashed word n-grams of the text"),
    "chars": FeatureBlock("text", {
        "ngram_min": Option(int, 3, low=1), "ngram_max": Option(int, 5, low=1),
        "n_features": _n_features(2**18)}, _chars, "hashed character n-grams inside words"),
    "stats": FeatureBlock(_ARTICLE + ("text",), {"window": window_option(2)},
                          lambda p: _windowed(TextStatistics(), ["text"], p["window"]),
                          "length, punctuation, digits, case, stopword density, sentence end; "
                          "also for neighbours within ±window"),
    "claim_cues": FeatureBlock(_ARTICLE + ("text",), {"window": window_option(1)},
                               lambda p: _windowed(ClaimCues(), ["text"], p["window"]),
                               "numbers, quantities, dates, attribution, names, quotes, "
                               "opinion; also for neighbours within ±window"),
    "position": FeatureBlock(_ARTICLE + ("text",), {},
                             lambda p: Pipeline([("position", ArticlePosition()),
                                                 ("scale", StandardScaler())]),
                             "position in the article and text repeated within it"),
    "repeats": FeatureBlock(_ARTICLE + ("text",), {},
                            lambda p: Pipeline([("repeats", PageRepeats()),
                                                ("scale", StandardScaler())]),
                            "repeated patterns within the page: masked text, headlines "
                            "repeated nearby, runs of short lines with the same first word"),
    "words_by_kind": FeatureBlock(("page_type", "text"), {"n_features": _n_features(2**18)},
                                  _words_by_kind, "hashed words, one copy per page kind "
                                  "(spoken transcript or written page)"),
    "page_kind": FeatureBlock(("page_type",), {},
                              lambda p: OneHotEncoder(categories=[["transcript"]],
                                                      handle_unknown="ignore"),
                              "spoken transcript or written page"),
    "structure": FeatureBlock(_ARTICLE + ("link_density", "heading_level", "in_list", "in_table",
                                          "dom_depth", "path"),
                              {"window": window_option(1)}, _structure,
                              "link density, heading, list/table, depth, inside nav/header/"
                              "footer/aside/form/li/a...; also for neighbours within ±window"),
    "slots": FeatureBlock(("article_id", "path", "text"), {},
                          lambda p: Pipeline([("slots", PathTextShare()),
                                              ("scale", StandardScaler())]),
                          "share of the page's text in the block's tag path and containers"),
    "markup_tokens": FeatureBlock(("path", "class_tokens", "tag"),
                                  {"n_features": _n_features(2**16),
                                   "min_tag_count": Option(int, 20, low=1)},
                                  _markup_tokens, "hashed tag-path and class/id tokens, tag"),
}


def block_schema() -> dict:
    """The ``[features]`` part of the training config schema."""
    return {"blocks": Option(list, help="stage-1 feature blocks, in order"),
            **{name: block.schema for name, block in FEATURE_BLOCKS.items()}}


def check_blocks(blocks: list, input_mode: str, key: str, where: str,
                 context: bool = False) -> None:
    """Unknown blocks, blocks reading HTML structure in text mode and, for stage 2 (``context``,
    which may have none), hashed blocks are config errors."""
    if not blocks and not context:
        raise ConfigError(f"{where}: {key}: choose at least one of {', '.join(FEATURE_BLOCKS)}")
    for name in blocks:
        if name not in FEATURE_BLOCKS:
            raise ConfigError(f"{where}: {key}: unknown block {name!r} "
                              f"(known: {', '.join(FEATURE_BLOCKS)})")
        if context and FEATURE_BLOCKS[name].hashed:
            dense = [n for n, block in FEATURE_BLOCKS.items() if not block.hashed]
            raise ConfigError(f"{where}: {key}: {name!r} is hashed into thousands of sparse "
                              f"columns, which stage 2 would hold dense; it takes only "
                              f"{', '.join(dense)}")
        structural = sorted(STRUCTURE_COLUMNS.intersection(FEATURE_BLOCKS[name].columns))
        if input_mode == "text" and structural:
            raise ConfigError(f"{where}: {key}: {name!r} reads HTML structure "
                              f"({', '.join(structural)}), which plain text does not have; "
                              f"input = \"text\" allows only text, position and neighbours")
    if len(set(blocks)) != len(blocks):
        raise ConfigError(f"{where}: {key}: a block is listed twice: {blocks}")


def build_features(blocks: list[str], params: dict) -> ColumnTransformer:
    """One ColumnTransformer over canonical rows with the named blocks side by side;
    ``params`` is the config's ``[features]`` table (each block's parameters)."""
    parts = []
    for name in blocks:
        block = FEATURE_BLOCKS[name]
        select = block.select if isinstance(block.select, str) else list(block.select)
        parts.append((name, block.build(params[name]), select))
    return ColumnTransformer(parts)


# --------------------------------------------------------------------------- the model

def group_folds(groups, folds: int, seed: int | None) -> GroupKFold:
    """Group k-fold (no site or document in two folds), fewer folds when there are few groups."""
    n_groups = len(pd.unique(np.asarray(groups)))
    if n_groups < 2:
        raise ValueError(f"group folds need at least 2 groups (sites/documents), got {n_groups}")
    return GroupKFold(n_splits=min(folds, n_groups), shuffle=True, random_state=seed)


def _logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _scores(classifier, X) -> np.ndarray:
    """Stage-1 scores on a log-odds-like scale."""
    if hasattr(classifier, "decision_function"):
        return np.asarray(classifier.decision_function(X), dtype=np.float64)
    return _logit(classifier.predict_proba(X)[:, 1])


def _fit_params(estimator, sample_weight) -> dict:
    if sample_weight is None:
        return {}
    if not has_fit_parameter(estimator, "sample_weight"):
        raise ValueError(f"{type(estimator).__name__} cannot take sample weights; "
                         f"use another estimator or drop the source weights")
    return {"sample_weight": sample_weight}


class ContextStackingClassifier(ClassifierMixin, BaseEstimator):
    """Two-stage paragraph classifier over canonical rows (a DataFrame of whole articles).

    Stage 1: ``classifier`` on ``features``. Stage 2: ``final_estimator`` on the stage-1
    score of each paragraph, of its neighbours at ±1..±``window``, their running means, its
    article's score statistics and, with ``spans``, where the article's scores lie before and
    after it beyond the window. Stage 2 trains on out-of-fold stage-1 scores from
    ``folds`` group folds over ``group``, so it sees scores as bad as on unseen sites.

    ``y`` may hold -1 for rows given only as context (scikit-learn's semi-supervised
    convention): they get features and scores, so their neighbours see them, but they are
    not learned from.

    With ``out_of_fold``, ``fit`` also sets ``oof_proba_``: the training rows'
    positive-class probabilities from stages 1 and 2 both fitted without their group (as on
    unseen sites or documents). Training uses them to choose thresholds and drops them
    before saving; they cost ``folds`` more stage-2 fits and their inputs' memory.
    """

    def __init__(self, features, classifier, window=2, folds=5, final_estimator=None,
                 context_features=None, spans=False, article="article_id", order="index",
                 group="group", out_of_fold=False, random_state=None):
        self.features = features
        self.classifier = classifier
        self.window = window
        self.folds = folds
        self.final_estimator = final_estimator
        self.context_features = context_features
        self.spans = spans
        self.article = article
        self.order = order
        self.group = group
        self.out_of_fold = out_of_fold
        self.random_state = random_state

    def __setstate__(self, state):
        # Bundles trained before ``out_of_fold`` or ``spans`` existed load as trained without.
        super().__setstate__({"out_of_fold": False, "spans": False, **state})

    def fit(self, X, y, sample_weight=None):
        with shared_work():  # stage 1 and stage 2 may describe the same texts
            return self._fit(X, y, sample_weight)

    def _fit(self, X, y, sample_weight):
        y = np.asarray(y)
        labelled = y != UNLABELLED
        self.classes_ = np.unique(y[labelled])
        if not np.array_equal(self.classes_, [0, 1]):
            raise ValueError(f"need labels 0 and 1 (and -1 for context rows), got "
                             f"{np.unique(y).tolist()}")
        weights = None if sample_weight is None else np.asarray(sample_weight)[labelled]
        self.features_ = clone(self.features)
        matrix = self.features_.fit_transform(X)
        train, y_train = matrix[labelled], y[labelled]
        groups = np.asarray(X[self.group])[labelled]
        params = _fit_params(self.classifier, weights)
        folds = group_folds(groups, self.folds, self.random_state)
        oof = cross_val_predict(
            clone(self.classifier), train, y_train, groups=groups, params=params, cv=folds,
            method="decision_function" if hasattr(self.classifier, "decision_function")
            else "predict_proba")
        if oof.ndim == 2:
            oof = _logit(oof[:, 1])
        self.classifier_ = clone(self.classifier).fit(train, y_train, **params)
        scores = np.empty(len(y))
        scores[labelled] = oof
        if not labelled.all():
            scores[~labelled] = _scores(self.classifier_, matrix[~labelled])
        del matrix, train  # stage 1's features: hundreds of MB that stage 2 no longer needs
        final = clone(self.final_estimator) if self.final_estimator is not None \
            else LogisticRegression()
        self.context_features_ = None if self.context_features is None \
            else clone(self.context_features).fit(X)
        context = self._context(X, scores)[labelled]
        self.context_scale_ = StandardScaler().fit(context)
        context = self.context_scale_.transform(context)
        final_params = _fit_params(final, weights)
        self.final_estimator_ = final.fit(context, y_train, **final_params)
        if self.out_of_fold:
            # NaN for context rows. Stage 2 is cross-validated over the same folds too: a
            # flexible one (gradient boosting) fits its own training rows far better than new ones.
            self.oof_proba_ = np.full(len(y), np.nan)
            self.oof_proba_[labelled] = cross_val_predict(
                clone(final), context, y_train, groups=groups, params=final_params,
                cv=folds, method="predict_proba")[:, 1]
        return self

    def _context(self, X, scores: np.ndarray) -> np.ndarray:
        """Stage-2 inputs: own score, neighbours' scores, window means, article statistics,
        and the context features when configured."""
        articles = np.asarray(X[self.article])
        offsets = [d for d in range(-self.window, self.window + 1) if d]
        rows = neighbour_rows(articles, np.asarray(X[self.order]), offsets)
        padded = np.append(scores, 0.0)
        around = padded[rows]  # -1 picks the padding 0
        present = (rows >= 0).astype(np.float64)
        columns = [scores, *around.T, *present.T]
        for d in range(1, self.window + 1):
            near = np.abs(np.asarray(offsets)) <= d
            total = scores + around[:, near].sum(axis=1)
            columns.append(total / (1 + present[:, near].sum(axis=1)))
        frame = pd.DataFrame({"article": pd.factorize(pd.Series(articles))[0], "score": scores})
        by_article = frame.groupby("article")["score"]
        mean = by_article.transform("mean").to_numpy()
        columns += [mean, scores - mean, by_article.transform("max").to_numpy(),
                    by_article.rank(pct=True).to_numpy()]
        if self.spans:
            columns += _span_columns(articles, np.asarray(X[self.order]), scores, self.window)
        context = np.column_stack(columns)
        if self.context_features_ is None:
            return context
        extra = self.context_features_.transform(X)
        # Side by side as a whole: column by column, copying hundreds of them took long.
        return np.hstack([context, extra.toarray() if hasattr(extra, "toarray") else extra])

    def _final_inputs(self, X) -> np.ndarray:
        check_is_fitted(self)
        with shared_work():
            scores = _scores(self.classifier_, self.features_.transform(X))
            return self.context_scale_.transform(self._context(X, scores))

    def predict_proba(self, X) -> np.ndarray:
        return self.final_estimator_.predict_proba(self._final_inputs(X))

    def predict(self, X) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


def _span_columns(articles, order, scores: np.ndarray, window: int) -> list[np.ndarray]:
    """Where the article's content lies around each paragraph, beyond its neighbours: the
    stage-1 probability summed over the paragraphs before and after it (as shares of the
    article's sum and as log1p amounts), and the best score before and after the window
    (-30 when there is none). A page's tail (corrections, follow-us prompts, a publisher's
    blurb) may read like content, but no content follows it; a listing's items sit in a
    run of their own. Computed article by article, so a page's values never depend on the
    batch it came in."""
    codes = pd.factorize(pd.Series(articles))[0]
    by_position = np.lexsort((order, codes))
    code = codes[by_position]
    score = np.clip(scores[by_position], -30.0, 30.0)
    probability = 1.0 / (1.0 + np.exp(-score))

    def accumulated(values: np.ndarray, how: str, reverse: bool = False) -> np.ndarray:
        """Running sum or maximum within each article (from its end when ``reverse``)."""
        step = -1 if reverse else 1
        grouped = pd.Series(values[::step]).groupby(code[::step])
        return getattr(grouped, how)().to_numpy()[::step]

    before = accumulated(probability, "cumsum") - probability
    after = accumulated(probability, "cumsum", reverse=True) - probability
    total = before + probability + after
    running, ahead = accumulated(score, "cummax"), accumulated(score, "cummax", reverse=True)
    at, n = np.arange(len(code)), len(code)
    back, front = np.maximum(at - window - 1, 0), np.minimum(at + window + 1, n - 1)
    best_before = np.where((at - window - 1 >= 0) & (code[back] == code), running[back], -30.0)
    best_after = np.where((at + window + 1 < n) & (code[front] == code), ahead[front], -30.0)
    result = []
    for column in (before / total, after / total, np.log1p(before), np.log1p(after),
                   best_before, best_after):
        unsorted = np.empty(n)
        unsorted[by_position] = column
        result.append(unsorted)
    return result


class HeldOutCalibration(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose positive-class probability is remapped by a calibrator fitted
    on held-out rows (sigmoid: Platt scaling of the log-odds; isotonic: monotone steps).

    Like ``CalibratedClassifierCV(FrozenEstimator(estimator))``, but ``fit`` takes whole
    articles with -1 labels for context rows, which the estimator needs for neighbours.
    """

    def __init__(self, estimator, method="sigmoid"):
        self.estimator = estimator
        self.method = method

    def fit(self, X, y):
        y = np.asarray(y)
        labelled = y != UNLABELLED
        return self.fit_scores(self.estimator.predict_proba(X)[:, 1][labelled], y[labelled])

    def fit_scores(self, raw, y):
        """Fit the calibrator to the estimator's positive-class probabilities ``raw`` of held-out
        rows labelled ``y`` (0/1): scores computed elsewhere, such as out-of-fold ones."""
        raw, y = np.asarray(raw, dtype=np.float64), np.asarray(y)
        if self.method == "isotonic":
            self.calibrator_ = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip")
            self.calibrator_.fit(raw, y)
        elif self.method == "sigmoid":
            self.calibrator_ = LogisticRegression(C=1e6).fit(_logit(raw)[:, None], y)
        else:
            raise ValueError(f"unknown calibration method {self.method!r}: sigmoid or isotonic")
        self.classes_ = self.estimator.classes_
        return self

    def calibrate(self, raw) -> np.ndarray:
        """Calibrated probabilities for the estimator's positive-class probabilities ``raw``;
        NaN (a row not scored, such as a context row out of fold) stays NaN."""
        check_is_fitted(self)
        raw = np.asarray(raw, dtype=np.float64)
        missing = np.isnan(raw)
        if missing.any():
            calibrated = np.full(len(raw), np.nan)
            calibrated[~missing] = self.calibrate(raw[~missing])
            return calibrated
        if self.method == "isotonic":
            return self.calibrator_.predict(raw)
        return self.calibrator_.predict_proba(_logit(raw)[:, None])[:, 1]

    def predict_proba(self, X) -> np.ndarray:
        positive = self.calibrate(self.estimator.predict_proba(X)[:, 1])
        return np.column_stack([1 - positive, positive])

    def predict(self, X) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


def build_model(config: dict) -> ContextStackingClassifier:
    """The unfitted two-stage model a validated training config describes."""
    seed, features, context = config["seed"], config["features"], config["context"]
    stage1, stage2 = config["estimator"], context["estimator"]
    classifier = make_estimator(stage1["name"], stage1["params"], key="estimator", seed=seed)
    final = make_estimator(stage2["name"], stage2["params"], key="context.estimator", seed=seed)
    return ContextStackingClassifier(
        build_features(features["blocks"], features), classifier, window=context["window"],
        folds=context["folds"], final_estimator=final,
        context_features=build_features(context["blocks"], features) if context["blocks"]
        else None, spans=context["spans"], random_state=seed)
