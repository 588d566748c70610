import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.metrics import f1_score

from trainer.metrics import (
    best_threshold,
    bootstrap_interval,
    calibration_table,
    classification_scores,
    count_f1,
    count_macro_f1,
    page_scores,
    shingle_prf,
    word_prf,
)

approx = pytest.approx


# --------------------------------------------------------------------------- word_prf

def test_word_prf_counts_each_word_at_most_as_often_as_gold_has_it():
    # pred tokens: the cat sat on the mat (6); gold: the cat sat (3)
    # overlap = min(2,1) "the" + 1 "cat" + 1 "sat" = 3 -> P = 3/6, R = 3/3, F1 = 2*.5*1/1.5 = 2/3
    assert word_prf("The cat sat on the mat", "the cat sat") == approx((0.5, 1.0, 2 / 3))


def test_word_prf_lowercases_and_ignores_punctuation():
    # pred: hello world hello (3); gold: hello x3, world (4)
    # overlap = min(2,3) + min(1,1) = 3 -> P = 3/3, R = 3/4, F1 = 2*.75/1.75 = 6/7
    assert word_prf("Hello, WORLD! hello", "hello hello hello world") == approx((1.0, 0.75, 6 / 7))


def test_word_prf_tokenises_unicode_words():
    assert word_prf("Ünïcode CAFÉ déjà-vu", "ünïcode café déjà vu") == approx((1.0, 1.0, 1.0))


@pytest.mark.parametrize("predicted, gold, expected", [
    ("", "", (1.0, 1.0, 1.0)),            # nothing to find, nothing returned
    ("  ...  ", "!", (1.0, 1.0, 1.0)),    # no \w token counts as empty
    ("", "some gold text", (0.0, 0.0, 0.0)),
    ("extra words", "", (0.0, 0.0, 0.0)),
    ("unrelated words", "gold text", (0.0, 0.0, 0.0)),
])
def test_word_prf_edge_cases(predicted, gold, expected):
    assert word_prf(predicted, gold) == expected


# --------------------------------------------------------------------------- shingle_prf

def test_shingle_prf_matches_four_token_shingles():
    # pred shingles (a b c d), (b c d e); gold (a b c d), (b c d x): tp = 1 of 2 each side
    assert shingle_prf("a b c d e", "a b c d x") == approx((0.5, 0.5, 0.5))


def test_shingle_prf_counts_repeated_shingles_like_the_benchmark():
    # n=2, pred "x y x y x y": (x,y) x3 + (y,x) x2 = 5 shingles; gold "x y": (x,y) x1
    # tp = min(3,1) = 1 -> P = 1/5, R = 1/1, F1 = 2*.2/1.2 = 1/3 (a set would give P = 1/2)
    assert shingle_prf("x y x y x y", "x y", n=2) == approx((0.2, 1.0, 1 / 3))


def test_shingle_prf_keeps_case_like_the_benchmark():
    assert shingle_prf("A b c d", "a b c d") == (0.0, 0.0, 0.0)


def test_shingle_prf_short_text_is_one_shingle():
    # "one two" has fewer than 4 tokens: its only shingle is (one, two)
    assert shingle_prf("one two", "one two") == (1.0, 1.0, 1.0)
    # gold shingles (one two three four), (two three four five): no match
    assert shingle_prf("one two", "one two three four five") == (0.0, 0.0, 0.0)


def test_shingle_prf_edge_cases_and_bad_n():
    assert shingle_prf("", "") == (1.0, 1.0, 1.0)
    assert shingle_prf("", "a b c d") == (0.0, 0.0, 0.0)
    assert shingle_prf("a b c d", "") == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        shingle_prf("a", "a", n=0)


# --------------------------------------------------------------------------- properties

texts = st.text(alphabet=st.sampled_from("abcAB é,.\n"), max_size=40)
metrics = st.sampled_from([word_prf, shingle_prf, lambda p, g: shingle_prf(p, g, n=2)])


@given(texts, texts, metrics)
def test_scores_are_in_unit_interval(predicted, gold, metric):
    assert all(0.0 <= x <= 1.0 for x in metric(predicted, gold))


@given(texts, metrics)
def test_identical_texts_score_one(text, metric):
    assert metric(text, text) == approx((1.0, 1.0, 1.0))


@given(texts, texts, metrics)
def test_swapping_texts_swaps_precision_and_recall(predicted, gold, metric):
    precision, recall, f1 = metric(predicted, gold)
    assert metric(gold, predicted) == approx((recall, precision, f1))


@given(st.lists(st.tuples(texts, texts), min_size=1, max_size=6),
       st.sampled_from(["wcxb", "scrapinghub"]))
def test_page_scores_stay_in_unit_interval(pairs, convention):
    scores = page_scores(pairs, convention=convention)
    for key in ("precision", "recall", "f1"):
        assert scores[key] is None or 0.0 <= scores[key] <= 1.0


# --------------------------------------------------------------------------- page_scores

