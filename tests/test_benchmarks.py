"""The benchmark suite runs end to end on a tiny world made here, and its bookkeeping is right.

No timing is asserted: speed depends on the machine. The world is eight handmade WCXB-style
pages on eight sites and two ScrapingHub-style pages, a dataset built from them by hand (so we
know which pages are held out), and three real model bundles trained on it with
:func:`trainer.train.train`.
"""

from __future__ import annotations

import gzip
import json
import math
import sys
from pathlib import Path

import pytest
from datasets import Dataset, DatasetDict

# benchmarks/ is a top-level folder beside trainer/, not part of the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.pages import Page, held_out_pages, sample, write_inputs
from benchmarks.quality import OURS_HTML, OURS_RENDERED, OURS_TEXT, f1_interval
from benchmarks.report import fmt, markdown_table, render_markdown, write_results
from benchmarks.runs import fit_slope, ratio, subsample_dataset, throughput
from benchmarks.suite import Settings, run_suite
from trainer.dataset import load_dataset
from trainer.rows import FEATURES, article_rows
from trainer.segment import segment_html
from trainer.train import load_train_config, train

pytest.importorskip("trafilatura", reason="the baselines extra is not installed")

# --------------------------------------------------------------------------- a tiny world

CLAIMS = (
    "The council approved a budget of {n} million dollars on Tuesday, officials said.",
    "Rainfall reached {n} millimetres last month, the national weather service reported.",
    "About {n} percent of residents voted in the local election, the electoral office said.",
    "The bridge, opened in 19{n}, carries {n} thousand vehicles a day according to the city.",
)
OPINIONS = (
    "Many people think the new park is a lovely place to spend a quiet afternoon with friends.",
    "It remains to be seen whether the plan will please everyone who lives in the area.",
    "Walking along the river at dusk is, for many of us, the best part of living here.",
    "Some visitors say the old market has lost a little of its charm over the years.",
)
WCXB_SPLITS = {"0001": "train", "0002": "train", "0003": "train", "0004": "train",
               "0005": "validation", "0006": "validation", "0007": "test", "0008": "test"}
SCRAPINGHUB_SPLITS = {"aa11": "train", "bb22": "test"}


def _page(site: str, number: int) -> tuple[str, str]:
    """A news page with navigation, a related-links box and a footer; and its gold text."""
    title = f"What changed in {site} this week, story {number}"
    body = [CLAIMS[(number + k) % 4].format(n=10 + number + k) if k % 2 == 0
            else OPINIONS[(number + k) % 4] for k in range(5)]
    html = f"""<!DOCTYPE html><html><head><title>{title} | {site}</title></head><body>
<header class="site-header"><a href="/">{site}</a>
<nav class="menu"><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/about">About us</a></li></ul></nav></header>
<main><article class="post"><h1>{title}</h1>
{''.join(f'<p>{p}</p>' for p in body)}
</article>
<aside class="related"><h3>Related stories</h3><ul>
<li><a href="/a">Five things to do this weekend</a></li>
<li><a href="/b">Subscribe to our newsletter for daily updates</a></li></ul></aside></main>
<footer class="site-footer"><p>Copyright 2024 {site}. All rights reserved.</p>
<p><a href="/privacy">Privacy policy</a> | <a href="/terms">Terms of use</a></p></footer>
</body></html>"""
    return html, "\n\n".join([title, *body])


def _labelled_rows(html: str, gold: str, **ids) -> list[dict]:
    gold_paragraphs = set(gold.split("\n\n"))
    rows = article_rows(segment_html(html), **ids)
    for row in rows:
        row["content"], row["content_origin"] = int(row["text"] in gold_paragraphs), "aligned"
        if row["content"] and row["tag"] == "p":
            row["claim"] = int(any(c.isdigit() for c in row["text"]))
            row["claim_origin"] = "gold"
    return rows


