"""Custom scikit-learn transformers over paragraph rows (see :mod:`trainer.rows`).

The text transformers (:class:`TextStatistics`, :class:`ClaimCues`) read every column they are
given as text, so they compose with ``ColumnTransformer`` like any scikit-learn transformer.
The article transformers (:class:`ArticlePosition`, :class:`NeighbourFeatures`) need to know
which column names the article and which orders its paragraphs; rows may come in any order and
in any mix of articles, because neighbours are found by sorting, never by row position.
Columns are named (DataFrames) or numbered (arrays), so the estimator checks can run them on
plain numeric arrays: a row whose article value occurs once is an article of one paragraph.
"""

from __future__ import annotations

import itertools
import re
import sys
from math import log1p

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .hashing import _ids
from .memo import remembered

__all__ = [
    "ArticlePosition",
    "ClaimCues",
    "NeighbourFeatures",
    "PageRepeats",
    "PathTextShare",
    "TextStatistics",
    "lower_words",
    "neighbour_rows",
]

_WORD = re.compile(r"\w+")
_UPPER = re.compile(r"[A-ZÀ-ÖØ-Þ]")
_NOT_LETTER = re.compile(r"[\W\d_]")
_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s")
_SENTENCE_PUNCTUATION = re.compile(r"[.!?…]")
_SEPARATOR = re.compile(r"[|•·»›«‹/\\>]")
_SENTENCE_FINAL = (".", "!", "?", "…", '"', "”", "’", "'", ")")


def _class_of(char: str) -> str:
    """The class of ``char``, one letter, from the patterns above.

    U: upper-case letter, l: other letter, 0: digit, _: other word character (underscore),
    " ": white space, ".": sentence punctuation, |: separator, ",": other punctuation.
    """
    if _UPPER.match(char):
        return "U"
    if not _NOT_LETTER.match(char):
        return "l"
    if _DIGIT.match(char):
        return "0"
    if _WORD.match(char):
        return "_"
    if _SPACE.match(char):
        return " "
    if _SENTENCE_PUNCTUATION.match(char):
        return "."
    if _SEPARATOR.match(char):
        return "|"
    return ","


# The class letter (a byte) of every code point, 0 until the character is first seen. Looked
# up in NumPy, a batch's characters are classed at once: with str.translate, text by text,
# that took a sixth of the statistics' time.
_CLASS_OF = np.zeros(sys.maxunicode + 1, dtype=np.uint8)


def _char_classes(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The code point and the class letter (a byte) of each character of ``text``."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    classes = _CLASS_OF[codes]
    unseen = np.flatnonzero(classes == 0)
    if len(unseen):
        for code in np.unique(codes[unseen]).tolist():
            _CLASS_OF[code] = ord(_class_of(chr(code)))
        classes[unseen] = _CLASS_OF[codes[unseen]]
    return codes, classes


# Texts whose statistics are counted together: the buffers stay a few MB on a training set.
_TEXTS_AT_ONCE = 8192
# By class letter (a byte of _char_classes, "#" between texts): what may follow a sentence end,
# what may come before a capitalised word, and the word characters (\w).
_IS_SPACE_OR_END = np.isin(np.arange(256), [ord(" "), ord("#")])
_IS_NO_WORD = np.isin(np.arange(256), [ord(c) for c in " .|,#"])
_IS_WORD = np.isin(np.arange(256), [ord(c) for c in "Ul0_"])


def _text_cells(estimator, X, reset: bool) -> np.ndarray:
    """``X`` as a 2-D object array of strings, after the usual scikit-learn input checks."""
    X = validate_data(estimator, X, dtype=None, reset=reset)
    if X.dtype.kind not in "OUS":
        return X.astype(str).astype(object)
    return X


# Word lists are shared within a batch, not across a training set: holding every training
# paragraph's words for a whole fit raised its peak memory by ~145 MB.
_SHARED_WORDS_MAX_TEXTS = 20_000


def lower_words(texts: tuple[str, ...]) -> list[list[str]]:
    """The words (``\\w+``) of each lower-cased text; once per :func:`trainer.memo.shared_work`
    block for a batch's texts, as text statistics, claim cues and kind-tagged words split the
    same paragraphs. Callers must not modify the lists."""
    def split() -> list[list[str]]:
        step = _TEXTS_AT_ONCE
        return [words for i in range(0, len(texts), step)
                for words in _split_lower_words(texts[i:i + step])]
    return split() if len(texts) > _SHARED_WORDS_MAX_TEXTS else remembered((lower_words, texts),
                                                                            split)


# ASCII as lower_words splits it: word characters stay, other characters become spaces, but
# "\x00", which separates texts.
_ASCII_WORDS = bytes(c if c == 0 or c < 128 and _WORD.match(chr(c)) else ord(" ")
                     for c in range(256))


def _split_lower_words(texts: tuple[str, ...]) -> list[list[str]]:
    """:func:`lower_words` of some texts. Those without non-ASCII word characters are lower-cased
    and split all at once, as bytes: their other non-ASCII characters (none of which lower-cases
    to a word character) separate words as a space does, and ASCII's lower case and word
    characters are plain bytes. Matching the word pattern text by text took about a third
    longer; it splits the few texts with non-ASCII words, like "café" or "Straße"."""
    if not texts:
        return []
    joined = "\x00".join(texts) + "\x00"
    if joined.count("\x00") != len(texts):  # a text holds "\x00": split each one
        return [_WORD.findall(t.lower()) for t in texts]
    codes, classes = _char_classes(joined)
    ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.intp, count=len(texts)) + 1)
    foreign = np.zeros(len(texts), dtype=bool)  # texts with a non-ASCII word character
    foreign[np.searchsorted(ends, np.flatnonzero((codes >= 128) & _IS_WORD[classes]),
                            side="right")] = True
    split = np.where(codes < 128, codes, ord(" ")).astype(np.uint8).tobytes().lower() \
        .translate(_ASCII_WORDS).decode("ascii").split("\x00")
    return [_WORD.findall(text.lower()) if has_foreign else plain.split()
            for text, plain, has_foreign in zip(texts, split, foreign.tolist())]


