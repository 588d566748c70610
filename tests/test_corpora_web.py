import gzip
import json
from itertools import islice
from pathlib import Path

import pytest

from trainer.corpora import ADAPTERS, BuildLog
from trainer.corpora.web import scrapinghub, wcxb
from trainer.segment import InputError

LEAD = "The city council approved a budget of 4.2 million dollars for road repairs on Monday."
QUOTE = "We finally have the money to fix the bridge, the mayor told reporters after the vote."
OPINION = "It is a welcome step, and residents deserve nothing less from their council."
BYLINE = "By Jane Doe, staff reporter"

PAGE = f"""<!DOCTYPE html><html><head><title>Budget</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<h1>Council approves road budget</h1>
<article><p>{LEAD}</p><p>{QUOTE}</p><p class="byline">{BYLINE}</p><p>{OPINION}</p></article>
<footer><p>Sign up for our newsletter</p><p>Copyright 2025 Example Gazette</p></footer>
</body></html>"""


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def write_html(path: Path, markup: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(markup.encode("utf-8")))


def claim(file_id: str, index: int, text: str, label: str, **extra) -> dict:
    return {"id": f"{file_id}-p{index}", "file_id": file_id, "paragraph_index": index,
            "text": text, "label": label, **extra}


@pytest.fixture
def wcxb_dir(tmp_path: Path) -> Path:
    """A tiny WCXB-shaped folder: one good page and three pages each missing something."""
    root = tmp_path / "wcxb-dev"
    write_json(root / "ground-truth" / "0001.json", {
        "url": "https://www.Example-Gazette.com/news/budget",
        "_internal": {"page_type": {"primary": "article"}},
        "ground_truth": {"main_content": f"{LEAD}\n\n{QUOTE}\n\n{OPINION}",
                         "without": ["Home", "Sign up for our newsletter"]},
    })
    write_html(root / "html" / "0001.html.gz", PAGE)
    write_json(root / "ground-truth" / "0002.json", {
        "url": "https://example.org/a", "page_type": "article",
        "ground_truth": {"main_content": LEAD},
    })  # no html
    write_json(root / "ground-truth" / "0003.json", {
        "url": "https://example.org/b", "page_type": {"primary": "product"},
        "ground_truth": {"main_content": ""},
    })
    write_html(root / "html" / "0003.html.gz", PAGE)
    write_json(root / "ground-truth" / "0004.json", {
        "page_type": {"primary": "forum"}, "ground_truth": {"main_content": OPINION},
    })  # no url
    write_html(root / "html" / "0004.html.gz", PAGE)
    return root


def test_adapters_are_registered():
    assert ADAPTERS["wcxb"] is wcxb and ADAPTERS["scrapinghub"] is scrapinghub


def test_wcxb_rows_labels_and_skips(wcxb_dir: Path):
    log = BuildLog()
    pages = list(wcxb({"path": str(wcxb_dir)}, log))
    assert [rows[0]["article_id"] for rows in pages] == ["wcxb:0001", "wcxb:0004"]
    first = {row["text"]: row for row in pages[0]}
    assert first[LEAD]["group"] == "example-gazette.com"
    assert first[LEAD]["page_type"] == "article" and first[LEAD]["source"] == "wcxb"
    assert {t: (r["content"], r["content_origin"]) for t, r in first.items()} == {
        "Home": (0, "gold"), "News": (0, "aligned"),
        "Council approves road budget": (0, "aligned"),
        LEAD: (1, "aligned"), QUOTE: (1, "aligned"), BYLINE: (0, "aligned"),
        OPINION: (1, "aligned"),
        "Sign up for our newsletter": (0, "gold"),
        "Copyright 2025 Example Gazette": (0, "aligned"),
    }
    assert all(row["claim"] == 2 and row["claim_origin"] == "" for row in pages[0])
    # A page without url is its own group, counted but not skipped.
    assert pages[1][0]["group"] == "wcxb:0004" and pages[1][0]["page_type"] == "forum"
    assert [(s["item"], s["reason"].split(":")[0]) for s in log.skipped] == [
        ("0002", "missing html"), ("0003", "empty main_content")]
    # Whole pages skipped carry their site and type, so that evaluation accounts for them.
    assert [(s["group"], s["page_type"]) for s in log.skipped] == [
        ("example.org", "article"), ("example.org", "product")]
    stats = log.stats["wcxb"]
    assert stats["pages"] == 2 and stats["pages_without_url"] == ["0004"]
    assert stats["gold_word_coverage"] == 1.0
    assert stats["blocks"] == 18 and stats["content_blocks"] == 4
    assert stats["snippet_boilerplate_blocks"] == 2