def _write_world(root: Path) -> tuple[Path, Path]:
    """The shared-data folder (two corpora) and a built dataset; returns both paths."""
    data, splits = root / "data", {"train": [], "validation": [], "test": []}
    wcxb = data / "wcxb-dev"
    (wcxb / "html").mkdir(parents=True)
    (wcxb / "ground-truth").mkdir()
    for number, (file_id, split) in enumerate(WCXB_SPLITS.items()):
        site = f"site{file_id}.example"
        html, gold = _page(site, number)
        page_type = "forum" if number % 2 else "article"
        (wcxb / "html" / f"{file_id}.html.gz").write_bytes(gzip.compress(html.encode()))
        (wcxb / "ground-truth" / f"{file_id}.json").write_text(json.dumps(
            {"url": f"https://{site}/story", "file_id": file_id, "page_type": page_type,
             "ground_truth": {"main_content": gold, "with": [], "without": []}}))
        splits[split] += _labelled_rows(html, gold, source="wcxb", article_id=f"wcxb:{file_id}",
                                        group=site, page_type=page_type)
    scrapinghub = data / "scrapinghub-aeb"
    (scrapinghub / "html").mkdir(parents=True)
    ground_truth = {}
    for number, (page_id, split) in enumerate(SCRAPINGHUB_SPLITS.items(), start=20):
        site = f"news{page_id}.example"
        html, gold = _page(site, number)
        (scrapinghub / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html.encode()))
        ground_truth[page_id] = {"articleBody": gold.split("\n\n", 1)[1], "url": f"https://{site}/"}
        splits[split] += _labelled_rows(html, gold, source="scrapinghub",
                                        article_id=f"scrapinghub:{page_id}", group=site)
    (scrapinghub / "ground-truth.json").write_text(json.dumps(ground_truth))
    dataset = root / "dataset"
    DatasetDict({split: Dataset.from_list(rows, features=FEATURES)
                 for split, rows in splits.items()}).save_to_disk(str(dataset / "dataset"))
    return data, dataset


TRAIN_CONFIG = """
task = "{task}"
input = "{input}"
[data]
path = "{dataset}"
exclude_sources = {exclude}
[features]
blocks = {blocks}
[features.words]
n_features = 1024
[context]
window = 1
folds = 2
[output]
path = "{output}"
"""


def _train_models(root: Path, dataset: Path) -> Path:
    models = root / "models"
    for name, task, input_mode, blocks, exclude in (
            ("content-html", "content", "html", ["words", "structure"], ["scrapinghub"]),
            ("content-text", "content", "text", ["words", "stats"], ["scrapinghub"]),
            ("claim", "claim", "text", ["words"], [])):
        config = root / f"{name}.toml"
        config.write_text(TRAIN_CONFIG.format(task=task, input=input_mode, dataset=dataset,
                                              blocks=json.dumps(blocks),
                                              exclude=json.dumps(exclude),
                                              output=models / name))
        train(load_train_config(config))
    return models


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("benchmark-world")
    data, dataset = _write_world(root)
    return data, dataset, _train_models(root, dataset)


TINY = Settings("tiny", wcxb_pages=None, scrapinghub_pages=None, speed_pages=None,
                scaling_pages=2, scaling_factors=(1, 2), train_models=("claim",),
                train_fractions=(0.5, 1.0), train_search=False, load_repeats=1, timeout=600,
                extractors=("trafilatura", "resiliparse"))


# --------------------------------------------------------------------------- end to end

def test_held_out_pages_come_from_the_test_split(world):
    data, _, models = world
    held_out = held_out_pages(models, data)
    assert [p.id for p in held_out.wcxb] == ["wcxb:0007", "wcxb:0008"]
    assert [p.page_type for p in held_out.wcxb] == ["article", "forum"]
    # Content models never trained on ScrapingHub, so every page of it is held out.
    assert [p.id for p in held_out.scrapinghub] == ["scrapinghub:aa11", "scrapinghub:bb22"]
    assert held_out.scrapinghub_scope.startswith("all pages")
    assert held_out.wcxb[0].gold.startswith("What changed in site0007.example")


def test_held_out_pages_include_those_the_dataset_skipped_unread(world):
    # A test-split page the build skipped because our segmenter read no text from it is
    # still measured (every tool runs on it); one without gold text is left out, and said so.
    data, dataset, models = world
    skipped = [{"source": "wcxb", "item": "0001", "reason": "no text blocks: none visible",
                "group": "site0001.example", "page_type": "forum", "split": "test"},
               {"source": "wcxb", "item": "0002", "reason": "empty main_content: no gold",
                "group": "site0002.example", "page_type": "article", "split": "test"},
               {"source": "wcxb", "item": "0003", "reason": "no text blocks: none visible",
                "group": "site0003.example", "page_type": "article", "split": "train"}]
    (dataset / "skipped.jsonl").write_text("".join(json.dumps(s) + "\n" for s in skipped))
    try:
        held_out = held_out_pages(models, data)
    finally:
        (dataset / "skipped.jsonl").unlink()
    assert [(p.id, p.page_type) for p in held_out.wcxb] == [
        ("wcxb:0001", "forum"), ("wcxb:0007", "article"), ("wcxb:0008", "forum")]
    assert held_out.wcxb_scope.endswith(
        "left out for every tool: 1 of their pages that cannot be scored (1 empty main_content)")


