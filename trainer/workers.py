"""What a prediction worker process runs, importable without pandas or scikit-learn.

``Predictor.predict_many(n_jobs=N)`` sends each worker :func:`predict_batch` and the predictor.
A worker unpickles them in that order, so this module is loaded, and pyarrow refused (see
:mod:`trainer.lean`) when the parent process refuses it, before the models import pandas.
"""

from __future__ import annotations

import pickle

from .lean import without_pyarrow

__all__ = ["predict_batch", "unpickled_predictor"]

# This process's predictor, unpickled once (the latest only): unpickling the models cost more
# than predicting a batch, and joblib sends the predictor with every batch.
_LOADED: dict[str, object] = {}


def unpickled_predictor(token: str, pickled: bytes, lean: bool):
    """The predictor pickled under ``token``; ``lean``: keep pyarrow out of this process."""
    if token not in _LOADED:
        if lean:
            without_pyarrow()
        from .predict import Predictor

        _LOADED.clear()
        _LOADED[token] = Predictor(*pickle.loads(pickled))
    return _LOADED[token]


def predict_batch(predictor, batch: list, claims: bool) -> list[dict]:
    """Records for one batch of ``ArticleInput`` (see :func:`trainer.predict.predict_articles`)."""
    from .predict import predict_articles

    return predict_articles(predictor, batch, claims=claims)
