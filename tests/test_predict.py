"""The predictor and ``trainer predict`` on real files, with tiny real models trained here."""

from __future__ import annotations

import bz2
import dataclasses
import gc
import gzip
import io
import json
import lzma
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from email import encoders as email_encoders
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

import trainer.predict as predict_module
from trainer.bundle import Bundle, BundleError, save_bundle
from trainer.cli import main
from trainer.predict import ArticleInput, Predictor, read_inputs
from trainer.rows import CLAIM_LABELS, CONTENT_LABELS, article_rows
from trainer.segment import segment

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "predict"
SEED = REPO / "seeds" / "000_9a723f3c1d4aaaf8.txt"
NEWS, SCIENCE = FIXTURES / "news.html", FIXTURES / "science.html"
ARTICLES = FIXTURES / "articles.jsonl"

# Paragraph indices labelled by hand: (content, claim). The seed's 8 news paragraphs are claims.
LABELS = {
    SEED: ({0, 1, 4, 5, 6, 8, 9, 10}, {0, 1, 4, 5, 6, 8, 9, 10}),
    NEWS: ({6, 8, 9, 10, 11, 12}, {8, 9, 10, 12}),
    SCIENCE: ({2, 4, 5, 6, 7}, {4, 5, 6}),
}


def _rows(path: Path) -> pd.DataFrame:
    content, claim = LABELS[path]
    rows = article_rows(segment(path.read_bytes(), name=path.name), source="test",
                        article_id=path.name, group=path.name)
    for row in rows:
        row["content"] = int(row["index"] in content)
        row["claim"] = int(row["index"] in claim)
    return pd.DataFrame(rows)


def _fit(task: str, paths: list[Path], columns: list[str]) -> Pipeline:
    rows = pd.concat([_rows(path) for path in paths], ignore_index=True)
    model = Pipeline([
        ("features", ColumnTransformer([
            (column, HashingVectorizer(n_features=2**12, alternate_sign=False), column)
            for column in columns])),
        ("classify", LogisticRegression(C=20.0, max_iter=1000)),
    ])
    return model.fit(rows, rows[task])


