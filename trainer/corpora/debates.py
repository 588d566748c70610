"""Debate transcripts labelled for the claim task: CheckThat! 2024, ClaimBuster, CheckThat! 2019.

A transcript is one "article": one row per spoken sentence, in spoken order, so a sentence's
neighbours give it context. Every sentence is content (``content=1``, gold); the sentence text
is a paragraph of an :class:`~trainer.segment.Article` whose text is the sentences joined one
per line, so the usual offsets hold. Malformed rows raise :class:`~trainer.segment.InputError`
naming ``file:line``; rows that are only unusable are reported with ``log.skip``.

Overlap between the sources, which a build config must respect:

* CheckThat! 2024 train and dev *are* ClaimBuster ``crowdsourced.csv`` and ``groundtruth.csv``
  (same Sentence_ids, same texts, labels Yes exactly where Verdict is 1). Use **either** the
  ``checkthat2024`` source (with ``claimbuster`` = the ClaimBuster folder, for debate context)
  **or** the ``claimbuster`` source, never both: they would add every sentence twice. The
  adapter that runs second raises ``ValueError``.
* Never train on ClaimBuster's ``2.5xNCS.json``: it mixes in 704 ``groundtruth.csv`` (= CT24 dev)
  sentences. No adapter here reads the ``*NCS.json`` files.
* CheckThat! 2019 holds three of the 2016 debates that ClaimBuster also has (its ``1pres``,
  ``2pres`` and ``3pres`` files repeat about 2,500 ClaimBuster sentences). Those three
  transcripts are pinned to the train split, like their CT24 copies, so no test sentence of one
  source is a training sentence of another.

Splits: CT24 rows carry the official split (train → "train", dev → "validation", dev-test →
"test"); ClaimBuster rows the same split as their CT24 copy. A builder assigns a whole article
to one split, so a debate whose sentences fall in two splits is yielded as two articles: its
train sentences with the transcript's unlabelled lines as context, and its validation
sentences alone, in spoken order (like the test split, whose debates CT24 gives only as sampled
sentences). No sentence is in two splits.
"""

from __future__ import annotations

import csv
import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import compress
from pathlib import Path
from typing import Iterator

from ..rows import UNKNOWN, article_rows
from ..segment import Article, InputError, Paragraph, normalise
from . import BuildLog, adapter

__all__ = ["checkthat2019", "checkthat2024", "claimbuster"]

CT24_FILES = {
    "train": "CT24_checkworthy_english_train.tsv",
    "validation": "CT24_checkworthy_english_dev.tsv",
    "test": "CT24_checkworthy_english_dev-test.tsv",
}
CLAIMBUSTER_FILES = {"train": "crowdsourced.csv", "validation": "groundtruth.csv"}
_CT24_LABELS = {"Yes": 1, "No": 0}
_VERDICT_CLAIM = {"1": 1, "0": 0, "-1": 0}  # check-worthy factual / unimportant / non-factual
_CT19_LABELS = {"1": 1, "0": 0}
_SPREADSHEET_ERROR = "#NAME?"  # CT24 train lost six texts starting with "-" to a spreadsheet

# CT24 dev-test is the 2020 debates, given only as sampled sentences with global Sentence_ids and
# no debate names. Reading the file in id order, the first Trump-Biden debate (29 Sept., "Chris",
# "Proud Boys") ends at id 39435 and the final one (22 Oct., "Kristen", opening on COVID) starts
# at 39479; no vice-presidential debate lies between. Ids never restart, so first ids suffice.
_CT24_2020_DEBATES = ((0, "2020-09-29"), (39479, "2020-10-22"))

# CT19 files that are debates ClaimBuster also holds (its 2016-09-26, 2016-10-09, 2016-10-19).
_CT19_IN_CLAIMBUSTER = frozenset({"20160926_1pres", "20161010_2pres", "20161019_3pres"})


@dataclass(frozen=True, slots=True)
class _Sentence:
    text: str
    speaker: str = ""
    claim: int = UNKNOWN
    split: str = ""  # "" for unlabelled transcript lines


@dataclass(frozen=True, slots=True)
class _DebateLine:
    """A ClaimBuster sentence: its place in a debate and its label."""

    sentence_id: int
    debate: str  # File_id without ".txt", e.g. "1988-09-25"
    line: int
    text: str
    speaker: str
    claim: int
    split: str


# --------------------------------------------------------------------------- reading files


