"""The project's own format for labelled articles: JSON Lines, one article per line.

It is the format users write their own training data in (``docs/annotated-format.md`` has the
full description). Each label names the paragraph it labels by its text (or the text's start),
so labels that no longer line up with the segmentation are an error naming ``file:line`` and
the paragraph, never a silent shift of every label after a merged or split line.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..rows import UNKNOWN, article_rows
from ..segment import Article, InputError, normalise, segment, unpaired_surrogate
from . import BuildLog, adapter, site_of

__all__ = [
    "LABELS",
    "AnnotatedArticle",
    "ParagraphLabel",
    "annotated",
    "annotated_rows",
    "read_annotated",
    "write_annotated",
]

#: Label word → (content index, claim index) in trainer.rows' label sets. A claim or non-claim
#: is content; boilerplate has no claim label (see the claim guideline).
LABELS = {
    "boilerplate": (0, UNKNOWN),
    "content": (1, UNKNOWN),
    "claim": (1, 1),
    "non-claim": (1, 0),
    "unknown": (UNKNOWN, UNKNOWN),
}
_KEYS = ("id", "text", "html", "url", "page_type", "group", "labels")
_SEPARATOR = " | "


@dataclass(frozen=True, slots=True)
class ParagraphLabel:
    """One paragraph's label and its text (or the beginning of it), whitespace-normalised."""

    label: str
    text: str

    def __post_init__(self):
        if self.label not in LABELS:
            raise ValueError(f"label {self.label!r} is not one of {', '.join(LABELS)}")
        if not normalise(self.text):
            raise ValueError("a label needs the paragraph's text (or its beginning) after '|'")
        object.__setattr__(self, "text", normalise(self.text))

    @classmethod
    def parse(cls, entry: str) -> ParagraphLabel:
        """Parse ``"claim | North Korea has sent"``: label word, then paragraph text after "|"."""
        label, separator, text = entry.partition("|")
        if not separator:
            raise ValueError(f"expected 'LABEL | paragraph text', got {entry[:60]!r}")
        return cls(label.strip(), text)

    def __str__(self) -> str:
        return f"{self.label}{_SEPARATOR}{self.text}"


@dataclass(frozen=True, slots=True)
class AnnotatedArticle:
    """A labelled article: exactly one of ``text`` and ``html``, one label per paragraph."""

    id: str
    labels: tuple[ParagraphLabel, ...]
    text: str | None = None
    html: str | None = None
    url: str = ""
    page_type: str = ""
    group: str = ""

    def __post_init__(self):
        if not self.id.strip():
            raise ValueError("'id' must not be empty")
        if (self.text is None) == (self.html is None):
            found = "both" if self.text is not None else "neither"
            raise ValueError(f"give exactly one of 'text' and 'html' (found {found})")
        object.__setattr__(self, "labels", tuple(self.labels))

    @property
    def split_group(self) -> str:
        """The unit a dataset is split by: ``group``, else the URL's site, else the id."""
        return self.group or site_of(self.url) or self.id

    def to_json(self) -> dict:
        """The JSON object of this article, leaving out empty optional keys."""
        obj = {"id": self.id}
        obj.update({"text": self.text} if self.text is not None else {"html": self.html})
        obj.update({k: getattr(self, k) for k in ("url", "page_type", "group") if getattr(self, k)})
        obj["labels"] = [str(label) for label in self.labels]
        return obj

    @classmethod
    def from_json(cls, obj) -> AnnotatedArticle:
        """Validate a decoded JSON object; ValueError says what is wrong."""
        if not isinstance(obj, dict):
            raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
        unknown = sorted(set(obj) - set(_KEYS))
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r} (known: {', '.join(_KEYS)})")
        for key in ("id", "labels"):
            if key not in obj:
                raise ValueError(f"missing {key!r}")
        for key in ("id", "text", "html", "url", "page_type", "group"):
            if key in obj and not isinstance(obj[key], str):
                raise ValueError(f"{key!r} must be a string, got {json.dumps(obj[key])[:40]}")
            if key in obj and (problem := unpaired_surrogate(repr(key), obj[key])):
                raise ValueError(problem)
        if not isinstance(obj["labels"], list):
            raise ValueError("'labels' must be a list, one entry per paragraph")
        labels = []
        for i, entry in enumerate(obj["labels"]):
            if not isinstance(entry, str):
                raise ValueError(f"labels[{i}] must be a string 'LABEL | paragraph text'")
            if problem := unpaired_surrogate(f"labels[{i}]", entry):
                raise ValueError(problem)
            try:
                labels.append(ParagraphLabel.parse(entry))
            except ValueError as exc:
                raise ValueError(f"labels[{i}]: {exc}") from None
        return cls(id=obj["id"], labels=tuple(labels), text=obj.get("text"), html=obj.get("html"),
                   url=obj.get("url", ""), page_type=obj.get("page_type", ""),
                   group=obj.get("group", ""))


