"""Apply the content and claim models to articles: the Python API and the batch job behind
``trainer predict``.

A models folder holds three bundles (:mod:`trainer.bundle`): ``content-html/`` and
``content-text/`` score content vs boilerplate for HTML and plain-text input, and ``claim/``
scores every paragraph for claim vs non-claim (``claim`` is None for boilerplate). Without
claims (``claims=False``: users who only clean text) the claim model is not run at all, which
saves about a third of the time; ``claim`` and ``claim_score`` are then None.

:func:`predict_articles` is the pure core, models and articles in, output records out; the
:class:`Predictor` methods, the CLI, a server or a Dask job all go through it. It builds one
DataFrame per batch (or per ``ROWS_PER_CALL`` paragraphs) and calls each model once on it, so
the cost per paragraph stays in NumPy and scikit-learn. A bad article never raises: its record
carries the ``error`` and no paragraphs.

Loading models runs pickled code: only load models folders you trust (see :mod:`trainer.bundle`).
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import itertools
import json
import logging
import lzma
import os
import pickle
import re
import stat
import sys
import uuid
import warnings
import zlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence, TextIO

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from threadpoolctl import ThreadpoolController
from tqdm import tqdm

import trainer

from .accelerate import accelerate
from .atomic import replacing
from .bundle import MANIFEST_FILE, MODEL_TASKS, Bundle, BundleError, load_models_bundle
from .lean import refusing_pyarrow
from .memo import shared_work
from .rows import articles_frame
from .segment import (ARTICLE_FORMATS, PAGE_MEDIA_TYPES, Article, InputError, compression,
                      is_mhtml, not_an_article, read_mhtml, segment, unknown_format,
                      unpaired_surrogate, utf16_codec)
from .workers import predict_batch, unpickled_predictor

__all__ = [
    "ArticleInput", "BatchSummary", "Predictor", "article_record", "default_models_dir",
    "error_record", "predict_articles", "predict_files", "read_inputs", "record_writer",
]

_log = logging.getLogger(__name__)

MODELS_ENV = "TRAINER_MODELS"
INPUT_FORMATS = ("auto", "text", "html", "jsonl", "warc", "mhtml")
OUTPUT_FORMATS = ("jsonl", "csv", "text")
MAX_ARTICLE_BYTES = 32 * 2**20  # larger inputs (or JSONL lines) are reported, not read
# A model's memory grows with one article's paragraphs and with its text (200,000 one-line
# paragraphs took 1.6 GB, 50,000 took 530 MB; one paragraph of 5.4 million characters took
# 545 MB, of 31 million 2.3 GB; the largest labelled page has 2,641 paragraphs, the longest
# text 133,439 characters): larger articles are reported.
MAX_ARTICLE_PARAGRAPHS = 50_000
MAX_ARTICLE_CHARS = 5_000_000
BATCH_SIZE = 16  # articles per task
ROWS_PER_CALL = 4096  # paragraphs per model call, at most (one article may hold more)
WINDOW_PER_JOB = 4  # batches in flight per worker: bounds memory, keeps workers busy


@dataclass(frozen=True, slots=True)
class ArticleInput:
    """One article to predict, or the error that kept it from being read."""

    data: str | bytes = ""
    id: str | None = None
    source: str = ""  # where it came from, e.g. "pages/a.html" or "articles.jsonl:7"
    format: str | None = None  # "text", "html", or None to sniff from the data
    error: str | None = None
    charset: str | None = None  # the charset the article was served with, if known
    name: str | None = None  # how error messages name it, if not by its source or id


def default_models_dir() -> Path:
    """``$TRAINER_MODELS``, else the ``models/`` folder shipped beside the package."""
    configured = os.environ.get(MODELS_ENV)
    if configured:
        return Path(configured)
    return Path(trainer.__file__).resolve().parents[1] / "models"


@dataclass(frozen=True)
class Predictor:
    """The models of a models folder, ready to label articles: both content models, and the
    claim model unless loaded without it. ``content_threshold`` and ``claim_threshold``, when
    given, replace the models' own thresholds (chosen on validation) for every paragraph: a
    higher one trades recall for precision (see :meth:`with_thresholds`)."""

    path: Path
    content_html: Bundle
    content_text: Bundle
    claim: Bundle | None
    content_threshold: float | None = None
    claim_threshold: float | None = None

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, *, claims: bool = True) -> Predictor:
        """Load and verify the bundles in ``path`` (default: :func:`default_models_dir`);
        without ``claims``, not the claim model, which the folder then need not hold."""
        path = Path(path) if path is not None else default_models_dir()
        if not path.is_dir():
            raise BundleError(
                f"{path}: no models folder here. Train the models (`trainer train "
                f"configs/<model>.toml` for {', '.join(MODEL_TASKS)}), or name a models folder "
                f"with --models / ${MODELS_ENV}")
        if (path / MANIFEST_FILE).is_file():
            raise BundleError(
                f"{path}: is one model bundle, not a models folder; make a folder holding "
                f"{', '.join(f'{name}/' for name in MODEL_TASKS)} bundles (copy or link the "
                f"shipped ones beside yours) and name that folder")
        names = [name for name in MODEL_TASKS if claims or MODEL_TASKS[name] != "claim"]
        bundles = {name: load_models_bundle(path, name) for name in names}
        for bundle in bundles.values():
            accelerate(bundle.model)
        return cls(path, content_html=bundles["content-html"],
                   content_text=bundles["content-text"], claim=bundles.get("claim"))

    def with_thresholds(self, content: float | None = None,
                        claim: float | None = None) -> Predictor:
        """This predictor marking a paragraph content (a claim) when its score reaches
        ``content`` (``claim``) instead of the model's threshold; a threshold left out (None)
        stays as this predictor has it (the model's, unless set before), so calls chain.
        Content scores are calibrated probabilities; claim scores rank paragraphs but are not
        calibrated."""
        for name, value in (("content", content), ("claim", claim)):
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} threshold must be between 0 and 1, got {value}")
        return replace(
            self, content_threshold=self.content_threshold if content is None else content,
            claim_threshold=self.claim_threshold if claim is None else claim)

    @cached_property
    def _pickled(self) -> tuple[str, bytes]:
        return uuid.uuid4().hex, pickle.dumps(
            (self.path, self.content_html, self.content_text, self.claim,
             self.content_threshold, self.claim_threshold),
            protocol=pickle.HIGHEST_PROTOCOL)

    def __reduce__(self):
        """Pickled once, as bytes with a token: joblib pickles the predictor with every batch,
        and a worker process unpickles its models only for the first (unpickling them cost
        more than predicting a batch). Workers refuse pyarrow when this process does."""
        return unpickled_predictor, (*self._pickled, refusing_pyarrow())

    def predict(self, article: str | bytes, *, format: str | None = None,
                id: str | None = None, claims: bool = True, charset: str | None = None) -> dict:
        """Label one article given as text or HTML, or a page saved as MHTML given as bytes
        (``format`` None: sniffed); without ``claims``, content only. ``charset``: the one
        the article was served with (its HTTP ``Content-Type``'s), read before an HTML page's
        own declaration, as browsers do."""
        if format is not None and format not in ARTICLE_FORMATS:
            raise ValueError(unknown_format(format))
        return predict_articles(
            self, [ArticleInput(article, id=id, format=format, charset=charset)],
            claims=claims)[0]

    def predict_many(self, articles: Iterable[str | bytes | ArticleInput], *, n_jobs: int = 1,
                     batch_size: int = BATCH_SIZE, claims: bool = True) -> Iterator[dict]:
        """Yield one record per article, in input order, using ``n_jobs`` processes (-1: all
        cores; joblib's ``parallel_config`` can choose another backend, e.g. Dask); without
        ``claims``, content only.

        Articles are read lazily and handed out in windows of ``WINDOW_PER_JOB * n_jobs``
        batches, the next window only once this one's records were taken: joblib alone would
        run ahead of a slow reader and pile up results, so memory stays bounded this way. In
        one process each article is segmented as it is read, so a batch holds paragraphs, not
        pages: a page's markup is many times its text, and was most of a batch's memory.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        _check_claims(self, claims)
        inputs = (a if isinstance(a, ArticleInput) else ArticleInput(a) for a in articles)
        jobs = effective_n_jobs(n_jobs)
        if jobs == 1:
            segmented = ((replace(item, data=""), _segment(item)) for item in inputs)
            for batch in _chunks(segmented, batch_size):
                yield from _records(self, batch, claims)
            return
        batches = _chunks(inputs, batch_size)
        window = WINDOW_PER_JOB * jobs
        with Parallel(n_jobs=n_jobs, return_as="generator") as parallel:
            for group in _chunks(batches, window):
                results = parallel(delayed(predict_batch)(self, batch, claims)
                                   for batch in group)
                try:
                    for records in results:
                        yield from records
                except GeneratorExit:  # the caller stopped early, e.g. output piped to `head`
                    with warnings.catch_warnings():  # joblib's "tasks ... not used": intended
                        warnings.simplefilter("ignore", UserWarning)
                        results.close()
                    raise


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


# --------------------------------------------------------------------------- the pure core

def _segment(item: ArticleInput) -> tuple[Article | None, str | None]:
    """The article's paragraphs, or why there are none."""
    if item.error:
        return None, item.error
    name = item.name or item.source or item.id or "<input>"
    if not isinstance(item.data, (str, bytes)):
        return None, (f"{name}: expected the article as text (str) or bytes, got "
                      f"{type(item.data).__name__}")
    if item.format == "mhtml" and isinstance(item.data, str):
        # Its parts declare their own transfer encodings and charsets, which apply to bytes.
        return None, (f"{name}: an MHTML page must be given as bytes (the saved file read in "
                      f"binary mode), not as text")
    try:
        article = segment(item.data, item.format, name=name, charset=item.charset)
    except InputError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - one page the segmenter trips on must not stop a batch
        return None, f"{name}: cannot segment this input ({type(exc).__name__}: {exc})"
    if not article.paragraphs:
        return None, f"{name}: empty article (no text found)"
    for size, limit, what in ((len(article.paragraphs), MAX_ARTICLE_PARAGRAPHS, "paragraphs"),
                              (len(article.text), MAX_ARTICLE_CHARS, "characters of text")):
        if size > limit:
            return None, (f"{name}: {size:,} {what}, more than the {limit:,} one article may "
                          f"have; split it into articles")
    return article, None


@cache
def _native_threads() -> ThreadpoolController:
    return ThreadpoolController()


def _positive_scores(bundle: Bundle, rows: pd.DataFrame) -> np.ndarray:
    if rows.empty:
        return np.empty(0)
    return bundle.model.predict_proba(rows)[:, 1]


def _scores(predictor: Predictor, articles: list[Article],
            claims: bool) -> tuple[list[float], list[float] | None, list[float] | None]:
    """Content scores, claim scores and claim thresholds of every paragraph of ``articles``, in
    order (the last two None without ``claims``); each model is called once."""
    frame = articles_frame(articles, source="predict")
    is_html = (frame["format"] == "html").to_numpy(dtype=bool)
    content = np.empty(len(frame))
    # One native thread: a batch is too small to share, and OpenMP threads spin-waiting for a
    # busy core (joblib workers, other jobs) cost far more than they save.
    with _native_threads().limit(limits=1), shared_work():
        content[is_html] = _positive_scores(predictor.content_html, frame[is_html])
        content[~is_html] = _positive_scores(predictor.content_text, frame[~is_html])
        if not claims:
            return content.tolist(), None, None
        claim = _positive_scores(predictor.claim, frame)
    # Input pages are written pages unless a row says otherwise; see Bundle.row_thresholds.
    claim_cuts = predictor.claim.row_thresholds(frame["page_type"]) \
        if predictor.claim_threshold is None else np.full(len(frame), predictor.claim_threshold)
    return content.tolist(), claim.tolist(), claim_cuts.tolist()


def _runs(articles: list[Article], rows: int) -> Iterator[list[Article]]:
    """Consecutive runs of articles with at most ``rows`` paragraphs (or one larger article)."""
    run, size = [], 0
    for article in articles:
        if run and size + len(article.paragraphs) > rows:
            yield run
            run, size = [], 0
        run.append(article)
        size += len(article.paragraphs)
    if run:
        yield run


def predict_articles(predictor: Predictor, items: Sequence[ArticleInput], *,
                     claims: bool = True) -> list[dict]:
    """One output record per item, in order; without ``claims``, the claim model is not run.
    Each model is called once per run of articles holding about ``ROWS_PER_CALL`` paragraphs:
    a model's memory grows with its rows, and some pages have thousands."""
    _check_claims(predictor, claims)
    return _records(predictor, [(item, _segment(item)) for item in items], claims)


def _check_claims(predictor: Predictor, claims: bool) -> None:
    if claims and predictor.claim is None:
        raise ValueError(f"{predictor.path}: loaded without its claim model "
                         f"(Predictor.load(claims=False)); predict with claims=False")


def _records(predictor: Predictor,
             segmented: Sequence[tuple[ArticleInput, tuple[Article | None, str | None]]],
             claims: bool) -> list[dict]:
    """:func:`predict_articles` for items already segmented: ``(item, _segment(item))``
    pairs, where the item's data is no longer needed."""
    articles = [article for _, (article, _) in segmented if article is not None]
    content_scores, claim_scores, claim_cuts = [], [], []
    for run in _runs(articles, ROWS_PER_CALL):
        content, claim, cuts = _scores(predictor, run, claims)
        content_scores += content
        if claims:
            claim_scores += claim
            claim_cuts += cuts

    records, offset = [], 0
    for item, (article, error) in segmented:
        if article is None:
            records.append(error_record(item, error))
            continue
        end = offset + len(article.paragraphs)
        content_model = (predictor.content_html if article.format == "html"
                         else predictor.content_text)
        records.append(article_record(
            item, article, content_scores[offset:end],
            claim_scores[offset:end] if claims else None,
            content_threshold=content_model.threshold if predictor.content_threshold is None
            else predictor.content_threshold,
            claim_threshold=claim_cuts[offset:end] if claims else None))
        offset = end
    return records


def article_record(item: ArticleInput, article: Article, content_scores: Sequence[float],
                   claim_scores: Sequence[float] | None, *, content_threshold: float,
                   claim_threshold: float | Sequence[float] | None) -> dict:
    """The output record of one segmented article from its paragraphs' scores.

    A paragraph is content (or a claim) when its score reaches the model's threshold (for
    claims one number, or one per paragraph: the claim model's threshold of its page kind);
    ``claim`` is None for boilerplate, while ``claim_score`` is always given, unless claims
    were not scored (``claim_scores`` None): then both are None for every paragraph.
    """
    if claim_scores is None:
        claim_scores = claim_cuts = itertools.repeat(None)
    else:
        claim_cuts = claim_threshold if isinstance(claim_threshold, Sequence) \
            else itertools.repeat(claim_threshold)
    paragraphs = []
    for p, content_score, claim_score, claim_cut in zip(article.paragraphs, content_scores,
                                                        claim_scores, claim_cuts):
        is_content = content_score >= content_threshold
        paragraphs.append({
            "index": p.index, "start": p.start, "end": p.end, "text": p.text,
            "content": is_content, "content_score": content_score,
            "claim": claim_score >= claim_cut if is_content and claim_score is not None
            else None,
            "claim_score": claim_score,
        })
    return {
        "id": item.id, "source": item.source, "paragraphs": paragraphs,
        "content_text": "\n".join(p["text"] for p in paragraphs if p["content"]),
        "error": None,
    }


def error_record(item: ArticleInput, error: str) -> dict:
    return {"id": item.id, "source": item.source, "paragraphs": [], "content_text": "",
            "error": error}


# --------------------------------------------------------------------------- reading inputs

# A .json file is read as JSON Lines, or as one JSON document when it is not (see _read_jsonl).
_KIND_BY_EXTENSION = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".html": "html",
                      ".htm": "html", ".xhtml": "html", ".shtml": "html", ".txt": "text",
                      ".warc": "warc", ".wet": "warc", ".mhtml": "mhtml", ".mht": "mhtml"}
_READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)  # bad gzip or bzip2: OSError
_COMPRESSED = (".gz", ".bz2", ".xz")


def _decompressed(stream):
    """``stream``, decompressed as it is read when it is gzip, bzip2 or xz (told by its first
    bytes, see :func:`trainer.segment.compression`)."""
    kind = compression(stream.peek(10)[:10])
    if kind == "gzip":
        return gzip.GzipFile(fileobj=stream)
    if kind == "bzip2":
        return bz2.BZ2File(stream)
    if kind == "xz":
        return lzma.LZMAFile(stream)
    return stream


def read_inputs(paths: Iterable[str | os.PathLike], input_format: str = "auto", *,
                outputs: Iterable[str | os.PathLike] = ()) -> Iterator[ArticleInput]:
    """Every article in ``paths``, read lazily, one at a time.

    A path is a file, a directory (its files, recursively, in sorted order, symlinked folders
    followed; hidden files and folders skipped and counted in a warning), or "-" for stdin.
    A file holds one article, or one per line when it is JSONL (``{"id": ..., "text"|"html":
    ...}``; a JSON file may also hold one such object over several lines, or an array of them:
    :func:`_read_jsonl`), or one per page when it is a web archive (:func:`_read_warc`); a
    page saved as MHTML is one (:func:`trainer.segment.read_mhtml`).
    With ``input_format`` "auto" the kind comes from the extension (``.txt``, ``.html``/``.htm``,
    ``.jsonl``/``.ndjson``/``.json``, ``.warc``/``.wet``, ``.mhtml``/``.mht``, each
    optionally compressed: ``.gz``, ``.bz2``, ``.xz``), else from the content. Anything
    unreadable is yielded as an ArticleInput with its error.
    ``outputs`` are the files this run writes (its output file and the temporary one it is
    written to): met in a folder, they are skipped with a warning, so that a run does not read
    its own output, or the previous run's.
    """
    if input_format not in INPUT_FORMATS:
        raise ValueError(f"unknown input format {input_format!r}: use one of {INPUT_FORMATS}")
    written = frozenset(map(os.path.realpath, outputs))
    for path in map(os.fspath, paths):
        if path == "-":
            stdin = sys.stdin.buffer
            yield from _read_stream(stdin if hasattr(stdin, "peek") else io.BufferedReader(stdin),
                                    "<stdin>", input_format)
        elif os.path.isdir(path):
            yield from _at_least_one(_read_directory(path, input_format, written),
                                     _display(path), "no files to read in this folder")
        else:
            yield from _read_file(path, input_format)


# What a saved or mirrored site holds beside its pages, by extension: in a folder (with the
# input format left to "auto") such files are skipped and counted, not labelled as articles.
_PAGE_ASSETS = frozenset({
    ".css", ".js", ".mjs", ".map", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif",
    ".svg", ".ico", ".bmp", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".webm",
    ".ogg", ".wav",
})


def _read_directory(directory: str, input_format: str,
                    written: frozenset[str]) -> Iterator[ArticleInput]:
    """Every file below ``directory``; symlinked folders are followed (the articles in them
    are the user's too), each folder read once, so a link back up does not loop. Hidden files
    and folders (editors' swap files, ``.git``) are skipped and counted in a warning, and so
    are, with the input format left to "auto", the assets of saved pages (stylesheets,
    scripts, images, fonts, media, and all of a saved page's resource folder). The files
    ``written`` by this run (resolved paths) are skipped with a warning naming them."""
    failures: list[OSError] = []
    seen: set[tuple[int, int]] = set()
    assets: Counter[str] = Counter()
    hidden = {"file": 0, "folder": 0}
    outputs_met: list[str] = []
    for root, dirs, files in os.walk(directory, onerror=failures.append, followlinks=True):
        try:
            status = os.stat(root)
        except OSError as exc:
            failures.append(exc)
            continue
        if (status.st_dev, status.st_ino) in seen:
            dirs.clear()
            continue
        seen.add((status.st_dev, status.st_ino))
        hidden["folder"] += sum(d.startswith(".") for d in dirs)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if input_format == "auto":
            for resources in [d for d in dirs if _saved_page_resources(d, files)]:
                dirs.remove(resources)
                for _, folders, inside in os.walk(os.path.join(root, resources)):
                    folders.sort()
                    assets.update(os.path.splitext(name)[1].lower() or "(no extension)"
                                  for name in sorted(inside))
        for name in sorted(files):
            path = os.path.join(root, name)
            if written and os.path.realpath(path) in written:
                outputs_met.append(_display(path))
                continue
            if name.startswith("."):
                hidden["file"] += 1
                continue
            extension = os.path.splitext(name)[1].lower()
            if input_format == "auto" and extension in _PAGE_ASSETS:
                assets[extension] += 1
                continue
            if _special_file(path):  # opening a pipe would wait for a writer, perhaps forever
                shown = _display(path)
                yield ArticleInput(id=shown, source=shown, error=f"{shown}: not a regular file "
                                                                 f"(a pipe, socket or device)")
            else:
                yield from _read_file(path, input_format)
    for exc in failures:
        yield _unreadable(exc.filename, exc)
    if outputs_met:
        _log.warning("%s: skipped the output of this run (%s)", _display(directory),
                     ", ".join(outputs_met))
    if any(hidden.values()):
        _log.warning("%s: skipped %s (names starting with '.')", _display(directory),
                     " and ".join(f"{n} hidden {kind}{'s' if n > 1 else ''}"
                                  for kind, n in hidden.items() if n))
    if assets:
        _log.warning("%s: skipped %d files of page assets, not articles (%s)",
                     _display(directory), assets.total(),
                     ", ".join(f"{n} {extension}" for extension, n in assets.most_common()))


def _saved_page_resources(folder: str, files: list[str]) -> bool:
    """Whether ``folder`` is the resource folder of a page saved beside it ("Story_files" by
    "Story.html", as browsers save a page complete): its HTML files are the page's frames
    (ads, embedded posts), no articles of their own."""
    page = folder.removesuffix("_files")
    return page != folder and any(page + extension in files for extension, kind
                                  in _KIND_BY_EXTENSION.items() if kind == "html")


def _special_file(path: str) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # reading it reports why it cannot be read


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _unreadable(name: str | bytes, exc: BaseException) -> ArticleInput:
    name = _display(name)
    return ArticleInput(id=name, source=name, error=f"{name}: cannot read ({_reason(exc)})")


def _read_file(path: str, input_format: str) -> Iterator[ArticleInput]:
    try:
        stream = open(path, "rb")
    except OSError as exc:
        yield _unreadable(path, exc)
        return
    with stream:
        yield from _read_stream(stream, _display(path), input_format)


def _display(path: str | bytes) -> str:
    """A file's name as text for ids and messages: bytes of the name that are not UTF-8 (kept
    by Python as lone surrogates, which no output can write) are shown as ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def _read_stream(stream, name: str, input_format: str) -> Iterator[ArticleInput]:
    """The article(s) in a binary stream that supports ``peek``; compression is undone here,
    so the size limit applies to the decompressed data."""
    try:
        what = not_an_article(stream.peek(8)[:8])
        if what:  # told before reading it: a zip's lines are no JSONL, a PDF no text
            yield ArticleInput(id=name, source=name, error=f"{name}: {what}")
            return
        raw, stream = stream, _decompressed(stream)
        kind = _kind_by_name(name, input_format)
        if isinstance(stream, gzip.GzipFile) and (
                kind == "warc" or kind is None and _starts_gzipped_warc(raw)):
            # warcio undoes gzip itself, record by record, and so reads up to a cut in the
            # file; gzip.GzipFile raises EOFError there, which warcio takes for the end.
            yield from _read_warc(raw, name)
            return
        kind = kind or _sniffed_kind(stream)
        if kind == "mhtml":
            try:
                data, kind, charset = read_mhtml(stream, name, MAX_ARTICLE_BYTES)
            except InputError as exc:
                yield ArticleInput(id=name, source=name, error=str(exc))
            else:
                yield ArticleInput(data, id=name, source=name, format=kind, charset=charset)
            return
        if kind == "warc":
            yield from _read_warc(_CutShown(stream) if stream is not raw else stream, name)
            return
        if kind == "jsonl":
            utf16 = utf16_codec(stream.peek(512))
            yield from _at_least_one(
                _read_jsonl(_Utf16Lines(stream, utf16), name, "UTF-16") if utf16
                else _read_jsonl(stream, name), name, "no articles: this JSONL file has no "
                                                      "lines but blank ones")
            return
        data = stream.read(MAX_ARTICLE_BYTES + 1)
    except _READ_ERRORS as exc:
        yield _unreadable(name, exc)
        return
    if len(data) > MAX_ARTICLE_BYTES:
        yield ArticleInput(id=name, source=name,
                           error=f"{name}: larger than the {MAX_ARTICLE_BYTES >> 20} MiB limit")
    else:
        yield ArticleInput(data, id=name, source=name, format=kind)


def _at_least_one(items: Iterator[ArticleInput], name: str,
                  problem: str) -> Iterator[ArticleInput]:
    """``items``, or one error record naming ``problem`` when there are none: an input that
    holds no article is reported, not passed over in silence."""
    empty = True
    for item in items:
        empty = False
        yield item
    if empty:
        yield ArticleInput(id=name, source=name, error=f"{name}: {problem}")


def _starts_gzipped_warc(stream) -> bool:
    """Whether a gzip stream holds a WARC, told from its first bytes without taking them."""
    try:
        return zlib.decompressobj(wbits=31).decompress(stream.peek(1024)[:1024], 5) == b"WARC/"
    except zlib.error:
        return False


def _kind_by_name(name: str, input_format: str) -> str | None:
    """"jsonl", "text", "html", "warc" or "mhtml" as forced or by the extension, else None."""
    if input_format != "auto":
        return input_format
    stem, extension = os.path.splitext(name.lower())
    if extension in _COMPRESSED:
        extension = os.path.splitext(stem)[1]
    return _KIND_BY_EXTENSION.get(extension)


def _sniffed_kind(stream) -> str | None:
    """"jsonl", "warc" or "mhtml" by the first bytes, or None to let segmentation sniff text
    vs HTML."""
    head = stream.peek(1024)
    utf16 = utf16_codec(head)
    if utf16:
        head = head[:len(head) - len(head) % 2].decode(utf16, errors="replace").encode()
    if head.startswith(b"WARC/"):
        return "warc"
    if is_mhtml(head):
        return "mhtml"
    return "jsonl" if head.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"{") else None


class _CutShown(io.RawIOBase):
    """A decompressing stream whose EOFError at a cut in the file becomes an OSError, which
    warcio passes on: it takes EOFError for the end of the archive. warcio reads ahead, so
    the error may surface a record or so before the cut."""

    def __init__(self, stream):
        self.stream = stream

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self.stream.read(size)
        except EOFError as exc:
            raise OSError(f"the compressed file is cut short ({exc})") from None


def _unreadable_encoding(http_headers) -> str | None:
    """The HTTP Content-Encoding of a stored response that warcio cannot undo (it passes such
    a payload on still compressed), else None."""
    if http_headers is None:
        return None
    from warcio.bufferedreaders import BufferedReader

    encoding = (http_headers.get_header("Content-Encoding") or "").strip().lower()
    readable = {"", "identity", "x-gzip", *BufferedReader.get_supported_decompressors()}
    return None if encoding in readable else encoding


def _missing_bytes(record) -> int:
    """How many bytes of a WARC record's declared length the file lacks (a download cut
    short): warcio reads such a record to the end of the file without a word."""
    raw = record.raw_stream
    while raw.read(1 << 16):
        pass
    return raw.limit  # warcio's LimitReader: what is left of the declared length


# WARC record types that can hold a page: a crawler's HTTP response, a stored resource, and a
# conversion (Common Crawl's WET files: each page's text).
_PAGE_RECORDS = frozenset({"response", "resource", "conversion"})


def _read_warc(stream, name: str) -> Iterator[ArticleInput]:
    """The pages in a web archive (WARC, e.g. a crawl; or Common Crawl's WET text): each HTML
    or plain-text page of a response, resource or conversion record is an article, its id the
    page's URI and its source the file and the record's number (from 1). A page keeps the
    charset it was served with. Records that hold no page (requests, metadata, revisits,
    warcinfo) are passed over; pages that are not HTML or text, and HTTP responses other than
    200 (redirects, errors), are skipped and counted in a warning. A record the archive ends
    inside (in its headers or its content), or that cannot be read, ends the file with an
    error record naming it (by number, and by its WARC-Target-URI when that was read), after
    the pages before it; an archive with no page gives one error record saying so."""
    from warcio.archiveiterator import ArchiveIterator

    stream = _TailKept(stream)
    records = ArchiveIterator(stream)
    skipped: Counter[str] = Counter()
    read = yielded = 0  # records read whole; articles given
    end = 0  # where the last record read whole ends in the stream
    try:
        for record in records:
            page = _warc_page(record, f"{name}:{read + 1}")
            read += 1
            if isinstance(page, str):
                skipped[page] += 1
            elif page is not None:
                yielded += 1
                yield page
            end = records.get_record_offset() + records.get_record_length()
    except _CutShort as exc:
        yielded += 1
        yield exc.args[0]
    except Exception as exc:  # noqa: BLE001 - warcio raises many kinds on a damaged archive
        where = f"{name}:{read + 1}"
        problem = str(exc) if isinstance(exc, _NoLength) else \
            f"cannot read this WARC record ({type(exc).__name__}: {exc})"
        yielded += 1
        yield _cut_record(stream, end, where, failed=True) or ArticleInput(
            id=where, source=where,
            error=f"{where}: {problem}; the records after it are not read")
    else:
        # warcio takes the file ending inside a record's headers for the end of the archive
        if read and (cut := _cut_record(stream, end, f"{name}:{read + 1}", failed=False)):
            yielded += 1
            yield cut
    if skipped:
        counts = ", ".join(f"{n} {reason}" for reason, n in skipped.most_common())
        _log.warning("%s: skipped %d records that are not pages to label (%s)", name,
                     skipped.total(), counts)
    if not yielded:  # the file is still accounted for
        yield ArticleInput(id=name, source=name, error=(
            f"{name}: no HTML or text page to label among the "
            f"{'1 record' if read == 1 else f'{read:,} records'} of this web archive"
            if read else f"{name}: no records: the web archive is empty, or cut "
            f"short or damaged in its first record"))


class _CutShort(Exception):
    """The error record of a WARC record the archive ends inside: nothing after it is read."""


class _NoLength(Exception):
    """A WARC record whose header declares no length: the archive ends inside the header, or
    is damaged there; either way the records after it cannot be found."""


def _warc_page(record, source: str) -> ArticleInput | str | None:
    """The article in one WARC record, or why it holds none to label (a reason counted as
    skipped), or None for a kind of record that never holds a page. Raises _CutShort when the
    archive ends inside the record, whatever it holds, and _NoLength when its header declares
    no length."""
    if not _declares_length(record):
        raise _NoLength("the record's header declares no length: the archive is damaged here")
    uri = record.rec_headers.get_header("WARC-Target-URI")
    page = _page_in(record, source, uri)
    missing = _missing_bytes(record)
    if missing:
        raise _CutShort(ArticleInput(id=uri or source, source=source, error=(
            f"{source}: the archive ends inside this record, {missing:,} bytes short of its "
            f"length{_uri_note(uri)}")))
    return page


def _declares_length(record) -> bool:
    """Whether a WARC (or ARC) record's header gives its length: warcio takes a length that
    is missing for none and one cut to nothing or garbled for 0."""
    declared = (record.rec_headers.get_header(
        "Content-Length" if record.format == "warc" else "length") or "").strip()
    return declared.isascii() and declared.isdigit()


def _uri_note(uri: str | None) -> str:
    return f" (WARC-Target-URI {uri})" if uri else ""


def _page_in(record, source: str, uri: str | None) -> ArticleInput | str | None:
    """What :func:`_warc_page` returns for a record, leaving out whether the archive ends
    inside it."""
    if record.rec_type not in _PAGE_RECORDS:
        return None
    headers = record.http_headers if record.rec_type == "response" else None
    if record.rec_type == "response":
        status = headers.get_statuscode() if headers else None
        if status != "200":
            return f"HTTP {status}" if status else "not an HTTP response"
    media, _, parameters = (headers or record.rec_headers).get_header(
        "Content-Type", "").partition(";")
    media = media.strip().lower()
    if media not in PAGE_MEDIA_TYPES:
        return media or "no content type"
    uri = uri or record.rec_headers.get_header("WARC-Record-ID") or source

    def failed(problem: str) -> ArticleInput:
        return ArticleInput(id=uri, source=source, error=f"{source}: {problem}")

    encoding = _unreadable_encoding(headers)
    if encoding:
        return failed(f"the page was stored compressed as {encoding!r}, which cannot be undone "
                      f"here (gzip and deflate can; 'br' with `pip install brotli`)")
    data = record.content_stream().read(MAX_ARTICLE_BYTES + 1)
    if len(data) > MAX_ARTICLE_BYTES:
        return failed(f"larger than the {MAX_ARTICLE_BYTES >> 20} MiB limit")
    charset = next((value.strip() for key, _, value in
                    (part.partition("=") for part in parameters.split(";"))
                    if key.strip().lower() == "charset"), None)
    return ArticleInput(data, id=uri, source=source, format=PAGE_MEDIA_TYPES[media],
                        charset=charset or None)


class _TailKept:
    """A binary stream that keeps the last bytes read from it: warcio stops without a word at
    a record whose headers the archive ends inside, and what is left of them tells which."""

    def __init__(self, stream):
        self._stream = stream
        self.position = 0  # bytes read
        self._tail = bytearray()

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.position += len(data)
        self._tail += data
        if len(self._tail) > 2 * _KEPT_BYTES:  # trimmed now and then: each trim copies the rest
            del self._tail[:-_KEPT_BYTES]
        return data

    def tell(self) -> int:  # where warcio counts record offsets from
        return self.position

    def rest_from(self, start: int) -> bytes | None:
        """The rest of the stream from byte ``start``, or None when it holds more than a
        record's headers (``_HEADERS_LIMIT`` bytes) or cannot be read."""
        try:
            while self.position - start <= _HEADERS_LIMIT and self.read(1 << 14):
                pass
        except _READ_ERRORS:
            return None
        if self.position - start > _HEADERS_LIMIT:
            return None
        return bytes(self._tail[len(self._tail) - (self.position - start):])


_HEADERS_LIMIT = 1 << 16  # bytes of a record's WARC and HTTP headers looked at, at most
_KEPT_BYTES = 2 * _HEADERS_LIMIT  # at least the headers, and what warcio read beyond them
_HEADERS_END = re.compile(rb"\r?\n\r?\n")


def _cut_record(stream: _TailKept, end: int, where: str, *, failed: bool) -> ArticleInput | None:
    """The error record of the WARC record after the last one read whole (which ends at byte
    ``end`` of ``stream``) when the archive ends inside that record's headers, else None.
    Unless warcio ``failed`` on it, it found nothing more to read: anything but blank lines
    after ``end`` is such a record. Otherwise the archive ends inside it when the file ends
    within a header's length of ``end``, before the header does."""
    rest = stream.rest_from(end)
    if rest is None:
        cut, head = not failed, b""
    else:
        head, whole = _gunzipped(rest) if rest.startswith(b"\x1f\x8b") else (rest, True)
        head = head.lstrip()
        cut = not whole or (not _HEADERS_END.search(head) if failed else bool(head))
    if not cut:
        return None
    ends = _HEADERS_END.search(head)
    lines = (head[:ends.start()] if ends else head[:head.rfind(b"\n") + 1]).splitlines()
    uri = next((value.strip().decode("utf-8", "replace") for key, _, value in
                (line.partition(b":") for line in lines[1:])  # the first is "WARC/1.0"
                if key.strip().lower() == b"warc-target-uri"), None)
    return ArticleInput(id=uri or where, source=where, error=(
        f"{where}: the archive ends inside this record, before the end of its headers"
        f"{_uri_note(uri)}"))


def _gunzipped(data: bytes) -> tuple[bytes, bool]:
    """What gzip members hold, as far as they go, and whether the last one is whole."""
    out = bytearray()
    while data:
        member = zlib.decompressobj(wbits=31)
        try:
            out += member.decompress(data)
        except zlib.error:
            return bytes(out), False
        if not member.eof:
            return bytes(out), False
        data = member.unused_data
    return bytes(out), True


class _Utf16Lines:
    """The lines of a UTF-16 stream, each re-encoded as UTF-8, so JSONL has one reading path
    (JSON Lines is UTF-8, but Windows tools write UTF-16). Lines are split at newline code
    units before decoding, so an invalid line spoils only itself."""

    def __init__(self, stream, codec: str):
        if codec == "utf-16":  # told by the byte-order mark, which is not part of line 1
            codec = "utf-16-le" if stream.read(2) == codecs.BOM_UTF16_LE else "utf-16-be"
        self._stream, self._codec = stream, codec
        self._newline = "\n".encode(codec)
        self._buffer = bytearray()

    def _line_end(self, start: int) -> int:
        """Where the buffer's first line ends (after its newline), or -1 for no newline yet."""
        at = self._buffer.find(self._newline, start)
        while at >= 0 and at % 2:  # bytes straddling two code units are not a newline
            at = self._buffer.find(self._newline, at + 1)
        return -1 if at < 0 else at + 2

    def readline(self, size: int = -1) -> bytes:
        """The next line, or its first ``size`` characters (two bytes each in UTF-16)."""
        limit = 2 * size if size >= 0 else None
        end = self._line_end(0)
        while end < 0 and (limit is None or len(self._buffer) < limit):
            searched = max(0, len(self._buffer) - 2)
            chunk = self._stream.read(1 << 16)
            if not chunk:
                break
            self._buffer += chunk
            end = self._line_end(searched)
        end = len(self._buffer) if end < 0 else end
        end = end if limit is None else min(end, limit)
        line = bytes(self._buffer[:end])
        del self._buffer[:end]
        # Invalid UTF-16 (a lone surrogate, an odd last byte) becomes invalid UTF-8, which the
        # JSON parser refuses, so the line is reported like any undecodable one.
        whole = len(line) - len(line) % 2
        text = line[:whole].decode(self._codec, "surrogatepass") + "\udcff" * (whole < len(line))
        return text.encode("utf-8", "surrogatepass")


def _read_jsonl(stream, name: str, encoding: str = "UTF-8") -> Iterator[ArticleInput]:
    """The articles of a JSON Lines file, one per line; or, when its first line that is not
    blank starts a JSON value spread over lines (pretty-printed) or an array, of the one JSON
    document it is (:func:`_read_json_document`)."""
    first = True
    for line_no in itertools.count(1):
        try:
            line = stream.readline(MAX_ARTICLE_BYTES + 1)
            too_long = len(line) > MAX_ARTICLE_BYTES and not line.endswith(b"\n")
            if too_long:
                _skip_rest_of_line(stream)
        except _READ_ERRORS as exc:
            yield _bad_line(name, line_no, f"cannot read ({_reason(exc)})")
            return
        if not line:
            return
        blank = not line.strip()
        if too_long:
            yield _bad_line(name, line_no, f"longer than the {MAX_ARTICLE_BYTES >> 20} MiB limit")
        elif first and not blank and _starts_json_document(line):
            yield from _read_json_document(stream, line, name, line_no, encoding)
            return
        elif not blank:
            yield _jsonl_article(line, name, line_no, encoding)
        first = first and blank


def _starts_json_document(line: bytes) -> bool:
    """Whether the first line of a JSON file starts an array, or a value that goes on over
    the next lines (no whole JSON value ends in "{", "[", "," or ":")."""
    text = line.removeprefix(codecs.BOM_UTF8).strip()
    return text.startswith(b"[") or text.endswith((b"{", b"[", b",", b":"))


def _read_json_document(stream, first_line: bytes, name: str, line_no: int,
                        encoding: str) -> Iterator[ArticleInput]:
    """The articles of a JSON file that is not JSON Lines, whose first line (line ``line_no``)
    was read: one JSON object, or an array of them, each read as a JSONL line is, with the line
    it starts on. One error record stands for the whole file when it is not such JSON: one
    failure per line of it would say nothing true."""
    data = bytearray(first_line)
    try:
        while len(data) <= MAX_ARTICLE_BYTES and (more := stream.readline(MAX_ARTICLE_BYTES)):
            data += more
    except _READ_ERRORS as exc:
        yield _unreadable(name, exc)
        return

    def failed(problem: str) -> ArticleInput:
        return ArticleInput(id=name, source=name, error=f"{name}: {problem}")

    if len(data) > MAX_ARTICLE_BYTES:
        yield failed(f"larger than the {MAX_ARTICLE_BYTES >> 20} MiB limit of a JSON file "
                     f"that is not JSON Lines; write its articles one per line")
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_line = line_no + data.count(b"\n", 0, exc.start)
        yield failed(f"line {bad_line}: not valid {encoding}")
        return
    not_lines = "not JSON Lines (an article per line), so none of it is read"
    try:
        values = _json_values(text)
    except json.JSONDecodeError as exc:
        yield failed(f"line {line_no + exc.lineno - 1}: malformed JSON at column {exc.colno} "
                     f"({exc.msg}); the file is JSON over several lines, {not_lines}")
        return
    lines, counted = [], 0  # the line each value starts on; up to where newlines are counted
    for start, _ in values:
        line_no += text.count("\n", counted, start)
        lines.append(line_no)
        counted = start
    if text.lstrip().startswith("["):
        if not values:
            yield failed("no articles: an empty JSON array")
            return
        for line, (_, value) in zip(lines, values):
            if not isinstance(value, dict):
                yield failed(f"line {line}: expected a JSON object with id and text or html, "
                             f"got {_json_kind(value)}; the file is a JSON array, {not_lines}")
                return
    for line, (_, value) in zip(lines, values):
        yield _json_article(value, name, line)


_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _json_values(text: str) -> list[tuple[int, object]]:
    """The elements of the JSON array in ``text``, or its one value when it is not an array,
    each with where it starts. Raises json.JSONDecodeError where the JSON is wrong."""
    decoder = json.JSONDecoder()
    at = _JSON_SPACE.match(text).end()
    if not text.startswith("[", at):
        value, end = decoder.raw_decode(text, at)
        values = [(at, value)]
    else:
        values = []
        at = _JSON_SPACE.match(text, at + 1).end()
        end = at + 1 if text.startswith("]", at) else None
        while end is None:
            value, end = decoder.raw_decode(text, at)
            values.append((at, value))
            at = _JSON_SPACE.match(text, end).end()
            if text.startswith(",", at):
                at, end = _JSON_SPACE.match(text, at + 1).end(), None
            elif text.startswith("]", at):
                end = at + 1
            else:
                raise json.JSONDecodeError("Expecting ',' delimiter", text, at)
    rest = _JSON_SPACE.match(text, end).end()
    if rest != len(text):
        raise json.JSONDecodeError("Extra data", text, rest)
    return values


def _skip_rest_of_line(stream) -> None:
    while (chunk := stream.readline(MAX_ARTICLE_BYTES)) and not chunk.endswith(b"\n"):
        pass


def _bad_line(name: str, line_no: int, problem: str, id: str | None = None) -> ArticleInput:
    return ArticleInput(id=id, source=f"{name}:{line_no}",
                        error=f"{name}: line {line_no}: {problem}")


def _jsonl_article(line: bytes, name: str, line_no: int, encoding: str) -> ArticleInput:
    try:
        # Decoded here, strictly: json.loads lets surrogates encoded in UTF-8 through.
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _bad_line(name, line_no, f"not valid {encoding}")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return _bad_line(name, line_no, f"malformed JSON at column {exc.colno} ({exc.msg})",
                         _id_before_extra_data(exc))
    return _json_article(record, name, line_no)


def _id_before_extra_data(exc: json.JSONDecodeError) -> str | None:
    """The id of a whole JSON object that more follows on its line (``{...} garbage``), to
    name the failed article by; else None."""
    if exc.msg != "Extra data":
        return None
    record = json.loads(exc.doc[:exc.pos])
    return _article_id(record)[0] if isinstance(record, dict) else None


def _json_article(record, name: str, line_no: int) -> ArticleInput:
    """The article in one JSON value read from line ``line_no`` of file ``name``."""
    if not isinstance(record, dict):
        return _bad_line(name, line_no, "expected a JSON object with id and text or html")
    article_id, problem = _article_id(record)
    if problem:
        return _bad_line(name, line_no, problem)
    given = [key for key in ("text", "html") if key in record]
    if len(given) != 1 or not isinstance(record[given[0]], str):
        return _bad_line(name, line_no, "needs exactly one of text or html, as a string",
                         article_id)
    if problem := unpaired_surrogate(given[0], record[given[0]]):
        return _bad_line(name, line_no, problem, article_id)
    return ArticleInput(record[given[0]], id=article_id, source=f"{name}:{line_no}",
                        format=given[0], name=f"{name}: line {line_no}")


def _article_id(record: dict) -> tuple[str | None, str | None]:
    """A JSON article's id as text (an integer's too), or None and what is wrong with it."""
    if "id" not in record:
        return None, "missing id (a non-empty string or integer)"
    value = record["id"]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), None
    if not isinstance(value, str) or not value:
        return None, f"id must be a non-empty string or integer, got {_json_kind(value)}"
    return (None, problem) if (problem := unpaired_surrogate("id", value)) else (value, None)


