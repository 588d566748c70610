"""A faster ``HashingVectorizer.transform`` with exactly scikit-learn's output, for prediction.

scikit-learn makes every n-gram of every document in Python loops and hands each one to the
hasher wrapped in an ``(ngram, 1)`` pair: on paragraph text that was a third of prediction's
time. Here no n-gram string is made: a word n-gram is its words joined by spaces, so it is a
range of the document's words joined the same way, and all ranges of a batch are hashed at
once (MurmurHash3 in NumPy over the joined words' bytes). A document's ``char_wb`` n-grams,
which are those of its words, are hashed once per distinct word of the batch, the same way
over the padded words: its counts are its word counts times its words' n-gram counts. Counts
are whole numbers and every matrix is put in canonical form (sorted indices, no duplicates)
before normalising, so the result is the same matrix, bit for bit. Within
:func:`trainer.memo.shared_work` a result is computed once, as the content and
claim models hash the same paragraphs with the same word n-grams.

:class:`FastCounting` does the same for ``CountVectorizer``: tag paths repeat on every page, so
it counts each distinct document once.

:func:`trainer.accelerate.accelerate` switches the vectorizers inside a loaded model to these
classes; the pickled model does not change, and a configuration this module does not cover
falls back to scikit-learn's own code.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils import murmurhash3_32
from sklearn.utils._sparse import _align_api_if_sparse

from .memo import remembered

__all__ = ["FastCounting", "FastHashing"]


def _ids() -> defaultdict:
    """A mapping that numbers keys in order of first sight (0, 1, 2 ...), in C."""
    return defaultdict(itertools.count().__next__)


_TAIL_BYTES = np.array([0, 0xFF, 0xFFFF, 0xFFFFFF], dtype=np.uint32)
# Ranges longer than this are hashed one by one: the NumPy loop makes a pass per 4 bytes of
# the longest range, and a page can hold a word of thousands of characters (a data URI).
_LONGEST_IN_NUMPY = 256


def _scrambled(blocks: np.ndarray) -> np.ndarray:
    """MurmurHash3's mixing of 4-byte blocks (uint32: products wrap around as in C)."""
    blocks = blocks * np.uint32(0xCC9E2D51)
    return ((blocks << 15) | (blocks >> 17)) * np.uint32(0x1B873593)


def _murmurhash3(data: bytes, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """scikit-learn's ``murmurhash3_bytes_s32`` (MurmurHash3_x86_32, seed 0) of every
    ``data[start:start + length]`` at once, as int32: NumPy does for all n-grams of a batch
    what hashing them one by one, each encoded to its own bytes, does in a loop."""
    padded = np.zeros(len(data) + 3, dtype=np.uint32)
    padded[:len(data)] = np.frombuffer(data, dtype=np.uint8)
    # The 4 bytes from each offset as a little-endian number, as MurmurHash3 reads a block.
    block_at = padded[:-3] | padded[1:-2] << 8 | padded[2:-1] << 16 | padded[3:] << 24
    h = np.zeros(len(starts), dtype=np.uint32)
    long = np.flatnonzero(lengths > _LONGEST_IN_NUMPY)
    n_blocks = lengths >> 2
    at = np.flatnonzero((n_blocks > 0) & (lengths <= _LONGEST_IN_NUMPY))
    for i in itertools.count():  # block i of the ranges that have one, fewer on every pass
        if not len(at):
            break
        mixed = h[at] ^ _scrambled(block_at[starts[at] + 4 * i])
        h[at] = ((mixed << 13) | (mixed >> 19)) * np.uint32(5) + np.uint32(0xE6546B64)
        at = at[n_blocks[at] > i + 1]
    tail = lengths & 3
    at = np.flatnonzero(tail)
    h[at] ^= _scrambled(block_at[starts[at] + lengths[at] - tail[at]] & _TAIL_BYTES[tail[at]])
    h ^= lengths.astype(np.uint32)
    h ^= h >> 16
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> 13
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> 16
    hashes = h.view(np.int32)
    hashes[long] = [murmurhash3_32(data[start:start + length], seed=0)
                    for start, length in zip(starts[long].tolist(), lengths[long].tolist())]
    return hashes


def _utf8(text: str) -> tuple[bytes, np.ndarray]:
    """``text`` in UTF-8 (failing on lone surrogates as scikit-learn does) and the byte offset
    of each of its characters, and of its end."""
    data = text.encode("utf-8")
    if len(data) == len(text):  # ASCII
        return data, np.arange(len(text) + 1)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    sizes = 1 + (codes >= 0x80).astype(np.intp) + (codes >= 0x800) + (codes >= 0x10000)
    return data, np.concatenate([[0], np.cumsum(sizes)])


def _char_wb_ranges(words: list[str], min_n: int, max_n: int):
    """The ``char_wb`` n-grams of each word, as scikit-learn's ``_char_wb_ngrams`` makes them
    (of the word between two spaces, each ``n`` in turn until one covers the whole padded
    word), as ``(word, first character, end)`` arrays over the padded words put end to end."""
    sizes = np.fromiter(map(len, words), dtype=np.intp, count=len(words)) + 2
    starts = np.cumsum(sizes) - sizes
    owners, firsts, ends = [], [], []
    for n in range(min_n, max_n + 1):
        reached = np.flatnonzero(sizes >= n) if n > min_n else np.arange(len(words))
        counts = np.maximum(sizes[reached] - n + 1, 1)
        owner = np.repeat(reached, counts)
        first = starts[owner] + np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts,
                                                                   counts)
        owners.append(owner)
        firsts.append(first)
        ends.append(first + np.minimum(sizes[owner], n))
    return np.concatenate(owners), np.concatenate(firsts), np.concatenate(ends)


