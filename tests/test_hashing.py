"""FastHashing must give scikit-learn's HashingVectorizer output bit for bit."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer
from sklearn.utils import murmurhash3_32

from trainer.hashing import FastCounting, FastHashing, _murmurhash3, _utf8
from trainer.memo import shared_work

DOCS = ["The cat sat on the mat.", "", "  ", "the the the",
        "Ünïcödé  words\u00a0and\x1c\x1cbreaks", "nav>ul>li>a", "a", "The cat sat on the mat.",
        "x y z w v u", "İstanbul ß ǅ", "ΣΑΣ 日本語 😀x€ " + "a" * 50]


@pytest.mark.parametrize("params", [
    {},
    {"ngram_range": (1, 2)},
    {"ngram_range": (2, 3), "binary": True, "norm": None},
    {"token_pattern": r"[^>]+", "ngram_range": (1, 2)},
    {"token_pattern": r"\S+", "lowercase": False},
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
    {"vocabulary": {"the": 2, "cat": 0, "words": 1}, "lowercase": False},
    {"analyzer": "char", "ngram_range": (1, 2), "dtype": np.float32},
])
def test_fast_counting_gives_the_same_matrix_as_scikit_learn(params):
    expected_model = CountVectorizer(**params).fit(DOCS)
    fast_model = CountVectorizer(**params).fit(DOCS)
    fast_model.__class__ = FastCounting
    for docs in (DOCS, DOCS[:1], DOCS * 3, []):
        expected, got = expected_model.transform(docs), fast_model.transform(docs)
        assert type(got) is type(expected) and got.dtype == expected.dtype
        assert got.shape == expected.shape and got.has_sorted_indices
        for attribute in ("indptr", "indices", "data"):
            assert np.array_equal(getattr(got, attribute), getattr(expected, attribute))
            assert getattr(got, attribute).dtype == getattr(expected, attribute).dtype


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


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
                | st.text(min_size=200, max_size=400), max_size=20))
def test_murmurhash3_of_byte_ranges_is_scikit_learns(strings):
    text = "".join(strings)
    data, byte_at = _utf8(text)
    sizes = np.array([len(s) for s in strings], dtype=np.intp)
    ends = np.cumsum(sizes)
    got = _murmurhash3(data, byte_at[ends - sizes], byte_at[ends] - byte_at[ends - sizes])
    assert got.dtype == np.int32
    assert got.tolist() == [murmurhash3_32(s.encode("utf-8"), seed=0) for s in strings]


@pytest.mark.parametrize("ngram_range", [(2, 4), (3, 5), (1, 1), (5, 6)])
@settings(max_examples=100, deadline=None)
@given(docs=st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=25)
                     | st.sampled_from(DOCS), min_size=1, max_size=12))
def test_char_wb_matrix_is_scikit_learns_on_any_text(ngram_range, docs):
    params = {"analyzer": "char_wb", "ngram_range": ngram_range, "n_features": 2**8,
              "alternate_sign": False}
    _assert_same(FastHashing(**params).transform(docs), HashingVectorizer(**params).transform(docs))


@pytest.mark.parametrize("params", [{"ngram_range": (1, 2)}, {"ngram_range": (2, 3)},
                                    {"token_pattern": r"[^>]+", "ngram_range": (1, 2)}])
@settings(max_examples=100, deadline=None)
@given(docs=st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
                     | st.sampled_from(DOCS) | st.just("word " + "long" * 100 + " end"),
                     min_size=1, max_size=12))
def test_word_ngrams_are_scikit_learns_on_any_text(params, docs):
    params = {"n_features": 2**8, "alternate_sign": False, **params}
    _assert_same(FastHashing(**params).transform(docs), HashingVectorizer(**params).transform(docs))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=25),
                min_size=1, max_size=12))
def test_space_separated_tokens_are_scikit_learns(docs):
    params = {"token_pattern": r"\S+", "lowercase": False, "n_features": 2**8,
              "alternate_sign": False}
    _assert_same(FastHashing(**params).transform(docs), HashingVectorizer(**params).transform(docs))


def test_a_lone_surrogate_fails_like_scikit_learn():
    params = {"analyzer": "char_wb", "alternate_sign": False}
    with pytest.raises(UnicodeEncodeError):
        HashingVectorizer(**params).transform(["a \ud800b"])
    with pytest.raises(UnicodeEncodeError):
        FastHashing(**params).transform(["a \ud800b"])


def _assert_same(got, expected):
    assert type(got) is type(expected) and got.dtype == expected.dtype
    for attribute in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(got, attribute), getattr(expected, attribute))
        assert getattr(got, attribute).dtype == getattr(expected, attribute).dtype
