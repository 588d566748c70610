"""The tools people use today, behind one interface, so evaluation can run them beside our models.

* Page extractors (HTML → main text): :func:`make_extractor` / :func:`make_extractors` give
  :class:`Extractor` callables for ``EXTRACTOR_NAMES``. A page an extractor chokes on yields ""
  and is counted, so one bad page never stops an evaluation.
* Line baselines for plain-text articles: :func:`justext_lines` and :func:`c4_line_filter` give
  one keep/drop decision per paragraph of :func:`trainer.segment.segment_text`.
* ``RENDERERS``: other HTML → text converters, to test the text-mode model on text it did not make.
* :func:`checkthat_baseline`: the TF-IDF + linear SVM claim baseline.

Third-party packages are imported only when a baseline is used (``pip install -e '.[baselines]'``).
"""

from __future__ import annotations

import html as html_escaping
import importlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from .segment import decode_html, segment_html, segment_text

__all__ = [
    "C4_POLICY_PHRASES",
    "EXTRACTOR_NAMES",
    "RENDERERS",
    "BaselineUnavailable",
    "Extractor",
    "c4_line_filter",
    "checkthat_baseline",
    "justext_lines",
    "make_extractor",
    "make_extractors",
]


class BaselineUnavailable(ImportError):
    """A baseline's package is not installed."""


