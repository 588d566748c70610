import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from trainer.features import (ArticlePosition, ClaimCues, NeighbourFeatures, PageRepeats,
                              PathTextShare, TextStatistics, lower_words, neighbour_rows)
from trainer.memo import shared_work


# The article transformers take their columns by position here, so the generic checks can run
# them on numeric arrays (where every row is then an article of its own).
@parametrize_with_checks([
    TextStatistics(),
    ClaimCues(),
    ArticlePosition(article=0, order=1, text=1),
    NeighbourFeatures(StandardScaler(), window=2, article=0, order=1),
    PathTextShare(article=0, path=1, text=1),
    PageRepeats(article=0, order=1, text=1),
])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def rows(shuffle_seed=None) -> pd.DataFrame:
    frame = pd.DataFrame({
        "article_id": ["a", "a", "a", "b", "b"],
        "index": [0, 1, 2, 0, 1],
        "text": ["Menu", "A long paragraph of prose.", "Menu", "Only one here.", "Second."],
        "value": [1.0, 2.0, 3.0, 10.0, 20.0],
    })
    if shuffle_seed is not None:
        frame = frame.sample(frac=1, random_state=shuffle_seed)
    return frame


def test_neighbour_rows_follow_article_order_not_row_order():
    frame = rows(shuffle_seed=3).reset_index(drop=True)
    found = neighbour_rows(frame["article_id"], frame["index"], [-1, 1])
    for i, row in frame.iterrows():
        for j, offset in enumerate([-1, 1]):
            match = frame[(frame["article_id"] == row["article_id"])
                          & (frame["index"] == row["index"] + offset)]
            assert found[i, j] == (match.index[0] if len(match) else -1)


def test_neighbour_rows_without_offsets_are_an_empty_column_per_row():
    frame = rows()
    assert neighbour_rows(frame["article_id"], frame["index"], []).shape == (len(frame), 0)


def test_neighbour_features_shift_within_articles_only():
    value = ColumnTransformer([("v", "passthrough", ["value"])])
    out = NeighbourFeatures(value, window=1).fit_transform(rows())
    # columns: own, previous, next, has previous, has next
    np.testing.assert_array_equal(out, [
        [1, 0, 2, 0, 1],
        [2, 1, 3, 1, 1],
        [3, 2, 0, 1, 0],
        [10, 0, 20, 0, 1],
        [20, 10, 0, 1, 0],
    ])
    shuffled = rows(shuffle_seed=1)
    again = NeighbourFeatures(value, window=1).fit_transform(shuffled)
    np.testing.assert_array_equal(again, out[shuffled.index.to_numpy()])


def test_neighbour_features_keep_sparse_output_sparse():
    words = ColumnTransformer([("w", HashingVectorizer(n_features=32), "text")])
    out = NeighbourFeatures(words, window=1).fit_transform(rows())
    assert sp.issparse(out) and out.shape == (5, 32 * 3 + 2)
    own = words.fit_transform(rows())
    np.testing.assert_allclose(out[1, 32:64].toarray(), own[0].toarray())  # previous of row 1


def test_article_position_ranks_and_repeats():
    names = list(ArticlePosition.names)
    out = pd.DataFrame(ArticlePosition().fit_transform(rows(shuffle_seed=2).sort_index()),
                       columns=names)
    np.testing.assert_allclose(out["relative_position"], [0, 0.5, 1, 0, 1])
    np.testing.assert_allclose(out["log_repeats"], [math.log(2), 0, math.log(2), 0, 0])
    np.testing.assert_allclose(out.loc[[0, 1, 2], "text_share"].sum(), 1.0)
    assert out.loc[0, "text_share_before"] == 0 and out.loc[2, "text_share_before"] > 0.5


def test_text_statistics_of_a_known_sentence():
    stats = dict(zip(TextStatistics.names,
                     TextStatistics().fit_transform([["The cat sat on the mat."]])[0]))
    assert stats["log_words"] == pytest.approx(math.log1p(6))
    assert stats["stopword_density"] == pytest.approx(3 / 6)  # the, on, the
    assert stats["ends_sentence"] == 1 and stats["starts_uppercase"] == 1
    assert stats["uppercase_ratio"] == pytest.approx(1 / 17)