def _described(cls, texts: tuple[str, ...]) -> np.ndarray:
    """``cls._describe_all`` of every text, one row each (read-only), each distinct text
    described once; once per :func:`trainer.memo.shared_work` block, as the content and claim
    models describe the same paragraphs of a batch, some twice."""
    return remembered((cls, texts), lambda: _describe_each(cls, texts))


def _distinct(texts: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray]:
    """The distinct ``texts`` in order of first sight, and each text's number among them."""
    ids = _ids()
    numbers = np.fromiter(map(ids.__getitem__, texts), dtype=np.intp, count=len(texts))
    return tuple(ids), numbers


def _describe_each(cls, texts: tuple[str, ...]) -> np.ndarray:
    distinct, text_of = _distinct(texts)
    rows = cls._describe_all(distinct).reshape(len(distinct), len(cls.names))
    if len(distinct) < len(texts):
        rows = rows[text_of]
    rows.flags.writeable = False
    return rows


class _ColumnwiseText(TransformerMixin, BaseEstimator):
    """Base for transformers that compute the same numbers for every text column."""

    names: tuple[str, ...] = ()

    def fit(self, X, y=None):
        _text_cells(self, X, reset=True)
        return self

    def transform(self, X):
        check_is_fitted(self)
        cells = _text_cells(self, X, reset=False)
        texts = tuple(map(str, cells.ravel(order="F")))
        described = _described(type(self), texts).reshape(cells.shape[1], cells.shape[0], -1)
        return np.concatenate(described, axis=1)

    @classmethod
    def _describe_all(cls, texts: tuple[str, ...]) -> np.ndarray:
        """One row of features per text."""
        raise NotImplementedError

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        columns = getattr(self, "feature_names_in_", None)
        if columns is None:
            columns = [f"x{j}" for j in range(self.n_features_in_)]
        return np.asarray([f"{c}_{name}" for c in columns for name in self.names], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags


class TextStatistics(_ColumnwiseText):
    """Shallow, language-light statistics of a paragraph's text.

    These are the signals boilerplate detectors rely on (jusText: length, stopword density,
    link density; C4: sentence-final punctuation, word count): boilerplate is short, list-like
    and poor in function words, content is long running prose.
    """

    names = ("log_chars", "log_words", "mean_word_length", "punctuation_ratio", "digit_ratio",
             "uppercase_ratio", "stopword_density", "ends_sentence", "log_sentences",
             "capitalised_word_ratio", "starts_uppercase", "separator_ratio")

    @classmethod
    def _describe_all(cls, texts: tuple[str, ...]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(cls.names)))
        words = lower_words(texts)
        step = _TEXTS_AT_ONCE
        return np.concatenate([cls._describe_some(texts[i:i + step], words[i:i + step])
                               for i in range(0, len(texts), step)])

    @staticmethod
    def _describe_some(texts: tuple[str, ...], words: list[list[str]]) -> np.ndarray:
        """The features of some texts (at least one), whose lower-cased words are ``words``."""
        # The character classes of all texts in one buffer, each text followed by "#" (no
        # class): NumPy counts a class or a pair of classes in every text at once, where
        # counting text by text in Python took most of the time. Segment i (text i and its
        # "#") is never empty, as np.add.reduceat needs.
        n = len(texts)
        n_chars = np.fromiter(map(len, texts), dtype=np.intp, count=n)
        classes = _char_classes("#".join(texts) + "#")[1]
        starts = np.cumsum(n_chars + 1) - (n_chars + 1)
        classes[starts + n_chars] = ord("#")

        def count(mask: np.ndarray) -> np.ndarray:
            return np.add.reduceat(mask, starts, dtype=np.intp)

        upper, lower, digits, separators, stops, others = (
            count(classes == ord(c)) for c in "Ul0|.,")
        letters = upper + lower
        # Sentence ends, r"[.!?…]+(?=\s|$)": the last of a run of sentence punctuation, before
        # a space or the end. Capitalised words, r"\b[A-ZÀ-ÖØ-Þ]\w*": upper-case letters at
        # the start or after a character that is no word character.
        after = np.append(classes[1:], ord("#"))
        before = np.insert(classes[:-1], 0, ord("#"))
        sentence_ends = count((classes == ord(".")) & _IS_SPACE_OR_END[after])
        capitalised = count((classes == ord("U")) & _IS_NO_WORD[before])
        n_words = np.fromiter(map(len, words), dtype=np.intp, count=n)
        word_chars = np.fromiter(map(len, map("".join, words)), dtype=np.intp, count=n)
        # Stopwords of all texts in one go, summed by the text they come from.
        is_stopword = map(ENGLISH_STOP_WORDS.__contains__, itertools.chain.from_iterable(words))
        stopwords = np.bincount(np.repeat(np.arange(n), n_words),
                                np.fromiter(is_stopword, dtype=bool, count=n_words.sum()), n)
        chars, some_words = np.maximum(n_chars, 1), np.maximum(n_words, 1)
        return np.column_stack([
            _log1p(n_chars),
            _log1p(n_words),
            word_chars / some_words,
            (separators + stops + others) / chars,
            digits / chars,
            np.divide(upper, letters, out=np.zeros(n), where=letters > 0),
            stopwords / some_words,
            np.fromiter((t.rstrip().endswith(_SENTENCE_FINAL) for t in texts), np.float64, n),
            _log1p(sentence_ends),
            capitalised / some_words,
            np.fromiter((t[:1].isupper() for t in texts), np.float64, n),
            separators / chars,
        ])