def _json_kind(value) -> str:
    """A JSON value as an error message shows it: a scalar as written, others by kind."""
    if isinstance(value, str):
        return "an empty string" if not value else "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return json.dumps(value)


# --------------------------------------------------------------------------- writing records

CSV_COLUMNS = ("id", "source", "error", "index", "start", "end", "text", "content",
               "content_score", "claim", "claim_score")


def _csv_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def record_writer(stream: TextIO, output_format: str) -> Callable[[dict], None]:
    """A function writing one record to ``stream`` as jsonl (one line per article), csv (one
    row per paragraph, header first) or text (content text only, articles separated by a blank
    line; failed or content-free articles write nothing)."""
    if output_format == "jsonl":
        return lambda record: stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    if output_format == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)

        def write_csv(record: dict) -> None:
            head = [record["id"], record["source"], record["error"]]
            if not record["paragraphs"]:
                writer.writerow([_csv_value(v) for v in head] + [""] * (len(CSV_COLUMNS) - 3))
            writer.writerows([_csv_value(v) for v in head + [p[c] for c in CSV_COLUMNS[3:]]]
                             for p in record["paragraphs"])
        return write_csv
    if output_format == "text":
        separator = ""

        def write_text(record: dict) -> None:
            nonlocal separator
            if record["content_text"]:
                stream.write(f"{separator}{record['content_text']}\n")
                separator = "\n"
        return write_text
    raise ValueError(f"unknown output format {output_format!r}: use one of {OUTPUT_FORMATS}")