TRICKY_TEXTS = ["", " ", "A", "Ä.", "x.. y", "end...", "Hi! You? ok", "_Abc a_B 1A", "ÀÉ×Ø",
                "İstanbul ǅa", "² ³ Ⅻ ٣", "\u00a0Hello\u2028World.\n", "Wait…\tno", "x|y•z / a>b",
                "¿Qué? «Sí»", "日本語 テキスト。", "x.\x1cY", "A\u0301B", "__init__ Foo", "(A) [B] 'C'"]


@pytest.mark.parametrize("text", TRICKY_TEXTS + ["A long one. " * 300])
def test_text_statistics_count_what_their_patterns_match(text):
    _check_counts_against_patterns(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_text_statistics_count_what_their_patterns_match_on_any_text(text):
    _check_counts_against_patterns(text)


def _check_counts_against_patterns(text):
    """The character counts come from one look-up of character classes; they must be the
    patterns' counts."""
    def count(pattern):
        return len(re.findall(pattern, text))

    stats = dict(zip(TextStatistics.names, TextStatistics._describe_all((text,))[0]))
    chars, letters = max(len(text), 1), len(text) - count(r"[\W\d_]")
    words = re.findall(r"\w+", text.lower())
    n_words = max(len(words), 1)
    assert stats["log_chars"] == math.log1p(len(text))
    assert stats["log_words"] == math.log1p(len(words))
    assert stats["mean_word_length"] == sum(map(len, words)) / n_words
    assert stats["stopword_density"] == sum(w in ENGLISH_STOP_WORDS for w in words) / n_words
    assert stats["ends_sentence"] == float(re.search(r"[.!?…\"”’')]\s*$", text) is not None)
    assert stats["starts_uppercase"] == float(text[:1].isupper())
    assert stats["punctuation_ratio"] == count(r"[^\w\s]") / chars
    assert stats["digit_ratio"] == count(r"\d") / chars
    assert stats["uppercase_ratio"] == (count(r"[A-ZÀ-ÖØ-Þ]") / letters if letters else 0.0)
    assert stats["log_sentences"] == math.log1p(count(r"[.!?…]+(?=\s|$)"))
    assert stats["capitalised_word_ratio"] == count(r"\b[A-ZÀ-ÖØ-Þ]\w*") / n_words
    assert stats["separator_ratio"] == count(r"[|•·»›«‹/\\>]") / chars


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=6))
def test_text_statistics_of_texts_together_are_those_of_each_alone(texts):
    """All texts are counted in one buffer: nothing may cross from one text to the next."""
    together = TextStatistics._describe_all(tuple(texts))
    alone = [TextStatistics._describe_all((text,)) for text in texts]
    assert together.shape == (len(texts), len(TextStatistics.names))
    assert together.tobytes() == b"".join(row.tobytes() for row in alone)


def test_claim_cues_count_numbers_attribution_and_opinion():
    cues = ClaimCues().fit([["x"]])
    claim, opinion = cues.transform([["Unemployment fell to 3.9% in May, the ministry said."],
                                     ["I think you will love this beautiful film!"]])
    named = {name: (c, o) for name, c, o in zip(ClaimCues.names, claim, opinion)}
    assert named["numbers"][0] > 0 and named["percent_sign"][0] > 0
    assert named["reporting"][0] > 0 and named["date"][0] > 0
    assert named["opinion"][1] > 0 and named["first_person"][1] > 0
    assert named["opinion"][0] == 0 and named["reporting"][1] == 0
    assert list(cues.get_feature_names_out()) == [f"x0_{n}" for n in ClaimCues.names]


WORDY_TEXTS = TRICKY_TEXTS + [
    "Straße café ÀB", "ΣΑΣ σας ΌΣΟΣ.", "x\x00Y", "\x00", "İ ı I ǅ", "a\u00a0b\u2009c’d—e…",
    "x1y 22 ٣٤ １２ ²", "Ⓐ ⓐ ℌ ℍ", "tab\there\x1cfs", "\ud800 lone \udfff", "a" * 300 + " b"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDY_TEXTS) | st.text(max_size=30)
                | st.text(alphabet=st.sampled_from("aZ1_ .,\x00é’\u00a0İΣ٣"), max_size=12),
                max_size=8))
def test_lower_words_are_the_word_pattern_of_each_lower_cased_text(texts):
    assert lower_words(tuple(texts)) == [re.findall(r"\w+", text.lower()) for text in texts]