def test_the_suite_runs_end_to_end_and_writes_its_report(world, tmp_path):
    data, _, models = world
    results = run_suite(models, data, TINY, "python -m benchmarks --tiny")

    wcxb = results["content"]["WCXB"]
    assert wcxb["pages"] == 2
    assert set(wcxb["systems"]) == {OURS_HTML, OURS_TEXT, *OURS_RENDERED.values(),
                                    "trafilatura", "resiliparse"}
    for system in wcxb["systems"].values():
        assert 0.0 <= system["f1"] <= 1.0
        assert set(system["per_page_f1"]) == {"wcxb:0007", "wcxb:0008"}
        assert system["per_page_type"]["forum"]["pages"] == 1
    # The models were trained on pages built from the same template: they find the article.
    assert wcxb["systems"][OURS_HTML]["f1"] > 0.9
    assert results["content"]["ScrapingHub"]["pages"] == 2
    assert results["content"]["ScrapingHub"]["convention"] == "scrapinghub"

    claims = results["claims"]["systems"]
    assert set(claims) == {"ours (claim model)", "CheckThat! baseline (TF-IDF + LinearSVC)"}
    for per_set in claims.values():
        assert set(per_set) == {"wcxb-claims (held-out sites)", "news-claims (held-out sites)"}

    runs = results["speed"]["runs"]
    assert set(runs) == {"trafilatura", "resiliparse", "ours (HTML input)", "ours (text input)",
                         "ours (HTML input, -j 2)", "ours (text input, -j 2)",
                         "ours (HTML input, content only)", "ours (text input, content only)"}
    for run in runs.values():
        assert run["pages"] == results["speed"]["pages"] == 4 and run["failures"] == 0
        assert run["pages_per_s"] > 0 and run["peak_rss_mb"] >= run["imports_rss_mb"] > 0
    ours = runs["ours (HTML input)"]
    assert ours["ratios"]["trafilatura"] == pytest.approx(
        ours["pages_per_s"] / runs["trafilatura"]["pages_per_s"])

    prediction = results["scaling"]["prediction"]
    assert [p["pages"] for p in prediction["points"]] == [2, 4]
    assert math.isfinite(prediction["time_slope"])
    training = results["scaling"]["training"]
    assert not results["scaling"]["training_skipped"]
    assert [p["fraction"] for p in training[0]["points"]] == [0.5, 1.0]
    points = training[0]["points"]
    assert 0 < points[0]["labelled_rows"] < points[1]["labelled_rows"]
    assert set(results["models"]["bundles"]) == {"content-html", "content-text", "claim"}
    assert all(b["bytes"] > b["model_bytes"] > 0 for b in results["models"]["bundles"].values())

    markdown, raw = write_results(results, tmp_path / "docs")
    assert json.loads(raw.read_text())["speed"]["pages"] == 4
    text = markdown.read_text()
    for heading in ("## Headline", "### WCXB: 2 pages", "## Claim vs non-claim",
                    "## Speed and memory", "### Prediction", "### Training `claim`",
                    "## Models", "## Method"):
        assert heading in text
    assert results["environment"]["cpu"] in text
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == ["benchmarks.json",
                                                                      "benchmarks.md"]


# --------------------------------------------------------------------------- bookkeeping

def test_slope_of_linear_and_quadratic_growth():
    sizes = [1, 4, 16]
    assert fit_slope(sizes, [0.5 * s for s in sizes]) == pytest.approx(1.0)
    assert fit_slope(sizes, [0.5 * s * s for s in sizes]) == pytest.approx(2.0)
    assert fit_slope(sizes, [3.0, 3.0, 3.0]) == pytest.approx(0.0, abs=1e-12)


def test_throughput_and_ratio():
    from benchmarks.pages import InputFile

    inputs = InputFile(Path("pages.jsonl"), pages=20, paragraphs=500, bytes=4 * 2**20)
    result = {"seconds": 2.0, "cpu_seconds": 1.5, "pages": 20, "failures": 1,
              "imports_rss_mb": 90.0, "peak_rss_mb": 100.0, "children_peak_rss_mb": 50.0}
    rates = throughput(result, inputs)
    assert (rates["pages_per_s"], rates["paragraphs_per_s"], rates["mb_per_s"]) == (10, 250, 2)
    assert rates["peak_rss_mb"] == 150.0
    assert ratio({"pages_per_s": 30.0}, {"pages_per_s": 10.0}) == 3.0


