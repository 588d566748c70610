"""The faster stand-ins must give scikit-learn's output bit for bit."""

import copy
import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from trainer.accelerate import FastColumns, FastKindWords, FastTrees, accelerate
from trainer.hashing import FastCounting, FastHashing


def test_accelerate_switches_fitted_vectorizers_inside_a_model():
    inner = ColumnTransformer([("words", HashingVectorizer(), "text"),
                               ("tags", CountVectorizer(), "path")])
    model = Pipeline([("features", inner)])
    model.steps[0][1].transformers_ = [("words", HashingVectorizer(), "text"),
                                       ("tags", CountVectorizer(), "path")]
    accelerate(model)
    for transformers in (inner.transformers, inner.transformers_):
        assert [type(t) for _, t, _ in transformers] == [FastHashing, FastCounting]


def test_fast_trees_predict_the_same_probabilities():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 20))
    X[rng.random(X.shape) < 0.05] = np.nan  # missing values take their own branch
    y = (X[:, 0] + np.nan_to_num(X[:, 1]) * X[:, 2] > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    expected = model.predict_proba(X)
    accelerate(model)
    assert type(model) is FastTrees
    np.testing.assert_array_equal(model.predict_proba(X), expected)
    np.testing.assert_array_equal(model.predict_proba(X[:1]), expected[:1])


def _kind_words_pipeline():
    from trainer.pipelines import _words_by_kind
    return _words_by_kind({"n_features": 2**10})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["transcript", "news", "blog", "debate"]),
                          st.sampled_from(["", "Hello world", "x", "Ünï 日本 x_y 1,2"])
                          | st.text(alphabet=st.characters(exclude_categories=("Cs",)),
                                    max_size=20)),
                min_size=1, max_size=10))
def test_fast_kind_words_give_the_plain_pipelines_matrix(rows):
    frame = pd.DataFrame(rows, columns=["page_type", "text"])
    expected = _kind_words_pipeline().fit(frame).transform(frame)
    model = _kind_words_pipeline().fit(frame)
    accelerate(model)
    assert type(model) is FastKindWords
    got = model.transform(frame)
    assert type(got) is type(expected) and got.has_canonical_format
    for attribute in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(got, attribute), getattr(expected, attribute))
        assert getattr(got, attribute).dtype == getattr(expected, attribute).dtype


def test_other_pipelines_stay_scikit_learns():
    X = np.arange(12.0).reshape(6, 2)
    model = Pipeline([("scale", StandardScaler())]).fit(X)
    expected = model.transform(X)
    accelerate(model)
    assert type(model) is Pipeline
    np.testing.assert_array_equal(model.transform(X), expected)


def _switched(columns: ColumnTransformer) -> ColumnTransformer:
    """A copy of the fitted ``columns``, accelerated."""
    fast = copy.deepcopy(columns)
    accelerate(fast)
    assert type(fast) is FastColumns
    return fast


def _markup_columns(**params):
    """A ColumnTransformer like the structure block's: numbers and flags beside counts."""
    return ColumnTransformer([
        ("numbers", "passthrough", ["value", "flag"]),
        ("inside", CountVectorizer(vocabulary=("li", "a", "p"), binary=True,
                                   token_pattern=r"[^>]+"), "path"),
    ], **{"sparse_threshold": 0, **params})


def _markup_rows():
    frame = pd.DataFrame({"text": ["Menu", "A long paragraph.", "Menu", "One.", "Two."],
                          "value": [1.0, 2.0, 3.0, 10.0, 20.0]})
    return frame.assign(flag=frame["value"] > 2, path=["div>p", "ul>li>a", "ul>li", "", "p>a"])


@pytest.mark.parametrize("columns, as_numbers", [
    (_markup_columns(), True),
    (ColumnTransformer([("words", HashingVectorizer(n_features=8), "text")],
                       sparse_threshold=0), True),
    (_markup_columns(remainder="passthrough"), False),  # the remainder's columns by position
    (_markup_columns(sparse_threshold=1.0), False),  # sparse output, stacked as sklearn does
    (_markup_columns(transformer_weights={"numbers": 2.0}), False),
    (ColumnTransformer([("numbers", "passthrough", ["value", "flag"])],
                       sparse_threshold=0).set_output(transform="pandas"), False),
    (ColumnTransformer([("text", "passthrough", ["text"])]), False),  # strings, not numbers
])
def test_fast_columns_give_the_column_transformers_output_or_its_numbers(columns, as_numbers):
    frame = _markup_rows()
    expected = columns.fit(frame).transform(frame)
    got = _switched(columns).transform(frame)
    if as_numbers:  # the same numbers, as float64 (not Python objects)
        assert got.dtype == np.float64
        assert np.array_equal(got, np.asarray(expected, dtype=np.float64))
    else:
        assert type(got) is type(expected)
        if sp.issparse(expected):
            assert got.format == expected.format and got.dtype == expected.dtype
        assert np.array_equal(*(np.asarray(x.toarray() if sp.issparse(x) else x, dtype=object)
                                for x in (got, expected)))


def test_fast_columns_with_missing_columns_fail_as_the_column_transformer_does():
    frame = _markup_rows()
    columns = _markup_columns().fit(frame)
    with pytest.raises(ValueError) as expected:
        columns.transform(frame.drop(columns="path"))
    with pytest.raises(ValueError, match=re.escape(str(expected.value))):
        _switched(columns).transform(frame.drop(columns="path"))


def test_fast_columns_with_nullable_numbers_fail_as_the_column_transformer_does():
    frame = _markup_rows().astype({"value": "Int64"})
    columns = _markup_columns().fit(frame)
    frame.loc[0, "value"] = pd.NA
    with pytest.raises(ValueError) as expected:
        columns.transform(frame)
    # The same error; scikit-learn's message names the class.
    message = str(expected.value).replace("ColumnTransformer", "FastColumns")
    with pytest.raises(ValueError, match=re.escape(message)):
        _switched(columns).transform(frame)
