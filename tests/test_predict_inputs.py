"""Reading ``trainer predict`` inputs: web archives cut at any byte, JSON files that are not
JSON Lines, what a folder walk skips, bad JSONL ids, and the predictor's own input checks."""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib

import pytest
from click.testing import CliRunner

from trainer.cli import main
from trainer.predict import ArticleInput, Predictor, read_inputs


PAGES = [  # a small crawl's uri, HTTP status, content type and body: two pages to label
    ("http://a.example/1", "200 OK", "text/html; charset=windows-1252",
     "<html><body><p>Café article one has a sentence.</p></body></html>".encode("cp1252")),
    ("http://a.example/2", "404 Not Found", "text/html", b"<p>nf</p>"),
    ("http://a.example/3", "200 OK", "image/png", b"\x89PNG\r\n\x1a\n"),
    ("http://a.example/4", "200 OK", "text/plain", b"Plain page text line.\nSecond line."),
]


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor.load(claims=False)  # the shipped content models


def _run(args, **kwargs):
    return CliRunner().invoke(main, ["predict", "--no-claims", *map(str, args)],
                              catch_exceptions=False, **kwargs)


def _jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


# --------------------------------------------------------------------------- web archives

def _warc() -> tuple[bytes, list[int]]:
    """A web archive of a response record for each of PAGES, uncompressed, and where each
    record starts."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    starts = []
    for uri, status, media, body in PAGES:
        starts.append(out.tell())
        http = StatusAndHeaders(status, [("Content-Type", media)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(body),
                                                      http_headers=http))
    return out.getvalue(), starts


def _gunzipped_prefix(data: bytes) -> bytes:
    """What a cut gzip file still holds: its members, the last one as far as it goes."""
    out = b""
    while data:
        member = zlib.decompressobj(wbits=31)
        out += member.decompress(data)
        data = member.unused_data
    return out


def _expected(warc: bytes, starts: list[int], kept: int, begun: int, name: str) -> list[tuple]:
    """(id, source, error) of the items read from ``warc`` cut to its first ``kept`` bytes,
    after ``begun`` records began: the pages of the records read whole, then an error record
    for a record cut short, unless all it lacks is the blank lines that end it."""
    items = []
    for number, ((uri, status, media, _), start) in enumerate(zip(PAGES, starts), 1):
        header_end = warc.index(b"\r\n\r\n", start) + 4
        length = int(re.search(rb"Content-Length: (\d+)", warc[start:header_end])[1])
        if kept >= header_end + length:
            if status == "200 OK" and media != "image/png":
                items.append((uri, f"{name}:{number}", None))
        elif number <= begun:
            uri_line = warc.index(b"WARC-Target-URI: ", start)
            uri_read = kept >= warc.index(b"\r\n", uri_line) + 2
            items.append((uri if uri_read else f"{name}:{number}", f"{name}:{number}",
                          f"{name}:{number}: the archive ends inside this record"))
            break
    return items


def _shown(item: ArticleInput) -> tuple:
    """The item's id, source and error, the last cut after its first words when it says the
    archive is cut short; a cut record's error names its URI when it was read."""
    error = item.error
    if error and " the archive ends inside this record" in error:
        if item.id.startswith("http"):
            assert error.endswith(f" (WARC-Target-URI {item.id})"), error
        error = error[:error.index(" this record") + len(" this record")]
    return item.id, item.source, error


@pytest.mark.parametrize("compress", [False, True])
def test_a_web_archive_cut_at_any_byte_ends_with_an_error_record_naming_the_cut_record(
        tmp_path, compress):
    warc, starts = _warc()
    ends = starts[1:] + [len(warc)]
    # One gzip member per record, as WARC writers compress.
    parts = [gzip.compress(warc[start:end]) for start, end in zip(starts, ends)] \
        if compress else [warc[start:end] for start, end in zip(starts, ends)]
    data, part_starts = b"".join(parts), [sum(map(len, parts[:i])) for i in range(len(parts))]
    path = tmp_path / ("cut.warc.gz" if compress else "cut.warc")
    for cut in range(part_starts[1], len(data) + 1):
        path.write_bytes(data[:cut])
        kept = len(_gunzipped_prefix(data[:cut])) if compress else cut
        begun = sum(start < cut for start in part_starts)
        assert [_shown(item) for item in read_inputs([path])] == \
            _expected(warc, starts, kept, begun, str(path)), f"cut at byte {cut}"