def _read_tsv(path: Path, n_fields: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-blank line of a TAB-separated file, quotes left as is.

    ``QUOTE_NONE`` because these files hold unbalanced quotes that a quoting reader would let
    swallow the following lines. ``newline=""`` lets csv accept both LF and CRLF endings.
    """
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            for fields in reader:
                if not fields:
                    continue
                if len(fields) != n_fields:
                    raise InputError(f"{path}:{reader.line_num}: expected {n_fields} "
                                     f"tab-separated fields, found {len(fields)}")
                yield reader.line_num, fields
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None


def _unquote(field: str) -> str:
    """Undo CSV quoting left in a field read with QUOTE_NONE: drop the enclosing quotes and
    un-double the inner ones.

    The CT24 files quote every text holding a comma or quote, but must be read unquoted (see
    :func:`_read_tsv`); unquoted this way, the texts equal ClaimBuster's.
    """
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1].replace('""', '"')
    return field


def _read_ct24(path: Path) -> list[tuple[int, str, int, int]]:
    """(Sentence_id, text, claim, line number) for every row of a CT24 file."""
    rows = _read_tsv(path, 3)
    header = next(rows, None)
    if header is None or header[1] != ["Sentence_id", "Text", "class_label"]:
        raise InputError(f"{path}:1: expected the header Sentence_id, Text, class_label")
    sentences = []
    for line, (sentence_id, text, label) in rows:
        if not sentence_id.isdigit():
            raise InputError(f"{path}:{line}: Sentence_id {sentence_id!r} is not a number")
        if label not in _CT24_LABELS:
            raise InputError(f"{path}:{line}: class_label {label!r} is not Yes or No")
        sentences.append((int(sentence_id), normalise(_unquote(text)), _CT24_LABELS[label], line))
    return sentences


def _read_claimbuster(folder: Path) -> list[_DebateLine]:
    """Sentences of ``crowdsourced.csv`` (split "train") and ``groundtruth.csv`` ("validation")."""
    sentences = []
    seen: dict[int, str] = {}
    required = ("Sentence_id", "Text", "Speaker", "File_id", "Line_number", "Verdict")
    for split, name in CLAIMBUSTER_FILES.items():
        path = folder / "datasets" / name
        try:
            f = path.open(encoding="utf-8", newline="")
        except FileNotFoundError:
            raise InputError(f"{path}: file not found (is {folder} the ClaimBuster folder?)") \
                from None
        with f:
            reader = csv.DictReader(f)
            missing = [c for c in required if c not in (reader.fieldnames or ())]
            if missing:
                raise InputError(f"{path}:1: missing column(s) {', '.join(missing)}")
            try:
                for row in reader:
                    where = f"{path}:{reader.line_num}"
                    if None in row or None in row.values():
                        raise InputError(f"{where}: expected {len(reader.fieldnames)} fields")
                    if not (row["Sentence_id"].isdigit() and row["Line_number"].isdigit()):
                        raise InputError(f"{where}: Sentence_id and Line_number must be numbers")
                    if row["Verdict"] not in _VERDICT_CLAIM:
                        raise InputError(f"{where}: Verdict {row['Verdict']!r} is not -1, 0 or 1")
                    sentence_id = int(row["Sentence_id"])
                    if sentence_id in seen:
                        raise InputError(f"{where}: Sentence_id {sentence_id} repeats "
                                         f"{seen[sentence_id]}")
                    seen[sentence_id] = where
                    sentences.append(_DebateLine(
                        sentence_id, row["File_id"].removesuffix(".txt"), int(row["Line_number"]),
                        normalise(row["Text"]), row["Speaker"], _VERDICT_CLAIM[row["Verdict"]],
                        split))
            except UnicodeDecodeError as exc:
                raise InputError(f"{path}: not valid UTF-8 ({exc.reason})") from None
    return sentences


# --------------------------------------------------------------------------- transcripts

_SPEAKER_LABEL = re.compile(r"^[ \t]*([A-Z][A-Za-z .,'’-]{0,40}?):[ \t]*", re.M)
_SENTENCE_END = re.compile(r"""[.!?]+["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9])""")
_NOT_SENTENCE_END = frozenset(
    "mr mrs ms dr st sen gov gen rep jr sr lt col sgt vs no messrs prof u.s".split())
_TRAILING_PUNCTUATION = re.compile(r"[^\w\s]*")
# How far ahead (letters and digits) to look for the next labelled sentence; the longest
# unlabelled stretch in ClaimBuster is under 3,000.
_SEARCH_WINDOW = 20_000


def _split_sentences(text: str) -> list[str]:
    """Sentences of a stretch of transcript prose; a line break always ends one.

    A full stop after a title ("Mr.") or an initial ("Howard K. Smith") does not end a sentence.
    """
    sentences = []
    for line in text.splitlines():
        start = 0
        for match in _SENTENCE_END.finditer(line):
            before = line[:match.start()].split()
            word = before[-1].lstrip("\"'“‘([") if before else ""
            if line[match.start()] == "." and (word.lower() in _NOT_SENTENCE_END or
                                               (len(word) == 1 and word.isupper())):
                continue
            sentences.append(line[start:match.end()])
            start = match.end()
        sentences.append(line[start:])
    return [s for s in map(normalise, sentences) if any(map(str.isalnum, s))]


def _search_key(letters: str) -> str:
    """Lower-case letters, one character for one (the rare letters that lower to two stay as is)."""
    lowered = letters.lower()
    if len(lowered) == len(letters):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in letters)