def test_markdown_table_and_numbers():
    table = markdown_table(["tool", "F1", "pages"], [["ours", 0.91234, 1200], ["them", None, 3]])
    assert table == ("| tool | F1 | pages |\n|---|---:|---:|\n| ours | 0.912 | 1,200 |\n"
                     "| them | – | 3 |")
    assert markdown_table(["a", "b"], [["x", "y"]], "ll").splitlines()[1] == "|---|---|"
    with pytest.raises(ValueError):
        markdown_table(["a", "b"], [["only one"]])
    assert fmt(12.345, 1) == "12.3" and fmt("text") == "text"


def test_sample_is_reproducible_sorted_and_bounded():
    items = [f"page{i:03d}" for i in range(50)]
    chosen = sample(items, 10)
    assert chosen == sample(list(reversed(items)), 10) == sorted(chosen)
    assert len(set(chosen)) == 10 and set(chosen) <= set(items)
    assert sample(items, None) == sample(items, 500) == items


def test_f1_interval_brackets_the_f1_each_convention_reports():
    pages = [(0.7, 0.7, 0.7, True, True)] * 30
    assert f1_interval(pages, "wcxb") == (pytest.approx(0.7), pytest.approx(0.7))
    low, high = f1_interval([(0, 0, 0.0, True, True), (1, 1, 1.0, True, True)] * 50, "wcxb")
    assert low < 0.5 < high and high - low < 0.3
    # ScrapingHub: F1 of the averaged precision and recall, a page without output counting
    # for recall only. Precision 1 on every page with output, recall 0 or 1: F1 of 1 and .5
    # is .667, while the mean page F1 is .5; the interval is around the former.
    pages = [(1.0, 1.0, 1.0, True, True), (0.0, 0.0, 0.0, False, True)] * 50
    low, high = f1_interval(pages, "scrapinghub")
    assert low < 2 / 3 < high and 0.5 < low


def test_subsamples_nest_and_keep_validation(world, tmp_path):
    _, dataset, _ = world
    half = load_dataset(subsample_dataset(dataset, 0.5, tmp_path / "half"))
    whole = load_dataset(subsample_dataset(dataset, 1.0, tmp_path / "whole"))
    assert set(half["train"]["article_id"]) < set(whole["train"]["article_id"])
    assert set(whole["train"]["article_id"]) == set(load_dataset(dataset)["train"]["article_id"])
    assert len(half["validation"]) == len(load_dataset(dataset)["validation"])
    assert "test" not in whole


def test_inputs_hold_each_page_as_html_and_as_our_text_rendering(tmp_path):
    html, _ = _page("example.org", 1)
    pages = [Page("wcxb:0001", "wcxb", html, "", "article"),
             Page("wcxb:0002", "wcxb", html.replace("<p>", "<p>More. "), "", "article")]
    html_file, text_file = write_inputs(pages, tmp_path)
    records = [json.loads(line) for line in html_file.path.read_text().splitlines()]
    assert [(r["id"], r["html"]) for r in records] == [(p.id, p.html) for p in pages]
    texts = [json.loads(line)["text"] for line in text_file.path.read_text().splitlines()]
    assert texts == [segment_html(p.html).text for p in pages]
    assert html_file.pages == text_file.pages == 2
    assert html_file.paragraphs == sum(len(segment_html(p.html).paragraphs) for p in pages)
    assert text_file.bytes == sum(len(t.encode()) for t in texts)


def test_report_renders_without_optional_sections():
    results = {"command": "python -m benchmarks", "settings": {"name": "quick"},
               "environment": {"date_utc": "2025-01-01T00:00:00+00:00", "cpu": "Test CPU",
                               "cores": 2, "usable_cores": 2, "memory_gb": 8.0, "os": "Linux",
                               "python": "CPython 3.12", "packages": {"numpy": "2.0"},
                               "git_commit": None}}
    text = render_markdown(results)
    assert "Test CPU" in text and "rerun without `--quick`" in text and "## Method" in text


def test_training_scaling_accepts_a_bundle_config_older_than_the_schema(world, tmp_path):
    from benchmarks.worker import run_train
    from trainer.bundle import read_manifest

    _, dataset, models = world
    config = read_manifest(models / "claim")["config"]
    del config["data"]["crops"], config["threshold"]["by_kind"]  # options added later
    config["output"]["path"] = str(tmp_path / "model")
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    assert run_train(path)["labelled_rows"] > 0
    assert read_manifest(tmp_path / "model")["config"]["data"]["crops"] == 0