def read_annotated(path: str | os.PathLike) -> Iterator[tuple[int, AnnotatedArticle]]:
    """(line number, article) for each non-blank line; InputError "file:line: ..." on any fault."""
    path = Path(path)
    try:
        f = path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    with f:
        for line_no, raw in enumerate(f, 1):
            where = f"{path}:{line_no}"
            try:
                line = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"{where}: not valid UTF-8 (byte {exc.start + 1} of the line)") \
                    from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}: not valid JSON: {exc.msg} (column {exc.colno})") \
                    from None
            try:
                yield line_no, AnnotatedArticle.from_json(obj)
            except ValueError as exc:
                raise InputError(f"{where}: {exc}") from None


def write_annotated(records: Iterable[AnnotatedArticle], path: str | os.PathLike) -> None:
    """Write articles as JSON Lines, atomically: a reader never sees a half-written file."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            for record in records:
                f.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _check_labels(record: AnnotatedArticle, article: Article, where: str) -> None:
    """Each label's text must start its paragraph, and there must be one label per paragraph."""
    paragraphs = article.paragraphs
    hint = (f"labels follow the paragraphs as trainer.segment splits this {article.format} "
            f"(for text: one per non-empty line, hard-wrapped lines joined)")
    for i, (paragraph, label) in enumerate(zip(paragraphs, record.labels)):
        if not paragraph.text.startswith(label.text):
            raise InputError(f"{where}: labels[{i}] {label.text[:60]!r} does not match paragraph "
                             f"{i} {paragraph.text[:60]!r}; {hint}")
    if len(record.labels) != len(paragraphs):
        extra = (f"first unlabelled paragraph {len(record.labels)}: "
                 f"{paragraphs[len(record.labels)].text[:60]!r}"
                 if len(paragraphs) > len(record.labels) else
                 f"first label without a paragraph: labels[{len(paragraphs)}]")
        raise InputError(f"{where}: {len(record.labels)} labels for {len(paragraphs)} "
                         f"paragraphs ({extra}); {hint}")


def annotated_rows(record: AnnotatedArticle, where: str = "<input>",
                   source: str = "annotated") -> list[dict]:
    """Segment an annotated article and return its rows with the gold labels filled in, as
    rows of ``source`` (their article id is ``source:id``)."""
    if record.text is not None:
        article = segment(record.text, "text", where)
    else:
        article = segment(record.html, "html", where)
    if not article.paragraphs:
        what = "text is blank" if record.text is not None else "HTML holds no text"
        raise InputError(f"{where}: the article has no paragraphs to label: its {what}")
    _check_labels(record, article, where)
    rows = article_rows(article, source=source, article_id=f"{source}:{record.id}",
                        group=record.split_group, url=record.url, page_type=record.page_type)
    for row, label in zip(rows, record.labels):
        content, claim = LABELS[label.label]
        if content != UNKNOWN:
            row["content"], row["content_origin"] = content, "gold"
        if claim != UNKNOWN:
            row["claim"], row["claim_origin"] = claim, "gold"
    return rows


@adapter("annotated")
def annotated(options: dict, log: BuildLog) -> Iterator[list[dict]]:
    """Articles of a .jsonl file, or of every .jsonl file in a folder (sorted by name), as
    rows of the source named ``options["source"]`` (the build config's table; default
    "annotated"): each source's ids are its own, so two sources may both have an "a1"."""
    source = options.get("source", "annotated")
    stats = log.stats.setdefault(source, Counter())
    path = Path(options["path"])
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files:
        raise InputError(f"{path}: no .jsonl files in this folder")
    for file in files:
        if file.is_dir():
            raise InputError(f"{file}: a folder, where a .jsonl file of articles was expected")
    seen: dict[str, str] = {}
    for file in files:
        stats["files"] += 1
        for line_no, record in read_annotated(file):
            where = f"{file}:{line_no}"
            if record.id in seen:
                raise InputError(f"{where}: id {record.id!r} is already used at {seen[record.id]}")
            seen[record.id] = where
            rows = annotated_rows(record, where, source)
            stats["articles"] += 1
            stats["paragraphs"] += len(rows)
            for label in record.labels:
                stats[label.label] += 1
            yield rows
    if not seen:
        holder = "its .jsonl files hold" if path.is_dir() else "it holds"
        raise InputError(f"{path}: no articles: {holder} no lines but blank ones")