# Cues of check-worthy factual statements (the claim guideline's examples: numbers, dates,
# reported speech with attribution, named actors, official decisions) and of their opposites
# (opinion, address to the reader, hedging, questions). Word cues match lower-cased tokens.
_WORD_CUES: dict[str, str] = {
    "money": "dollar dollars euro euros usd cent cents budget funding cost costs paid pay",
    "magnitude": "hundred hundreds thousand thousands million millions billion billions "
                 "trillion trillions dozen dozens half twice double doubled triple tripled",
    "units": "km miles mile kg pounds tons tonnes acres hours days weeks months years decades "
             "times degrees people jobs votes cases deaths members percent percentage",
    "date": "january february march april may june july august september october november "
            "december jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday "
            "thursday friday saturday sunday yesterday today since ago last",
    "comparison": "more less fewer higher lower than most least largest biggest smallest "
                  "increase increased decrease decreased rose risen fell fallen grew dropped "
                  "record highest lowest first only",
    "reporting": "said says told tells according reported reports announced stated claimed "
                 "claims added confirmed estimated found showed shows revealed warned noted "
                 "denied admitted testified wrote cited",
    "evidence": "study studies survey poll data report research researchers statistics census "
                "record records analysis official officials spokesman spokeswoman spokesperson "
                "ministry department agency government court police authorities company",
    "official": "law laws bill act vote voted votes passed signed ruled legislation policy tax "
                "taxes tariff tariffs sanction sanctions elected appointed banned approved",
    "first_person": "i me my we our us i'm we're",
    "second_person": "you your you're yours",
    "hedges": "should must could would might can will hope think believe feel maybe perhaps "
              "probably",
    "opinion": "best great good bad beautiful amazing love perfect wonderful terrible awesome "
               "favorite favourite easy simple delicious fun enjoy",
}
_CUE_OF_WORD: dict[str, list[int]] = {}
for _i, _words in enumerate(_WORD_CUES.values()):
    for _w in _words.split():
        _CUE_OF_WORD.setdefault(_w, []).append(_i)
