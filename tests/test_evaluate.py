import gzip
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from test_train import toy_dataset, train_claims_by_kind, write_config, write_dataset
from trainer.bundle import save_bundle
from trainer.evaluate import evaluate
from trainer.metrics import word_prf
from trainer.rows import UNKNOWN, article_rows
from trainer.segment import Article, segment_html, segment_text
from trainer.train import load_train_config, train

PAGE = """<html><head><title>Storm</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Storm hits coast</h1>
<p>The storm cut power to 4,200 homes on Tuesday.</p>
<p>Crews restored most lines by Friday evening.</p></article>
<footer>Copyright 2024</footer></body></html>"""
GOLD = ("Storm hits coast\n\nThe storm cut power to 4,200 homes on Tuesday.\n\n"
        "Crews restored most lines by Friday evening.")
# Per paragraph: (score the stub model gives, true label). One miss, one false alarm.
SCORES = {"Home News": (0.1, 0), "Storm hits coast": (0.9, 1),
          "The storm cut power to 4,200 homes on Tuesday.": (0.8, 1),
          "Crews restored most lines by Friday evening.": (0.3, 1), "Copyright 2024": (0.6, 0)}


class ScoreByText(ClassifierMixin, BaseEstimator):
    """A stand-in model that scores each paragraph by a lookup of its text."""

    def __init__(self, scores=None):
        self.scores = scores

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        positive = X["text"].map(lambda text: self.scores.get(text, 0.0)).to_numpy(dtype=float)
        return np.column_stack([1 - positive, positive])


def _stub_bundle(tmp_path: Path, input_mode: str, data: Path, exclude=()) -> Path:
    """A content bundle of the stub model, as if trained on ``data``."""
    config = {"task": "content", "input": input_mode,
              "data": {"path": str(data), "exclude_sources": list(exclude)}}
    model = ScoreByText({text: score for text, (score, _) in SCORES.items()}).fit(None, None)
    return save_bundle(model, tmp_path / "model", task="content",
                       label_names=["boilerplate", "content"], threshold=0.5, config=config,
                       metrics={}, sources=[], extra_files={})


@pytest.fixture
def wcxb_page(tmp_path) -> Path:
    """A one-page WCXB-like corpus and a dataset whose test split is that page."""
    corpus = tmp_path / "wcxb"
    (corpus / "html").mkdir(parents=True)
    (corpus / "ground-truth").mkdir()
    (corpus / "html" / "0001.html.gz").write_bytes(gzip.compress(PAGE.encode()))
    (corpus / "ground-truth" / "0001.json").write_text(
        json.dumps({"ground_truth": {"main_content": GOLD}}))
    rows = article_rows(segment_html(PAGE), source="wcxb", article_id="wcxb:0001",
                        group="example.com", page_type="article")
    assert [r["text"] for r in rows] == list(SCORES)
    for row in rows:
        row["content"], row["content_origin"] = SCORES[row["text"]][1], "gold"
    return write_dataset(tmp_path / "data", {"test": rows},
                         sources={"wcxb": {"path": str(corpus)}})


