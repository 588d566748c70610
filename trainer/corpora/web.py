"""Web-page corpora with a gold main text: WCXB (``wcxb``) and ScrapingHub's benchmark
(``scrapinghub``).

Neither corpus labels page blocks; each gives the HTML and the main text a person (or a
reviewed model) extracted from it. Blocks get content/boilerplate labels by alignment with
that text (:mod:`trainer.align`, origin ``"aligned"``); WCXB's ``without`` snippets and the
boilerplate lines marked in news-claims are human decisions (origin ``"gold"``). Claim labels
come from paragraph-level files (wcxb-claims, news-claims) that index the *gold* text, and are
joined onto the content blocks aligned to that gold paragraph.

Pages are read one at a time in sorted file order; only the small claim files are held whole.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..align import AlignmentQuality, PageAlignment, align_blocks, alignment_quality, words
from ..rows import article_rows
from ..segment import InputError, segment_html
from . import BuildLog, adapter, site_of

_CLAIM_VALUES = {"claim": 1, "non-claim": 0}
_CLAIM_SHARE = 0.4


# --------------------------------------------------------------------------- reading files


def _existing(path: str | Path, what: str, *, folder: bool) -> Path:
    path = Path(path)
    if not (path.is_dir() if folder else path.is_file()):
        raise InputError(f"{path}: {what} not found")
    return path


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 (byte offset {exc.start})") from None


@dataclass(frozen=True, slots=True)
class _ClaimRecord:
    item: str  # the record's id, for the build log
    paragraph_index: int
    text: str
    claim: int  # 1 claim, 0 non-claim
    boilerplate: bool  # news-claims: a byline/teaser/promotion line inside the gold body


def _read_claims(path: str | Path) -> dict[str, list[_ClaimRecord]]:
    """Claim records by page file id; a malformed or duplicated line is an InputError."""
    path = _existing(path, "claims file", folder=False)
    by_page: dict[str, list[_ClaimRecord]] = defaultdict(list)
    seen: dict[tuple[str, int], int] = {}
    with path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path}: line {number}"
            try:
                record = json.loads(line.decode("utf-8"))
            except UnicodeDecodeError:
                raise InputError(f"{where}: not valid UTF-8") from None
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}: invalid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise InputError(f"{where}: expected a JSON object")
            file_id, index = record.get("file_id"), record.get("paragraph_index")
            label = record.get("label")
            if not isinstance(file_id, str) or type(index) is not int or index < 0:
                raise InputError(f"{where}: needs a string file_id and a paragraph_index >= 0")
            if label not in _CLAIM_VALUES:
                raise InputError(f"{where}: label must be 'claim' or 'non-claim', not {label!r}")
            if (file_id, index) in seen:
                raise InputError(f"{where}: paragraph {index} of {file_id} is already labelled "
                                 f"on line {seen[file_id, index]}")
            seen[file_id, index] = number
            by_page[file_id].append(_ClaimRecord(
                item=str(record.get("id") or f"{file_id}#{index}"), paragraph_index=index,
                text=str(record.get("text", "")), claim=_CLAIM_VALUES[label],
                boilerplate=bool(record.get("boilerplate", False)),
            ))
    return by_page


# --------------------------------------------------------------------------- labelling


@dataclass
class _Tally:
    """Running measurements of one adapter, published to ``log.stats`` after every page."""

    quality: AlignmentQuality = field(default_factory=AlignmentQuality)
    pages: int = 0
    blocks: int = 0
    content_blocks: int = 0
    snippet_blocks: int = 0  # boilerplate by a human-reviewed snippet (origin "gold")
    gold_boilerplate_blocks: int = 0  # boilerplate by a news-claims boilerplate record
    claims_joined: int = 0  # claim records that labelled at least one block
    claims_unjoined: int = 0
    claim_rows: int = 0  # rows that got a claim label
    pages_without_url: list[str] = field(default_factory=list)

    def publish(self, log: BuildLog, source: str) -> None:
        log.stats[source] = {
            "pages": self.pages,
            "blocks": self.blocks,
            "content_blocks": self.content_blocks,
            "boilerplate_blocks": self.blocks - self.content_blocks,
            "snippet_boilerplate_blocks": self.snippet_blocks,
            "gold_boilerplate_blocks": self.gold_boilerplate_blocks,
            "gold_words": self.quality.gold_words,
            "gold_word_coverage": round(self.quality.coverage, 4),
            "content_word_precision": round(self.quality.precision, 4),
            "claims_joined": self.claims_joined,
            "claims_unjoined": self.claims_unjoined,
            "claim_rows": self.claim_rows,
            "pages_without_url": list(self.pages_without_url),
        }


def _label_page(rows: list[dict], blocks: list[str], gold_paragraphs: list[str],
                without: list[str], claims: list[_ClaimRecord], source: str, log: BuildLog,
                tally: _Tally) -> None:
    """Fill in content labels by alignment and join the page's claim records onto its rows."""
    alignment = align_blocks(blocks, gold_paragraphs, without)
    rows_by_paragraph: dict[int, list[dict]] = defaultdict(list)
    matched_by_row: dict[int, int] = {}
    for row, block in zip(rows, alignment.blocks):
        row["content"] = int(block.content)
        row["content_origin"] = "gold" if block.by_snippet else "aligned"
        if block.content:
            rows_by_paragraph[block.gold_paragraph].append(row)
            matched_by_row[row["index"]] = block.n_matched
    tally.quality += alignment_quality(alignment)
    tally.pages += 1
    tally.blocks += len(rows)
    tally.snippet_blocks += sum(block.by_snippet for block in alignment.blocks)

    for record in claims:
        reason = _unjoinable(record, gold_paragraphs, alignment, rows_by_paragraph)
        if reason:
            log.skip(source, record.item, reason)
            tally.claims_unjoined += 1
            continue
        pieces = rows_by_paragraph[record.paragraph_index]
        if record.claim and not record.boilerplate:
            pieces = _claim_pieces(pieces, matched_by_row,
                                   alignment.paragraph_words[record.paragraph_index])
        for row in pieces:
            if record.boilerplate:
                row["content"], row["content_origin"] = 0, "gold"
                tally.gold_boilerplate_blocks += 1
            else:
                row["claim"], row["claim_origin"] = record.claim, "gold"
                tally.claim_rows += 1
        tally.claims_joined += 1
    tally.content_blocks += sum(row["content"] == 1 for row in rows)


