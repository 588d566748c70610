"""The annotated JSON Lines format: reading, writing, label checks, the seed article."""

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from trainer.corpora import BuildLog, site_of
from trainer.corpora.annotated import (LABELS, AnnotatedArticle, ParagraphLabel, annotated,
                                       annotated_rows, read_annotated, write_annotated)
from trainer.rows import UNKNOWN
from trainer.segment import InputError, normalise

from conftest import REPO, SEED

SEEDS = REPO / "seeds" / "seeds.jsonl"
GOOD = {"id": "a1", "text": "Headline\nThe river rose by two metres.\nSubscribe now",
        "labels": ["non-claim | Headline", "claim | The river rose", "boilerplate | Subscribe"]}


def jsonl(path: Path, *lines) -> Path:
    path.write_text("".join((l if isinstance(l, str) else json.dumps(l)) + "\n" for l in lines),
                    encoding="utf-8")
    return path


def rows_of(path: Path, log: BuildLog | None = None) -> list[list[dict]]:
    return list(annotated({"path": str(path)}, log or BuildLog()))


def test_seed_article_labels():
    (rows,) = rows_of(SEEDS)
    assert "\n".join(r["text"] for r in rows) == "\n".join(
        normalise(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip())
    content = [r for r in rows if r["content"] == 1]
    assert len(rows) == 36 and len(content) == 8
    assert sum(r["content"] == 0 for r in rows) == 28
    assert [r["text"].split()[0] for r in content] == [
        "North", "However,", "“Putin", "He", "In", "In", "The", "It"]
    assert all(r["claim"] == 1 and r["claim_origin"] == "gold" for r in content)
    assert all(r["claim"] == UNKNOWN and r["claim_origin"] == "" for r in rows if r["content"] == 0)
    assert rows[rows.index(content[-1]) + 1]["text"].startswith("To suggest a correction")
    assert {r["group"] for r in rows} == {"kyivpost.com"}


def test_rows_carry_labels_and_group(tmp_path):
    (rows,) = rows_of(jsonl(tmp_path / "a.jsonl", {**GOOD, "url": "https://www.news.example/x"}))
    assert [(r["content"], r["claim"]) for r in rows] == [(1, 0), (1, 1), (0, UNKNOWN)]
    assert [(r["content_origin"], r["claim_origin"]) for r in rows] == [
        ("gold", "gold"), ("gold", "gold"), ("gold", "")]
    assert {r["group"] for r in rows} == {"news.example"}
    assert {r["article_id"] for r in rows} == {"annotated:a1"}


@pytest.mark.parametrize("url, site", [
    ("https://www.news.example.com/x", "example.com"),
    ("https://uk.glossier.com/a", "glossier.com"),
    ("https://BUY.Glossier.com./b", "glossier.com"),
    ("https://someone.substack.com/p/post", "substack.com"),
    ("https://news.bbc.co.uk/story", "bbc.co.uk"),
    ("https://user.github.io/blog", "github.io"),  # ICANN suffixes only: one platform
    ("http://192.168.0.1:8080/page", "192.168.0.1"),
    ("http://[2001:db8::1]/page", "2001:db8::1"),
    ("http://localhost/x", "localhost"),
    ("not a url", ""),
])
def test_site_is_the_registrable_domain(url, site):
    # Subdomains share their site's templates, so its boilerplate: one split unit.
    assert site_of(url) == site


def test_a_sites_subdomains_land_in_one_split(tmp_path):
    from trainer.dataset import build, load_build_config

    articles = [{**GOOD, "id": f"a{i}", "url": f"https://{sub}.site{i % 5}.com/p{i}"}
                for i, sub in enumerate(["www", "blog", "shop", "uk", "news", "docs"] * 10)]
    jsonl(tmp_path / "a.jsonl", *articles)
    (tmp_path / "data.toml").write_text(
        '[split]\nvalidation = 0.3\ntest = 0.3\n[sources.mine]\nadapter = "annotated"\n'
        'path = "a.jsonl"\n[output]\npath = "out"\n')
    dataset = build(load_build_config(tmp_path / "data.toml"))
    split_of_site = {}
    for split in dataset:
        for group in set(dataset[split]["group"]):
            assert split_of_site.setdefault(group, split) == split
    assert sorted(split_of_site) == [f"site{i}.com" for i in range(5)]


def test_annotated_sources_are_named_by_their_tables_and_keep_their_own_ids(tmp_path):
    # Two sources may both hold an "a1": they stay two articles, each of its own source,
    # which training's exclude_sources and weights.sources name.
    from trainer.dataset import build, load_build_config

    jsonl(tmp_path / "a.jsonl", {**GOOD, "group": "g"})
    jsonl(tmp_path / "b.jsonl", {**GOOD, "group": "g", "text": GOOD["text"].replace("two", "3")})
    (tmp_path / "data.toml").write_text(
        '[split]\nvalidation = 0.0\ntest = 0.0\n[output]\npath = "out"\n'
        '[sources.mine]\nadapter = "annotated"\npath = "a.jsonl"\n'
        '[sources.theirs]\nadapter = "annotated"\npath = "b.jsonl"\n')
    train = build(load_build_config(tmp_path / "data.toml"))["train"].to_pandas()
    assert train.groupby("article_id")["source"].agg(set).to_dict() == {
        "mine:a1": {"mine"}, "theirs:a1": {"theirs"}}
    assert train.groupby("article_id").size().to_dict() == {"mine:a1": 3, "theirs:a1": 3}


def test_a_folder_named_like_a_jsonl_file_is_refused(tmp_path):
    jsonl(tmp_path / "a.jsonl", GOOD)
    (tmp_path / "b.jsonl").mkdir()
    with pytest.raises(InputError, match=r"b\.jsonl: a folder, where a \.jsonl file"):
        rows_of(tmp_path)


def test_group_defaults_to_id_then_explicit_group_wins():
    record = AnnotatedArticle.from_json(GOOD)
    assert record.split_group == "a1"
    explicit = AnnotatedArticle.from_json({**GOOD, "url": "http://x.org", "group": "g"})
    assert explicit.split_group == "g"


def test_html_article_is_labelled_by_its_blocks():
    record = AnnotatedArticle.from_json({
        "id": "h",
        "html": "<nav><a href='/'>Home</a></nav><p>Unemployment fell to 3.9% in May.</p>",
        "labels": ["boilerplate | Home", "claim | Unemployment fell"]})
    rows = annotated_rows(record)
    assert [(r["format"], r["content"], r["claim"]) for r in rows] == [
        ("html", 0, UNKNOWN), ("html", 1, 1)]


@pytest.mark.parametrize("line, message", [
    ('{"id": "x", "text": "a", "labels": [}', "not valid JSON"),
    ('["not", "an", "object"]', "expected a JSON object"),
    ({"text": "a", "labels": []}, "missing 'id'"),
    ({"id": " ", "text": "a", "labels": []}, "'id' must not be empty"),
    ({"id": "x", "text": "a", "html": "<p>a</p>", "labels": []}, "found both"),
    ({"id": "x", "labels": []}, "found neither"),
    ({"id": "x", "text": "a"}, "missing 'labels'"),
    ({"id": "x", "text": "a", "labels": "claim | a"}, "'labels' must be a list"),
    ({"id": "x", "text": "a", "labels": ["claims | a"]},
     r"labels\[0\]: label 'claims' is not one of"),
    ({"id": "x", "text": "a", "labels": ["claim"]},
     r"labels\[0\]: expected 'LABEL \| paragraph text'"),
    ({"id": "x", "text": "a", "labels": ["claim |  "]},
     r"labels\[0\]: a label needs the paragraph"),
    ({"id": "x", "text": "a", "labels": [{"claim": "a"}]}, r"labels\[0\] must be a string"),
    ({"id": 7, "text": "a", "labels": []}, "'id' must be a string"),
    ({"id": "x", "text": "a", "labels": [], "lables": []}, "unknown key 'lables'"),
    ('{"id": "x", "text": "a \\ud800 b", "labels": ["content | a"]}',
     r"'text' holds an unpaired surrogate \('\\ud800' at character 2\)"),
    ('{"id": "x", "text": "a", "labels": ["content | a\\udfff"]}',
     r"labels\[0\] holds an unpaired surrogate"),
])
def test_reader_errors_name_file_and_line(tmp_path, line, message):
    path = jsonl(tmp_path / "file.jsonl", GOOD, "", line)
    with pytest.raises(InputError, match=message) as error:
        list(read_annotated(path))
    assert "file.jsonl:3: " in str(error.value)


def test_reader_rejects_invalid_utf8_with_line(tmp_path):
    path = tmp_path / "file.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b'\n{"id": "\xff"}\n')
    with pytest.raises(InputError, match="file.jsonl:2: not valid UTF-8"):
        list(read_annotated(path))


@pytest.mark.parametrize("labels, message", [
    (GOOD["labels"][:2],
     r"2 labels for 3 paragraphs \(first unlabelled paragraph 2: 'Subscribe now'\)"),
    (GOOD["labels"] + ["content | More"],
     r"4 labels for 3 paragraphs \(first label without a paragraph: labels\[3\]\)"),
    (["non-claim | Headline", "boilerplate | Subscribe", "claim | The river"],
     r"labels\[1\] 'Subscribe' does not match paragraph 1 'The river rose by two metres.'"),
])
def test_labels_must_line_up_with_the_paragraphs(tmp_path, labels, message):
    path = jsonl(tmp_path / "file.jsonl", GOOD, {**GOOD, "id": "a2", "labels": labels})
    with pytest.raises(InputError, match=message) as error:
        rows_of(path)
    assert "file.jsonl:2: " in str(error.value)


def test_adapter_reads_a_folder_in_name_order_and_refuses_repeated_ids(tmp_path):
    jsonl(tmp_path / "b.jsonl", {**GOOD, "id": "b"})
    jsonl(tmp_path / "a.jsonl", GOOD)
    (tmp_path / "notes.txt").write_text("not read")
    log = BuildLog()
    articles = rows_of(tmp_path, log)
    assert [rows[0]["article_id"] for rows in articles] == ["annotated:a1", "annotated:b"]
    assert log.stats["annotated"] == {"files": 2, "articles": 2, "paragraphs": 6, "non-claim": 2,
                                      "claim": 2, "boilerplate": 2}
    jsonl(tmp_path / "c.jsonl", GOOD)
    with pytest.raises(InputError, match=r"c.jsonl:1: id 'a1' is already used at .*a.jsonl:1"):
        rows_of(tmp_path)


def test_adapter_refuses_a_folder_without_jsonl(tmp_path):
    with pytest.raises(InputError, match="no .jsonl files"):
        rows_of(tmp_path)


@pytest.mark.parametrize("article, what", [
    ({"id": "e", "text": " \n\n", "labels": []}, "text is blank"),
    ({"id": "e", "html": "<p> </p>", "labels": []}, "HTML holds no text"),
])
def test_an_article_without_paragraphs_is_refused_not_dropped(tmp_path, article, what):
    path = jsonl(tmp_path / "file.jsonl", GOOD, article)
    with pytest.raises(InputError, match=f"file.jsonl:2: the article has no paragraphs to label: "
                                         f"its {what}"):
        rows_of(path)


def test_a_source_without_articles_is_refused(tmp_path):
    (tmp_path / "empty.jsonl").write_text("\n \n")
    with pytest.raises(InputError, match=r"empty\.jsonl: no articles: it holds no lines but blank"):
        rows_of(tmp_path / "empty.jsonl")
    with pytest.raises(InputError, match=r": no articles: its \.jsonl files hold no lines but"):
        rows_of(tmp_path)


def test_write_is_atomic_and_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "out.jsonl"
    write_annotated([AnnotatedArticle.from_json(GOOD)], path)
    before = path.read_bytes()

    def failing():
        yield AnnotatedArticle.from_json({**GOOD, "id": "new"})
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_annotated(failing(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


labels = st.builds(ParagraphLabel, st.sampled_from(sorted(LABELS)),
                   st.text(min_size=1).filter(lambda t: normalise(t)))
@st.composite
def records(draw) -> AnnotatedArticle:
    body = {draw(st.sampled_from(["text", "html"])): draw(st.text())}
    return AnnotatedArticle(
        id=draw(st.text(min_size=1).filter(str.strip)), labels=draw(st.lists(labels, max_size=5)),
        url=draw(st.text(max_size=20)), page_type=draw(st.text(max_size=10)),
        group=draw(st.text(max_size=10)), **body)


@settings(max_examples=60, deadline=None)
@given(st.lists(records(), max_size=4))
def test_write_then_read_round_trips(articles):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "round.jsonl"
        write_annotated(articles, path)
        assert [record for _, record in read_annotated(path)] == articles