def test_evaluate_writes_hand_checkable_scores(tmp_path, wcxb_page):
    bundle = _stub_bundle(tmp_path, "html", wcxb_page, exclude=["scrapinghub"])
    result = evaluate(bundle, output=tmp_path / "report")

    written = json.loads((tmp_path / "report" / "metrics.json").read_text())
    assert written["paragraphs"] == json.loads(json.dumps(result["paragraphs"]))
    overall = written["paragraphs"]["overall"]
    # scores >= 0.5: TP = 2 (heading, first paragraph), FN = 1, FP = 1 (footer), TN = 1 (menu)
    assert overall["confusion_matrix"]["matrix"] == [[1, 1], [1, 2]]
    assert overall["per_class"]["content"]["precision"] == pytest.approx(2 / 3)
    assert overall["per_class"]["content"]["recall"] == pytest.approx(2 / 3)
    assert overall["per_class"]["boilerplate"]["f1"] == pytest.approx(0.5)
    assert overall["pr_auc"] == pytest.approx((1 + 1 + 3 / 4) / 3)  # ranks: +, +, -, +, -
    worst = written["paragraphs"]["worst_errors"]
    assert [e["text"] for e in worst] == ["Crews restored most lines by Friday evening.",
                                          "Copyright 2024"]

    # Page level: the kept paragraphs against the gold: 13 of 15 words right, 13 of 20 found.
    page = written["pages"]["WCXB word F1"]["systems"]["model (html)"]
    assert page["pages"] == 1
    assert page["precision"] == pytest.approx(13 / 15) and page["recall"] == pytest.approx(13 / 20)
    predicted = "Storm hits coast\nThe storm cut power to 4,200 homes on Tuesday.\nCopyright 2024"
    assert page["f1"] == pytest.approx(26 / 35) == word_prf(predicted, GOLD)[2]
    assert page["f1_articles"] == pytest.approx(page["f1"])
    assert "trafilatura (HTML)" in written["pages"]["WCXB word F1"]["systems"]
    targets = {t["name"]: t for t in written["targets"]}
    # One page: runs of its 5 paragraphs are resampled for the interval; F1 2/3 against 0.88.
    paragraph = targets["paragraph F1 (content)"]
    assert paragraph["resampled"] == "5 paragraphs in 3 runs of up to 2"
    assert paragraph["value"] == pytest.approx(2 / 3)
    low, high = paragraph["margin_interval"]
    assert -0.88 <= low < 2 / 3 - 0.88 < high <= 1 - 0.88
    # The page-level targets resample the one page: no spread at all.
    articles = targets["WCXB word F1, article pages"]
    assert articles["margin_interval"] == pytest.approx([26 / 35 - 0.96] * 2)
    assert articles["resampled"] == "1 article page"

    report = (tmp_path / "report" / "report.md").read_text()
    assert "| model (html) | 1 | 0.867 | 0.650 | 0.743 | 0.743 | 0 |" in report
    for plot in ("confusion_matrix.png", "precision_recall.png", "calibration.png"):
        assert (tmp_path / "report" / "plots" / plot).stat().st_size > 1000


def test_held_out_pages_the_dataset_skipped_are_accounted_for(tmp_path, wcxb_page):
    # A test-split page our segmenter reads no text from counts as an empty output (other
    # tools may read it); one without gold text cannot be scored by anyone and is named.
    corpus = tmp_path / "wcxb"
    hidden = PAGE.replace("<body>", "<body><div style='display:none'>").replace(
        "</body>", "</div></body>")
    (corpus / "html" / "0002.html.gz").write_bytes(gzip.compress(hidden.encode()))
    (corpus / "ground-truth" / "0002.json").write_text(
        json.dumps({"ground_truth": {"main_content": GOLD}}))
    skipped = [
        {"source": "wcxb", "item": "0002", "reason": "no text blocks: 0002.html.gz has no "
         "visible text", "group": "hidden.example", "page_type": "article", "split": "test"},
        {"source": "wcxb", "item": "0003", "reason": "empty main_content: 0003.json has no "
         "gold main text", "group": "x.example", "page_type": "forum", "split": "test"},
        {"source": "wcxb", "item": "0004", "reason": "no text blocks: elsewhere",
         "group": "y.example", "page_type": "article", "split": "train"},
    ]
    (wcxb_page / "skipped.jsonl").write_text("".join(json.dumps(s) + "\n" for s in skipped))
    bundle = _stub_bundle(tmp_path, "html", wcxb_page, exclude=["scrapinghub"])
    pages = evaluate(bundle, output=tmp_path / "report")["pages"]["WCXB word F1"]
    model = pages["systems"]["model (html)"]
    assert model["pages"] == 2
    assert pages["page_f1"]["model (html)"]["wcxb:0002"] == 0.0
    assert model["f1"] == pytest.approx(26 / 35 / 2)
    assert pages["systems"]["trafilatura (HTML)"]["pages"] == 2
    assert "1 of these pages gave our segmenter no text" in pages["description"]
    assert "wcxb:0002" in pages["description"]
    assert "Left out: 1 page of these sites that no system can be scored on (1 empty " \
           "main_content)" in pages["description"]