PAGES = [
    ("a b", "a b"),        # (1, 1, 1)
    ("", "a b"),           # (0, 0, 0), empty prediction
    ("a b c d", "a b"),    # P = 2/4, R = 2/2, F1 = 2/3
]


def test_page_scores_wcxb_averages_each_score_over_pages():
    scores = page_scores(PAGES)
    # P = (1 + 0 + .5)/3 = .5; R = (1 + 0 + 1)/3 = 2/3; F1 = (1 + 0 + 2/3)/3 = 5/9
    assert scores["precision"] == approx(0.5)
    assert scores["recall"] == approx(2 / 3)
    assert scores["f1"] == approx(5 / 9)
    assert (scores["pages"], scores["empty_predictions"], scores["empty_gold"]) == (3, 1, 0)


def test_page_scores_scrapinghub_convention():
    scores = page_scores(PAGES, convention="scrapinghub")
    # precision skips the empty prediction: (1 + .5)/2 = .75; recall over all: 2/3
    # F1 = 2 * .75 * 2/3 / (.75 + 2/3) = 12/17
    assert scores["precision"] == approx(0.75)
    assert scores["recall"] == approx(2 / 3)
    assert scores["f1"] == approx(12 / 17)


def test_page_scores_takes_any_metric_and_rejects_bad_input():
    assert page_scores([("a b c d e", "a b c d x")], shingle_prf)["f1"] == approx(0.5)
    with pytest.raises(ValueError):
        page_scores([])
    with pytest.raises(ValueError):
        page_scores(PAGES, convention="cleaneval")


# --------------------------------------------------------------------------- classification

Y = [0, 0, 1, 1, 1, 0]
SCORES = [0.1, 0.6, 0.7, 0.4, 0.9, 0.2]


def test_classification_scores_by_hand():
    report = classification_scores(Y, SCORES, threshold=0.5, class_names=("boilerplate", "content"))
    # predicted [0,1,1,0,1,0]: tn = 2 (.1,.2), fp = 1 (.6), fn = 1 (.4), tp = 2 (.7,.9)
    assert report["confusion_matrix"] == {"labels": ["boilerplate", "content"],
                                          "matrix": [[2, 1], [1, 2]]}
    # content: P = 2/3, R = 2/3; boilerplate: P = tn/(tn+fn) = 2/3, R = tn/(tn+fp) = 2/3
    assert report["per_class"]["content"] == approx(
        {"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "support": 3})
    assert report["per_class"]["boilerplate"]["f1"] == approx(2 / 3)
    assert report["macro_f1"] == approx(2 / 3)
    assert report["accuracy"] == approx(4 / 6)
    # ranked .9(1) .7(1) .6(0) .4(1) .2(0) .1(0): AP = (1/1 + 2/2 + 3/4)/3 = 11/12
    assert report["pr_auc"] == approx(11 / 12)
    json.dumps(report)  # plain JSON types only


def test_classification_scores_without_positives_has_no_pr_auc():
    report = classification_scores([0, 0], [0.2, 0.8])
    assert report["pr_auc"] is None
    assert report["per_class"]["positive"]["f1"] == 0.0


def test_classification_scores_rejects_unknown_labels_and_nan():
    with pytest.raises(ValueError, match="0/1"):
        classification_scores([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="NaN"):
        classification_scores([0, 1], [0.1, float("nan")])
    with pytest.raises(ValueError):
        classification_scores([0, 1], [0.1])


def test_best_threshold_f1_by_hand():
    # F1 of class 1 from each cut: .9 -> 2/4; .7 -> 4/5; .6 -> 4/6; .4 -> 6/7; .2 -> 6/8; .1 -> 6/9
    assert best_threshold(Y, SCORES) == 0.4


def test_best_threshold_ties_despite_float_rounding_go_to_the_higher_threshold():
    # Macro-F1 is exactly 0.6 at 0.25 and at 0.75, but computed as 0.6000000000000001 at 0.25.
    y = [1, 1, 1, 0, 1, 1, 1, 0, 1, 0]
    s = [0.25, 0, 0.5, 0.25, 0.75, 1, 0.25, 0.5, 1, 0]
    assert best_threshold(y, s, metric="macro_f1") == 0.75


def test_best_threshold_macro_f1_breaks_ties_towards_the_higher_threshold():
    # macro-F1 at .7: (4/5 + 6/7)/2; at .4: (6/7 + 4/5)/2 -- a tie, so .7 wins
    assert best_threshold(Y, SCORES, metric="macro_f1") == 0.7


def test_best_threshold_keeps_tied_scores_together_and_handles_no_positives():
    assert best_threshold([1, 0], [0.5, 0.5]) == 0.5
    threshold = best_threshold([0, 0, 0], [0.1, 0.2, 0.3])
    assert threshold > 0.3  # predicting nothing positive is the only sensible answer
    with pytest.raises(ValueError):
        best_threshold(Y, SCORES, metric="accuracy")


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 6)), min_size=1, max_size=25),
       st.sampled_from(["f1", "macro_f1"]))
