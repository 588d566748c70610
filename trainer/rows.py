"""The canonical paragraph row: one shape shared by datasets, features, training and prediction.

A row is a plain ``dict`` (a column of a ``datasets.Dataset`` or ``pandas.DataFrame``). Every
stage after segmentation reads and writes these columns, so a model trained on a built dataset
can be applied to rows made from a new article by :func:`article_rows`.
"""

from __future__ import annotations

from functools import cache
from operator import attrgetter

import numpy as np
import pandas as pd

from .segment import Article

CONTENT_LABELS = ("boilerplate", "content", "unknown")
CLAIM_LABELS = ("non-claim", "claim", "unknown")
UNKNOWN = 2  # the index of "unknown" in both label sets

# Page kinds with their own decision thresholds: debate transcripts are spoken sentences, every
# other page (and any page given to ``trainer predict``) is written paragraphs.
PAGE_KINDS = ("spoken", "written")
SPOKEN_PAGE_TYPES = frozenset({"transcript"})

# Column name → Arrow/datasets type; "content"/"claim" are ClassLabels over the label sets above.
COLUMN_TYPES = {
    "source": "string",        # corpus adapter that produced the row
    "article_id": "string",    # unique across sources, e.g. "wcxb:0001"
    "group": "string",         # split unit: site (registrable domain) for web pages, document otherwise
    "url": "string",
    "page_type": "string",     # WCXB page type, "transcript", or "" when unknown
    "format": "string",        # "html" or "text": what the article was given as
    "speaker": "string",       # transcripts only
    "index": "int32",          # paragraph position in the article
    "n_paragraphs": "int32",   # paragraphs in the article
    "start": "int64",          # offsets into the article's text (see trainer.segment)
    "end": "int64",
    "text": "string",
    "tag": "string",
    "heading_level": "int8",
    "in_list": "bool",
    "in_table": "bool",
    "link_density": "float32",
    "dom_depth": "int16",
    "path": "string",
    "class_tokens": "string",
    "content": CONTENT_LABELS,
    "claim": CLAIM_LABELS,
    # Where each label came from: "gold" (people labelled it), "aligned" (derived by aligning
    # with a gold reference text; see trainer.align for its measured quality), "" when unknown.
    "content_origin": "string",
    "claim_origin": "string",
}
COLUMNS = tuple(COLUMN_TYPES)
# The columns a paragraph gives (trainer.segment.Paragraph's fields), with their NumPy types:
# the one list both row builders below read.
_PARAGRAPH_COLUMNS = {
    "index": np.int64, "start": np.int64, "end": np.int64, "text": object, "tag": object,
    "heading_level": np.int64, "in_list": bool, "in_table": bool, "link_density": np.float64,
    "dom_depth": np.int64, "path": object, "class_tokens": object,
}


@cache
def features():
    """The typed ``datasets.Features`` of a row (imported lazily: prediction never needs it)."""
    from datasets import ClassLabel, Features, Value

    return Features({
        name: ClassLabel(names=list(kind)) if isinstance(kind, tuple) else Value(kind)
        for name, kind in COLUMN_TYPES.items()
    })


def __getattr__(name):
    if name == "FEATURES":
        return features()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def page_kinds(page_types) -> np.ndarray:
    """The page kind ("spoken" or "written") of each row's ``page_type``."""
    spoken = np.isin(np.asarray(page_types, dtype=object), list(SPOKEN_PAGE_TYPES))
    return np.where(spoken, "spoken", "written").astype(object)


def articles_frame(articles: list[Article], *, source: str) -> pd.DataFrame:
    """The rows of every paragraph of ``articles`` as one DataFrame, the i-th article with id
    and group ``str(i)``, labels unknown: the values :func:`article_rows` gives, built column
    by column. Texts stay Python strings (object columns): copying them into Arrow strings and
    back costs prediction time and memory."""
    paragraphs = [p for article in articles for p in article.paragraphs]
    n = len(paragraphs)
    of_article = np.repeat(np.arange(len(articles)), [len(a.paragraphs) for a in articles])
    ids = np.array([str(i) for i in range(len(articles))], dtype=object)[of_article]

    def constant(value) -> np.ndarray:
        return np.full(n, value, dtype=object if isinstance(value, str) else np.int64)

    columns = {
        "source": constant(source), "article_id": ids, "group": ids.copy(), "url": constant(""),
        "page_type": constant(""), "speaker": constant(""),
        "format": np.array([a.format for a in articles], dtype=object)[of_article],
        "n_paragraphs": np.array([len(a.paragraphs) for a in articles], np.int64)[of_article],
        "content": constant(UNKNOWN), "claim": constant(UNKNOWN),
        "content_origin": constant(""), "claim_origin": constant(""),
    }
    for name, dtype in _PARAGRAPH_COLUMNS.items():
        columns[name] = np.fromiter(map(attrgetter(name), paragraphs), dtype=dtype, count=n)
    # dtype=object: pandas would otherwise infer its Arrow-backed string type.
    return pd.DataFrame({name: pd.Series(columns[name], dtype=columns[name].dtype, copy=False)
                         for name in COLUMNS}, copy=False)


def article_rows(article: Article, *, source: str, article_id: str, group: str, url: str = "",
                 page_type: str = "", speaker: list[str] | None = None) -> list[dict]:
    """Rows for every paragraph of ``article``, labels unknown (adapters fill them in)."""
    n = len(article.paragraphs)
    return [
        {
            "source": source, "article_id": article_id, "group": group, "url": url,
            "page_type": page_type, "format": article.format,
            "speaker": speaker[p.index] if speaker else "",
            "n_paragraphs": n, **{name: getattr(p, name) for name in _PARAGRAPH_COLUMNS},
            "content": UNKNOWN, "claim": UNKNOWN, "content_origin": "", "claim_origin": "",
        }
        for p in article.paragraphs
    ]
