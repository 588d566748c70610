"""The default models in models/ (trained by configs/*.toml) do the README's main job."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.bundle import load_bundle
from trainer.corpora.annotated import annotated_rows, read_annotated
from trainer.predict import Predictor

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "models"
SEED = REPO / "seeds" / "000_9a723f3c1d4aaaf8.txt"


def test_shipped_models_load_and_are_small():
    for name, task in [("content-html", "content"), ("content-text", "content"), ("claim", "claim")]:
        bundle = load_bundle(MODELS / name)  # checks hashes and library versions
        assert bundle.task == task and 0 < bundle.threshold < 1
        size = sum(f.stat().st_size for f in (MODELS / name).rglob("*") if f.is_file())
        assert size < 10 * 2**20, f"{name} is {size / 2**20:.1f} MB"
        assert bundle.manifest["sources"], "the manifest must record the training data"


def _seed_prediction():
    [(_, record)] = list(read_annotated(REPO / "seeds" / "seeds.jsonl"))
    gold = annotated_rows(record, "seeds.jsonl")
    assert sum(r["content"] == 1 for r in gold) == 8 and sum(r["content"] == 0 for r in gold) == 28
    out = subprocess.run([sys.executable, "-m", "trainer", "predict", str(SEED), "-q"],
                         capture_output=True, text=True, check=True, cwd=REPO).stdout
    [result] = [json.loads(line) for line in out.splitlines()]
    assert result["error"] is None
    assert [p["text"] for p in result["paragraphs"]] == [r["text"] for r in gold]
    return result["paragraphs"], gold


@pytest.mark.xfail(strict=True, reason="known gap (issue 4): the shipped claim model scores "
                   "\"Putin is likely to ask for more ammunition during his next visit\" (a "
                   "forecast, a claim by the guideline through the minister named in the line "
                   "before) below its threshold; the other 7 content lines are claims")
def test_main_job_marks_the_seed_news_paragraphs_as_claims():
    predicted, gold = _seed_prediction()
    threshold = load_bundle(MODELS / "claim").threshold
    for p, r in zip(predicted, gold):
        if r["content"] == 1:
            assert p["claim_score"] >= threshold, p["text"]


def test_main_job_gives_claim_scores_and_no_claim_for_boilerplate():
    predicted, _ = _seed_prediction()
    assert sum(p["claim"] is True for p in predicted) >= 1
    for p in predicted:
        assert 0.0 <= p["claim_score"] <= 1.0
        if not p["content"]:
            assert p["claim"] is None
        else:
            assert isinstance(p["claim"], bool)


@pytest.mark.xfail(strict=True, reason="known gap (issue 4): the shipped text-mode content model "
                   "keeps 4 of the seed's 28 boilerplate lines: a follow-us prompt, the correction "
                   "notes and the publisher's blurb (all 8 content lines are kept)")
def test_main_job_separates_the_seed_content_from_boilerplate():
    predicted, gold = _seed_prediction()
    assert [p["content"] for p in predicted] == [r["content"] == 1 for r in gold]


def test_shipped_predictor_is_deterministic():
    predictor = Predictor.load()
    text = SEED.read_text(encoding="utf-8")
    assert predictor.predict(text) == predictor.predict(text)