def test_wcxb_page_types_filter(wcxb_dir: Path):
    pages = list(wcxb({"path": str(wcxb_dir), "page_types": ["forum"]}, BuildLog()))
    assert [rows[0]["article_id"] for rows in pages] == ["wcxb:0004"]


def test_wcxb_claims_join(wcxb_dir: Path, tmp_path: Path):
    claims = write_jsonl(tmp_path / "claims.jsonl", [
        claim("0001", 0, LEAD, "claim"),
        claim("0001", 2, OPINION, "non-claim"),
        claim("0001", 1, "Some other text", "claim"),
        claim("0001", 7, LEAD, "claim"),
        claim("0002", 0, LEAD, "claim"),
        claim("0009", 0, LEAD, "claim"),
    ])
    log = BuildLog()
    pages = list(wcxb({"path": str(wcxb_dir), "claims": str(claims)}, log))
    labelled = {row["text"]: (row["claim"], row["claim_origin"]) for row in pages[0]
                if row["claim"] != 2}
    assert labelled == {LEAD: (1, "gold"), OPINION: (0, "gold")}
    assert [(s["item"], s["reason"].split(":")[0]) for s in log.skipped] == [
        ("0001-p1", "claim text mismatch"),
        ("0001-p7", "claim index out of range"),
        ("0002", "missing html"),
        ("0002-p0", "claim page skipped"),
        ("0003", "empty main_content"),
        ("0009-p0", "claim page missing"),
    ]
    stats = log.stats["wcxb"]
    assert (stats["claims_joined"], stats["claims_unjoined"], stats["claim_rows"]) == (2, 4, 2)


def test_wcxb_claim_on_gold_paragraph_missing_from_page(wcxb_dir: Path, tmp_path: Path):
    truth = wcxb_dir / "ground-truth" / "0001.json"
    doc = json.loads(truth.read_text())
    doc["ground_truth"]["main_content"] += "\n\nA paragraph the page never shows."
    write_json(truth, doc)
    claims = write_jsonl(tmp_path / "claims.jsonl",
                         [claim("0001", 3, "A paragraph the page never shows.", "claim")])
    log = BuildLog()
    list(wcxb({"path": str(wcxb_dir), "claims": str(claims)}, log))
    assert log.skipped[0]["item"] == "0001-p3"
    assert log.skipped[0]["reason"].startswith("claim paragraph not on page:")


@pytest.fixture
def aeb_dir(tmp_path: Path) -> Path:
    root = tmp_path / "scrapinghub-aeb"
    page_id = "abc123"
    write_json(root / "ground-truth.json", {
        page_id: {"articleBody": f"{LEAD}\n\n{QUOTE}\n{BYLINE}\n{OPINION}",
                  "url": "http://news.example.com/budget"},
        "zzz999": {"articleBody": LEAD, "url": "http://news.example.com/gone"},
    })
    write_html(root / "html" / f"{page_id}.html.gz", PAGE)
    return root


def test_scrapinghub_claims_and_gold_boilerplate(aeb_dir: Path, tmp_path: Path):
    claims = write_jsonl(tmp_path / "news.jsonl", [
        claim("abc123", 0, LEAD, "claim", boilerplate=False),
        claim("abc123", 2, BYLINE, "non-claim", boilerplate=True),
        claim("abc123", 3, OPINION, "non-claim", boilerplate=False),
    ])
    log = BuildLog()
    pages = list(scrapinghub({"path": str(aeb_dir), "claims": str(claims)}, log))
    assert len(pages) == 1
    rows = {row["text"]: row for row in pages[0]}
    assert rows[LEAD]["article_id"] == "scrapinghub:abc123"
    assert rows[LEAD]["group"] == "example.com"  # the site, not its subdomain
    assert (rows[LEAD]["content"], rows[LEAD]["claim"], rows[LEAD]["claim_origin"]) == \
        (1, 1, "gold")
    assert (rows[QUOTE]["content"], rows[QUOTE]["claim"]) == (1, 2)
    assert (rows[BYLINE]["content"], rows[BYLINE]["content_origin"], rows[BYLINE]["claim"]) \
        == (0, "gold", 2)
    assert (rows[OPINION]["claim"], rows[OPINION]["claim_origin"]) == (0, "gold")
    assert [(s["item"], s["reason"].split(":")[0]) for s in log.skipped] == [
        ("zzz999", "missing html")]
    stats = log.stats["scrapinghub"]
    assert stats["gold_boilerplate_blocks"] == 1 and stats["claims_joined"] == 3
    assert stats["content_blocks"] == 3  # lead, quote, opinion; the byline is now boilerplate