def _page_repeats_as_written(frame, window=3, min_words=4, short_words=6):
    """PageRepeats' features as first written: masked words and first words, row by row."""
    words = [re.findall(r"\w+", re.sub(r"\d+", "0", text.lower())) for text in frame["text"]]
    articles, order = frame["article_id"].tolist(), frame["index"].tolist()
    rows = range(len(frame))

    def alike(one, other):
        shorter, longer = sorted((one, other), key=len)
        return len(longer) >= min_words and 0 < len(shorter) and longer[:len(shorter)] == shorter

    def short(w):
        return 0 < len(w) <= short_words

    return [[np.log1p(sum(articles[j] == articles[i] and words[j] == words[i] for j in rows) - 1),
             float(any(j != i and articles[j] == articles[i] and abs(order[j] - order[i]) <= window
                       and alike(words[i], words[j]) for j in rows)),
             np.log1p(sum(articles[j] == articles[i] and short(words[j])
                          and words[j][0] == words[i][0] for j in rows) - 1)
             if short(words[i]) else 0.0]
            for i in rows]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from(
    ["", "x", "X y", "x y z w", "x y z w v u t", "6h ago", "12H AGO", "x 1 z w", "x 22 z w v",
     "X, y!", "١٢ ago", "é 3 x", "..."]) | st.text(max_size=12)), min_size=1, max_size=12))
def test_page_repeats_are_those_of_the_words_masked_text_by_text(rows):
    frame = pd.DataFrame(rows, columns=["article_id", "text"])
    frame["index"] = frame.groupby("article_id").cumcount()
    shuffled = frame.sample(frac=1, random_state=0)
    got = PageRepeats().fit_transform(shuffled)
    expected = _page_repeats_as_written(frame)
    assert got.tolist() == [expected[i] for i in shuffled.index]


def test_page_repeats_finds_teaser_headlines_and_masked_repeats():
    lines = ["A long article paragraph that says something about the world today.",
             "Putin Does Not Rule Out Sending Arms to N.Korea - War in Ukraine",
             "Putin Does Not Rule Out Sending Arms to N.Korea",
             "By AFP", "6h ago",
             "Kyiv Says Its Drones Struck a Training Center", "By Kyiv Post", "12h ago"]
    frame = pd.DataFrame({"article_id": "a", "index": range(len(lines)), "text": lines})
    shuffled = frame.sample(frac=1, random_state=0)
    features = pd.DataFrame(PageRepeats().fit_transform(shuffled), columns=PageRepeats.names,
                            index=shuffled.index).sort_index()
    assert features["near_duplicate_nearby"].tolist() == [0, 1, 1, 0, 0, 0, 0, 0]
    assert features["log_pattern_repeats"].tolist() == [0, 0, 0, 0, np.log(2), 0, 0, np.log(2)]
    assert features["log_same_first_word"].tolist() == [0, 0, 0, np.log(2), np.log(2), 0,
                                                        np.log(2), np.log(2)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from(
    ["", "x", "x y", "x y z w", "x y z w v", "y z w v", "x 1 z w", "x 22 z w v", "X, y"])),
    min_size=1, max_size=10), st.integers(0, 3))
def test_page_repeats_mark_pairs_that_start_alike_within_the_window(rows, window):
    frame = pd.DataFrame(rows, columns=["article_id", "text"])
    frame["index"] = frame.groupby("article_id").cumcount()
    got = PageRepeats(window=window).fit_transform(frame)[:, 1]
    words = [re.findall(r"\w+", re.sub(r"\d+", "0", text.lower())) for text in frame["text"]]

    def alike(i, j):
        shorter, longer = sorted((words[i], words[j]), key=len)
        return len(longer) >= 4 and 0 < len(shorter) and longer[:len(shorter)] == shorter

    expected = [any(alike(i, j) for j in range(len(frame)) if j != i
                    and frame["article_id"][j] == frame["article_id"][i]
                    and abs(frame["index"][j] - frame["index"][i]) <= window)
                for i in range(len(frame))]
    assert got.tolist() == [float(e) for e in expected]