class _Transcript:
    """A transcript's text, searchable by letters and digits only, with its speaker turns.

    ClaimBuster's sentence texts differ from the transcripts in quotes, dashes, spacing and
    mis-decoded characters, so sentences are found by their letters and digits, lower-cased.
    """

    def __init__(self, text: str):
        self.text = text
        is_key = list(map(str.isalnum, text))
        self.positions = list(compress(range(len(text)), is_key))  # key index -> text index
        self.key = _search_key("".join(compress(text, is_key)))
        self.turns = [(m.start(), m.end(), m.group(1)) for m in _SPEAKER_LABEL.finditer(text)
                      if sum(c.islower() for c in m.group(1)) <= 2]  # "MS. McAFEE", not prose
        self.turn_starts = [start for start, _, _ in self.turns]

    def find(self, sentence: str, after: int) -> tuple[int, int] | None:
        """Span of ``sentence`` in the text, searching from character ``after`` onwards."""
        key = _search_key("".join(filter(str.isalnum, sentence)))
        if not key:
            return None
        first = bisect_right(self.positions, after - 1)
        at = self.key.find(key, first, first + _SEARCH_WINDOW + len(key))
        if at < 0:
            return None
        end = self.positions[at + len(key) - 1] + 1
        end += len(_TRAILING_PUNCTUATION.match(self.text, end).group())
        return self.positions[at], end

    def sentences(self, start: int, end: int) -> list[_Sentence]:
        """The transcript's own sentences in ``text[start:end]``, each with its speaker label."""
        first = bisect_left(self.turn_starts, start)
        speaker = self.turns[first - 1][2] if first else ""
        out = []
        for label_start, label_end, next_speaker in self.turns[first:]:
            if label_start >= end:
                break
            out += [_Sentence(s, speaker) for s in _split_sentences(self.text[start:label_start])]
            start, speaker = label_end, next_speaker  # the label itself is not spoken
        out += [_Sentence(s, speaker) for s in _split_sentences(self.text[start:end])]
        return out


def _interleave(transcript: _Transcript, labelled: list[tuple[int, _Sentence]],
                counts: Counter) -> list[_Sentence]:
    """The labelled sentences (line number, sentence) in order, with the transcript's other lines.

    Each labelled sentence found in the transcript anchors it; the transcript's sentences between
    two anchors are the unlabelled lines. ClaimBuster numbers every transcript sentence, so a
    gap should hold as many sentences as the line numbers skip: when it does, labelled sentences
    not found in the text take their numbered place among them; when it does not, that gap's
    context is left out rather than risk repeating a labelled sentence as unlabelled.
    """
    out: list[_Sentence] = []
    pending: list[tuple[int, _Sentence]] = []  # labelled, not found since the last anchor
    last_line, last_end = 0, 0

    def fill_gap(end: int, line: int | None) -> None:
        context = transcript.sentences(last_end, end)
        expected = None if line is None else line - last_line - 1
        if expected is not None:
            counts["context_gaps"] += 1
            counts["context_gaps_matching_line_numbers"] += len(context) == expected
        if not pending:
            out.extend(context)
        elif len(context) == expected:
            for number, sentence in pending:
                context[number - last_line - 1] = sentence
            out.extend(context)
        else:
            counts["context_gaps_left_out"] += 1
            out.extend(sentence for _, sentence in pending)
        pending.clear()

    for line, sentence in labelled:
        span = transcript.find(sentence.text, last_end)
        if span is None:
            counts["not_found_in_transcript"] += 1
            pending.append((line, sentence))
            continue
        fill_gap(span[0], line)
        out.append(sentence)
        last_line, last_end = line, span[1]
    fill_gap(len(transcript.text), None)
    return out