@contextmanager
def _output_stream(output: str) -> Iterator[TextIO]:
    """UTF-8 text stream to stdout ("-"), or to a temporary file renamed over ``output`` only
    when everything was written, so a failed run never leaves a partial output file. A device
    or pipe (``/dev/null``, a FIFO) is written directly: renaming over it would replace it."""
    if output == "-":
        if sys.stdout is None:  # the process was started with its stdout closed (`>&-`)
            raise ValueError("standard output is closed: give an output file")
        stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            yield stream
        finally:
            stream.flush()
            stream.detach()
        return
    path = Path(os.path.realpath(output))  # through symlinks: replace the file, keep the link
    if path.exists() and not path.is_file():
        with open(path, "w", encoding="utf-8", newline="") as stream:
            yield stream
        return
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path}: its folder {path.parent} does not exist")
    with replacing(path) as stream:
        yield stream


@dataclass
class BatchSummary:
    articles: int = 0
    failed: int = 0


def predict_files(predictor: Predictor, inputs: Iterable[str | os.PathLike], output: str = "-", *,
                  output_format: str = "jsonl", input_format: str = "auto", n_jobs: int = 1,
                  claims: bool = True, progress: bool = False,
                  log: TextIO | None = None) -> BatchSummary:
    """Label every article in ``inputs`` (see :func:`read_inputs`), streaming the records to
    ``output`` (a file path, or "-" for stdout). Each failed article is reported on ``log``
    (default stderr) and counted; the rest go on. Claims are scored unless ``claims`` is
    False or the output format is text, which holds the content alone."""
    log = log or sys.stderr
    summary = BatchSummary()
    with _output_stream(output) as stream, \
            tqdm(unit=" articles", file=log, disable=not progress, dynamic_ncols=True) as bar:
        # A folder read may hold the output file, and the temporary it is written to.
        written = () if output == "-" else (output, stream.name)
        records = predictor.predict_many(read_inputs(inputs, input_format, outputs=written),
                                         n_jobs=n_jobs, claims=claims and output_format != "text")
        write = record_writer(stream, output_format)
        for record in records:
            write(record)
            summary.articles += 1
            if record["error"]:
                summary.failed += 1
                tqdm.write(f"error: {record['error']}", file=log)
            bar.update()
    return summary