# Each cue word numbered from 1 (0: no cue word), and the cues of each number.
_CUE_WORD_IDS = {word: i for i, word in enumerate(_CUE_OF_WORD, start=1)}
_CUES_OF_WORD_ID = np.zeros((len(_CUE_WORD_IDS) + 1, len(_WORD_CUES)), dtype=bool)
for _w, _cues in _CUE_OF_WORD.items():
    _CUES_OF_WORD_ID[_CUE_WORD_IDS[_w], _cues] = True
_CUE_TOKEN = re.compile(r"\w+(?:'\w+)?")
# r"\b\d[\d,.]*\b", r"\b(?:1[89]|20)\d\d\b", r"(?<=[a-z,;] )[A-Z][a-z]+" and r"\b[A-Z]{2,}\b"
# with the look before moved behind the first characters: the same matches, as those are
# word characters, but re skips ahead to where a match can start instead of trying the
# assertion at every position (two to three times faster).
_NUMBER = re.compile(r"\d(?<!\w\d)[\d,.]*\b")
_YEAR = re.compile(r"(?:1[89]|20)(?<!\w\d\d)\d\d\b")
_NAME = re.compile(r"[A-Z](?<=[a-z,;] [A-Z])[a-z]+")
_ACRONYM = re.compile(r"[A-Z](?<!\w[A-Z])[A-Z]+(?!\w)")
_PATTERN_CUES = ("numbers", "percent_sign", "currency_sign", "year", "names", "acronyms", "quotes",
                 "questions", "exclamations")
# The _PATTERN_CUES counted by character, each with its characters.
_CHAR_CUES = {"percent_sign": "%", "currency_sign": "$£€¥", "quotes": "\"“”", "questions": "?",
              "exclamations": "!"}
_CHAR_CUE = re.compile("[" + re.escape("".join(_CHAR_CUES.values())) + "]")
_CHAR_CUE_OF = {char: i for i, chars in enumerate(_CHAR_CUES.values()) for char in chars}


def _match_owners(pattern: re.Pattern, joined: str, starts: np.ndarray) -> np.ndarray:
    """The text of each match of ``pattern`` in ``joined`` (texts that begin at ``starts``)."""
    found = np.fromiter(map(re.Match.start, pattern.finditer(joined)), dtype=np.intp)
    return np.searchsorted(starts, found, side="right") - 1