def test_path_text_share_sums_text_by_slot_and_container_within_articles():
    frame = pd.DataFrame({
        "article_id": ["a", "a", "a", "a", "b"],
        "path": ["div>ul>li", "div>ul>li", "div>p", "nav>a", "div>ul>li"],
        "text": ["ab", "abcd", "abcdef", "abcdefgh", "xy"],
    })
    out = pd.DataFrame(PathTextShare().fit_transform(frame), columns=PathTextShare.names)
    assert out["share_same_path"].tolist() == [0.3, 0.3, 0.3, 0.4, 1.0]
    assert out["share_parent_path"].tolist() == [0.3, 0.3, 0.3, 0.4, 1.0]
    assert out["share_grandparent_path"].tolist() == [0.6, 0.6, 0.6, 0.4, 1.0]
    assert out["log_same_path_blocks"].tolist() == [np.log1p(2)] * 2 + [np.log1p(1)] * 3
    assert out["log_mean_same_path_chars"].tolist() == [np.log1p(3)] * 2 + [
        np.log1p(6), np.log1p(8), np.log1p(2)]


def _claim_cues_as_written(text):
    """ClaimCues' features as first written: the cue patterns as documented, math.log1p."""
    from trainer.features import _CUE_OF_WORD, _WORD_CUES
    counts = [0] * len(_WORD_CUES)
    for word in re.findall(r"\w+(?:'\w+)?", text.lower()):
        for cue in _CUE_OF_WORD.get(word, ()):
            counts[cue] += 1
    counts += [len(re.findall(pattern, text)) for pattern in (r"\b\d[\d,.]*\b", "%", "[$£€¥]",
               r"\b(?:1[89]|20)\d\d\b", r"(?<=[a-z,;] )[A-Z][a-z]+", r"\b[A-Z]{2,}\b",
               "[\"“”]", r"\?", "!")]
    return [math.log1p(c) for c in counts]


CUE_TEXTS = TRICKY_TEXTS + [
    "Unemployment fell to 3.9% in May 2019, the ministry said.", "I'm sure we're right, you're not",
    "It's today's record: 1,000,000 votes in 1999-2020 (FBI, NASA's data) said Obama, Biden",
    "x2019 2019x _2019 ٢٠١٩ 1800 2100 18000 a1 1a 3.14.", "ABCdef ABC_ AB1 ÀB AÀ A AB",
    "a Bob Cat, Dan; Eve  Fay\nGus,Hal é Ida", "xABC dEF GHi JK", "I'll i'm WE'RE you’re",
    "$5 £3 €2 ¥1 \"q\" “r” ?!",
    "x" * 3000 + " 1" * 1500]


@pytest.mark.parametrize("text", CUE_TEXTS)
def test_claim_cues_count_what_their_patterns_match(text):
    assert ClaimCues._describe_all((text,)).tolist() == [_claim_cues_as_written(text)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("aAbZ19208 ,;'.$%\"?!_é\u00c0\n"), max_size=40)
                | st.text(max_size=20), min_size=1, max_size=5))
def test_claim_cues_count_what_their_patterns_match_on_any_text(texts):
    got = ClaimCues().fit([["x"]]).transform([[t] for t in texts])
    assert got.tolist() == [_claim_cues_as_written(t) for t in texts]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["transcript", "news", "blog"]),
                          st.sampled_from(["", "Hello world", "x"]) | st.text(max_size=20)),
                min_size=1, max_size=8))
def test_kind_tagged_words_tag_every_word_of_the_row(rows):
    from trainer.pipelines import kind_tagged_words
    from trainer.rows import page_kinds
    frame = pd.DataFrame(rows, columns=["page_type", "text"])
    with shared_work():
        got = kind_tagged_words(frame)
        assert kind_tagged_words(frame) == got
    kinds = page_kinds(frame["page_type"])
    assert got == [" ".join(kind + "_" + w for w in re.findall(r"\w+", text.lower()))
                   for kind, text in zip(kinds, frame["text"])]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(CUE_TEXTS[20:] + ["1", "A", "Bob", "AB", "2019,", "x\x00", "\x00Y"])
                | st.text(alphabet=st.sampled_from("aAbZ19208 ,;'.$%\"?!\x00\n"), max_size=12),
                max_size=8))
def test_claim_cues_of_texts_together_are_those_of_each_alone(texts):
    """All texts are searched joined: no match may cross from one text to the next, nor start
    or stop at a text's edge where it would not in the text alone."""
    together = ClaimCues._describe_all(tuple(texts))
    alone = [ClaimCues._describe_all((text,)) for text in texts]
    assert together.shape == (len(texts), len(ClaimCues.names))
    assert together.tobytes() == b"".join(row.tobytes() for row in alone)
    assert together.tolist() == [_claim_cues_as_written(text) for text in texts]