class FastHashing(HashingVectorizer):
    """``HashingVectorizer`` with a faster ``transform`` of the same output (see the module)."""

    def _supported(self) -> bool:
        return (self.analyzer in ("word", "char_wb") and self.input == "content"
                and self.strip_accents is None and self.preprocessor is None
                and self.tokenizer is None and self.stop_words is None
                and not self.alternate_sign)

    def transform(self, X):
        if isinstance(X, str) or not self._supported():
            return super().transform(X)
        self._validate_ngram_range()
        docs = tuple(X)
        if set(map(type, docs)) != {str}:  # decode returns a str (the usual case) as it is
            docs = tuple(map(self.decode, docs))
        if not docs:
            return super().transform(docs)  # fails as scikit-learn does
        params = tuple(sorted(self.get_params().items()))
        return remembered(("hashing", params, docs), lambda: self._matrix(docs)).copy()

    def _matrix(self, docs: tuple[str, ...]):
        """The matrix of ``docs``, each distinct document hashed once (tag paths and class
        tokens repeat on every page)."""
        ids = _ids()
        rows = np.fromiter(map(ids.__getitem__, docs), dtype=np.intp, count=len(docs))
        if self.analyzer == "word":
            X = self._word_counts(list(ids))
        else:
            X = self._char_wb_counts(list(ids))
        return self._finished(X, rows)

    def _finished(self, X: sp.csr_matrix, rows: np.ndarray):
        """The output for documents whose distinct ones have the counts ``X`` (canonical),
        the i-th document being distinct document ``rows[i]``."""
        if self.binary:
            X.data.fill(1)
        if self.norm is not None:
            X = normalize(X, norm=self.norm, copy=False)
        if X.shape[0] < len(rows):
            X = X[rows]
        return _align_api_if_sparse(X)

    def _columns(self, data: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """The column of each byte range of ``data``, as FeatureHasher puts a feature: the
        absolute value of its signed hash (that of -2**31 is 2**31) modulo ``n_features``."""
        hashes = _murmurhash3(data, starts, ends - starts).astype(np.int64)
        return np.abs(hashes) % self.n_features

    def _word_counts(self, docs: list[str]) -> sp.csr_matrix:
        """Counts of each document's hashed word n-grams. The batch's words are joined by
        spaces, each n-gram is a range of that text from its first word's start to its last
        word's end, and the ranges are listed word by word, document by document: each row's
        entries come together, and summing duplicates puts them in canonical form."""
        preprocess, tokenize = self.build_preprocessor(), self.build_tokenizer()
        if self.token_pattern == r"\S+":  # the same tokens: \s is what str.isspace says
            tokenize = str.split
        words = [tokenize(preprocess(doc)) for doc in docs]
        n_words = np.fromiter(map(len, words), dtype=np.intp, count=len(docs))
        flat = list(itertools.chain.from_iterable(words))
        sizes = np.fromiter(map(len, flat), dtype=np.intp, count=len(flat))
        starts = np.cumsum(sizes + 1) - (sizes + 1)
        ends = np.append(starts + sizes, 0)  # a last entry for n-grams past the end (masked)
        doc_of = np.repeat(np.arange(len(docs)), n_words)
        # How many words each word's document has from it on: an n-gram starts at a word
        # with at least n.
        left = np.cumsum(n_words)[doc_of] - np.arange(len(flat))
        min_n, max_n = self.ngram_range
        sizes_n = np.arange(min_n, max_n + 1)
        present = left[:, None] >= sizes_n
        last = np.minimum(np.arange(len(flat))[:, None] + sizes_n - 1, len(flat))
        data, byte_at = _utf8(" ".join(flat))
        first_byte = byte_at[np.broadcast_to(starts[:, None], present.shape)[present]]
        columns = self._columns(data, first_byte, byte_at[ends[last[present]]])
        indptr = np.zeros(len(docs) + 1, dtype=np.intp)
        np.cumsum(np.bincount(doc_of, weights=present.sum(axis=1), minlength=len(docs))
                  .astype(np.intp), out=indptr[1:])
        X = sp.csr_matrix((np.ones(len(columns), dtype=self.dtype), columns, indptr),
                          shape=(len(docs), self.n_features))
        X.sum_duplicates()
        return X

    def _char_wb_counts(self, docs: list[str]) -> sp.csr_matrix:
        """Counts of each distinct word per document times the counts of each word's hashed
        n-grams. The product runs over the batch's own columns, numbered in order (tens of
        thousands, not ``n_features``: its running sums stay in the CPU cache), and its rows
        are put in column order by a round trip through CSC, two linear passes where sorting
        each row took longer than the rest."""
        ids, flat, indptr = _ids(), [], [0]
        for doc in docs:
            # scikit-learn also collapses whitespace runs first: split() makes no difference
            flat += map(ids.__getitem__, (doc.lower() if self.lowercase else doc).split())
            indptr.append(len(flat))
        # A word twice in a document is two entries: the product adds them up.
        words = sp.csr_matrix((np.ones(len(flat), dtype=self.dtype), np.asarray(flat, np.intp),
                               np.asarray(indptr)), shape=(len(docs), len(ids)))
        owners, firsts, ends = _char_wb_ranges(list(ids), *self.ngram_range)
        data, byte_at = _utf8("".join(map(" {} ".format, ids)))
        columns = self._columns(data, byte_at[firsts], byte_at[ends])
        present = np.zeros(self.n_features, dtype=bool)
        present[columns] = True
        batch_columns = np.flatnonzero(present)
        batch_column_of = np.cumsum(present) - 1
        by_word = np.argsort(owners, kind="stable")  # a few runs in order: merged in linear time
        word_starts = np.zeros(len(ids) + 1, dtype=np.intp)
        np.cumsum(np.bincount(owners, minlength=len(ids)), out=word_starts[1:])
        per_word = sp.csr_matrix((np.ones(len(owners), dtype=self.dtype),
                                  batch_column_of[columns[by_word]], word_starts),
                                 shape=(len(ids), len(batch_columns)))
        counts = (words @ per_word).tocsc().tocsr()
        return sp.csr_matrix((counts.data, batch_columns[counts.indices], counts.indptr),
                             shape=(len(docs), self.n_features))


class FastCounting(CountVectorizer):
    """``CountVectorizer`` whose ``transform`` counts each distinct document once: a row
    depends on its document alone, so repeated documents get copies of the same row. The
    documents' features are looked up in the vocabulary and counted in NumPy: scikit-learn's
    loop over every feature in Python took half the time."""

    def transform(self, raw_documents):
        if isinstance(raw_documents, str):
            return super().transform(raw_documents)  # fails as scikit-learn does
        self._check_vocabulary()
        ids = _ids()
        rows = np.fromiter(map(ids.__getitem__, raw_documents), dtype=np.intp)
        X = self._counts(list(ids))
        if self.binary:
            X.data.fill(1)
        X = _align_api_if_sparse(X)
        return X[rows] if len(ids) < len(rows) else X

    def _counts(self, docs: list) -> sp.csr_array:
        """scikit-learn's ``_count_vocab`` with the fitted vocabulary: the counts of each
        document's known features, with its index types and sorted indices."""
        features = list(map(self.build_analyzer(), docs))
        n_features = np.fromiter(map(len, features), dtype=np.intp, count=len(docs))
        columns = np.fromiter(map(self.vocabulary_.get, itertools.chain.from_iterable(features),
                                  itertools.repeat(-1)), dtype=np.intp, count=n_features.sum())
        known = columns >= 0
        per_doc = np.bincount(np.repeat(np.arange(len(docs)), n_features)[known],
                              minlength=len(docs))
        nnz = int(per_doc.sum())
        index_type = np.int64 if nnz > np.iinfo(np.int32).max else np.int32
        indptr = np.zeros(len(docs) + 1, dtype=index_type)
        np.cumsum(per_doc, out=indptr[1:])
        X = sp.csr_array((np.ones(nnz, dtype=self.dtype), columns[known].astype(index_type),
                          indptr), shape=(len(docs), len(self.vocabulary_)))
        X.sum_duplicates()  # a feature twice in a document: one entry, counted twice
        return X