def train_models(directory: Path) -> Path:
    """A models folder laid out like the shipped one, with models fitted on the fixtures."""
    specs = {
        "content-html": ("content", [NEWS, SCIENCE], ["text", "class_tokens"], 0.5),
        "content-text": ("content", [SEED], ["text"], 0.5),
        "claim": ("claim", [SEED, NEWS, SCIENCE], ["text"], 0.4),
    }
    for name, (task, paths, columns, threshold) in specs.items():
        label_names = CONTENT_LABELS[:2] if task == "content" else CLAIM_LABELS[:2]
        save_bundle(_fit(task, paths, columns), directory / name, task=task,
                    label_names=list(label_names), threshold=threshold,
                    config={"columns": columns}, metrics={},
                    sources=[{"name": "test fixtures", "licence": "MIT"}], extra_files={})
    return directory


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    if not SEED.is_file():
        pytest.skip(f"seed article not found at {SEED}")
    return train_models(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def predictor(models_dir) -> Predictor:
    return Predictor.load(models_dir)


def _run(args, **kwargs):
    return CliRunner().invoke(main, ["predict", *map(str, args)], catch_exceptions=False, **kwargs)


def _jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


# --------------------------------------------------------------------------- the API

def test_predicts_the_seed_article(predictor):
    record = predictor.predict(SEED.read_bytes())
    article = segment(SEED.read_bytes())
    assert record["error"] is None and len(record["paragraphs"]) == 36
    for p in record["paragraphs"]:
        assert article.text[p["start"]:p["end"]] == p["text"]
        assert isinstance(p["content_score"], float) and isinstance(p["claim_score"], float)
        assert p["claim"] is None if not p["content"] else isinstance(p["claim"], bool)
    content = {p["index"] for p in record["paragraphs"] if p["content"]}
    assert content == LABELS[SEED][0]  # the model was fitted on this article
    assert record["content_text"].startswith("North Korea has sent at least 10,000")
    assert "JOIN US ON TELEGRAM" not in record["content_text"]
    assert len(record["content_text"].splitlines()) == 8


class ScoresNothing:
    """A stand-in model whose every score is zero: shows which model a paragraph went to."""

    def predict_proba(self, rows):
        return np.zeros((len(rows), 2))


def test_the_content_model_follows_the_input_format(predictor):
    text_blind = dataclasses.replace(
        predictor, content_text=Bundle(Path("-"), ScoresNothing(), predictor.content_text.manifest))
    html = text_blind.predict(NEWS.read_bytes())
    text = text_blind.predict(SEED.read_text(), format="text")
    assert any(p["content"] for p in html["paragraphs"])
    assert not any(p["content"] for p in text["paragraphs"]) and text["content_text"] == ""
    assert all(p["claim"] is None and p["claim_score"] > 0 for p in text["paragraphs"])


def test_bad_article_gives_an_error_record_not_an_exception(predictor):
    for data, problem in [(b"", "empty article"), (b" \n\t\n", "empty article"),
                          (b"\x89PNG\r\n\x1a\n\x00\x00", "a PNG image"),
                          (b"\x00\x01\x02\x03 no known kind", "binary"),
                          (b"caf\xe9 au lait\n", "not valid UTF-8"),
                          (None, "expected the article as text (str) or bytes, got NoneType"),
                          (["a list"], "expected the article as text (str) or bytes, got list")]:
        record = predictor.predict(data)
        assert problem in record["error"]
        assert record["paragraphs"] == [] and record["content_text"] == ""


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_threshold_overrides_replace_the_models_own_and_reach_the_workers(predictor, n_jobs):
    articles = [SEED.read_text(), NEWS.read_bytes()]
    own = list(predictor.predict_many(articles))
    for content, claim in ((0.95, 0.01), (0.05, 0.9)):
        records = list(predictor.with_thresholds(content=content, claim=claim)
                       .predict_many(articles, n_jobs=n_jobs))
        for before, after in zip(own, records):
            scores = [(p["content_score"], p["claim_score"]) for p in after["paragraphs"]]
            assert scores == [(p["content_score"], p["claim_score"])
                              for p in before["paragraphs"]]
            for p in after["paragraphs"]:
                assert p["content"] == (p["content_score"] >= content)
                assert p["claim"] == ((p["claim_score"] >= claim) if p["content"] else None)
    changed = list(predictor.with_thresholds(content=0.95).predict_many(articles))
    assert sum(p["content"] for r in changed for p in r["paragraphs"]) < \
        sum(p["content"] for r in own for p in r["paragraphs"])
    with pytest.raises(ValueError, match="claim threshold must be between 0 and 1, got 1.5"):
        predictor.with_thresholds(claim=1.5)


def test_cli_threshold_options(models_dir):
    strict = _run([SEED, "--models", models_dir, "--content-threshold", "0.99", "-q"])
    assert strict.exit_code == 0
    record = json.loads(strict.stdout)
    assert all(p["content"] == (p["content_score"] >= 0.99) for p in record["paragraphs"])
    assert _run([SEED, "--models", models_dir, "--claim-threshold", "-0.1"]).exit_code == 2


def test_an_unknown_format_is_the_callers_error(predictor):
    with pytest.raises(ValueError, match="unknown input format 'pdf': use 'text', 'html', "
                                         "'mhtml'"):
        predictor.predict(b"%PDF-1.4", format="pdf")


def test_predict_many_streams_in_input_order(predictor):
    inputs = [ArticleInput(NEWS.read_bytes(), id="news"), SEED.read_text(), b"",
              ArticleInput(SCIENCE.read_bytes(), id="science", format="html")]
    records = predictor.predict_many(iter(inputs), n_jobs=1, batch_size=3)
    assert not isinstance(records, list)
    assert [r["id"] for r in records] == ["news", None, None, "science"]


@pytest.mark.filterwarnings("ignore:.*tasks which were still being processed:UserWarning")
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_predict_many_reads_its_input_lazily(predictor, n_jobs):
    pulled = []

    def articles():
        for n in range(10**6):
            pulled.append(n)
            yield f"Article number {n} says the river rose by {n} centimetres."

    records = predictor.predict_many(articles(), n_jobs=n_jobs, batch_size=2)
    assert next(records)["error"] is None
    records.close()
    assert len(pulled) <= predict_module.WINDOW_PER_JOB * n_jobs * 2


ARTICLE_TEXTS = [SEED.read_bytes() if SEED.is_file() else b"", NEWS.read_bytes(),
                 SCIENCE.read_text(), b"", b"\x00\x01binary", b"bad \xff utf-8"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(articles=st.lists(
           st.one_of(st.sampled_from(ARTICLE_TEXTS),
                     st.lists(st.text(min_size=0, max_size=40), max_size=4).map("\n\n".join)),
           max_size=7),
       batch_size=st.integers(1, 4), n_jobs=st.sampled_from([1, 2]))
def test_predict_many_equals_predict_one_by_one(predictor, articles, batch_size, n_jobs):
    expected = [predictor.predict(article) for article in articles]
    assert list(predictor.predict_many(articles, n_jobs=n_jobs, batch_size=batch_size)) == expected


def _without_claims(record: dict) -> dict:
    paragraphs = [{**p, "claim": None, "claim_score": None} for p in record["paragraphs"]]
    return {**record, "paragraphs": paragraphs}


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_without_claims_the_claim_model_is_not_run(predictor, n_jobs):
    # No claim model at all: calling it would fail.
    content_only = dataclasses.replace(predictor, claim=None)
    articles = [SEED.read_bytes(), NEWS.read_bytes(), b"", SCIENCE.read_text()]
    records = list(content_only.predict_many(articles, n_jobs=n_jobs, batch_size=3,
                                             claims=False))
    assert records == [_without_claims(predictor.predict(a)) for a in articles]
    assert records[0] == content_only.predict(articles[0], claims=False)
    assert records[0]["content_text"].startswith("North Korea") and records[2]["error"]


def test_load_uses_the_environment_variable_then_the_shipped_folder(models_dir, monkeypatch,
                                                                    tmp_path):
    monkeypatch.setenv("TRAINER_MODELS", str(models_dir))
    assert Predictor.load().path == models_dir
    monkeypatch.delenv("TRAINER_MODELS")
    assert predict_module.default_models_dir() == REPO / "models"
    with pytest.raises(BundleError, match="trainer train configs/"):
        Predictor.load(tmp_path / "nowhere")


def test_load_refuses_a_bundle_in_the_wrong_place(models_dir, tmp_path):
    swapped = tmp_path / "models"
    for name, source in [("content-html", "claim"), ("content-text", "content-text"),
                         ("claim", "content-html")]:
        (swapped / name).mkdir(parents=True)
        for file in (models_dir / source).iterdir():
            (swapped / name / file.name).write_bytes(file.read_bytes())
    with pytest.raises(BundleError, match="holds a 'claim' model, expected 'content'"):
        Predictor.load(swapped)


def test_load_tells_a_single_bundle_from_a_models_folder(models_dir):
    with pytest.raises(BundleError, match=r"content-text: is one model bundle, not a models "
                                          r"folder; make a folder holding content-html/, "
                                          r"content-text/, claim/ bundles"):
        Predictor.load(models_dir / "content-text")


def test_load_names_the_missing_bundle(models_dir, tmp_path):
    (tmp_path / "content-html").symlink_to(models_dir / "content-html")
    with pytest.raises(BundleError, match="content-text: does not exist"):
        Predictor.load(tmp_path)


def test_predict_many_stopped_early_stops_its_workers_quietly(predictor):
    # As when `trainer predict -j 2 | head` stops reading: joblib warned of cancelled tasks.
    texts = [SEED.read_text(encoding="utf-8")] * 40
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records = predictor.predict_many(texts, n_jobs=2, batch_size=1)
        assert next(records)["error"] is None
        records.close()
        del records
        gc.collect()
    assert [str(w.message) for w in caught] == []


# --------------------------------------------------------------------------- reading inputs

def test_read_inputs_walks_directories_in_sorted_order(tmp_path, caplog):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("two")
    (tmp_path / "b" / "1.htm").write_text("<p>one</p>")
    (tmp_path / "a.html.gz").write_bytes(gzip.compress(NEWS.read_bytes()))
    (tmp_path / ".hidden.txt").write_text("skipped")
    (tmp_path / "notes").write_bytes(b'{"id": "x", "text": "sniffed as JSONL"}\n')
    # A saved page's assets: text that is no article (CSS would be labelled line by line).
    (tmp_path / "b" / "1_files").mkdir()
    for asset in ("style.css", "app.js", "LOGO.PNG", "font.woff2", "b.css"):
        (tmp_path / "b" / "1_files" / asset).write_text("body { color: red }")
    # A page saved complete: its resource folder holds the page's frames (an ad) too.
    (tmp_path / "b" / "1_files" / "frames").mkdir()
    (tmp_path / "b" / "1_files" / "frames" / "ad.html").write_text("<p>Buy now</p>")
    (tmp_path / "b" / "1_files" / "saved_resource").write_text("<p>An embedded post</p>")
    # A folder named so without its page beside it is the user's own.
    (tmp_path / "b" / "3_files").mkdir()
    (tmp_path / "b" / "3_files" / "3.txt").write_text("three")
    with caplog.at_level("WARNING", logger="trainer.predict"):
        items = list(read_inputs([tmp_path]))
    assert [i.source for i in items] == [
        f"{tmp_path}/a.html.gz", f"{tmp_path}/notes:1", f"{tmp_path}/b/1.htm",
        f"{tmp_path}/b/2.txt", f"{tmp_path}/b/3_files/3.txt"]
    assert [i.format for i in items] == ["html", "text", "html", "text", "text"]
    assert items[0].data == NEWS.read_bytes()  # gzip undone while reading
    assert caplog.messages == [f"{tmp_path}: skipped 1 hidden file (names starting with '.')",
                               f"{tmp_path}: skipped 7 files of page assets, not articles "
                               f"(2 .css, 1 .png, 1 .js, 1 .woff2, 1 (no extension), 1 .html)"]
    # Named one by one, or with the input format given, every file is read.
    assert len(list(read_inputs([tmp_path / "b" / "1_files" / "style.css"]))) == 1
    assert len(list(read_inputs([tmp_path], "text"))) == 5 + 7


def test_read_inputs_decompresses_gzip_bzip2_and_xz(tmp_path):
    line = json.dumps({"id": "j", "text": "from a compressed JSONL file"}) + "\n"
    (tmp_path / "a.html.bz2").write_bytes(bz2.compress(NEWS.read_bytes()))
    (tmp_path / "b.jsonl.xz").write_bytes(lzma.compress(line.encode()))
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(b"plain text"))
    (tmp_path / "d.txt").write_bytes(b"BZh is how bzip2 starts; this is text")
    (tmp_path / "e.txt.xz").write_bytes(lzma.compress(b"cut short" * 100)[:-20])
    (tmp_path / "f.zip").write_bytes(b"PK\x03\x04" + bytes(30))
    (tmp_path / "g.txt").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    a, b, c, d, e, f, g = read_inputs([tmp_path])
    assert (a.data, a.format) == (NEWS.read_bytes(), "html")
    assert (b.id, b.data, b.format) == ("j", "from a compressed JSONL file", "text")
    assert (c.data, d.data) == (b"plain text", b"BZh is how bzip2 starts; this is text")
    assert e.error.startswith(f"{tmp_path}/e.txt.xz: cannot read (")
    assert f.error == f"{tmp_path}/f.zip: a zip archive (Word, OpenDocument and EPUB files " \
                      f"are zips too): unpack it and give its folder, or extract its text first"
    # Not "line 2: not valid UTF-8", which it was.
    assert g.error == f"{tmp_path}/g.txt: a PDF document, not text or HTML: extract its text " \
                      f"first (e.g. with pdftotext)"


RUSSIAN_PAGE = ('<html><head><meta charset="iso-8859-1"></head><body>'
                '<p>Москва – столица России.</p></body></html>').encode("cp1251")


def _write_warc(path: Path, compress: bool = True) -> None:
    """A small crawl: a page served as windows-1251 (its own <meta> says Latin-1), a gzip-
    encoded page sent in chunks, a redirect, an image, a page's text as Common Crawl's WET
    holds it, and records that hold no page."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    body = gzip.compress(NEWS.read_bytes())
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part)
                       for part in (body[:100], body[100:])) + b"0\r\n\r\n"
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=compress)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))

        def response(uri, status, headers, payload):
            http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                uri, "response", payload=io.BytesIO(payload), http_headers=http))

        writer.write_record(writer.create_warc_record(
            "https://ru.example/", "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")))
        response("https://ru.example/", "200 OK",
                 [("Content-Type", "text/html; charset=windows-1251")], RUSSIAN_PAGE)
        response("https://news.example/a", "200 OK",
                 [("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
                  ("Transfer-Encoding", "chunked")], chunked)
        response("https://news.example/b", "200 OK",
                 [("Content-Type", "text/html"), ("Content-Encoding", "zstd")],
                 b"(\xb5/\xfd compressed bytes")
        response("https://news.example/old", "301 Moved Permanently",
                 [("Location", "https://news.example/a"), ("Content-Type", "text/html")],
                 b"<html><body>Moved</body></html>")
        response("https://news.example/logo.png", "200 OK", [("Content-Type", "image/png")],
                 b"\x89PNG\r\n\x1a\n" + bytes(50))
        writer.write_record(writer.create_warc_record(
            "https://news.example/a", "conversion", payload=io.BytesIO(SEED.read_bytes()),
            warc_headers_dict={"Content-Type": "text/plain"}))
        writer.write_record(writer.create_warc_record(
            "https://news.example/a", "metadata", payload=io.BytesIO(b"fetchTimeMs: 12"),
            warc_headers_dict={"Content-Type": "application/warc-fields"}))


def test_read_inputs_takes_each_page_of_a_web_archive_as_an_article(tmp_path, caplog):
    _write_warc(tmp_path / "crawl.warc.gz")
    _write_warc(tmp_path / "crawl.bin", compress=False)  # known by its first bytes
    with caplog.at_level("WARNING", logger="trainer.predict"):
        items = list(read_inputs([tmp_path / "crawl.warc.gz", tmp_path / "crawl.bin"]))
    assert len(items) == 8
    for name, (russian, news, zstd, text) in (("crawl.warc.gz", items[:4]),
                                              ("crawl.bin", items[4:])):
        assert [(i.id, i.source, i.format, i.error) for i in (russian, news, text)] == [
            ("https://ru.example/", f"{tmp_path}/{name}:3", "html", None),
            ("https://news.example/a", f"{tmp_path}/{name}:4", "html", None),
            ("https://news.example/a", f"{tmp_path}/{name}:8", "text", None)]
        assert (russian.data, russian.charset) == (RUSSIAN_PAGE, "windows-1251")
        assert news.data == NEWS.read_bytes()  # de-chunked and decompressed
        assert text.data == SEED.read_bytes()
        # An encoding warcio cannot undo would reach segmentation as "binary data".
        assert (zstd.id, zstd.error) == (
            "https://news.example/b", f"{tmp_path}/{name}:5: the page was stored compressed "
            f"as 'zstd', which cannot be undone here (gzip and deflate can; 'br' with `pip "
            f"install brotli`)")
        warning = f"{tmp_path}/{name}: skipped 2 records that are not pages to label " \
                  f"(1 HTTP 301, 1 image/png)"
        assert warning in caplog.messages
    page = segment(russian.data, russian.format, charset=russian.charset)
    assert page.paragraphs[0].text == "Москва – столица России."


def _record_offsets(path: Path) -> list[int]:
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as archive:
        records = ArchiveIterator(archive)
        return [records.get_record_offset() for _ in records]


@pytest.mark.parametrize("compress", [False, True])
def test_a_web_archive_cut_short_keeps_its_whole_records_and_names_the_broken_one(tmp_path,
                                                                                  compress):
    whole = tmp_path / ("crawl.warc.gz" if compress else "crawl.warc")
    _write_warc(whole, compress)
    data, offsets = whole.read_bytes(), _record_offsets(whole)
    cut = tmp_path / f"cut-{whole.name}"
    # Cut inside the payload of record 4 (the chunked page): warcio would give what is there.
    cut.write_bytes(data[:(offsets[3] + offsets[4]) // 2])
    russian, broken = read_inputs([cut])
    assert (russian.id, russian.error) == ("https://ru.example/", None)
    assert (broken.id, broken.source) == ("https://news.example/a", f"{cut}:4")
    assert broken.error.startswith(f"{cut}:4: the archive ends inside this record, ")
    # Known by its first bytes (a name that does not say, or stdin), the same.
    unnamed = tmp_path / "download"
    unnamed.write_bytes(cut.read_bytes())
    assert [i.error for i in read_inputs([unnamed])] == [
        None, broken.error.replace(str(cut), str(unnamed))]
    if not compress:
        # Compressed by xz (read by Python, not warcio): a cut is reported, not taken for the
        # end of the archive, though the error can come a record early (warcio reads ahead).
        (tmp_path / "crawl.warc.xz").write_bytes(lzma.compress(data))
        assert [(i.id, i.data) for i in read_inputs([tmp_path / "crawl.warc.xz"])] == \
               [(i.id, i.data) for i in read_inputs([whole])]
        (tmp_path / "cut.warc.xz").write_bytes(lzma.compress(data)[:-100])
        *pages, broken = read_inputs([tmp_path / "cut.warc.xz"])
        assert "cut short" in broken.error and "cut short" not in str([p.error for p in pages])
        # Cut inside the header of record 8, before its length.
        cut.write_bytes(data[:offsets[7] + 20])
        *pages, broken = read_inputs([cut])
        assert [page.id for page in pages] == ["https://ru.example/", "https://news.example/a",
                                               "https://news.example/b"]
        assert broken.error == f"{cut}:8: the archive ends inside this record, before the " \
                               f"end of its headers"


def _mhtml(parts: list, start: str | None = None, crlf: bool = True) -> bytes:
    """A page saved as one file (MHTML), written by the standard library's MIME writer:
    ``parts`` are MIME parts, the page among them."""
    from email.mime.multipart import MIMEMultipart
    from email.policy import SMTP, default

    saved = MIMEMultipart("related", type="text/html", **({"start": start} if start else {}))
    for part in parts:
        saved.attach(part)
    # Chrome's header lines come before the content type.
    first = "From: <Saved by Blink>\nSnapshot-Content-Location: https://news.example/a\n"
    return first.replace("\n", "\r\n" if crlf else "\n").encode() + \
        saved.as_bytes(policy=SMTP if crlf else default)


def _mime_part(data: bytes, media: str, encoding: str, charset: str | None = None,
               content_id: str | None = None):
    from email.mime.nonmultipart import MIMENonMultipart

    part = MIMENonMultipart(*media.split("/"), **({"charset": charset} if charset else {}))
    part.set_payload(data)
    encode = {"quoted-printable": email_encoders.encode_quopri,
              "base64": email_encoders.encode_base64}[encoding]
    encode(part)
    if content_id:
        part["Content-ID"] = content_id
    return part


def test_read_inputs_takes_the_page_of_a_saved_mhtml_file(tmp_path):
    stylesheet = _mime_part(b"body { color: red }", "text/css", "quoted-printable")
    image = _mime_part(b"\x89PNG\r\n\x1a\n" + bytes(50), "image/png", "base64")
    # As Chrome saves a page: the page first, quoted-printable, lines ending in CRLF.
    chrome = _mhtml([_mime_part(NEWS.read_bytes(), "text/html", "quoted-printable"),
                     stylesheet, image])
    (tmp_path / "a.mhtml").write_bytes(chrome)
    (tmp_path / "a.mhtml.gz").write_bytes(gzip.compress(chrome))
    (tmp_path / "saved").write_bytes(chrome)  # known by its first bytes
    # The page in base64 and a charset of its own, after the stylesheet: the header's
    # "start" names it. Lines ending in LF.
    russian = _mime_part(RUSSIAN_PAGE, "text/html", "base64", charset="windows-1251",
                         content_id="<page@x>")
    (tmp_path / "ru.mht").write_bytes(_mhtml([stylesheet, russian], start="<page@x>",
                                             crlf=False))
    items = list(read_inputs([tmp_path / name for name in
                              ("a.mhtml", "a.mhtml.gz", "saved", "ru.mht")]))
    # Quoted-printable text has the line breaks of the file it is in (CRLF here).
    assert [(i.id, i.format, i.error, i.data.replace(b"\r\n", b"\n")) for i in items[:3]] == [
        (str(tmp_path / name), "html", None, NEWS.read_bytes())
        for name in ("a.mhtml", "a.mhtml.gz", "saved")]
    assert (items[3].data, items[3].charset) == (RUSSIAN_PAGE, "windows-1251")
    page = segment(items[3].data, items[3].format, charset=items[3].charset)
    assert page.paragraphs[0].text == "Москва – столица России."


def test_an_mhtml_file_without_a_whole_page_is_an_error_record(tmp_path, monkeypatch):
    page = _mime_part(NEWS.read_bytes(), "text/html", "quoted-printable")
    image = _mime_part(b"\x89PNG\r\n\x1a\n" + bytes(50), "image/png", "base64")
    whole = _mhtml([page, image])
    cases = {
        "cut.mhtml": whole[:len(whole) // 4],  # inside the page's part
        "header.mhtml": whole[:whole.index(b"Content-Type: text/html") + 10],
        "image.mhtml": _mhtml([image]),
        "start.mhtml": _mhtml([page, image], start="<missing@x>"),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    errors = [item.error.removeprefix(f"{tmp_path}/") for item in
              read_inputs([tmp_path / name for name in cases])]
    assert errors == [
        "cut.mhtml: the file ends inside the page's part: it is cut short",
        "header.mhtml: a part's header lines do not end: the file is cut short or damaged",
        "image.mhtml: the saved page is image/png, not HTML or text",
        "start.mhtml: no part with the Content-ID <missing@x>, which the header names as "
        "the page"]
    # A page over the size limit is reported.
    monkeypatch.setattr(predict_module, "MAX_ARTICLE_BYTES", 1000)
    (tmp_path / "big.mhtml").write_bytes(whole)
    (item,) = read_inputs([tmp_path / "big.mhtml"])
    assert item.error == f"{tmp_path}/big.mhtml: the page is larger than the 0 MiB limit"


def test_an_input_that_holds_no_article_gives_one_error_record(tmp_path, caplog):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_bytes(b"\n  \n")
    (tmp_path / "empty.warc.gz").write_bytes(b"")
    _write_warc(tmp_path / "crawl.warc.gz")
    # A download cut inside the first gzip member's header: warcio alone reads no record.
    (tmp_path / "cut.warc.gz").write_bytes((tmp_path / "crawl.warc.gz").read_bytes()[:8])
    with (tmp_path / "images.warc").open("wb") as out:
        writer = WARCWriter(out, gzip=False)
        writer.write_record(writer.create_warc_record(
            "https://news.example/logo.png", "response", payload=io.BytesIO(b"\x89PNG"),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "image/png")],
                                          protocol="HTTP/1.1")))
    (tmp_path / "folder" / "assets").mkdir(parents=True)
    (tmp_path / "folder" / "assets" / "site.css").write_text("p { margin: 0 }")
    names = ["empty.jsonl", "blank.jsonl", "empty.warc.gz", "cut.warc.gz", "images.warc",
             "folder"]
    with caplog.at_level("WARNING", logger="trainer.predict"):
        items = list(read_inputs([tmp_path / name for name in names]))
    assert [(i.id, i.source) for i in items] == [(str(tmp_path / n),) * 2 for n in names]
    assert [i.error.removeprefix(f"{tmp_path}/") for i in items] == [
        "empty.jsonl: no articles: this JSONL file has no lines but blank ones",
        "blank.jsonl: no articles: this JSONL file has no lines but blank ones",
        "empty.warc.gz: no records: the web archive is empty, or cut short or damaged in its "
        "first record",
        "cut.warc.gz: no records: the web archive is empty, or cut short or damaged in its "
        "first record",
        "images.warc: no HTML or text page to label among the 1 record of this web archive",
        "folder: no files to read in this folder"]
    assert f"{tmp_path}/folder: skipped 1 files of page assets, not articles (1 .css)" in \
        caplog.messages


def test_a_jsonl_file_cut_short_keeps_its_whole_lines_and_reports_the_rest(tmp_path):
    lines = [json.dumps({"id": str(i), "text": f"Article {i}."}) for i in range(2000)]
    lines[1] = "[1, 2]"
    data = gzip.compress("\n".join(lines).encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(data[:len(data) // 2])
    items = list(read_inputs([tmp_path / "cut.jsonl.gz"]))
    assert items[0].data == "Article 0."
    assert items[1].error == f"{tmp_path}/cut.jsonl.gz: line 2: expected a JSON object with " \
                             f"id and text or html"
    *whole, cut = items[2:]
    assert [item.data for item in whole] == [f"Article {i}." for i in range(2, len(whole) + 2)]
    assert cut.error.startswith(f"{tmp_path}/cut.jsonl.gz: line {len(whole) + 3}: cannot read (")


def test_read_inputs_follows_symlinked_folders_once(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "kept.txt").write_text("an article in a linked folder")
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text("an article")
    (tmp_path / "corpus" / "linked").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "corpus" / "up").symlink_to(tmp_path)  # a loop, through corpus again
    sources = [i.source for i in read_inputs([tmp_path / "corpus"])]
    # Each folder once, by the first path that reaches it: linked/ comes before up/.
    assert sources == [f"{tmp_path}/corpus/a.txt", f"{tmp_path}/corpus/linked/kept.txt"]


def test_read_inputs_reports_a_pipe_in_a_folder_without_waiting_on_it(tmp_path):
    (tmp_path / "a.txt").write_text("an article")
    os.mkfifo(tmp_path / "pipe")  # opening it would wait for a writer that never comes
    article, pipe = read_inputs([tmp_path])
    assert article.data == b"an article" and article.error is None
    assert pipe.error == f"{tmp_path}/pipe: not a regular file (a pipe, socket or device)"


def test_read_inputs_reports_each_bad_jsonl_line_by_file_and_line():
    items = list(read_inputs([ARTICLES]))
    by_line = {i.source.rsplit(":", 1)[1]: i for i in items}
    assert sorted(by_line, key=int) == ["1", "2", "3", "4", "6", "7"]  # line 5 is blank
    assert by_line["1"].format == "text" and by_line["2"].format == "html"
    assert by_line["3"].error.startswith(f"{ARTICLES}: line 3: malformed JSON at column 54")
    assert by_line["3"].id is None
    assert by_line["4"].error == f"{ARTICLES}: line 4: missing id (a non-empty string or integer)"
    assert by_line["6"].id == "42" and by_line["6"].error is None
    assert "needs exactly one of text or html" in by_line["7"].error
    assert by_line["7"].id == "no-text"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_read_inputs_reads_utf16_jsonl_line_by_line(tmp_path, codec):
    # Long enough that the invalid line lies past the first 512 bytes the encoding is told by.
    # "\u0a41\u0100" holds the bytes of a newline straddling two code units in UTF-16-LE.
    long = {"id": "a", "text": "Grüße aus Köln. " * 40 + "\u0a41\u0100"}
    lines = [json.dumps(long, ensure_ascii=False), '{"id": "b", "text": "\ud800"}',
             json.dumps({"id": "c", "html": "<p>¿Qué?</p>"}, ensure_ascii=False)]
    data = "\n".join(lines).encode(codec, errors="surrogatepass")
    (tmp_path / "windows.jsonl").write_bytes(data)
    (tmp_path / "no-extension").write_bytes(data + b"\x00")  # and an odd last byte
    for name in ("windows.jsonl", "no-extension"):
        a, b, c = read_inputs([tmp_path / name])
        assert (a.id, a.data, a.error) == ("a", long["text"], None)
        assert b.error == f"{tmp_path / name}: line 2: not valid UTF-16"
        if name == "windows.jsonl":
            assert (c.id, c.data, c.format) == ("c", "<p>¿Qué?</p>", "html")
        else:
            assert c.error == f"{tmp_path / name}: line 3: not valid UTF-16"


def test_jsonl_with_unpaired_surrogates_gives_error_records_and_the_run_goes_on(models_dir,
                                                                                tmp_path):
    # JSON may escape half a surrogate pair; no output can write one, and the first such
    # article stopped the whole run ("'utf-8' codec can't encode character").
    path = tmp_path / "escaped.jsonl"
    path.write_text('{"id": "a", "text": "Lone \\ud800 half."}\n'
                    '{"id": "\\udc00", "text": "A bad id."}\n'
                    '{"id": "b", "text": "A whole pair \\ud83d\\ude00 is fine."}\n')
    for output_format in ("jsonl", "csv", "text"):
        result = _run(["--models", models_dir, "--format", output_format, path])
        assert result.exit_code == 1 and "1 of 3 articles labelled, 2 failed" in result.stderr
        assert f"{path}: line 1: text holds an unpaired surrogate ('\\ud800' at character 5)" \
            in result.stderr
        assert f"{path}: line 2: id holds an unpaired surrogate" in result.stderr
    records = _jsonl(_run(["--models", models_dir, path]).stdout)
    assert [(r["id"], r["error"] is None) for r in records] == [("a", False), (None, False),
                                                                 ("b", True)]
    assert records[2]["paragraphs"][0]["text"] == "A whole pair 😀 is fine."


def test_file_names_that_are_not_utf8_are_shown_escaped(models_dir, tmp_path):
    # A Latin-1 name (old archives): Python keeps its byte as a lone surrogate, and writing
    # that name into the output stopped the whole run.
    (tmp_path / os.fsdecode(b"caf\xe9.txt")).write_text("A short article.")
    (tmp_path / os.fsdecode(b"gone\xff.txt")).symlink_to(tmp_path / "nowhere")
    result = _run(["--models", models_dir, tmp_path])
    assert result.exit_code == 1
    ok, gone = _jsonl(result.stdout)
    assert ok["id"] == f"{tmp_path}/caf\\xe9.txt" and ok["error"] is None
    assert gone["error"] == f"{tmp_path}/gone\\xff.txt: cannot read (No such file or directory)"


def test_read_inputs_refuses_utf8_jsonl_with_encoded_surrogates(tmp_path):
    (tmp_path / "a.jsonl").write_bytes(b'{"id": "x", "text": "\xed\xa0\x80"}\n'
                                       b'\xef\xbb\xbf{"id": "y", "text": "ok"}\n')
    bad, good = read_inputs([tmp_path / "a.jsonl"])
    assert bad.error == f"{tmp_path / 'a.jsonl'}: line 1: not valid UTF-8"
    assert (good.id, good.data) == ("y", "ok")


def test_read_inputs_refuses_inputs_over_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(predict_module, "MAX_ARTICLE_BYTES", 1000)
    (tmp_path / "big.txt").write_text("word " * 1000)
    (tmp_path / "big.jsonl").write_text(json.dumps({"id": "a", "text": "word " * 1000}) + "\n"
                                        + json.dumps({"id": "b", "text": "small"}) + "\n")
    big_text, long_line, small = read_inputs([tmp_path / "big.txt", tmp_path / "big.jsonl"])
    assert "larger than the" in big_text.error
    assert "line 1: longer than the" in long_line.error
    assert small.id == "b" and small.error is None and small.source.endswith("big.jsonl:2")


def test_an_article_over_the_paragraph_limit_is_reported_and_the_rest_go_on(predictor,
                                                                              monkeypatch):
    monkeypatch.setattr(predict_module, "MAX_ARTICLE_PARAGRAPHS", 5)
    long = "\n".join(f"Paragraph {i} of a long article." for i in range(6))
    items = [ArticleInput(id="long", data=long, format="text"),
             ArticleInput(id="short", data="\n".join(long.splitlines()[:5]), format="text")]
    records = list(predictor.predict_many(items))
    assert records[0]["error"] == "long: 6 paragraphs, more than the 5 one article may have; " \
                                  "split it into articles"
    assert records[0]["paragraphs"] == [] and records[0]["id"] == "long"
    assert records[1]["error"] is None and len(records[1]["paragraphs"]) == 5


def test_an_article_over_the_text_limit_is_reported_and_the_rest_go_on(predictor, monkeypatch):
    monkeypatch.setattr(predict_module, "MAX_ARTICLE_CHARS", 40)
    items = [ArticleInput(id="long", data="A paragraph of forty-one characters, all.",
                          format="text"),
             ArticleInput(id="short", data="Forty characters and not one more, here.",
                          format="text")]
    long, short = predictor.predict_many(items)
    assert long["error"] == "long: 41 characters of text, more than the 40 one article may " \
                            "have; split it into articles"
    assert short["error"] is None and short["paragraphs"][0]["end"] == 40


# --------------------------------------------------------------------------- the CLI

@pytest.fixture
def bad_inputs(tmp_path) -> dict[str, Path]:
    files = {
        "empty": tmp_path / "empty.txt",
        "binary": tmp_path / "image.txt",
        "bad_utf8": tmp_path / "latin1.txt",
        "broken_gzip": tmp_path / "broken.html.gz",
    }
    files["empty"].write_bytes(b"")
    files["binary"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    files["bad_utf8"].write_bytes("Prices rose 4% in Zürich.\n".encode("latin-1"))
    files["broken_gzip"].write_bytes(gzip.compress(NEWS.read_bytes())[:200])
    return files


def test_cli_accounts_for_every_input(models_dir, bad_inputs, tmp_path):
    missing = tmp_path / "missing.txt"
    inputs = [SEED, ARTICLES, *bad_inputs.values(), missing, NEWS]
    result = _run(["--models", models_dir, *inputs])
    assert result.exit_code == 1
    records = _jsonl(result.stdout)
    assert len(records) == 1 + 6 + len(bad_inputs) + 2
    errors = {r["source"]: r["error"] for r in records if r["error"]}
    assert "empty article" in errors[str(bad_inputs["empty"])]
    assert "a PNG image, not text or HTML" in errors[str(bad_inputs["binary"])]
    assert "line 1: not valid UTF-8" in errors[str(bad_inputs["bad_utf8"])]
    assert "cannot read" in errors[str(bad_inputs["broken_gzip"])]
    assert "No such file" in errors[str(missing)]
    assert f"{ARTICLES}: line 3: malformed JSON" in errors[f"{ARTICLES}:3"]
    assert f"{ARTICLES}: line 4: missing id" in errors[f"{ARTICLES}:4"]
    assert records[-1]["source"] == str(NEWS) and records[-1]["error"] is None
    failed = len(errors)
    summary = f"{len(records) - failed} of {len(records)} articles labelled, {failed} failed"
    assert summary in result.stderr
    assert result.stderr.count("error: ") == failed


def test_cli_handles_a_huge_input(models_dir, tmp_path):
    lines = [f"Paragraph {n}: the council reported {n} new permits this month."
             for n in range(30_000)]
    huge = tmp_path / "huge.txt"
    huge.write_text("\n\n".join(lines))
    result = _run(["--models", models_dir, "--format", "csv", huge])
    assert result.exit_code == 0, result.stderr
    rows = pd.read_csv(io.StringIO(result.stdout))
    assert len(rows) == 30_000 and rows["index"].tolist() == list(range(30_000))


def test_cli_formats(models_dir):
    jsonl = _jsonl(_run(["--models", models_dir, SEED, NEWS]).stdout)
    csv_output = _run(["--models", models_dir, "--format", "csv", SEED, NEWS]).stdout
    csv_rows = pd.read_csv(io.StringIO(csv_output), keep_default_na=False)
    text = _run(["--models", models_dir, "--format", "text", SEED, NEWS]).stdout

    assert [set(r) for r in jsonl] == [{"id", "source", "paragraphs", "content_text", "error"}] * 2
    assert len(csv_rows) == sum(len(r["paragraphs"]) for r in jsonl)
    assert list(csv_rows.columns) == list(predict_module.CSV_COLUMNS)
    seed_rows = csv_rows[csv_rows["id"] == str(SEED)]
    assert seed_rows["content"].tolist() == [p["content"] for p in jsonl[0]["paragraphs"]]
    assert seed_rows["claim"].tolist() == ["" if p["claim"] is None else str(p["claim"]).lower()
                                           for p in jsonl[0]["paragraphs"]]
    assert text == f"{jsonl[0]['content_text']}\n\n{jsonl[1]['content_text']}\n"


def test_cli_labels_the_pages_of_a_web_archive(models_dir, tmp_path):
    _write_warc(tmp_path / "crawl.warc.gz")
    result = _run(["--models", models_dir, tmp_path / "crawl.warc.gz"])
    records = _jsonl(result.stdout)
    assert [(r["id"], bool(r["error"])) for r in records] == [
        ("https://ru.example/", False), ("https://news.example/a", False),
        ("https://news.example/b", True), ("https://news.example/a", False)]
    assert (result.exit_code, result.stderr.splitlines()[-1]) == \
           (1, "3 of 4 articles labelled, 1 failed")
    assert records[0]["paragraphs"][0]["text"] == "Москва – столица России."
    # The same pages given as files get the same labels.
    alone = _jsonl(_run(["--models", models_dir, NEWS, SEED]).stdout)
    assert [records[1]["paragraphs"], records[3]["paragraphs"]] == \
           [r["paragraphs"] for r in alone]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_damaged_mhtml_file_gives_one_record_naming_it(data):
    whole = _mhtml([_mime_part(RUSSIAN_PAGE, "text/html", "base64", charset="windows-1251",
                               content_id="<page@x>"),
                    _mime_part(b"body { color: red }", "text/css", "quoted-printable")],
                   start="<page@x>")
    cut = data.draw(st.integers(0, len(whole)), label="cut")
    at = data.draw(st.integers(0, cut), label="at")
    damaged = whole[:at] + data.draw(st.binary(max_size=40), label="junk") + whole[at:cut]
    items = list(read_inputs_of(damaged, "saved.mhtml"))
    assert len(items) == 1
    assert items[0].id == "saved.mhtml"
    assert items[0].error is None or items[0].error.startswith("saved.mhtml: ")


def read_inputs_of(data: bytes, name: str):
    return predict_module._read_stream(io.BufferedReader(io.BytesIO(data)), name, "auto")


def test_predict_takes_the_bytes_of_a_page_saved_as_mhtml(predictor):
    saved = _mhtml([_mime_part(RUSSIAN_PAGE, "text/html", "base64", charset="windows-1251")])
    page = predictor.predict(RUSSIAN_PAGE, charset="windows-1251")
    assert page["paragraphs"][0]["text"] == "Москва – столица России."
    for data in (saved, gzip.compress(saved)):
        assert predictor.predict(data)["paragraphs"] == page["paragraphs"]
    assert predictor.predict(saved, format="mhtml")["paragraphs"] == page["paragraphs"]
    cut = predictor.predict(saved[:saved.rindex(b"\r\n--") - 10], id="cut")
    assert (cut["paragraphs"], cut["error"]) == (
        [], "cut: the file ends inside the page's part: it is cut short")


def test_cli_labels_a_page_saved_as_mhtml_as_it_labels_the_page(models_dir, tmp_path):
    saved = _mhtml([_mime_part(NEWS.read_bytes(), "text/html", "quoted-printable")])
    (tmp_path / "news.mhtml").write_bytes(saved)
    records = _jsonl(_run(["--models", models_dir, tmp_path / "news.mhtml"]).stdout)
    alone = _jsonl(_run(["--models", models_dir, NEWS]).stdout)
    assert [r["paragraphs"] for r in records] == [r["paragraphs"] for r in alone]
    assert records[0]["id"] == str(tmp_path / "news.mhtml")
    # Read as anything else, its MIME headers would be the first paragraph.
    assert records[0]["paragraphs"][0]["text"] != "From: <Saved by Blink>"


def test_cli_content_only(models_dir, tmp_path):
    full = _jsonl(_run(["--models", models_dir, SEED, NEWS]).stdout)
    content_only = _jsonl(_run(["--models", models_dir, "--no-claims", SEED, NEWS]).stdout)
    assert content_only == [_without_claims(record) for record in full]
    csv_output = _run(["--models", models_dir, "--no-claims", "--format", "csv", SEED]).stdout
    csv_rows = pd.read_csv(io.StringIO(csv_output), keep_default_na=False)
    assert len(csv_rows) == 36 and set(csv_rows["claim"]) == set(csv_rows["claim_score"]) == {""}
    # Content only needs no claim model: a folder of the two content models is enough.
    content_models = tmp_path / "content-models"
    content_models.mkdir()
    for name in ("content-html", "content-text"):
        (content_models / name).symlink_to(models_dir / name)
    without = _run(["--models", content_models, "--no-claims", SEED, NEWS])
    assert without.exit_code == 0 and _jsonl(without.stdout) == content_only
    needed = _run(["--models", content_models, SEED])
    assert needed.exit_code == 2 and f"{content_models / 'claim'}: does not exist" in needed.stderr
    predictor = Predictor.load(content_models, claims=False)
    with pytest.raises(ValueError, match="loaded without its claim model"):
        predictor.predict(SEED.read_bytes())


def test_the_text_format_needs_no_claim_model(predictor, tmp_path):
    expected = "".join(f"{predictor.predict(path.read_bytes())['content_text']}\n\n"
                       for path in (SEED, NEWS))
    output = tmp_path / "content.txt"
    summary = predict_module.predict_files(dataclasses.replace(predictor, claim=None),
                                           [SEED, NEWS], str(output), output_format="text")
    assert summary.articles == 2 and summary.failed == 0
    assert output.read_text(encoding="utf-8") == expected[:-1]


def test_cli_failed_articles_in_csv_and_text(models_dir, bad_inputs):
    csv_result = _run(["--models", models_dir, "--format", "csv", bad_inputs["empty"], SEED])
    rows = pd.read_csv(io.StringIO(csv_result.stdout), keep_default_na=False)
    assert csv_result.exit_code == 1 and len(rows) == 1 + 36
    assert "empty article" in rows["error"][0] and rows["text"][0] == "" and rows["index"][0] == ""
    text_result = _run(["--models", models_dir, "--format", "text", bad_inputs["empty"], SEED])
    assert text_result.stdout.startswith("North Korea") and "empty article" in text_result.stderr


def test_cli_reads_stdin(models_dir):
    as_text = _run(["--models", models_dir, "-"], input=SEED.read_bytes())
    as_jsonl = _run(["--models", models_dir, "-"], input=ARTICLES.read_bytes())
    assert _jsonl(as_text.stdout)[0]["source"] == "<stdin>"
    assert len(_jsonl(as_text.stdout)[0]["paragraphs"]) == 36
    assert [r["source"] for r in _jsonl(as_jsonl.stdout)][:2] == ["<stdin>:1", "<stdin>:2"]
    forced = _run(["--models", models_dir, "--input-format", "text", "-"],
                  input=ARTICLES.read_bytes())
    assert len(_jsonl(forced.stdout)) == 1


def test_cli_writes_the_output_file_atomically(models_dir, tmp_path, monkeypatch):
    out = tmp_path / "out.jsonl"
    out.write_text("previous run\n")
    calls = []

    def fails_on_the_second_article(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real_article_record(*args, **kwargs)

    real_article_record = predict_module.article_record
    monkeypatch.setattr(predict_module, "article_record", fails_on_the_second_article)
    with pytest.raises(RuntimeError, match="disk on fire"):
        _run(["--models", models_dir, "-o", out, SEED, NEWS])
    assert out.read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]

    monkeypatch.undo()
    result = _run(["--models", models_dir, "-o", out, "-j", "2", SEED, NEWS])
    assert result.exit_code == 0 and result.stdout == ""
    assert [r["source"] for r in _jsonl(out.read_text())] == [str(SEED), str(NEWS)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    assert "2 of 2 articles labelled, 0 failed" in result.stderr


def test_cli_writes_through_symlinks_and_into_pipes(models_dir, tmp_path):
    real, link = tmp_path / "real.jsonl", tmp_path / "link.jsonl"
    real.write_text("old\n")
    link.symlink_to(real)
    assert _run(["--models", models_dir, "-o", link, SEED]).exit_code == 0
    assert link.is_symlink() and _jsonl(real.read_text())[0]["source"] == str(SEED)

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    assert _run(["--models", models_dir, "-o", fifo, SEED]).exit_code == 0
    reader.join(timeout=60)
    assert fifo.is_fifo() and _jsonl(received[0])[0]["source"] == str(SEED)


def test_cli_quiet_and_usage_errors(models_dir, tmp_path):
    quiet = _run(["--models", models_dir, "-q", SEED])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    no_models = _run(["--models", tmp_path / "nowhere", SEED])
    assert no_models.exit_code == 2 and "no models folder" in no_models.stderr
    no_folder = _run(["--models", models_dir, "-o", tmp_path / "no" / "out.jsonl", SEED])
    assert no_folder.exit_code == 2 and "does not exist" in no_folder.stderr
    no_workers = _run(["--models", models_dir, "-j", "0", SEED])
    assert no_workers.exit_code == 2 and "0 worker processes cannot label" in no_workers.stderr


def test_trainer_predict_runs_without_pyarrow(models_dir):
    # The program keeps pyarrow out of its process (trainer.lean); the records are the same.
    program = ("import runpy, sys\n"
               "try:\n    runpy.run_module('trainer', run_name='__main__')\n"
               "except SystemExit as end:\n    assert end.code == 0, end.code\n"
               "print(sorted(name for name in sys.modules if name.startswith('pyarrow')))")
    result = subprocess.run(
        [sys.executable, "-c", program, "predict", "--models", str(models_dir), "-q",
         str(SEED), str(NEWS)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    *records, loaded = result.stdout.splitlines()
    assert loaded == "[]"
    in_process = _run(["--models", models_dir, "-q", SEED, NEWS])
    assert [json.loads(line) for line in records] == _jsonl(in_process.stdout)


def test_prediction_workers_refuse_pyarrow_when_their_parent_does(models_dir):
    # Workers unpickle trainer.workers before the models, so they can refuse pyarrow first.
    program = (
        "import sys\n"
        "from trainer.lean import without_pyarrow\n"
        "lean = sys.argv[1] == 'lean'\n"
        "if lean:\n    without_pyarrow()\n"
        "from joblib import Parallel, delayed\n"
        "from trainer.predict import Predictor\n"
        "predictor = Predictor.load(sys.argv[2])\n"
        "texts = [open(path, encoding='utf-8').read() for path in sys.argv[3:]] * 4\n"
        "many = list(predictor.predict_many(texts, n_jobs=2, batch_size=1))\n"
        "assert many == [predictor.predict(text) for text in texts]\n"
        "def modules():\n"
        "    return ('trainer.predict' in sys.modules, any(m.startswith('pyarrow') for m in sys.modules))\n"
        "print(sorted(set(Parallel(n_jobs=2)(delayed(modules)() for _ in range(8)))))\n"
        "print(modules())\n")
    for mode in ("lean", "full"):
        result = subprocess.run([sys.executable, "-c", program, mode, str(models_dir), str(SEED),
                                 str(NEWS)], cwd=REPO, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr
        workers, parent = result.stdout.splitlines()
        # Every worker predicted, and holds pyarrow exactly when the parent does.
        assert workers == f"[{parent}]", (mode, result.stdout)
        if mode == "lean":
            assert parent == "(True, False)"


def test_python_m_trainer_predict(models_dir):
    result = subprocess.run(
        [sys.executable, "-m", "trainer", "predict", "--format", "text", str(SEED)],
        cwd=REPO, env={**os.environ, "TRAINER_MODELS": str(models_dir)},
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("North Korea has sent at least 10,000 shipping containers")
    assert "1 of 1 articles labelled, 0 failed" in result.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_parallel_run_stops_cleanly(models_dir, tmp_path, signum):
    # Ctrl-C signals the whole process group, workers included; a scheduler's SIGTERM may too.
    # Before: SIGTERM left the half-written temporary output and orphaned the workers.
    out = tmp_path / "out" / "labels.jsonl"
    out.parent.mkdir()
    run = subprocess.Popen(
        [sys.executable, "-m", "trainer", "predict", "--models", str(models_dir), "-j", "2",
         "-q", "-o", str(out), "-"], cwd=REPO, stdin=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True)
    article = json.dumps({"id": "a", "text": SEED.read_text(encoding="utf-8")}) + "\n"
    run.stdin.write(article.encode() * 40)  # stdin stays open: the run waits for more
    run.stdin.flush()
    deadline = time.monotonic() + 120
    while not any(out.parent.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.2)  # the temporary output file appears once the models are loaded
    time.sleep(2)
    os.killpg(run.pid, signum)
    try:
        _, stderr = run.communicate(timeout=60)
    finally:
        run.kill()
    assert run.returncode != 0 and "Aborted!" in stderr.decode()
    assert list(out.parent.iterdir()) == []  # no output, and no temporary file left
    deadline = time.monotonic() + 30
    while _live_processes(run.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _live_processes(run.pid) == []  # no worker left running


def _live_processes(group: int) -> list[str]:
    """The commands of the processes in a process group that still run (not zombies)."""
    live = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = stat_file.read_text()
        except OSError:  # it ended meanwhile
            continue
        state, _, pgrp = stat.rpartition(")")[2].split()[:3]
        if int(pgrp) == group and state != "Z":
            live.append(stat[:stat.rfind(")") + 1])
    return live