def _debate_articles(folder: Path, debates: dict[str, list[tuple[int, _Sentence]]],
                     source: str, counts: Counter) -> Iterator[list[dict]]:
    """Articles of each debate (sorted by name): its train sentences with context, then the rest.

    ``debates`` maps a ClaimBuster debate name to its labelled sentences by line number.
    """
    for debate in sorted(debates):
        labelled = sorted(debates[debate], key=lambda item: item[0])
        path = folder / "debate_transcripts" / f"{debate}.txt"
        try:
            sentences = _interleave(_Transcript(path.read_text(encoding="utf-8")), labelled, counts)
        except FileNotFoundError:
            counts["debates_without_transcript"] += 1
            sentences = [sentence for _, sentence in labelled]
        counts["debates"] += 1
        counts["context_sentences"] += sum(not s.split for s in sentences)
        by_split = defaultdict(list)
        for sentence in sentences:
            by_split[sentence.split or "train"].append(sentence)
        for split in ("train", "validation"):
            if any(s.split for s in by_split[split]):
                yield _rows(by_split[split], source=source, article_id=f"{source}:{debate}:{split}",
                            group=f"debate:{debate}", split=split)


def _rows(sentences: list[_Sentence], *, source: str, article_id: str, group: str,
          split: str = "") -> list[dict]:
    """Rows of one transcript: content sentences, claim labels where known, pinned split if any."""
    paragraphs, start = [], 0
    for index, sentence in enumerate(sentences):
        paragraphs.append(Paragraph(index, start, start + len(sentence.text), sentence.text))
        start += len(sentence.text) + 1
    article = Article("text", "\n".join(s.text for s in sentences), paragraphs)
    rows = article_rows(article, source=source, article_id=article_id, group=group,
                        page_type="transcript", speaker=[s.speaker for s in sentences])
    for row, sentence in zip(rows, sentences):
        row["content"], row["content_origin"] = 1, "gold"
        if sentence.claim != UNKNOWN:
            row["claim"], row["claim_origin"] = sentence.claim, "gold"
        if split:
            row["split"] = split
    return rows


def _refuse_duplicate_source(log: BuildLog, name: str, other: str) -> None:
    if other in log.stats:
        raise ValueError(
            f"sources {other!r} and {name!r} hold the same ClaimBuster sentences (CheckThat! 2024 "
            f"train/dev are ClaimBuster); keep one: checkthat2024 with claimbuster = <folder> "
            f"gives the same sentences with their debate context")


def _record(stats: dict, split: str, claim: int) -> None:
    stats[f"sentences_{split}"] += 1
    stats[f"claims_{split}"] += claim == 1


# --------------------------------------------------------------------------- adapters


@adapter("checkthat2024")
def checkthat2024(options: dict, log: BuildLog) -> Iterator[list[dict]]:
    """CLEF CheckThat! 2024 Task 1 (English): train, dev and dev-test with their official splits.

    With ``claimbuster`` (the ClaimBuster folder), each train/dev sentence is placed in its
    debate through ClaimBuster's Sentence_id → File_id, Line_number, after checking that both
    give the same text (``id_matches`` counts the agreeing ones; the six "#NAME?" train texts are
    restored from ClaimBuster), and the transcript's unlabelled lines are added as context
    (claim unknown): mostly the moderators' questions that the labelled answers respond to,
    about 8,500 sentences. ClaimBuster's line numbers count them, and the rebuilt gaps hold
    exactly that many sentences in 99.6% of cases. Sentences without a debate keep Sentence_id order, which is spoken order
    (ids number each debate's sentences consecutively): dev-test forms its two 2020 debates;
    train/dev sentences not placed form one article per file. Without ``claimbuster``, the
    "#NAME?" rows are skipped.
    """
    _refuse_duplicate_source(log, "checkthat2024", "claimbuster")
    stats = log.stats.setdefault("checkthat2024", Counter())
    folder = Path(options["path"])
    claimbuster_folder = Path(options["claimbuster"]) if options.get("claimbuster") else None
    known = {s.sentence_id: s for s in _read_claimbuster(claimbuster_folder)} \
        if claimbuster_folder else {}

    placed: dict[str, list[tuple[int, _Sentence]]] = defaultdict(list)
    unplaced: dict[tuple[str, str], list[tuple[int, _Sentence]]] = defaultdict(list)
    seen: dict[int, str] = {}
    for split, name in CT24_FILES.items():
        path = folder / name
        for sentence_id, text, claim, line in _read_ct24(path):
            where = f"{path}:{line}"
            if sentence_id in seen:
                raise InputError(f"{where}: Sentence_id {sentence_id} repeats {seen[sentence_id]}")
            seen[sentence_id] = where
            match = known.get(sentence_id)
            if known and split != "test":
                stats["ids_checked"] += 1
            if match is not None:
                stats["label_agrees_with_claimbuster"] += claim == match.claim
                if text == _SPREADSHEET_ERROR:
                    stats["texts_restored_from_claimbuster"] += 1
                    text = match.text
                elif text == match.text:
                    stats["id_matches"] += 1
                else:
                    stats["id_text_mismatches"] += 1  # kept, without its debate
                if text == match.text:
                    placed[match.debate].append(
                        (match.line, _Sentence(text, match.speaker, claim, split)))
                    _record(stats, split, claim)
                    continue
            elif known and split != "test":
                stats["ids_not_in_claimbuster"] += 1
            if text == _SPREADSHEET_ERROR or not text:
                log.skip("checkthat2024", where, f"no text: {text!r}")
                continue
            if split == "test":
                debate = next(d for first, d in reversed(_CT24_2020_DEBATES)
                              if sentence_id >= first)
                key = (f"checkthat2024:{debate}", f"debate:{debate}")
            else:
                key = (f"checkthat2024:{split}", f"checkthat2024:{split}")
            unplaced[key].append((sentence_id, _Sentence(text, "", claim, split)))
            _record(stats, split, claim)

    if claimbuster_folder:
        stats["id_match_rate"] = round(stats["id_matches"] / max(1, stats["ids_checked"]), 4)
        for sentence in known.values():  # ClaimBuster sentences CT24 left out are context
            if sentence.sentence_id not in seen:
                context = _Sentence(sentence.text, sentence.speaker)
                placed[sentence.debate].append((sentence.line, context))
        yield from _debate_articles(claimbuster_folder, placed, "checkthat2024", stats)
    for (article_id, group), sentences in unplaced.items():
        sentences.sort(key=lambda item: item[0])
        split = sentences[0][1].split
        yield _rows([s for _, s in sentences], source="checkthat2024", article_id=article_id,
                    group=group, split=split)