def test_paragraphs_of_sources_the_model_excludes_are_left_out_as_in_training(tmp_path):
    # A text model's config leaves out debate sentences (no boilerplate to find in them):
    # scoring them would count every one the stub misses against it.
    page = segment_html(PAGE).text
    rows = article_rows(Article("text", page, segment_text(page)), source="news",
                        article_id="news:0001", group="example.com", page_type="article")
    for row in rows:
        row["content"], row["content_origin"] = SCORES[row["text"]][1], "gold"
    text = "One sentence of a debate.\nAnother one."
    debate = article_rows(Article("text", text, segment_text(text)), source="debates",
                          article_id="debates:1", group="debate-1")
    for row in debate:
        row["content"], row["content_origin"] = 1, "gold"
    data = write_dataset(tmp_path / "data", {"test": rows + debate})
    bundle = _stub_bundle(tmp_path, "text", data, exclude=["debates"])
    result = evaluate(bundle, output=tmp_path / "report")
    assert result["paragraphs"]["overall"]["confusion_matrix"]["matrix"] == [[1, 1], [1, 2]]
    assert set(result["paragraphs"]["per_source"]) == {"news"}
    assert "paragraphs of debates left out, as in training" in (
        tmp_path / "report" / "report.md").read_text()


def test_a_bundle_is_refused_as_the_evaluations_output(tmp_path, wcxb_page):
    bundle = _stub_bundle(tmp_path, "html", wcxb_page, exclude=["scrapinghub"])
    before = {p.name: p.read_bytes() for p in Path(bundle).iterdir() if p.is_file()}
    with pytest.raises(ValueError, match=r"model: is a model bundle; write the evaluation else"):
        evaluate(bundle, output=bundle)
    assert {p.name: p.read_bytes() for p in Path(bundle).iterdir() if p.is_file()} == before


def test_an_interrupted_evaluation_leaves_the_old_report_whole(tmp_path, wcxb_page,
                                                              monkeypatch):
    from matplotlib.figure import Figure

    bundle = _stub_bundle(tmp_path, "html", wcxb_page, exclude=["scrapinghub"])
    report = tmp_path / "report"
    evaluate(bundle, output=report)
    before = {p: p.read_bytes() for p in report.rglob("*") if p.is_file()}

    def save_half_then_fail(self, fname, **kwargs):
        Path(fname).write_bytes(b"\x89PNG half")
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", save_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        evaluate(bundle, output=report)
    assert {p: p.read_bytes() for p in report.rglob("*") if p.is_file()} == before


def test_an_html_model_is_scored_on_the_html_pages_of_the_split_only(tmp_path, wcxb_page):
    # A debate transcript (text, every sentence content) beside the page: an HTML model's
    # paragraph F1 counted it, and the seed article, among its test pages.
    from trainer.dataset import load_dataset

    page_rows = load_dataset(wcxb_page)["test"].to_list()
    transcript = article_rows(Article("text", "Sentence one.\nSentence two.",
                                      segment_text("Sentence one.\nSentence two.")),
                              source="checkthat2024", article_id="ct:1", group="debate")
    for row in transcript:
        row["content"], row["content_origin"] = 1, "gold"
    data = write_dataset(tmp_path / "mixed", {"test": page_rows + transcript},
                         sources={"wcxb": {"path": str(tmp_path / "wcxb")},
                                  "checkthat2024": {"path": ""}})
    bundle = _stub_bundle(tmp_path, "html", data)
    paragraphs = evaluate(bundle, output=tmp_path / "report")["paragraphs"]
    assert set(paragraphs["per_source"]) == {"wcxb"}
    assert paragraphs["overall"]["confusion_matrix"]["matrix"] == [[1, 1], [1, 2]]


def test_an_html_model_on_text_articles_only_is_refused_saying_so(tmp_path):
    text = "Floods hit the valley.\nSubscribe now"
    rows = article_rows(Article("text", text, segment_text(text)), source="annotated",
                        article_id="annotated:1", group="example.com")
    for row, label in zip(rows, (1, 0)):
        row["content"], row["content_origin"] = label, "gold"
    data = write_dataset(tmp_path / "mine", {"test": rows})
    with pytest.raises(ValueError, match=r"no HTML page labelled for content, and an HTML model "
                                         r"is scored on HTML pages only"):
        evaluate(_stub_bundle(tmp_path, "html", data), output=tmp_path / "report")


def test_text_mode_is_scored_on_other_renderings_too(tmp_path, wcxb_page):
    bundle = _stub_bundle(tmp_path, "text", wcxb_page)
    systems = evaluate(bundle, output=tmp_path / "report")["pages"]["WCXB word F1"]["systems"]
    for name in ("model (text)", "model (html2text text)", "model (inscriptis text)",
                 "model (html_text text)", "justext_lines (our text)",
                 "c4_line_filter (our text)"):
        assert systems[name]["pages"] == 1
    assert systems["model (text)"]["f1"] == pytest.approx(26 / 35)


