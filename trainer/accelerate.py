"""Faster stand-ins for scikit-learn classes inside a loaded model, with the same output.

:func:`accelerate` switches every instance of a class in ``_FASTER`` to its stand-in, a
subclass that only overrides how the work is done: the pickled model does not change, and
prediction gives the same numbers, bit for bit. The vectorizers are in :mod:`trainer.hashing`;
:class:`FastTrees`, :class:`FastKindWords` and :class:`FastColumns` are here.
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._set_output import _get_output_config

from .features import lower_words
from .hashing import FastCounting, FastHashing, _ids, _utf8
from .pipelines import kind_tagged_words
from .rows import page_kinds

__all__ = ["FastColumns", "FastKindWords", "FastTrees", "accelerate"]


class FastTrees(HistGradientBoostingClassifier):
    """``HistGradientBoostingClassifier`` that walks its trees over column-major inputs.

    Each tree visits every row and reads a few of its features; with rows stored one after
    another, a batch of thousands of paragraphs no longer fits the CPU cache and every tree
    reads it from memory again (prediction took 4-6 times longer on the largest batches).
    Column-major, the rows at a node read one feature side by side. A row's path through a
    tree does not depend on the layout, so the predictions are the same.
    """

    def _predict_iterations(self, X, predictors, raw_predictions, is_binned, n_threads):
        super()._predict_iterations(np.asfortranarray(X), predictors, raw_predictions,
                                    is_binned, n_threads)


class FastKindWords(Pipeline):
    """``Pipeline`` that hashes kind-tagged words (the ``words_by_kind`` block:
    :func:`trainer.pipelines.kind_tagged_words`, then hashing the space-separated tokens)
    without making the tagged strings: each distinct word of the batch is hashed once per page
    kind, and each distinct (kind, text) row gets its words' columns, which is the matrix the
    hashing of its tagged string gives. Joining, splitting and hashing every tagged word took
    most of the block's time. Only pipelines it :meth:`covers` are switched to it."""

    @staticmethod
    def covers(pipeline: Pipeline) -> bool:
        """Whether ``pipeline`` is the ``words_by_kind`` block in a form this class covers."""
        if len(pipeline.steps) != 2:
            return False
        (_, tag), (_, hashing) = pipeline.steps
        return (type(tag) is FunctionTransformer and tag.func is kind_tagged_words
                and tag.kw_args is None and not tag.validate
                and isinstance(hashing, HashingVectorizer) and FastHashing._supported(hashing)
                and hashing.analyzer == "word" and hashing.token_pattern == r"\S+"
                and not hashing.lowercase and hashing.ngram_range == (1, 1))

    def transform(self, X, **params):
        if params:
            return super().transform(X, **params)
        hashing = self.steps[1][1]
        kinds = page_kinds(X["page_type"])
        texts = tuple(dict.fromkeys(X["text"]))
        text_ids = dict(zip(texts, range(len(texts))))
        pairs = _ids()  # distinct (kind, text) rows, numbered in order
        rows = np.fromiter(map(pairs.__getitem__, zip(kinds, map(text_ids.__getitem__,
                                                                  X["text"]))),
                           dtype=np.intp, count=len(X))
        words = lower_words(texts)
        word_ids = _ids()
        flat = np.fromiter(map(word_ids.__getitem__, itertools.chain.from_iterable(words)),
                           dtype=np.intp)
        n_words = np.fromiter(map(len, words), dtype=np.intp, count=len(words))
        kind_names = tuple(dict.fromkeys(kinds))
        # The column of each kind's tagged form of each distinct word, kind after kind.
        tagged = [f"{kind}_{word}" for kind in kind_names for word in word_ids]
        sizes = np.fromiter(map(len, tagged), dtype=np.intp, count=len(tagged))
        data, byte_at = _utf8("".join(tagged))
        ends = np.cumsum(sizes)
        columns = hashing._columns(data, byte_at[ends - sizes], byte_at[ends])
        pair_kind = np.fromiter(map(kind_names.index, (kind for kind, _ in pairs)),
                                dtype=np.intp, count=len(pairs))
        pair_text = np.fromiter((text for _, text in pairs), dtype=np.intp, count=len(pairs))
        lengths = n_words[pair_text]
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        word_starts = np.cumsum(n_words) - n_words
        tokens = flat[np.repeat(word_starts[pair_text] - indptr[:-1], lengths)
                      + np.arange(indptr[-1])]
        counts = sp.csr_matrix(
            (np.ones(indptr[-1], dtype=hashing.dtype),
             columns[np.repeat(pair_kind, lengths) * len(word_ids) + tokens], indptr),
            shape=(len(pairs), hashing.n_features))
        counts.sum_duplicates()
        return hashing._finished(counts, rows)