def _claim_pieces(pieces: list[dict], matched_by_row: dict[int, int],
                  paragraph_words: int) -> list[dict]:
    """The blocks of a claim paragraph that surely carry its claim.

    Every piece of a non-claim paragraph is a non-claim, but one claim sentence makes a
    paragraph a claim, so when a claim paragraph is split across blocks (a table, a list, a
    <br>) only the block holding most of its words — at least ``_CLAIM_SHARE`` of them — gets
    the label; the other pieces stay unknown rather than inheriting it.
    """
    if len(pieces) <= 1:
        return pieces
    best = max(pieces, key=lambda row: matched_by_row[row["index"]])
    share = matched_by_row[best["index"]] / paragraph_words if paragraph_words else 0.0
    return [best] if share >= _CLAIM_SHARE else []


def _unjoinable(record: _ClaimRecord, gold_paragraphs: list[str], alignment: PageAlignment,
                rows_by_paragraph: dict[int, list[dict]]) -> str | None:
    """Why a claim record labels no block of its page, or None when it does."""
    index = record.paragraph_index
    if index >= len(gold_paragraphs):
        return (f"claim index out of range: paragraph {index} of a gold text with "
                f"{len(gold_paragraphs)} paragraphs")
    if words(record.text) != words(gold_paragraphs[index]):
        return f"claim text mismatch: the record's text is not gold paragraph {index}"
    if index in rows_by_paragraph:
        return None
    if not alignment.paragraph_matched[index]:
        return f"claim paragraph not on page: no word of gold paragraph {index} is in a block"
    return (f"claim paragraph unaligned: no content block aligns mainly to gold paragraph "
            f"{index} (merged into another paragraph's block, or too little of a block)")


def _skip_claims(claims: list[_ClaimRecord], source: str, log: BuildLog, tally: _Tally,
                 reason: str) -> None:
    for record in claims:
        log.skip(source, record.item, reason)
        tally.claims_unjoined += 1


def _page_rows(source: str, page_id: str, html_dir: Path, url: object, page_type: str,
               gold_paragraphs: list[str], without: list[str], claims: list[_ClaimRecord],
               log: BuildLog, tally: _Tally) -> list[dict] | None:
    """The labelled rows of one page, or None (logged) when its HTML is missing or unusable."""
    html_path = html_dir / f"{page_id}.html.gz"
    reason = None
    if not html_path.is_file():
        reason = f"missing html: {html_path} not found"
    else:
        try:
            article = segment_html(html_path.read_bytes(), str(html_path))
        except InputError as exc:
            reason = f"undecodable html: {exc}"
        else:
            if not article.paragraphs:
                reason = f"no text blocks: {html_path} has no visible text"
    url = url if isinstance(url, str) else ""
    article_id = f"{source}:{page_id}"
    group = site_of(url) or article_id
    if reason:
        log.skip(source, page_id, reason, group, page_type)
        _skip_claims(claims, source, log, tally,
                     f"claim page skipped: {page_id} was skipped ({reason.split(':')[0]})")
        return None
    if not url:
        tally.pages_without_url.append(page_id)  # grouped alone, under its article id
    rows = article_rows(article, source=source, article_id=article_id, group=group, url=url,
                        page_type=page_type)
    _label_page(rows, [p.text for p in article.paragraphs], gold_paragraphs, without, claims,
                source, log, tally)
    tally.publish(log, source)
    return rows


# --------------------------------------------------------------------------- WCXB