class ClaimCues(_ColumnwiseText):
    """Counts (log1p) of lexical cues for check-worthy factual claims and against them.

    Word n-grams learn such words one by one from whichever corpus is largest (debates); the
    pooled cue counts carry across domains, e.g. from debate sentences to news paragraphs.
    """

    names = tuple(_WORD_CUES) + _PATTERN_CUES

    @classmethod
    def _describe_all(cls, texts: tuple[str, ...]) -> np.ndarray:
        """The cues of all texts at once: the cue words of every text in one NumPy count, and
        each pattern run once over the texts joined by "\\x00" (which, like the end of a
        string, is neither a word character nor a space), its matches counted by the text
        they start in. Text by text, Python's calls took most of the time."""
        n = len(texts)
        counts = dict(zip(_WORD_CUES, cls._word_cue_counts(texts).T))
        sizes = np.fromiter(map(len, texts), dtype=np.intp, count=n) + 1
        starts = np.cumsum(sizes) - sizes
        joined = "\x00".join(texts)
        for name, pattern in (("numbers", _NUMBER), ("year", _YEAR), ("names", _NAME),
                              ("acronyms", _ACRONYM)):
            counts[name] = np.bincount(_match_owners(pattern, joined, starts), minlength=n)
        char_cues = np.fromiter(map(_CHAR_CUE_OF.__getitem__, _CHAR_CUE.findall(joined)),
                                dtype=np.intp)
        by_char = np.bincount(_match_owners(_CHAR_CUE, joined, starts) * len(_CHAR_CUES)
                              + char_cues, minlength=n * len(_CHAR_CUES))
        counts.update(zip(_CHAR_CUES, by_char.reshape(n, len(_CHAR_CUES)).T))
        return _log1p(np.column_stack([counts[name] for name in cls.names]))

    @staticmethod
    def _word_cue_counts(texts: tuple[str, ...]) -> np.ndarray:
        """How many words of each word cue each text has."""
        # Without an apostrophe (none is lower-cased to one), the cue tokens are the words.
        tokens = [_CUE_TOKEN.findall(text.lower()) if "'" in text else words
                  for text, words in zip(texts, lower_words(texts))]
        sizes = np.fromiter(map(len, tokens), dtype=np.intp, count=len(tokens))
        ids = np.fromiter(map(_CUE_WORD_IDS.get, itertools.chain.from_iterable(tokens),
                              itertools.repeat(0)), dtype=np.intp, count=sizes.sum())
        cue_words = np.flatnonzero(ids)
        occurrence, cue = np.nonzero(_CUES_OF_WORD_ID[ids[cue_words]])
        text = np.repeat(np.arange(len(tokens)), sizes)[cue_words[occurrence]]
        return np.bincount(text * len(_WORD_CUES) + cue,
                           minlength=len(tokens) * len(_WORD_CUES)).reshape(-1, len(_WORD_CUES))


_LOG1P = np.array([log1p(k) for k in range(1024)])


def _log1p(counts: np.ndarray) -> np.ndarray:
    """``math.log1p`` of every count, looked up in a table of its values (bit for bit the
    same, where calling it 21 times a text was a seventh of the claim cues' time); the few
    counts past the table (text lengths) one by one."""
    if counts.max(initial=0) < len(_LOG1P):
        return _LOG1P[counts]
    small = counts < len(_LOG1P)
    result = np.empty(counts.shape)
    result[small] = _LOG1P[counts[small]]
    result[~small] = [log1p(k) for k in counts[~small].tolist()]
    return result


# --------------------------------------------------------------------------- articles

def _select(X, key, what: str):
    """Column ``key`` (name or position) of a DataFrame or 2-D array, as a 1-D array."""
    n_columns = X.shape[1] if X.ndim == 2 else 1
    try:
        if hasattr(X, "columns") and isinstance(key, str):
            return np.asarray(X[key])  # the same column, in a quarter of the time
        return np.asarray(_safe_indexing(X, key, axis=1))
    except (KeyError, IndexError, ValueError):
        raise ValueError(f"X has {n_columns} feature(s) but no column {key!r} for the {what}; "
                         f"set the transformer's {what} parameter") from None


def neighbour_rows(articles, order, offsets) -> np.ndarray:
    """Row numbers of each row's neighbours at ``offsets`` within its article (-1: none).

    Paragraphs are ranked by ``order`` inside each article, so offset -1 is the paragraph just
    before, whatever the row order of the input.
    """
    if not len(offsets):  # window 0: no neighbours to rank the rows for
        return np.full((len(articles), 0), -1, dtype=np.int64)
    codes = pd.factorize(pd.Series(articles))[0]
    by_position = np.lexsort((np.asarray(order), codes))
    n = len(codes)
    rank = np.empty(n, dtype=np.int64)
    rank[by_position] = np.arange(n)
    result = np.full((n, len(offsets)), -1, dtype=np.int64)
    for j, offset in enumerate(offsets):
        position = rank + offset
        inside = (position >= 0) & (position < n)
        same = np.zeros(n, dtype=bool)
        same[inside] = codes[by_position[position[inside]]] == codes[inside]
        result[same, j] = by_position[position[same]]
    return result


def _article_keys(estimator, X, reset: bool):
    """(article values, numeric order) of ``X`` after the usual input checks."""
    if not hasattr(X, "iloc"):
        X = check_array(X, dtype=None, ensure_all_finite=False)
    validate_data(estimator, X, skip_check_array=True, reset=reset)
    articles = check_array(_select(X, estimator.article, "article").reshape(-1, 1),
                           dtype=None).ravel()
    order = check_array(_select(X, estimator.order, "order").reshape(-1, 1),
                        dtype=np.float64).ravel()
    return X, articles, order