class FastColumns(ColumnTransformer):
    """``ColumnTransformer`` that runs its parts without scikit-learn's per-call machinery.

    A plain one (default output, no weights, columns by name, given a DataFrame that has
    them) runs here part by part, skipping the input validation, column indexing and joblib
    dispatch that made up much of a small batch's time. Sparse output is stacked as
    scikit-learn stacks it. Dense parts are stacked as float64 when every part holds only
    numbers and flags: scikit-learn's ``np.hstack`` of numbers and flags in a DataFrame beside
    counts (the structure block) makes an array of Python objects, slow to make and to turn
    into numbers (a third of that block's time); the numbers are the same. Anything else goes
    through scikit-learn's ``transform``, with its checks, output and errors.
    """

    def transform(self, X, **params):
        if params or not self._plain(X):
            return super().transform(X, **params)
        parts = [transformer.transform(X[columns])
                 for _, transformer, columns in self.transformers_
                 if not _drops(transformer)]
        if parts and self.sparse_output_:
            return self._hstack(parts, n_samples=len(X))
        parts = [part.toarray() if sp.issparse(part) else part for part in parts]
        if not parts or not all(map(_numbers_and_flags, parts)):
            # Rare (no shipped model has such parts): their own stacking is scikit-learn's.
            return super().transform(X)
        return np.hstack([np.asarray(part, dtype=np.float64) for part in parts])

    def _plain(self, X) -> bool:
        """Whether this fitted transformer has default output and no weights, and its parts
        read columns of ``X`` by name, ``X`` being a DataFrame that has them."""
        return (hasattr(X, "columns") and hasattr(self, "transformers_")
                and not self.transformer_weights
                and _get_output_config("transform", self)["dense"] == "default"
                and all(_drops(transformer) or _named_columns(columns, X)
                        for _, transformer, columns in self.transformers_))


def _drops(transformer) -> bool:
    return isinstance(transformer, str) and transformer == "drop"


def _named_columns(columns, X) -> bool:
    """Whether ``columns`` names one or more columns, all of them in ``X``."""
    names = [columns] if isinstance(columns, str) else columns
    return isinstance(names, list) and len(names) > 0 \
        and all(isinstance(name, str) and name in X.columns for name in names)


def _numbers_and_flags(part) -> bool:
    """Whether ``part`` is 2-D and holds only NumPy numbers and booleans."""
    dtypes = part.dtypes if hasattr(part, "dtypes") else [part.dtype]
    return part.ndim == 2 and all(isinstance(dtype, np.dtype) and dtype.kind in "biuf"
                                  for dtype in dtypes)


_FASTER = {HashingVectorizer: FastHashing, CountVectorizer: FastCounting,
           HistGradientBoostingClassifier: FastTrees, Pipeline: FastKindWords,
           ColumnTransformer: FastColumns}
# Stand-ins for a general class that cover only some of its instances.
_SWITCHED_IF = {FastKindWords: FastKindWords.covers}


def _always(obj) -> bool:
    return True


def accelerate(model) -> None:
    """Switch every instance of a class in ``_FASTER`` inside ``model`` (fitted parts
    included) to its faster stand-in, in place."""
    seen: set[int] = set()

    def visit(obj) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        faster = _FASTER.get(type(obj))
        if faster is not None and _SWITCHED_IF.get(faster, _always)(obj):
            obj.__class__ = faster
        if isinstance(obj, BaseEstimator):
            children = vars(obj).values()
        elif isinstance(obj, (list, tuple)):
            children = obj
        elif isinstance(obj, dict):
            children = obj.values()
        else:
            return
        for child in children:
            visit(child)

    visit(model)
