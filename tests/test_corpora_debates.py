"""Debate adapters: on the real corpora (skipped when absent) and on tiny handmade files."""

from collections import Counter
from pathlib import Path

import pytest

from trainer.corpora import BuildLog
from trainer.corpora.debates import CT24_FILES, checkthat2019, checkthat2024, claimbuster
from trainer.rows import UNKNOWN
from trainer.segment import InputError

from conftest import SHARED_DATA

CT24_HEADER = "Sentence_id\tText\tclass_label\n"
CB_HEADER = ("Sentence_id,Text,Speaker,Speaker_title,Speaker_party,File_id,Length,Line_number,"
             "Sentiment,Verdict\n")
# A made-up debate; ClaimBuster numbers every sentence: 1-2 heading, 3-4 moderator, 5-6 Smith,
# 7 moderator, 8-10 Jones.
TRANSCRIPT = """January 1, 2000

The Example Debate

MODERATOR: Good evening. Tonight the candidates discuss taxes.

SMITH: Taxes rose by 10 percent last year. I will cut them.

MODERATOR: Mr. Jones, your reply?

JONES: That is wrong. Taxes fell by two percent. Thank you.
"""


def cb_row(sentence_id, text, speaker, line, verdict):
    return f'{sentence_id},"{text}",{speaker},,,2000-01-01.txt,0,{line},0.0,{verdict}\n'


