"""Reading ``trainer predict`` inputs: web archives cut at any byte, JSON files that are not
JSON Lines, what a folder walk skips, bad JSONL ids, and the predictor's own input checks."""

from __future__ import annotations

import pytest

from trainer.predict import ArticleInput, Predictor


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor.load(claims=False)  # the shipped content models


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