@pytest.mark.parametrize("compress", [False, True])
def test_a_web_archive_cut_inside_its_first_record_is_one_error_record(tmp_path, compress):
    warc, starts = _warc()
    data = gzip.compress(warc[:starts[1]]) if compress else warc[:starts[1]]
    path = tmp_path / ("cut.warc.gz" if compress else "cut.warc")
    for cut in range(1, len(data)):
        path.write_bytes(data[:cut])
        kept = len(_gunzipped_prefix(data[:cut])) if compress else cut
        [item] = read_inputs([path])
        if _expected(warc, starts, kept, 1, str(path)) == [(PAGES[0][0], f"{path}:1", None)]:
            assert item.error is None, f"cut at {cut}"  # all it lacks is its last blank lines
        else:
            assert item.error.startswith((f"{path}:1: the archive ends inside this record",
                                          f"{path}: no records: the web archive is empty, or "
                                          f"cut short")), f"cut at {cut}: {item.error}"


def test_a_web_archive_record_without_a_length_ends_it_with_an_error_record(tmp_path):
    warc, starts = _warc()
    length = re.search(rb"Content-Length: \d+\r\n", warc[starts[1]:])
    path = tmp_path / "damaged.warc"  # record 2's length left out, not cut: whole records follow
    path.write_bytes(warc[:starts[1] + length.start()] + warc[starts[1] + length.end():])
    page, damaged = read_inputs([path])
    assert (page.id, page.error) == ("http://a.example/1", None)
    assert (damaged.source, damaged.error) == (
        f"{path}:2", f"{path}:2: the record's header declares no length: the archive is "
                     f"damaged here; the records after it are not read")


def test_cli_reports_the_record_an_archive_is_cut_inside(tmp_path):
    warc, starts = _warc()
    path = tmp_path / "cut100.warc"
    path.write_bytes(warc[:-100])  # inside record 4's WARC header, after its URI
    result = _run([path])
    assert result.exit_code == 1 and "1 of 2 articles labelled, 1 failed" in result.stderr
    page, cut = _jsonl(result.stdout)
    assert (page["id"], page["error"]) == ("http://a.example/1", None)
    assert (cut["id"], cut["source"], cut["error"]) == (
        "http://a.example/4", f"{path}:4", f"{path}:4: the archive ends inside this record, "
        f"before the end of its headers (WARC-Target-URI http://a.example/4)")


# --------------------------------------------------------------------------- JSON files

def test_a_json_file_holding_one_article_or_an_array_of_them_is_read_as_those(tmp_path):
    article = {"id": "x", "text": "An article in a pretty JSON file."}
    array = [{"id": "a", "text": "First."}, {"id": "b", "html": "<p>Second.</p>"}]
    (tmp_path / "article.json").write_text(json.dumps(article, indent=2))
    (tmp_path / "array.json").write_text("\n\n" + json.dumps(array, indent=2))
    (tmp_path / "one-line-array.json").write_text(json.dumps(array))
    (tmp_path / "lines.json").write_text(json.dumps(array[0]) + "\n" + json.dumps(array[1]))
    (tmp_path / "no-extension").write_text(json.dumps(article, indent=4))  # known by its "{"
    items = list(read_inputs([tmp_path]))
    assert [(i.id, i.source, i.data, i.format, i.error) for i in items] == [
        ("a", f"{tmp_path}/array.json:4", "First.", "text", None),
        ("b", f"{tmp_path}/array.json:8", "<p>Second.</p>", "html", None),
        ("x", f"{tmp_path}/article.json:1", article["text"], "text", None),
        ("a", f"{tmp_path}/lines.json:1", "First.", "text", None),
        ("b", f"{tmp_path}/lines.json:2", "<p>Second.</p>", "html", None),
        ("x", f"{tmp_path}/no-extension:1", article["text"], "text", None),
        ("a", f"{tmp_path}/one-line-array.json:1", "First.", "text", None),
        ("b", f"{tmp_path}/one-line-array.json:1", "<p>Second.</p>", "html", None)]