def _require(module: str, package: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BaselineUnavailable(
            f"this baseline needs the {package!r} package: pip install -e '.[baselines]'"
        ) from exc


@lru_cache(maxsize=1)
def _english_stoplist() -> frozenset[str]:
    return _require("justext", "justext").get_stoplist("English")


# --------------------------------------------------------------------------- page extractors

def _trafilatura(page: str) -> str:
    """``trafilatura.extract`` with its default settings (it returns None when it finds nothing)."""
    return _require("trafilatura", "trafilatura").extract(page) or ""


def _justext(page: str) -> str:
    """jusText's default parameters with the English stoplist; the non-boilerplate paragraphs."""
    justext = _require("justext", "justext")
    return "\n".join(p.text for p in justext.justext(page, _english_stoplist())
                     if not p.is_boilerplate)


def _boilerpy3(page: str) -> str:
    """BoilerPy3's ArticleExtractor, the boilerpipe variant the published benchmarks ran."""
    extractors = _require("boilerpy3.extractors", "boilerpy3")
    return extractors.ArticleExtractor().get_content(page)


def _readability(page: str) -> str:
    """readability-lxml's article HTML, rendered one block per line by our own segmenter."""
    document = _require("readability", "readability-lxml").Document(page)
    return segment_html(document.summary()).text


def _resiliparse(page: str) -> str:
    """Resiliparse plain-text extraction with its main-content heuristics switched on."""
    html2text = _require("resiliparse.extract.html2text", "resiliparse")
    return html2text.extract_plain_text(page, main_content=True)


_EXTRACTOR_RUNS: dict[str, tuple[Callable[[str], str], tuple[str, str]]] = {
    "trafilatura": (_trafilatura, ("trafilatura", "trafilatura")),
    "justext": (_justext, ("justext", "justext")),
    "boilerpy3": (_boilerpy3, ("boilerpy3.extractors", "boilerpy3")),
    "readability": (_readability, ("readability", "readability-lxml")),
    "resiliparse": (_resiliparse, ("resiliparse.extract.html2text", "resiliparse")),
}
EXTRACTOR_NAMES = tuple(_EXTRACTOR_RUNS)


@dataclass
class Extractor:
    """A named page extractor that returns "" for a page it fails on and counts the failure.

    Bytes are decoded with :func:`trainer.segment.decode_html` first; undecodable input (binary
    data, broken gzip) counts as a failure too.
    """

    name: str
    run: Callable[[str], str]
    pages: int = 0
    failures: int = 0
    errors: Counter = field(default_factory=Counter)  # exception class name -> pages

    def __call__(self, page: str | bytes) -> str:
        self.pages += 1
        try:
            return self.run(decode_html(page)) or ""
        except BaselineUnavailable:
            raise
        except Exception as exc:  # a baseline's bug on one page must not end the evaluation
            self.failures += 1
            self.errors[type(exc).__name__] += 1
            return ""

    def report(self) -> dict:
        """Pages seen and failed so far, as a JSON-ready dict."""
        return {"name": self.name, "pages": self.pages, "failures": self.failures,
                "errors": dict(self.errors)}


def make_extractor(name: str) -> Extractor:
    """A fresh counting extractor; raises :class:`BaselineUnavailable` now if its package is missing."""
    if name not in _EXTRACTOR_RUNS:
        raise ValueError(f"unknown extractor {name!r}: choose from {', '.join(EXTRACTOR_NAMES)}")
    run, (module, package) = _EXTRACTOR_RUNS[name]
    _require(module, package)
    return Extractor(name, run)


def make_extractors(names: Iterable[str] | None = None) -> dict[str, Extractor]:
    """``name -> Extractor`` for ``names`` (all of ``EXTRACTOR_NAMES`` by default)."""
    return {name: make_extractor(name) for name in (EXTRACTOR_NAMES if names is None else names)}


# --------------------------------------------------------------------------- line baselines

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_PARAGRAPH_POSITION = re.compile(r"/p\[(\d+)\]$")


def justext_lines(text: str) -> list[bool]:
    """jusText's verdict for each paragraph of ``segment_text(text)``; True keeps it as content.

    Each paragraph becomes one escaped ``<p>`` of a synthetic page, so jusText sees the same
    blocks, and its results map back by the position in their XPath (a block jusText skips,
    e.g. one holding only control characters, counts as boilerplate).
    """
    justext = _require("justext", "justext")
    paragraphs = segment_text(text)
    if not paragraphs:
        return []
    body = "".join(f"<p>{html_escaping.escape(_CONTROL_CHARS.sub(' ', p.text))}</p>"
                   for p in paragraphs)
    keep = [False] * len(paragraphs)
    for block in justext.justext(f"<html><body>{body}</body></html>", _english_stoplist()):
        position = _PARAGRAPH_POSITION.search(block.xpath)
        if position and 1 <= int(position.group(1)) <= len(paragraphs):
            keep[int(position.group(1)) - 1] = not block.is_boilerplate
    return keep


# Line rules of C4 (Raffel et al. 2020, "Exploring the Limits of Transfer Learning", sec. 2.2)
# and the policy phrases of its public TensorFlow Datasets implementation.
_C4_TERMINAL_PUNCTUATION = (".", "!", "?", '"', "”")
_C4_MIN_WORDS = 3
C4_POLICY_PHRASES = ("terms of use", "privacy policy", "cookie policy", "uses cookies",
                     "use of cookies", "use cookies")


def _c4_keeps(line: str) -> bool:
    lowered = line.lower()
    return (line.endswith(_C4_TERMINAL_PUNCTUATION)
            and len(line.split()) >= _C4_MIN_WORDS
            and "javascript" not in lowered
            and "lorem ipsum" not in lowered
            and "{" not in line
            and not any(phrase in lowered for phrase in C4_POLICY_PHRASES))


def c4_line_filter(text: str) -> list[bool]:
    """C4's line heuristics for each paragraph of ``segment_text(text)``; True keeps it.

    A line is kept when it ends in terminal punctuation (. ! ? or a closing quote), has at least
    3 words, and does not mention "javascript", "lorem ipsum", a curly bracket or a
    cookie/privacy/terms-of-use phrase. C4 dropped whole pages for lorem ipsum and curly
    brackets; here they drop only the line. C4's page rules (at least 5 sentences, the bad-words
    list, English detection, de-duplication of three-sentence spans) are not applied: they judge
    pages, not paragraphs.
    """
    return [_c4_keeps(p.text) for p in segment_text(text)]


# --------------------------------------------------------------------------- renderers

def _render_html2text(page: str | bytes) -> str:
    """Markdown with no line wrapping, links, images or emphasis: blocks are separated by blank
    lines, headings keep their ``#`` marks, list items their ``*`` bullets, tables their ``|``
    cell separators, and characters Markdown would misread get a backslash (e.g. ``\\-``)."""
    converter = _require("html2text", "html2text").HTML2Text()
    converter.body_width = 0
    converter.ignore_links = True
    converter.ignore_images = True
    converter.ignore_emphasis = True
    return converter.handle(decode_html(page))


def _render_inscriptis(page: str | bytes) -> str:
    """Inscriptis' layout-preserving text: blank lines between blocks, ``*`` list bullets and
    table cells laid out side by side on one line."""
    return _require("inscriptis", "inscriptis").get_text(decode_html(page))


def _render_html_text(page: str | bytes) -> str:
    """html-text with layout guessing: plain text, blank lines between blocks, one line per list
    item, table cells joined by spaces; the ``<title>`` comes first."""
    return _require("html_text", "html-text").extract_text(decode_html(page), guess_layout=True)


RENDERERS: dict[str, Callable[[str | bytes], str]] = {
    "html2text": _render_html2text,
    "inscriptis": _render_inscriptis,
    "html_text": _render_html_text,
}


# --------------------------------------------------------------------------- claims

def checkthat_baseline() -> Pipeline:
    """Unfitted TF-IDF word-unigram + linear SVM pipeline, the CheckThat! n-gram baseline.

    Scores come from ``decision_function`` (signed distance to the margin; > 0 means claim), so
    :func:`trainer.metrics.best_threshold` can tune the cut on validation data.
    """
    return Pipeline([
        ("tfidf", TfidfVectorizer(ngram_range=(1, 1))),
        ("svm", LinearSVC(random_state=0)),
    ])
