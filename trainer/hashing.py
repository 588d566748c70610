"""A faster ``HashingVectorizer.transform`` with exactly scikit-learn's output, for prediction.

scikit-learn makes every n-gram of every document in Python loops and hands each one to the
hasher wrapped in an ``(ngram, 1)`` pair: on paragraph text that was a third of prediction's
time. Here word n-grams are made with C-level ``map``/``zip`` and passed to the same hashing
routine directly, and a document's ``char_wb`` n-grams, which are those of its words, are made
and hashed once per distinct word of the batch: its counts are its word counts times its
words' n-gram counts. Counts are whole numbers and every matrix is put in canonical form
(sorted indices, no duplicates) before normalising, so the result is the same matrix, bit for
bit. Within :func:`trainer.memo.shared_work` a result is computed once, as the content and
claim models hash the same paragraphs with the same word n-grams.

:class:`FastCounting` does the same for ``CountVectorizer``: tag paths repeat on every page, so
it counts each distinct document once.

:func:`trainer.accelerate.accelerate` switches the vectorizers inside a loaded model to these
classes; the pickled model does not change, and a configuration this module does not cover
falls back to scikit-learn's own code.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction._hashing_fast import transform as _hashing_transform
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils._sparse import _align_api_if_sparse

from .memo import remembered

__all__ = ["FastCounting", "FastHashing"]


def _ids() -> defaultdict:
    """A mapping that numbers keys in order of first sight (0, 1, 2 ...), in C."""
    return defaultdict(itertools.count().__next__)


@lru_cache(maxsize=16)
def _char_wb_slices(min_n: int, max_n: int):
    """For a padded word of each length, the slices that cut its ``char_wb`` n-grams, as
    scikit-learn's ``_char_wb_ngrams`` does: a word shorter than ``n`` gives itself once."""
    @lru_cache(maxsize=256)
    def slices(length: int) -> tuple[slice, ...]:
        found = []
        for n in range(min_n, max_n + 1):
            found += [slice(i, i + n) for i in range(max(length - n, 0) + 1)]
            if length <= n:
                break
        return tuple(found)
    return slices


class FastHashing(HashingVectorizer):
    """``HashingVectorizer`` with a faster ``transform`` of the same output (see the module)."""

    def _supported(self) -> bool:
        return (self.analyzer in ("word", "char_wb") and self.input == "content"
                and self.strip_accents is None and self.preprocessor is None
                and self.tokenizer is None and self.stop_words is None
                and not self.alternate_sign)

    def transform(self, X):
        if isinstance(X, str) or not self._supported():
            return super().transform(X)
        self._validate_ngram_range()
        docs = tuple(X)
        if set(map(type, docs)) != {str}:  # decode returns a str (the usual case) as it is
            docs = tuple(map(self.decode, docs))
        if not docs:
            return super().transform(docs)  # fails as scikit-learn does
        params = tuple(sorted(self.get_params().items()))
        return remembered(("hashing", params, docs), lambda: self._matrix(docs)).copy()

    def _matrix(self, docs: tuple[str, ...]):
        """The matrix of ``docs``, each distinct document hashed once (tag paths and class
        tokens repeat on every page)."""
        ids = _ids()
        rows = np.fromiter(map(ids.__getitem__, docs), dtype=np.intp, count=len(docs))
        if self.analyzer == "word":
            X = self._hashed(self._word_ngrams_of(ids))
        else:
            X = self._char_wb_counts(list(ids))
        if self.binary:
            X.data.fill(1)
        if self.norm is not None:
            X = normalize(X, norm=self.norm, copy=False)
        if len(ids) < len(docs):
            X = X[rows]
        return _align_api_if_sparse(X)

    def _hashed(self, grams_per_doc) -> sp.csr_matrix:
        """Count matrix of the n-grams, as FeatureHasher makes it but without wrapping every
        n-gram in a ``(ngram, 1)`` pair in Python."""
        indices, indptr, values = _hashing_transform(
            (zip(grams, itertools.repeat(1)) for grams in grams_per_doc), self.n_features,
            self.dtype, False, seed=0)
        X = sp.csr_matrix((values, indices, indptr), dtype=self.dtype,
                          shape=(len(indptr) - 1, self.n_features))
        X.sum_duplicates()
        return X

    def _word_ngrams_of(self, docs):
        """Each document's word n-grams, as a multiset (in another order than scikit-learn's:
        counting makes that no difference)."""
        preprocess, tokenize = self.build_preprocessor(), self.build_tokenizer()
        min_n, max_n = self.ngram_range
        for doc in docs:
            tokens = tokenize(preprocess(doc))
            grams = list(tokens) if min_n == 1 else []
            for n in range(max(min_n, 2), min(max_n, len(tokens)) + 1):
                grams += map(" ".join, zip(*(tokens[i:] for i in range(n))))
            yield grams

    def _char_wb_counts(self, docs: list[str]) -> sp.csr_matrix:
        """Counts of each distinct word per document times the counts of each word's hashed
        n-grams."""
        ids, flat, indptr = _ids(), [], [0]
        for doc in docs:
            # scikit-learn also collapses whitespace runs first: split() makes no difference
            flat += map(ids.__getitem__, (doc.lower() if self.lowercase else doc).split())
            indptr.append(len(flat))
        words = sp.csr_matrix((np.ones(len(flat), dtype=self.dtype), np.asarray(flat, np.intp),
                               np.asarray(indptr)), shape=(len(docs), len(ids)))
        words.sum_duplicates()
        slices = _char_wb_slices(*self.ngram_range)
        per_word = self._hashed(map(" {} ".format(w).__getitem__, slices(len(w) + 2))
                                for w in ids)
        X = sp.csr_matrix(words @ per_word)
        X.sum_duplicates()
        return X


class FastCounting(CountVectorizer):
    """``CountVectorizer`` whose ``transform`` counts each distinct document once: a row
    depends on its document alone, so repeated documents get copies of the same row."""

    def transform(self, raw_documents):
        if isinstance(raw_documents, str):
            return super().transform(raw_documents)  # fails as scikit-learn does
        ids = _ids()
        rows = np.fromiter(map(ids.__getitem__, raw_documents), dtype=np.intp)
        X = super().transform(list(ids))
        return X[rows] if len(ids) < len(rows) else X