def test_a_json_file_that_is_not_json_lines_nor_articles_is_one_error_record(tmp_path):
    (tmp_path / "broken.json").write_text('{\n  "id": "x",\n  "text": "no closing brace"\n')
    (tmp_path / "numbers.json").write_text("[\n  1,\n  2\n]\n")
    (tmp_path / "mixed.json").write_text('[\n  {"id": "a", "text": "A."},\n  "b"\n]\n')
    (tmp_path / "two-objects").write_text('{\n  "id": "a", "text": "A."\n}\n{\n  "id": "b"\n}')
    (tmp_path / "empty-array.json").write_text("[\n]\n")
    (tmp_path / "no-id.json").write_text('{\n  "text": "An article without an id."\n}\n')
    items = list(read_inputs([tmp_path]))
    assert [(i.id, i.source, i.error.removeprefix(f"{tmp_path}/")) for i in items] == [
        (f"{tmp_path}/broken.json", f"{tmp_path}/broken.json",
         "broken.json: line 4: malformed JSON at column 1 (Expecting ',' delimiter); the file "
         "is JSON over several lines, not JSON Lines (an article per line), so none of it is "
         "read"),
        (f"{tmp_path}/empty-array.json", f"{tmp_path}/empty-array.json",
         "empty-array.json: no articles: an empty JSON array"),
        (f"{tmp_path}/mixed.json", f"{tmp_path}/mixed.json",
         "mixed.json: line 3: expected a JSON object with id and text or html, got a string; "
         "the file is a JSON array, not JSON Lines (an article per line), so none of it is "
         "read"),
        (None, f"{tmp_path}/no-id.json:1",
         "no-id.json: line 1: missing id (a non-empty string or integer)"),
        (f"{tmp_path}/numbers.json", f"{tmp_path}/numbers.json",
         "numbers.json: line 2: expected a JSON object with id and text or html, got 1; the "
         "file is a JSON array, not JSON Lines (an article per line), so none of it is read"),
        (f"{tmp_path}/two-objects", f"{tmp_path}/two-objects",
         "two-objects: line 4: malformed JSON at column 1 (Extra data); the file is JSON over "
         "several lines, not JSON Lines (an article per line), so none of it is read")]


def test_cli_labels_a_pretty_printed_json_article_as_one(tmp_path):
    (tmp_path / "article.json").write_text(json.dumps(
        {"id": "x", "text": "An article in a pretty JSON file."}, indent=2))
    result = _run([tmp_path])
    assert result.exit_code == 0 and "1 of 1 articles labelled, 0 failed" in result.stderr
    [record] = _jsonl(result.stdout)
    assert record["id"] == "x" and record["paragraphs"][0]["text"] == \
        "An article in a pretty JSON file."


# --------------------------------------------------------------------------- folders

def test_hidden_files_and_folders_are_skipped_and_counted(tmp_path, caplog):
    (tmp_path / "a.txt").write_text("An article.")
    (tmp_path / ".b.txt").write_text("A hidden one.")
    (tmp_path / ".drafts").mkdir()
    (tmp_path / ".drafts" / "c.txt").write_text("A draft.")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".d.swp").write_text("An editor's swap file.")
    with caplog.at_level("WARNING", logger="trainer.predict"):
        items = list(read_inputs([tmp_path]))
    assert [i.source for i in items] == [f"{tmp_path}/a.txt"]
    assert caplog.messages == [f"{tmp_path}: skipped 2 hidden files and 1 hidden folder "
                               f"(names starting with '.')"]


def test_a_run_skips_its_own_output_in_a_folder_it_reads(tmp_path, caplog):
    (tmp_path / "a.txt").write_text("The council approved the new bridge on Monday.")
    (tmp_path / "b.txt").write_text("Wheat prices fell 6 percent in April.")
    out = tmp_path / "out.jsonl"
    first = _run([tmp_path, "-o", out])
    records = out.read_text()
    caplog.clear()
    second = _run([tmp_path, "-o", out])
    assert first.exit_code == second.exit_code == 0
    assert "2 of 2 articles labelled, 0 failed" in second.stderr
    assert out.read_text() == records
    assert [r["source"] for r in _jsonl(records)] == [f"{tmp_path}/a.txt", f"{tmp_path}/b.txt"]
    # The output, and the hidden temporary it is written to until complete.
    [message] = caplog.messages
    assert message.startswith(f"{tmp_path}: skipped the output of this run (")
    assert f"{out}" in message and f"{tmp_path}/.out.jsonl." in message
    # Called as a library, with the output named (a link to it or a relative path will do).
    (tmp_path / "link.jsonl").symlink_to(out)
    assert [i.source for i in read_inputs([tmp_path], outputs=[tmp_path / "link.jsonl"])] == \
        [f"{tmp_path}/a.txt", f"{tmp_path}/b.txt"]