@adapter("claimbuster")
def claimbuster(options: dict, log: BuildLog) -> Iterator[list[dict]]:
    """ClaimBuster's 33 debates: crowdsourced.csv and groundtruth.csv sentences in context.

    Verdict 1 (check-worthy factual) is a claim; 0 (unimportant factual) and -1 (non-factual)
    are not. Splits follow CT24: crowdsourced → "train", groundtruth → "validation".
    """
    _refuse_duplicate_source(log, "claimbuster", "checkthat2024")
    stats = log.stats.setdefault("claimbuster", Counter())
    folder = Path(options["path"])
    debates: dict[str, list[tuple[int, _Sentence]]] = defaultdict(list)
    for s in _read_claimbuster(folder):
        if not s.text:
            log.skip("claimbuster", f"{s.debate}:{s.line}", "no text")
            continue
        debates[s.debate].append((s.line, _Sentence(s.text, s.speaker, s.claim, s.split)))
        _record(stats, s.split, s.claim)
    yield from _debate_articles(folder, debates, "claimbuster", stats)


@adapter("checkthat2019")
def checkthat2019(options: dict, log: BuildLog) -> Iterator[list[dict]]:
    """CLEF CheckThat! 2019 Task 1: 19 full transcripts, one article each, in file-name order.

    Label 1 (a fact-checker checked the sentence) is a claim, 0 is not; many true claims are 0.
    """
    stats = log.stats.setdefault("checkthat2019", Counter())
    files = sorted((Path(options["path"]) / "training").glob("*.tsv"))
    if not files:
        raise InputError(f"{options['path']}: no training/*.tsv files")
    for path in files:
        sentences = []
        for line, (number, speaker, text, label) in _read_tsv(path, 4):
            if not number.strip().isdigit():
                raise InputError(f"{path}:{line}: line number {number!r} is not a number")
            if label not in _CT19_LABELS:
                raise InputError(f"{path}:{line}: label {label!r} is not 0 or 1")
            if not normalise(text):
                log.skip("checkthat2019", f"{path}:{line}", "no text")
                continue
            sentences.append(_Sentence(normalise(text), speaker.strip(), _CT19_LABELS[label]))
            stats["sentences"] += 1
            stats["claims"] += label == "1"
        stats["transcripts"] += 1
        pinned = "train" if path.stem in _CT19_IN_CLAIMBUSTER else ""
        stats["transcripts_pinned_to_train"] += bool(pinned)
        yield _rows(sentences, source="checkthat2019", article_id=f"checkthat2019:{path.stem}",
                    group=f"checkthat2019:{path.stem}", split=pinned)