def test_claim_round_trip_reports_the_baseline(tmp_path):
    toy_dataset(tmp_path / "data")
    result = train(load_train_config(write_config(tmp_path, task="claim", output="claim")))
    metrics = evaluate(result["path"], output=tmp_path / "report")
    baseline = metrics["baselines"]["CheckThat! TF-IDF + LinearSVC"]
    assert set(baseline["per_source"]) == {"toy", "other"}
    assert metrics["paragraphs"]["overall"]["n"] == baseline["overall"]["n"]
    assert metrics["paragraphs"]["overall"]["per_class"]["claim"]["f1"] > 0.8
    assert (tmp_path / "report" / "report.md").read_text().count("Baseline: CheckThat!") == 1


def test_claim_baseline_learns_from_the_models_training_rows_on_a_users_own_test_data(
        tmp_path, caplog):
    # A user's own labelled pages, built with every group in the test split: no claim label to
    # train a baseline on in the others (it crashed with "empty vocabulary").
    from trainer.dataset import load_dataset

    toy_dataset(tmp_path / "data")
    result = train(load_train_config(write_config(tmp_path, task="claim", output="claim")))
    test = load_dataset(tmp_path / "data")["test"].to_list()
    unlabelled = [{**row, "claim": UNKNOWN, "content": UNKNOWN} for row in test[:3]]
    write_dataset(tmp_path / "own", {"train": unlabelled, "validation": unlabelled, "test": test})
    metrics = evaluate(result["path"], data=tmp_path / "own", output=tmp_path / "report")
    baseline = metrics["baselines"]["CheckThat! TF-IDF + LinearSVC"]
    assert baseline["overall"]["n"] == metrics["paragraphs"]["overall"]["n"]
    assert baseline["overall"]["per_class"]["claim"]["f1"] > 0.8
    shutil.rmtree(tmp_path / "data")  # the model's training data is gone: no baseline, said so
    with caplog.at_level(logging.WARNING):
        metrics = evaluate(result["path"], data=tmp_path / "own", output=tmp_path / "report2")
    assert metrics["baselines"] == {}
    assert "no CheckThat! baseline" in caplog.text
    assert metrics["paragraphs"]["overall"]["per_class"]["claim"]["f1"] > 0.8


def test_a_split_without_labelled_rows_is_refused_with_what_to_do(tmp_path):
    toy_dataset(tmp_path / "data")
    result = train(load_train_config(write_config(tmp_path)))
    from trainer.dataset import load_dataset

    splits = {name: rows.to_list() for name, rows in load_dataset(tmp_path / "data").items()}
    for row in splits["test"]:  # as when no labelled site was dealt to the test split
        row["content"] = UNKNOWN
    write_dataset(tmp_path / "data2", splits)
    with pytest.raises(ValueError, match=r"the test split has no rows labelled for content .*"
                                         r"evaluate on another split \(--split\)"):
        evaluate(result["path"], data=tmp_path / "data2", output=tmp_path / "report")
    assert not (tmp_path / "report").exists()


def test_claim_evaluation_applies_per_kind_thresholds_to_model_and_baseline(tmp_path):
    result = train_claims_by_kind(tmp_path)
    metrics = evaluate(result["path"], output=tmp_path / "report")
    assert metrics["thresholds"] == result["thresholds"]
    per_source = metrics["paragraphs"]["per_source"]
    assert per_source["other"]["threshold"] == pytest.approx(result["thresholds"]["spoken"])
    assert per_source["toy"]["threshold"] == pytest.approx(result["thresholds"]["written"])
    assert metrics["paragraphs"]["overall"]["threshold"] is None  # two thresholds in play

    # The baseline's thresholds are SVM margins, chosen per kind like the model's; its
    # report has classification scores but no calibration table (margins are not probabilities).
    baseline = metrics["baselines"]["CheckThat! TF-IDF + LinearSVC"]
    assert set(baseline["thresholds"]) == {"spoken", "written"}
    assert baseline["per_source"]["other"]["threshold"] == baseline["thresholds"]["spoken"]
    assert "calibration" not in baseline
    assert baseline["overall"]["per_class"]["claim"]["f1"] > 0.8
    assert "spoken pages" in (tmp_path / "report" / "report.md").read_text()