# --------------------------------------------------------------------------- JSONL ids

def test_bad_jsonl_ids_are_named_and_readable_ids_kept(tmp_path, predictor):
    path = tmp_path / "edge.jsonl"
    path.write_text("\n".join([
        '{"id": 1.5, "text": "float id"}', '{"id": true, "text": "bool id"}',
        '{"id": "", "text": "empty id"}', '{"id": null, "text": "null id"}',
        '{"id": ["a"], "text": "array id"}', '{"text": "no id"}',
        '{"id": "emptytext", "text": ""}', '{"id": "trailing", "text": "ok"} garbage',
        '{"id": 7, "html": null}', '{"id": 8, "text": "Integer ids are given back as text."}',
    ]) + "\n")
    records = list(predictor.predict_many(read_inputs([path]), claims=False))
    assert [(r["id"], r["source"], r["error"] and r["error"].removeprefix(f"{path}: "))
            for r in records] == [
        (None, f"{path}:1", "line 1: id must be a non-empty string or integer, got 1.5"),
        (None, f"{path}:2", "line 2: id must be a non-empty string or integer, got true"),
        (None, f"{path}:3",
         "line 3: id must be a non-empty string or integer, got an empty string"),
        (None, f"{path}:4", "line 4: id must be a non-empty string or integer, got null"),
        (None, f"{path}:5", "line 5: id must be a non-empty string or integer, got an array"),
        (None, f"{path}:6", "line 6: missing id (a non-empty string or integer)"),
        ("emptytext", f"{path}:7", "line 7: empty article (no text found)"),
        ("trailing", f"{path}:8", "line 8: malformed JSON at column 34 (Extra data)"),
        ("7", f"{path}:9", "line 9: needs exactly one of text or html, as a string"),
        ("8", f"{path}:10", None)]


# --------------------------------------------------------------------------- the predictor

def test_a_page_saved_as_mhtml_given_as_text_is_an_error_record(predictor):
    record = predictor.predict("Hello", format="mhtml", claims=False)
    assert (record["paragraphs"], record["error"]) == (
        [], "<input>: an MHTML page must be given as bytes (the saved file read in binary "
            "mode), not as text")
    [item] = predictor.predict_many([ArticleInput("Hello", id="page", format="mhtml")],
                                    claims=False)
    assert item["error"].startswith("page: an MHTML page must be given as bytes")


def test_threshold_overrides_left_out_keep_the_ones_set_before(predictor):
    both = predictor.with_thresholds(content=0.9).with_thresholds(claim=0.2)
    assert (both.content_threshold, both.claim_threshold) == (0.9, 0.2)
    changed = both.with_thresholds(content=0.3)
    assert (changed.content_threshold, changed.claim_threshold) == (0.3, 0.2)
    assert (predictor.content_threshold, predictor.claim_threshold) == (None, None)
    text = "The council approved the new bridge on Monday.\nSubscribe to our newsletter."
    scores = [p["content_score"] for p in predictor.predict(text, claims=False)["paragraphs"]]
    marked = both.with_thresholds(claim=0.5).predict(text, claims=False)["paragraphs"]
    assert [p["content"] for p in marked] == [score >= 0.9 for score in scores]


def test_writing_to_a_closed_standard_output_is_refused_clearly(tmp_path, monkeypatch):
    from trainer.predict import _output_stream

    monkeypatch.setattr("sys.stdout", None)
    with pytest.raises(ValueError, match="standard output is closed: give an output file"):
        with _output_stream("-"):
            pass


def test_a_models_folder_with_a_bundle_in_the_wrong_place_is_refused(tmp_path):
    # The HTML content model where the text one belongs would label every text article wrongly.
    from conftest import REPO
    from trainer.bundle import BundleError

    for name, target in (("content-html", "content-html"), ("content-text", "content-html"),
                         ("claim", "claim")):
        (tmp_path / name).symlink_to(REPO / "models" / target)
    with pytest.raises(BundleError, match=r"content-text: holds a model trained on html input; "
                                          r"the text content model must be trained on text"):
        Predictor.load(tmp_path)