def test_malformed_jsonl_names_file_and_line(wcxb_dir: Path, tmp_path: Path):
    claims = tmp_path / "claims.jsonl"
    claims.write_text(json.dumps(claim("0001", 0, LEAD, "claim")) + "\n{broken\n")
    with pytest.raises(InputError, match=r"claims\.jsonl: line 2: invalid JSON"):
        list(wcxb({"path": str(wcxb_dir), "claims": str(claims)}, BuildLog()))


@pytest.mark.parametrize("record, message", [
    (claim("0001", 0, LEAD, "maybe"), "label must be"),
    ({"file_id": "0001", "label": "claim"}, "paragraph_index"),
    ([1, 2], "expected a JSON object"),
])
def test_invalid_claim_records(wcxb_dir: Path, tmp_path: Path, record, message):
    claims = tmp_path / "claims.jsonl"
    claims.write_text("\n" + json.dumps(record) + "\n")
    with pytest.raises(InputError, match=rf"line 2: .*{message}"):
        list(wcxb({"path": str(wcxb_dir), "claims": str(claims)}, BuildLog()))


def test_duplicate_claim_record_is_an_error(wcxb_dir: Path, tmp_path: Path):
    claims = write_jsonl(tmp_path / "claims.jsonl", [claim("0001", 0, LEAD, "claim")] * 2)
    with pytest.raises(InputError, match="line 2: .*already labelled on line 1"):
        list(wcxb({"path": str(wcxb_dir), "claims": str(claims)}, BuildLog()))


def test_malformed_ground_truth_names_file_and_line(wcxb_dir: Path, aeb_dir: Path):
    (wcxb_dir / "ground-truth" / "0002.json").write_text('{\n  "url": "x",\n  oops\n}')
    with pytest.raises(InputError, match=r"0002\.json: line 3: invalid JSON"):
        list(wcxb({"path": str(wcxb_dir)}, BuildLog()))
    (aeb_dir / "ground-truth.json").write_text("[]")
    with pytest.raises(InputError, match=r"ground-truth\.json: expected an object"):
        list(scrapinghub({"path": str(aeb_dir)}, BuildLog()))


def test_missing_files_and_folders_are_named(tmp_path: Path, wcxb_dir: Path):
    with pytest.raises(InputError, match="nowhere.*not found"):
        list(wcxb({"path": str(tmp_path / "nowhere")}, BuildLog()))
    with pytest.raises(InputError, match="nowhere.*not found"):
        list(scrapinghub({"path": str(tmp_path / "nowhere")}, BuildLog()))
    with pytest.raises(InputError, match="no-claims.jsonl.*not found"):
        list(wcxb({"path": str(wcxb_dir), "claims": str(tmp_path / "no-claims.jsonl")},
                  BuildLog()))
    (tmp_path / "aeb").mkdir()
    with pytest.raises(InputError, match=r"ground-truth\.json.*not found"):
        list(scrapinghub({"path": str(tmp_path / "aeb")}, BuildLog()))


def test_undecodable_html_is_skipped(wcxb_dir: Path):
    (wcxb_dir / "html" / "0001.html.gz").write_bytes(b"\x1f\x8bnot really gzip")
    log = BuildLog()
    pages = list(wcxb({"path": str(wcxb_dir)}, log))
    assert [rows[0]["article_id"] for rows in pages] == ["wcxb:0004"]
    assert log.skipped[0]["item"] == "0001"
    assert log.skipped[0]["reason"].startswith("undecodable html:")


def test_real_wcxb_pages_align_well(shared_data: Path):
    log = BuildLog()
    options = {"path": str(shared_data / "wcxb-dev"),
               "claims": str(shared_data / "wcxb-claims" / "paragraphs.jsonl")}
    pages = list(islice(wcxb(options, log), 40))
    assert len(pages) == 40
    stats = log.stats["wcxb"]
    assert stats["gold_word_coverage"] >= 0.9
    assert stats["content_word_precision"] >= 0.9
    assert stats["claims_joined"] > 0


def test_claim_label_goes_only_to_the_main_piece_of_a_split_claim_paragraph():
    from trainer.corpora.web import _claim_pieces

    rows = [{"index": i} for i in range(4)]
    # A table-like paragraph: 40 words spread thinly over four cells → no cell is sure.
    assert _claim_pieces(rows, {0: 10, 1: 10, 2: 10, 3: 10}, 40) == []
    # One block holds most of the paragraph → only it is labelled.
    assert _claim_pieces(rows[:2], {0: 30, 1: 10}, 40) == [rows[0]]
    assert _claim_pieces(rows[:1], {0: 5}, 40) == rows[:1]