def _groups(*keys) -> np.ndarray:
    """Each row's group: rows with the same values in all ``keys`` (one value per row each)
    share one, numbered from 0 in order of first appearance. ``pd.factorize`` numbers each
    key in C (a groupby spends more time setting up than grouping a batch); two keys' numbers
    make one number, numbered again."""
    groups = None
    for key in keys:
        values = key if isinstance(key, np.ndarray) else np.array(key, dtype=object)
        codes = pd.factorize(values, use_na_sentinel=False)[0]
        groups = codes if groups is None else \
            pd.factorize(groups * (codes.max(initial=0) + 1) + codes)[0]
    return groups


def _group_sizes(*keys) -> np.ndarray:
    """How many rows share each row's values of ``keys``."""
    groups = _groups(*keys)
    return np.bincount(groups)[groups]


def _group_sums(values: np.ndarray, *keys) -> np.ndarray:
    """The sum of ``values`` over the rows sharing each row's values of ``keys`` (whole
    numbers here, so exact in any order)."""
    groups = _groups(*keys)
    return np.bincount(groups, weights=values)[groups]


class _ArticleTransformer(TransformerMixin, BaseEstimator):
    """Base for transformers over whole articles: one output column per name in ``names``,
    text columns accepted."""

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return np.asarray(self.names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags


class ArticlePosition(_ArticleTransformer):
    """Where a paragraph sits in its article, and whether its text repeats there.

    Boilerplate gathers at the start and end of a page and repeats (menus, share buttons);
    content sits in the middle of the page's text mass. Positions are ranks within the rows
    given for each article, so pass whole articles.
    """

    names = ("relative_position", "log_before", "log_after", "log_paragraphs",
             "text_share_before", "text_share", "log_repeats")

    def __init__(self, article="article_id", order="index", text="text"):
        self.article = article
        self.order = order
        self.text = text

    def fit(self, X, y=None):
        self._keys(X, reset=True)
        return self

    def _keys(self, X, reset: bool) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """Each row's article (a number), order and text, after the usual input checks."""
        X, articles, order = _article_keys(self, X, reset)
        texts = tuple(map(str, check_array(_select(X, self.text, "text").reshape(-1, 1),
                                           dtype=None).ravel()))
        return _groups(articles), order, texts

    def transform(self, X):
        check_is_fitted(self)
        article, order, texts = self._keys(X, reset=False)
        # The content and claim models both place the paragraphs of a batch.
        key = (ArticlePosition, article.tobytes(), order.tobytes(), texts)
        return remembered(key, lambda: self._positions(article, order, texts))

    @staticmethod
    def _positions(article: np.ndarray, order: np.ndarray, texts: tuple[str, ...]) -> np.ndarray:
        n = len(texts)
        # Rows by article, then order; a stable sort, so equal orders keep their row order.
        by_position = np.lexsort((order, article))
        starts = np.flatnonzero(np.diff(article[by_position], prepend=-1))
        first = np.repeat(starts, np.diff(starts, append=n))  # where each one's article starts
        rank = np.empty(n)
        rank[by_position] = np.arange(n) - first
        size = np.bincount(article)[article]
        length = np.fromiter(map(len, texts), dtype=np.float64, count=n)
        in_order = length[by_position]
        preceding = np.cumsum(in_order) - in_order  # whole numbers: exact in any order
        before = np.empty(n)
        before[by_position] = preceding - preceding[first]
        total = np.maximum(_group_sums(length, article), 1.0)
        normalised = [" ".join(text.lower().split()) for text in texts]
        repeats = _group_sizes(article, normalised)
        positions = np.column_stack([
            np.divide(rank, size - 1, out=np.zeros(n), where=size > 1),
            np.log1p(rank),
            np.log1p(size - 1 - rank),
            np.log1p(size),
            before / total,
            length / total,
            np.log1p(repeats - 1),
        ]).astype(np.float64)
        positions.flags.writeable = False
        return positions

def _masked_texts(words: list[list[str]]) -> list[str]:
    """Each text's masked text, given the text's lower-cased ``words``: its words with runs of
    digits masked as "0", joined by spaces. Digits are word characters (and lower-casing makes
    or changes none), so masking the words is masking the text. All texts are masked at once,
    in NumPy: searching each text for a digit and splitting it again took half of
    :class:`PageRepeats`' time, and one regular expression over them all twice NumPy's."""
    if not words:
        return []
    codes, classes = _char_classes("\n".join(map(" ".join, words)))
    digit = classes == ord("0")
    kept = ~digit  # all but the digits after a digit; the others become "0"
    kept[1:] |= ~digit[:-1]
    kept[:1] = True
    masked = np.where(digit, np.uint32(ord("0")), codes)[kept]
    return masked.tobytes().decode("utf-32-le").split("\n")


def _masked_words(masked: str) -> list[str]:
    """The words of a masked text."""
    return masked.split(" ") if masked else []


class PageRepeats(_ArticleTransformer):
    """Whether a paragraph repeats the pattern of other paragraphs on its page.

    Teaser lists and feeds repeat a headline (as a title and again as a link or image caption),
    and their bylines and timestamps differ only in names and numbers ("6h ago", "12h ago").
    Features: how many other paragraphs have the same text once digits and punctuation are
    masked; whether a paragraph within ±``window`` starts with the same words (one of the two
    at least ``min_words`` long and a prefix of the other); how many other short paragraphs
    (at most ``short_words`` words) start with the same word.
    """

    names = ("log_pattern_repeats", "near_duplicate_nearby", "log_same_first_word")

    def __init__(self, article="article_id", order="index", text="text", window=3,
                 min_words=4, short_words=6):
        self.article = article
        self.order = order
        self.text = text
        self.window = window
        self.min_words = min_words
        self.short_words = short_words

    def fit(self, X, y=None):
        _article_keys(self, X, reset=True)
        return self

    def transform(self, X):
        check_is_fitted(self)
        X, articles, order = _article_keys(self, X, reset=False)
        texts = tuple(map(str, check_array(_select(X, self.text, "text").reshape(-1, 1),
                                           dtype=None).ravel()))
        # Each distinct text is worked out once; rows are grouped by numbers, not strings.
        distinct, text_of = _distinct(texts)
        words = lower_words(distinct)
        masked = _masked_texts(words)
        n_words = np.fromiter(map(len, words), dtype=np.intp, count=len(words))[text_of]
        heads = _groups([text.partition(" ")[0] for text in masked])[text_of]  # first words
        article_ids = _groups(articles)
        repeats = _group_sizes(article_ids, _groups(masked)[text_of])
        short = (n_words > 0) & (n_words <= self.short_words)
        same_first = np.where(short, _group_sizes(article_ids, np.where(short, heads, -1)), 1)
        nearby = self._nearby(masked, text_of, heads, article_ids, order)
        return np.column_stack([np.log1p(repeats - 1), nearby, np.log1p(same_first - 1)])

    def _nearby(self, masked: list[str], text_of: np.ndarray, heads: np.ndarray,
                article_ids: np.ndarray, order: np.ndarray) -> np.ndarray:
        """1 where a paragraph within ±window of the same article starts alike, else 0. Pairs
        are found with NumPy by their first words (``heads``, numbered); only those are
        compared in Python, by the ``masked`` texts of their texts (``text_of``)."""
        sequence = np.lexsort((order, article_ids))
        article_in_order = article_ids[sequence]
        heads = heads[sequence]
        nearby = np.zeros(len(text_of))
        for offset in range(1, self.window + 1):
            pairs = np.flatnonzero((article_in_order[offset:] == article_in_order[:-offset])
                                   & (heads[offset:] == heads[:-offset]))
            for i, j in zip(sequence[pairs].tolist(), sequence[pairs + offset].tolist()):
                if self._starts_alike(_masked_words(masked[text_of[i]]),
                                      _masked_words(masked[text_of[j]])):
                    nearby[i] = nearby[j] = 1.0
        return nearby

    def _starts_alike(self, one: list[str], other: list[str]) -> bool:
        shorter, longer = (one, other) if len(one) <= len(other) else (other, one)
        return len(longer) >= self.min_words and len(shorter) > 0 \
            and longer[:len(shorter)] == shorter

class PathTextShare(_ArticleTransformer):
    """How much of its page's text sits in the paragraph's DOM slot and in its containers.

    Readability's idea: the main content is the container that holds most of a page's text,
    while menus, footers and teaser lists are slots of many short blocks. A slot is the
    block's tag path; containers are that path without its last one or two tags.
    """

    names = ("share_same_path", "share_parent_path", "share_grandparent_path",
             "log_same_path_blocks", "log_mean_same_path_chars")

    def __init__(self, article="article_id", path="path", text="text"):
        self.article = article
        self.path = path
        self.text = text

    def fit(self, X, y=None):
        self._columns(X, reset=True)
        return self

    def _columns(self, X, reset: bool) -> tuple[list[str], list[str], list[str]]:
        """The article, path and text of each row as strings, after the usual input checks."""
        if not hasattr(X, "iloc"):
            X = check_array(X, dtype=None, ensure_all_finite=False)
        validate_data(self, X, skip_check_array=True, reset=reset)
        columns = []
        for name, key in (("article", self.article), ("path", self.path), ("text", self.text)):
            values = check_array(_select(X, key, name).reshape(-1, 1), dtype=None).ravel()
            columns.append(list(map(str, values)))
        return tuple(columns)

    def transform(self, X):
        check_is_fitted(self)
        articles, paths, texts = self._columns(X, reset=False)
        length = np.fromiter(map(len, texts), dtype=np.float64, count=len(texts))
        article = _groups(articles)
        total = np.maximum(_group_sums(length, article), 1.0)
        # Each row's slot and containers as numbers; containers are cut from the few distinct
        # paths of a batch, not from every row's.
        slot, slots = pd.factorize(np.array(paths, dtype=object))
        parent, grandparent = (_groups([path.rsplit(">", k)[0] for path in slots])[slot]
                               for k in (1, 2))
        shares = [_group_sums(length, article, key) / total for key in (slot, parent, grandparent)]
        same_path = _groups(article, slot)
        count = np.bincount(same_path)[same_path].astype(np.float64)
        mean = np.bincount(same_path, weights=length)[same_path] / count
        return np.column_stack(shares + [np.log1p(count), np.log1p(mean)])


class NeighbourFeatures(TransformerMixin, BaseEstimator):
    """A transformer's features for each paragraph and for its neighbours at ±1..±``window``.

    Boilerplate and content come in runs, so the signals of the paragraphs around one tell a lot
    about it (a short line between two long prose paragraphs is content). Output: the
    paragraph's features, then each neighbour's (zeros where the article ends), then one
    indicator per offset that the neighbour exists. Sparse features stay sparse.
    """

    def __init__(self, transformer, window=1, article="article_id", order="index"):
        self.transformer = transformer
        self.window = window
        self.article = article
        self.order = order

    @property
    def offsets(self) -> list[int]:
        return [d for d in range(-self.window, self.window + 1) if d]

    def fit(self, X, y=None):
        if not isinstance(self.window, (int, np.integer)) or self.window < 0:
            raise ValueError(f"window must be a non-negative integer, got {self.window!r}")
        X, _, _ = _article_keys(self, X, reset=True)
        self.transformer_ = clone(self.transformer).fit(X, y)
        return self

    def transform(self, X):
        check_is_fitted(self)
        X, articles, order = _article_keys(self, X, reset=False)
        own = self.transformer_.transform(X)
        rows = neighbour_rows(articles, order, self.offsets)
        present = (rows >= 0).astype(np.float64)
        if sp.issparse(own):
            padded = sp.vstack([own, sp.csr_matrix((1, own.shape[1]))]).tocsr()
            return sp.hstack([own] + [padded[rows[:, j]] for j in range(rows.shape[1])]
                             + [sp.csr_matrix(present)]).tocsr()
        own = np.asarray(own, dtype=np.float64)
        padded = np.vstack([own, np.zeros((1, own.shape[1]))])
        return np.hstack([own] + [padded[rows[:, j]] for j in range(rows.shape[1])] + [present])

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        names = list(self.transformer_.get_feature_names_out())
        for offset in self.offsets:
            names += [f"{name}@{offset:+d}" for name in self.transformer_.get_feature_names_out()]
        names += [f"has_neighbour@{offset:+d}" for offset in self.offsets]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self.transformer.__sklearn_tags__()
        tags.input_tags.string = inner.input_tags.string
        tags.input_tags.sparse = inner.input_tags.sparse
        return tags
