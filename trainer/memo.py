"""Work shared by the models that score one batch, held only while the batch is scored.

The content and claim models hash the same paragraphs with the same word n-grams and describe
the same texts (statistics, claim cues), and one model may do it twice (stage 1 and stage 2).
Inside ``with shared_work():`` such a result is computed once; outside, nothing is kept, so no
memory or state outlives a call. The memo lives in a context variable: threads and async tasks
each see their own, as an HTTP server scoring requests side by side needs.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

__all__ = ["remembered", "shared_work"]

T = TypeVar("T")

_MEMO: ContextVar[dict | None] = ContextVar("trainer_shared_work", default=None)


@contextmanager
def shared_work() -> Iterator[None]:
    """Remember results of :func:`remembered` until the block ends (nested blocks share the
    outermost one's memo)."""
    if _MEMO.get() is not None:
        yield
        return
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or its result for the same ``key`` earlier in the current
    :func:`shared_work` block. Callers must not modify the result in place."""
    memo = _MEMO.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]
