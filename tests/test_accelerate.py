"""The faster stand-ins must give scikit-learn's output bit for bit."""

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer
from sklearn.pipeline import Pipeline

from trainer.accelerate import FastTrees, accelerate
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
