"""FastHashing must give scikit-learn's HashingVectorizer output bit for bit."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer

from trainer.hashing import FastCounting, FastHashing
from trainer.memo import shared_work

DOCS = ["The cat sat on the mat.", "", "  ", "the the the",
        "Ünïcödé  words\u00a0and\x1c\x1cbreaks", "nav>ul>li>a", "a", "The cat sat on the mat.",
        "x y z w v u", "İstanbul ß ǅ"]


@pytest.mark.parametrize("params", [
    {},
    {"ngram_range": (1, 2)},
    {"ngram_range": (2, 3), "binary": True, "norm": None},
    {"token_pattern": r"[^>]+", "ngram_range": (1, 2)},
    {"analyzer": "char_wb", "ngram_range": (2, 4)},
    {"analyzer": "char_wb", "ngram_range": (1, 5), "lowercase": False, "norm": "l1"},
    {"analyzer": "char", "ngram_range": (2, 3)},  # not covered: scikit-learn's own code
    {"alternate_sign": True},  # not covered either
])
def test_same_matrix_as_scikit_learn(params):
    params = {"n_features": 2**10, "alternate_sign": False, **params}
    expected = HashingVectorizer(**params).transform(DOCS)
    with shared_work():
        results = [FastHashing(**params).transform(DOCS) for _ in range(2)]  # then remembered
    for got in results + [FastHashing(**params).transform(DOCS)]:
        assert type(got) is type(expected) and got.dtype == expected.dtype
        assert got.has_canonical_format and expected.has_canonical_format
        for attribute in ("indptr", "indices", "data"):
            assert np.array_equal(getattr(got, attribute), getattr(expected, attribute))


@pytest.mark.parametrize("params", [
    {"vocabulary": ("nav", "li", "a", "p"), "binary": True, "token_pattern": r"[^>]+"},
    {"ngram_range": (1, 2)},
])
def test_fast_counting_gives_the_same_matrix_as_scikit_learn(params):
    expected_model = CountVectorizer(**params).fit(DOCS)
    fast_model = CountVectorizer(**params).fit(DOCS)
    fast_model.__class__ = FastCounting
    for docs in (DOCS, DOCS[:1], DOCS * 3):
        expected, got = expected_model.transform(docs), fast_model.transform(docs)
        assert type(got) is type(expected) and got.dtype == expected.dtype
        assert (got != expected).nnz == 0 and got.shape == expected.shape
        assert got.has_sorted_indices


def test_a_remembered_matrix_cannot_be_changed_through_a_result():
    vectorizer = FastHashing(n_features=2**10, alternate_sign=False)
    with shared_work():
        vectorizer.transform(DOCS).data[:] = 0
        assert vectorizer.transform(DOCS).data.min() > 0


def test_empty_input_fails_like_scikit_learn():
    with pytest.raises(Exception) as expected:
        HashingVectorizer().transform([])
    with pytest.raises(expected.type):
        FastHashing().transform([])
