"""The faster stand-ins must give scikit-learn's output bit for bit."""

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from trainer.accelerate import FastKindWords, FastTrees, accelerate
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