def write(path: Path, text: str, newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


@pytest.fixture
def tiny_claimbuster(tmp_path) -> Path:
    folder = tmp_path / "claimbuster"
    write(folder / "debate_transcripts" / "2000-01-01.txt", TRANSCRIPT)
    write(folder / "datasets" / "crowdsourced.csv", CB_HEADER
          + cb_row(105, "Taxes rose by 10 percent last year.", "Ann Smith", 5, 1)
          + cb_row(106, "I will cut them.", "Ann Smith", 6, -1)
          # Not the transcript's wording: it must take line 9's place, not repeat it.
          + cb_row(109, "Taxes fell by 2 per cent.", "Bob Jones", 9, 1)
          + cb_row(110, "Thank you.", "Bob Jones", 10, -1))
    write(folder / "datasets" / "groundtruth.csv", CB_HEADER
          + cb_row(108, "That is wrong.", "Bob Jones", 8, 0))
    return folder


@pytest.fixture
def tiny_ct24(tmp_path) -> Path:
    folder = tmp_path / "ct24"
    write(folder / CT24_FILES["train"], CT24_HEADER
          + "105\tTaxes rose by 10 percent last year.\tYes\n"
          + "106\t#NAME?\tNo\n"
          + "109\tTaxes fell by 2 per cent.\tYes\n")
    write(folder / CT24_FILES["validation"], CT24_HEADER + '108\t"That is wrong."\tNo\n', "\r\n")
    write(folder / CT24_FILES["test"], CT24_HEADER
          + "39001\tWe built the wall.\tYes\n"
          + "39600\tIt is what it is.\tNo\n"
          + "39000\tHe said so.\tNo\n", "\r\n")
    return folder


def by_article(articles):
    return {rows[0]["article_id"]: rows for rows in articles}


def check_offsets(rows):
    text = "\n".join(r["text"] for r in rows)
    assert all(text[r["start"]:r["end"]] == r["text"] for r in rows)
    assert [r["index"] for r in rows] == list(range(len(rows)))


# --------------------------------------------------------------------------- handmade files


def test_checkthat2024_places_sentences_in_their_debate(tiny_ct24, tiny_claimbuster):
    log = BuildLog()
    articles = by_article(checkthat2024({"path": tiny_ct24, "claimbuster": tiny_claimbuster}, log))
    assert list(articles) == [
        "checkthat2024:2000-01-01:train", "checkthat2024:2000-01-01:validation",
        "checkthat2024:2020-09-29", "checkthat2024:2020-10-22"]
    train = articles["checkthat2024:2000-01-01:train"]
    assert [(r["text"], r["claim"], r["speaker"]) for r in train] == [
        ("January 1, 2000", UNKNOWN, ""),
        ("The Example Debate", UNKNOWN, ""),
        ("Good evening.", UNKNOWN, "MODERATOR"),
        ("Tonight the candidates discuss taxes.", UNKNOWN, "MODERATOR"),
        ("Taxes rose by 10 percent last year.", 1, "Ann Smith"),
        ("I will cut them.", 0, "Ann Smith"),  # "#NAME?" restored from ClaimBuster
        ("Mr. Jones, your reply?", UNKNOWN, "MODERATOR"),
        ("Taxes fell by 2 per cent.", 1, "Bob Jones"),  # its line, without the transcript's copy
        ("Thank you.", UNKNOWN, "Bob Jones"),  # in ClaimBuster, not in CT24: context
    ]
    assert {r["split"] for r in train} == {"train"}
    assert all(r["content"] == 1 and r["content_origin"] == "gold" for r in train)
    assert all(r["claim_origin"] == ("gold" if r["claim"] != UNKNOWN else "") for r in train)
    assert all(r["page_type"] == "transcript" and r["format"] == "text" for r in train)
    assert {r["group"] for r in train} == {"debate:2000-01-01"}
    check_offsets(train)

    validation = articles["checkthat2024:2000-01-01:validation"]
    assert [(r["text"], r["claim"], r["split"]) for r in validation] == [
        ("That is wrong.", 0, "validation")]  # CRLF file, CSV quotes removed
    assert [r["text"] for r in articles["checkthat2024:2020-09-29"]] == [
        "He said so.", "We built the wall."]  # Sentence_id order
    assert [r["split"] for r in articles["checkthat2024:2020-10-22"]] == ["test"]

    stats = log.stats["checkthat2024"]
    assert stats["id_matches"] == 3 and stats["texts_restored_from_claimbuster"] == 1
    assert stats["ids_checked"] == 4 and stats["id_match_rate"] == 0.75
    assert stats["label_agrees_with_claimbuster"] == 4
    assert (stats["sentences_train"], stats["claims_train"], stats["sentences_test"]) == (3, 2, 3)
    assert stats["not_found_in_transcript"] == 1 and not stats["context_gaps_left_out"]


def test_checkthat2024_without_claimbuster_skips_lost_texts(tiny_ct24):
    log = BuildLog()
    articles = by_article(checkthat2024({"path": tiny_ct24}, log))
    assert [r["text"] for r in articles["checkthat2024:train"]] == [
        "Taxes rose by 10 percent last year.", "Taxes fell by 2 per cent."]
    assert [s["reason"] for s in log.skipped] == ["no text: '#NAME?'"]
    assert log.skipped[0]["item"].endswith(f"{CT24_FILES['train']}:3")


def test_checkthat2024_text_mismatch_keeps_sentence_outside_the_debate(tiny_ct24, tiny_claimbuster):
    write(tiny_ct24 / CT24_FILES["train"], CT24_HEADER + "105\tSomething else entirely.\tYes\n")
    log = BuildLog()
    articles = by_article(checkthat2024({"path": tiny_ct24, "claimbuster": tiny_claimbuster}, log))
    assert log.stats["checkthat2024"]["id_text_mismatches"] == 1
    assert [r["text"] for r in articles["checkthat2024:train"]] == ["Something else entirely."]
    debate = articles["checkthat2024:2000-01-01:validation"]
    assert [r["text"] for r in debate] == ["That is wrong."]


@pytest.mark.parametrize("line, message", [
    ("105\tno label here\n", "expected 3 tab-separated fields, found 2"),
    ("105\ttext\tMaybe\n", "class_label 'Maybe' is not Yes or No"),
    ("x1\ttext\tNo\n", "Sentence_id 'x1' is not a number"),
    ("105\ttoo\tmany\tNo\n", "expected 3 tab-separated fields, found 4"),
])
def test_checkthat2024_malformed_row_names_file_and_line(tiny_ct24, line, message):
    path = write(tiny_ct24 / CT24_FILES["train"], CT24_HEADER + "100\tFine.\tNo\n" + line)
    with pytest.raises(InputError, match=message) as error:
        list(checkthat2024({"path": tiny_ct24}, BuildLog()))
    assert f"{path}:3:" in str(error.value)


def test_checkthat2024_wrong_header(tiny_ct24):
    write(tiny_ct24 / CT24_FILES["test"], "id\ttext\tlabel\n")
    with pytest.raises(InputError, match=r"dev-test.tsv:1: expected the header"):
        list(checkthat2024({"path": tiny_ct24}, BuildLog()))


def test_claimbuster_adapter(tiny_claimbuster):
    log = BuildLog()
    articles = by_article(claimbuster({"path": tiny_claimbuster}, log))
    train = articles["claimbuster:2000-01-01:train"]
    assert [(r["text"], r["claim"]) for r in train if r["claim"] != UNKNOWN] == [
        ("Taxes rose by 10 percent last year.", 1), ("I will cut them.", 0),
        ("Taxes fell by 2 per cent.", 1), ("Thank you.", 0)]
    assert [(r["text"], r["claim"]) for r in articles["claimbuster:2000-01-01:validation"]] == [
        ("That is wrong.", 0)]  # Verdict 0: unimportant factual is not a claim
    assert log.stats["claimbuster"]["debates"] == 1


def test_claimbuster_bad_verdict_names_file_and_line(tiny_claimbuster):
    path = tiny_claimbuster / "datasets" / "groundtruth.csv"
    write(path, CB_HEADER + cb_row(108, "That is wrong.", "Bob Jones", 8, 0)
          + cb_row(111, "Yes.", "Bob Jones", 11, 2))
    with pytest.raises(InputError, match=f"{path}:3: Verdict '2'"):
        list(claimbuster({"path": tiny_claimbuster}, BuildLog()))


def test_claimbuster_and_checkthat2024_refuse_to_share_a_build(tiny_ct24, tiny_claimbuster):
    log = BuildLog()
    list(checkthat2024({"path": tiny_ct24}, log))
    with pytest.raises(ValueError, match="same ClaimBuster sentences"):
        list(claimbuster({"path": tiny_claimbuster}, log))


def test_checkthat2019(tmp_path):
    folder = tmp_path / "ct19"
    write(folder / "training" / "20160926_1pres.tsv",
          "1\tHOLT\tGood evening.\t0\n2\tTRUMP\tWe lost 70,000 factories.\t1\n")
    write(folder / "training" / "20170101_other.tsv", "1\tSMITH\t\"Quoted\" start.\t0")
    log = BuildLog()
    articles = by_article(checkthat2019({"path": folder}, log))
    debate = articles["checkthat2019:20160926_1pres"]
    assert [(r["speaker"], r["text"], r["claim"]) for r in debate] == [
        ("HOLT", "Good evening.", 0), ("TRUMP", "We lost 70,000 factories.", 1)]
    assert {r["split"] for r in debate} == {"train"}  # a debate ClaimBuster also holds
    other = articles["checkthat2019:20170101_other"]
    assert other[0]["text"] == '"Quoted" start.' and "split" not in other[0]
    assert other[0]["group"] == "checkthat2019:20170101_other"
    check_offsets(debate)
    assert log.stats["checkthat2019"] == {"sentences": 3, "claims": 1, "transcripts": 2,
                                          "transcripts_pinned_to_train": 1}


@pytest.mark.parametrize("line, message", [
    ("2\tTRUMP\tNo label.\n", "expected 4 tab-separated fields, found 3"),
    ("2\tTRUMP\tBad label.\tyes\n", "label 'yes' is not 0 or 1"),
])
def test_checkthat2019_malformed_row_names_file_and_line(tmp_path, line, message):
    path = write(tmp_path / "training" / "x.tsv", "1\tHOLT\tGood evening.\t0\n" + line)
    with pytest.raises(InputError, match=message) as error:
        list(checkthat2019({"path": tmp_path}, BuildLog()))
    assert f"{path}:2:" in str(error.value)


# --------------------------------------------------------------------------- the real corpora


def real(name: str) -> Path:
    folder = SHARED_DATA / name
    if not folder.is_dir():
        pytest.skip(f"{folder} not found (set TRAINER_SHARED_DATA)")
    return folder


def label_counts(articles) -> Counter:
    return Counter((r.get("split", ""), r["claim"]) for rows in articles for r in rows)


@pytest.fixture(scope="module")
def ct24_in_debates():
    log = BuildLog()
    articles = list(checkthat2024({"path": real("checkthat2024"),
                                   "claimbuster": real("claimbuster")}, log))
    return articles, log


def test_real_checkthat2024_keeps_official_splits(ct24_in_debates):
    articles, log = ct24_in_debates
    counts = label_counts(articles)
    assert counts[("train", 1)] + counts[("train", 0)] == 22_501
    claims = (counts[("train", 1)], counts[("validation", 1)], counts[("test", 1)])
    assert claims == (5413, 238, 108)
    assert counts[("validation", 0)] + counts[("validation", 1)] == 1032
    assert counts[("test", 0)] + counts[("test", 1)] == 318
    assert not counts[("validation", UNKNOWN)] and not counts[("test", UNKNOWN)]
    for rows in articles:  # one split per article: the builder pins an article by its first row
        assert len({r["split"] for r in rows}) == 1
    stats = log.stats["checkthat2024"]
    assert stats["id_matches"] == 23_527 and stats["texts_restored_from_claimbuster"] == 6
    assert stats["id_match_rate"] > 0.999 and not stats["id_text_mismatches"]
    assert stats["label_agrees_with_claimbuster"] == 23_533
    assert stats["debates"] == 33
    assert not log.skipped


def test_real_checkthat2024_transcript_context(ct24_in_debates):
    articles, log = ct24_in_debates
    stats = log.stats["checkthat2024"]
    # ClaimBuster numbers all 32,072 transcript sentences; the gaps between labelled ones are
    # rebuilt from the transcripts with (nearly) the same number of sentences.
    assert stats["context_gaps_matching_line_numbers"] > 0.99 * stats["context_gaps"]
    assert 8_000 < stats["context_sentences"] < 9_000
    first = next(rows for rows in articles
                 if rows[0]["article_id"] == "checkthat2024:1988-09-25:train")
    bush = next(r for r in first if r["claim"] != UNKNOWN)
    question = first[bush["index"] - 1]
    assert question["speaker"] == "LEHRER" and question["text"].endswith("use drugs?")
    assert bush["text"] == "I think we've seen a deterioration of values."
    check_offsets(first)


def test_real_checkthat2024_without_claimbuster():
    log = BuildLog()
    counts = label_counts(checkthat2024({"path": real("checkthat2024")}, log))
    assert counts[("train", 0)] + counts[("train", 1)] == 22_501 - 6  # the six "#NAME?" rows
    assert len(log.skipped) == 6


def test_real_claimbuster():
    log = BuildLog()
    articles = list(claimbuster({"path": real("claimbuster")}, log))
    counts = label_counts(articles)
    assert counts[("train", 0)] + counts[("train", 1)] == 22_501
    assert counts[("validation", 0)] + counts[("validation", 1)] == 1032
    assert (counts[("train", 1)], counts[("validation", 1)]) == (5413, 238)
    assert len({rows[0]["group"] for rows in articles}) == 33


def test_real_checkthat2019():
    log = BuildLog()
    articles = list(checkthat2019({"path": real("checkthat2019")}, log))
    assert len(articles) == 19
    assert sum(map(len, articles)) == 16_421
    assert log.stats["checkthat2019"]["claims"] == 440
    assert log.stats["checkthat2019"]["transcripts_pinned_to_train"] == 3
