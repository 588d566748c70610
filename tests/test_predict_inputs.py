"""Reading ``trainer predict`` inputs: web archives cut at any byte, JSON files that are not
JSON Lines, what a folder walk skips, bad JSONL ids, and the predictor's own input checks."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from trainer.cli import main
from trainer.predict import ArticleInput, Predictor, read_inputs


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor.load(claims=False)  # the shipped content models


def _run(args, **kwargs):
    return CliRunner().invoke(main, ["predict", "--no-claims", *map(str, args)],
                              catch_exceptions=False, **kwargs)


def _jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


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
