"""Keep pyarrow out of a prediction process.

scikit-learn imports pandas, and pandas 3 imports pyarrow whenever it is installed (``datasets``
installs it), so every process that loads a model maps pyarrow's libraries, about 33 MB at
import and 45 MB of peak memory in a batch run, though prediction never uses them.
``trainer predict`` calls :func:`without_pyarrow` before anything imports pandas; a Python
program that only predicts may do the same. Scores do not change: the prediction rows hold
plain Python strings either way. Worker processes of ``predict_many(n_jobs=N)`` refuse pyarrow
when their parent does (:mod:`trainer.workers`).
"""

from __future__ import annotations

import importlib.abc
import sys

__all__ = ["refusing_pyarrow", "without_pyarrow"]


class _RefusePyarrow(importlib.abc.MetaPathFinder):
    """An import finder under which ``import pyarrow`` fails as if it were not installed."""

    def find_spec(self, fullname, path, target=None):
        if fullname.partition(".")[0] == "pyarrow":
            raise ModuleNotFoundError("pyarrow is kept out of this prediction process "
                                      "(trainer.lean)", name=fullname)
        return None


def without_pyarrow() -> bool:
    """From now on, ``import pyarrow`` fails in this process, so pandas runs without it.

    Call it first, before pandas is imported; it cannot unload pyarrow, so once pyarrow is
    loaded it does nothing and returns False. Nothing that needs pyarrow (``datasets``,
    Parquet) works in the process afterwards: use it only where the process only predicts.
    """
    if "pyarrow" in sys.modules:
        return False
    if not refusing_pyarrow():
        sys.meta_path.insert(0, _RefusePyarrow())
    return True


def refusing_pyarrow() -> bool:
    """Does this process refuse pyarrow? (:func:`without_pyarrow` was called in time.)"""
    return any(isinstance(finder, _RefusePyarrow) for finder in sys.meta_path)