def _wcxb_page_type(doc: dict) -> str:
    internal = doc.get("_internal")
    page_type = internal.get("page_type") if isinstance(internal, dict) else None
    page_type = page_type or doc.get("page_type")
    if isinstance(page_type, dict):
        page_type = page_type.get("primary")
    return page_type if isinstance(page_type, str) else ""


@adapter("wcxb")
def wcxb(options: dict, log: BuildLog) -> Iterator[list[dict]]:
    """WCXB dev pages, blocks labelled by aligning with ``ground_truth.main_content``.

    Options: ``path`` (the wcxb-dev folder), ``claims`` (wcxb-claims paragraphs.jsonl, whose
    ``paragraph_index`` counts main_content's blank-line-separated paragraphs), ``page_types``
    (keep only these WCXB page types; default all).
    """
    root = _existing(options["path"], "wcxb-dev folder", folder=True)
    truth_dir = _existing(root / "ground-truth", "wcxb ground-truth folder", folder=True)
    html_dir = _existing(root / "html", "wcxb html folder", folder=True)
    claims = _read_claims(options["claims"]) if options.get("claims") else {}
    selected = set(options.get("page_types") or ())
    tally = _Tally()
    tally.publish(log, "wcxb")
    for truth_path in sorted(truth_dir.glob("*.json")):
        file_id = truth_path.stem
        page_claims = claims.pop(file_id, [])
        doc = _read_json(truth_path)
        if not isinstance(doc, dict):
            raise InputError(f"{truth_path}: expected a JSON object")
        page_type = _wcxb_page_type(doc)
        if selected and page_type not in selected:
            _skip_claims(page_claims, "wcxb", log, tally,
                         f"claim page not selected: page type {page_type!r} of {file_id}")
            continue
        truth = doc.get("ground_truth")
        main_content = truth.get("main_content") if isinstance(truth, dict) else None
        if not isinstance(main_content, str) or not main_content.strip():
            url = doc.get("url") if isinstance(doc.get("url"), str) else ""
            log.skip("wcxb", file_id, f"empty main_content: {truth_path} has no gold main text",
                     site_of(url) or f"wcxb:{file_id}", page_type)
            _skip_claims(page_claims, "wcxb", log, tally,
                         f"claim page skipped: {file_id} has no gold main text")
            continue
        without = [s for s in truth.get("without") or () if isinstance(s, str)]
        # Split exactly as wcxb-claims counts paragraphs.
        rows = _page_rows("wcxb", file_id, html_dir, doc.get("url"), page_type,
                          main_content.split("\n\n"), without, page_claims, log, tally)
        if rows:
            yield rows
    for file_id, records in sorted(claims.items()):
        _skip_claims(records, "wcxb", log, tally,
                     f"claim page missing: no page {file_id} in {root}")
    tally.publish(log, "wcxb")


# --------------------------------------------------------------------------- ScrapingHub


@adapter("scrapinghub")
def scrapinghub(options: dict, log: BuildLog) -> Iterator[list[dict]]:
    """ScrapingHub article-extraction-benchmark pages, aligned with their ``articleBody``.

    Options: ``path`` (the scrapinghub-aeb folder), ``claims`` (news-claims paragraphs.jsonl,
    whose ``paragraph_index`` counts the non-empty lines of articleBody; records marked
    ``boilerplate`` make their blocks gold boilerplate instead of giving a claim label).
    """
    root = _existing(options["path"], "scrapinghub-aeb folder", folder=True)
    truth_path = _existing(root / "ground-truth.json", "scrapinghub ground truth", folder=False)
    html_dir = _existing(root / "html", "scrapinghub html folder", folder=True)
    truth = _read_json(truth_path)
    if not isinstance(truth, dict) or not all(isinstance(v, dict) for v in truth.values()):
        raise InputError(f"{truth_path}: expected an object of {{id: {{articleBody, url}}}}")
    claims = _read_claims(options["claims"]) if options.get("claims") else {}
    tally = _Tally()
    tally.publish(log, "scrapinghub")
    for page_id in sorted(truth):
        page_claims = claims.pop(page_id, [])
        body = truth[page_id].get("articleBody")
        lines = [line for line in body.split("\n") if line.strip()] \
            if isinstance(body, str) else []
        if not lines:
            url = truth[page_id].get("url")
            log.skip("scrapinghub", page_id, "empty articleBody: no gold article text",
                     site_of(url if isinstance(url, str) else "") or f"scrapinghub:{page_id}",
                     "article")
            _skip_claims(page_claims, "scrapinghub", log, tally,
                         f"claim page skipped: {page_id} has no gold article text")
            continue
        rows = _page_rows("scrapinghub", page_id, html_dir, truth[page_id].get("url"),
                          "article", lines, [], page_claims, log, tally)
        if rows:
            yield rows
    for page_id, records in sorted(claims.items()):
        _skip_claims(records, "scrapinghub", log, tally,
                     f"claim page missing: no page {page_id} in {truth_path}")
    tally.publish(log, "scrapinghub")