def test_claim_baseline_scores_are_margins_and_never_reach_the_calibration_table(tmp_path):
    from trainer.evaluate import claim_baseline, claim_baseline_scores
    from trainer.train import load_rows

    data = toy_dataset(tmp_path / "data")
    cfg = load_train_config(write_config(tmp_path, task="claim", output="claim"))
    rows = load_rows(data, "test", "claim")
    rows = rows[rows["claim"] != 2].reset_index(drop=True)
    scores, cut, chosen = claim_baseline_scores(cfg, data, rows)
    assert scores.min() < 0 < scores.max()  # raw LinearSVC margins
    assert chosen["thresholds"] == {} and np.all(cut == chosen["threshold"])
    report = claim_baseline(cfg, data, rows)  # used to crash on margins outside [0, 1]
    assert report["overall"]["n"] == len(rows)


def test_claim_baseline_fits_the_validation_split_when_the_model_did(tmp_path, monkeypatch):
    """With data.include_validation the baseline, like the model, learns the validation rows
    too, and its threshold comes from their out-of-fold scores."""
    import trainer.baselines
    from trainer.evaluate import claim_baseline_scores
    from trainer.train import load_rows

    fitted = []

    class Recorded(type(trainer.baselines.checkthat_baseline())):
        def fit(self, X, y, **kwargs):
            fitted.append(len(X))
            return super().fit(X, y, **kwargs)

    original = trainer.baselines.checkthat_baseline
    monkeypatch.setattr(trainer.baselines, "checkthat_baseline",
                        lambda: Recorded(original().steps))
    data = toy_dataset(tmp_path / "data")
    cfg = load_train_config(write_config(tmp_path, task="claim", output="claim"))
    rows = {split: load_rows(data, split, "claim") for split in ("train", "validation", "test")}
    labelled = {split: int((r["claim"] != 2).sum()) for split, r in rows.items()}
    claim_baseline_scores(cfg, data, rows["test"])
    assert fitted == [labelled["train"]]  # fitted once; validation scored by that fit
    fitted.clear()
    cfg["data"]["include_validation"] = True
    scores, _, _ = claim_baseline_scores(cfg, data, rows["test"])
    both = labelled["train"] + labelled["validation"]
    # Fitted on both splits, then once per group fold on the rest of both.
    assert fitted[0] == both and len(fitted) == 1 + cfg["context"]["folds"]
    assert all(n < both for n in fitted[1:]) and sum(both - n for n in fitted[1:]) == both
    assert len(scores) == len(rows["test"])


def test_few_documents_are_resampled_in_runs_of_consecutive_paragraphs():
    from trainer.evaluate import _counts_by_unit

    # Two debates of 8 and 4 sentences, rows shuffled: runs of round(12 ** (1/3)) = 2
    # sentences follow each debate's order, not the rows'.
    rows = pd.DataFrame({"article_id": ["a"] * 8 + ["b"] * 4,
                         "index": [*range(8), *range(4)]}).sample(frac=1, random_state=3)
    y = (rows["index"].to_numpy() % 4 == 0) | (rows["article_id"].to_numpy() == "b")
    predicted = rows["index"].to_numpy() < 2
    sums, units = _counts_by_unit(rows, y, predicted)
    assert units == "12 paragraphs in 6 runs of up to 2"
    assert sums.sum(axis=0).tolist() == [3, 1, 3, 5]  # tp, fp, fn, tn of all rows
    # Runs a0-1: tp + fp; a2-3 and a6-7: tn + tn; a4-5: fn + tn; b0-1: tp + tp; b2-3: fn + fn.
    assert sorted(map(tuple, sums.tolist())) == sorted([
        (1, 1, 0, 0), (0, 0, 0, 2), (0, 0, 1, 1), (0, 0, 0, 2), (2, 0, 0, 0), (0, 0, 2, 0)])

    # With enough documents, whole documents are the units.
    many = pd.DataFrame({"article_id": [f"p{i // 2}" for i in range(40)], "index": [0, 1] * 20})
    sums, units = _counts_by_unit(many, np.ones(40, bool), np.ones(40, bool))
    assert units == "20 articles" and sums[:, 0].tolist() == [2] * 20