def test_best_threshold_is_optimal_and_deterministic(data, metric):
    y = np.array([label for label, _ in data])
    scores = np.array([score / 6 for _, score in data])
    average = "binary" if metric == "f1" else "macro"

    def value(t):
        return f1_score(y, scores >= t, average=average, labels=[0, 1], zero_division=0)

    threshold = best_threshold(y, scores, metric)
    candidates = [*np.unique(scores), math.inf]
    assert value(threshold) == approx(max(value(t) for t in candidates))
    assert best_threshold(y, scores, metric) == threshold


def test_calibration_table_by_hand():
    table = calibration_table([0, 1, 1, 0], [0.05, 0.15, 0.95, 0.85], bins=10)
    counts = [b["count"] for b in table["bins"]]
    assert counts == [1, 1, 0, 0, 0, 0, 0, 0, 1, 1]
    assert table["bins"][2]["mean_score"] is None
    assert table["bins"][8] == approx(
        {"lower": 0.8, "upper": 0.9, "count": 1, "mean_score": 0.85, "fraction_positive": 0.0})
    # ECE = 1/4 * (|0-.05| + |1-.15| + |1-.95| + |0-.85|) = 1.8/4 = .45
    assert table["ece"] == approx(0.45)
    # Brier = (.05² + .85² + .05² + .85²)/4 = 1.45/4 = .3625
    assert table["brier"] == approx(0.3625)
    json.dumps(table)


def test_calibration_table_puts_one_in_the_last_bin_and_rejects_non_probabilities():
    assert calibration_table([1], [1.0], bins=4)["bins"][3]["count"] == 1
    with pytest.raises(ValueError, match="predict_proba"):
        calibration_table([0, 1], [-1.5, 2.0])


def test_classification_scores_take_one_threshold_per_example():
    y, scores = [1, 0, 1, 0], [0.35, 0.35, 0.6, 0.6]
    # The first two examples cut at 0.3, the last two at 0.7: predicted 1, 1, 0, 0.
    result = classification_scores(y, scores, np.array([0.3, 0.3, 0.7, 0.7]))
    assert result["confusion_matrix"]["matrix"] == [[1, 1], [1, 1]]
    assert result["threshold"] is None and result["thresholds"] == [0.3, 0.7]
    same = classification_scores(y, scores, np.full(4, 0.5))
    assert same["threshold"] == 0.5 and "thresholds" not in same
    with pytest.raises(ValueError, match="one per example"):
        classification_scores(y, scores, np.array([0.3, 0.7]))


# --------------------------------------------------------------------------- intervals

def _interval_one_resample_at_a_time(sums, statistic, resamples, level, seed):
    """bootstrap_interval as first written: each resample's units summed in a loop."""
    draws = np.random.default_rng(seed).integers(0, len(sums), size=(resamples, len(sums)))
    values = [statistic(sums[d].sum(axis=0)[None, :])[0] for d in draws]
    tail = (1 - level) / 2 * 100
    return tuple(np.percentile(values, [tail, 100 - tail]))


@settings(max_examples=40)
@given(st.lists(st.tuples(*[st.integers(0, 9)] * 4), min_size=1, max_size=30),
       st.sampled_from([count_f1, count_macro_f1]), st.integers(0, 3))
def test_bootstrap_interval_is_the_percentiles_of_resampled_unit_totals(units, statistic, seed):
    sums = np.array(units, dtype=float)
    got = bootstrap_interval(sums, statistic, resamples=200, level=0.9, seed=seed)
    assert got == approx(_interval_one_resample_at_a_time(sums, statistic, 200, 0.9, seed))
    assert got == bootstrap_interval(sums, statistic, resamples=200, level=0.9, seed=seed)
    assert 0 <= got[0] <= got[1] <= 1


@given(st.lists(st.floats(0, 1), min_size=1, max_size=40))
def test_bootstrap_interval_of_a_mean_stays_within_the_units(values):
    sums = np.column_stack([values, np.ones(len(values))])
    low, high = bootstrap_interval(sums, lambda t: t[:, 0] / t[:, 1], resamples=300)
    assert min(values) - 1e-12 <= low <= high <= max(values) + 1e-12


def test_bootstrap_interval_widens_when_units_disagree_and_rejects_bad_input():
    # tp, fp, fn per page: ten pages alike give no spread; pages split half good, half bad do.
    alike = np.tile([[3.0, 1.0, 1.0]], (10, 1))
    assert bootstrap_interval(alike, count_f1) == approx((0.75, 0.75))
    split = np.array([[4.0, 0.0, 0.0]] * 5 + [[0.0, 2.0, 2.0]] * 5)
    low, high = bootstrap_interval(split, count_f1)
    observed = count_f1(split.sum(axis=0)[None, :])[0]
    assert observed == approx(2 / 3) and low < observed < high
    assert count_macro_f1(np.array([[3.0, 1.0, 1.0, 3.0]]))[0] == approx(0.75)
    with pytest.raises(ValueError, match="non-empty 2-D"):
        bootstrap_interval(np.zeros((0, 3)), count_f1)
    with pytest.raises(ValueError, match="level"):
        bootstrap_interval(alike, count_f1, level=1.5)
