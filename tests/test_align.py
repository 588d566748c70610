from hypothesis import given, settings, strategies as st

from trainer.align import (
    AlignmentQuality,
    _heaviest_chain,
    _match_words,
    align_blocks,
    alignment_quality,
    words,
)

STORY = ("The river flooded the northern valley after three days of heavy rain, "
         "forcing nearly two thousand residents to leave their homes on Tuesday.")
FOLLOW_UP = ("Officials said the water had begun to recede by Thursday morning and that "
             "schools would reopen once the roads were inspected.")


def labels(page) -> list[bool]:
    return [block.content for block in page.blocks]


def test_words_are_lowercased_word_characters():
    assert words("Hello, World! It's 2025_x") == ["hello", "world", "it", "s", "2025_x"]


def test_gold_paragraph_split_over_two_blocks():
    half = len(STORY) // 2
    head, tail = STORY[:STORY.index(" ", half)], STORY[STORY.index(" ", half):]
    page = align_blocks(["Home", head, tail, "Share this story"], [STORY])
    assert labels(page) == [False, True, True, False]
    assert [b.gold_paragraph for b in page.blocks] == [None, 0, 0, None]
    assert page.blocks[1].matched_fraction == page.blocks[2].matched_fraction == 1.0
    assert page.paragraph_matched == page.paragraph_words


def test_gold_paragraphs_merged_into_one_block():
    heading = "Flood update"
    page = align_blocks(["Menu", f"{heading} {STORY} {FOLLOW_UP}"], [heading, STORY, FOLLOW_UP])
    assert labels(page) == [False, True]
    # The block maps to the gold paragraph that holds most of its words.
    assert page.blocks[1].gold_paragraph == 1
    assert page.paragraph_matched == page.paragraph_words


def test_boilerplate_reusing_gold_words_out_of_order_stays_boilerplate():
    shuffled = " ".join(sorted(words(STORY)))  # every gold word, none in the gold order
    page = align_blocks([f"Related: {shuffled}", STORY, "Related: " + shuffled], [STORY])
    assert labels(page) == [False, True, False]
    assert page.blocks[0].matched_fraction < 0.2
    assert page.blocks[2].n_matched == 0  # the gold words are all used by the real block


def test_long_runs_count_in_any_order():
    # The page shows the gold's second paragraph first (a tab layout, say).
    page = align_blocks([FOLLOW_UP, "Advertisement", STORY], [STORY, FOLLOW_UP])
    assert labels(page) == [True, False, True]
    assert alignment_quality(page).coverage == 1.0


def test_without_snippets_force_only_blocks_inside_them():
    gold = ["Home is where most accidents happen, a new survey of insurers found this week.",
            "Subscribe to our newsletter"]
    blocks = ["Home", gold[0], "Subscribe to our newsletter", "Sign up", "Latest"]
    page = align_blocks(blocks, gold,
                        without=["HOME", "Subscribe to our  newsletter!", "Sign up free",
                                 "Latest news from every corner of the world"])
    assert [b.by_snippet for b in page.blocks] == [True, False, True, True, False]
    # A snippet inside a longer block changes nothing; a snippet beats the alignment.
    assert labels(page) == [False, True, False, False, False]


def test_blocks_without_words_are_boilerplate():
    page = align_blocks(["|", STORY, "•"], [STORY])
    assert labels(page) == [False, True, False]
    assert page.blocks[0].matched_fraction == 0.0


def test_empty_inputs():
    assert align_blocks([], [STORY]).blocks == []
    page = align_blocks([STORY], [])
    assert labels(page) == [False] and page.paragraph_words == []
    assert alignment_quality(page).coverage == 1.0


def test_quality_counts_add_up_over_pages():
    first = alignment_quality(align_blocks(["Menu", STORY], [STORY, FOLLOW_UP]))
    n_story, n_follow = len(words(STORY)), len(words(FOLLOW_UP))
    assert first == AlignmentQuality(gold_words=n_story + n_follow, gold_words_covered=n_story,
                                     content_words=n_story, content_words_matched=n_story)
    # A content block holding a few extra words lowers precision, not coverage.
    second = alignment_quality(align_blocks([FOLLOW_UP + " Read more"], [FOLLOW_UP]))
    total = first + second
    assert total.gold_words == 2 * n_follow + n_story
    assert total.coverage == (n_story + n_follow) / (n_story + 2 * n_follow)
    assert total.precision == (n_story + n_follow) / (n_story + n_follow + 2)


_word = st.sampled_from(["a", "b", "c", "d", "the", "news", "Home", "x1"])
_text = st.lists(_word, max_size=12).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(blocks=st.lists(_text, max_size=15), gold=st.lists(_text, max_size=8),
       without=st.lists(_text, max_size=3))
def test_alignment_labels_every_block_once(blocks, gold, without):
    page = align_blocks(blocks, gold, without)
    assert len(page.blocks) == len(blocks)
    for block, text in zip(page.blocks, blocks):
        assert isinstance(block.content, bool)
        assert block.n_words == len(words(text))
        assert 0 <= block.n_matched <= block.n_words
        assert block.gold_paragraph is None or 0 <= block.gold_paragraph < len(gold)
        assert not (block.content and block.by_snippet)
    assert sum(b.n_matched for b in page.blocks) == sum(page.paragraph_matched)
    assert all(m <= n for m, n in zip(page.paragraph_matched, page.paragraph_words))
    quality = alignment_quality(page)
    assert 0.0 <= quality.coverage <= 1.0 and 0.0 <= quality.precision <= 1.0


@settings(max_examples=200, deadline=None)
@given(page=st.lists(_word, max_size=60), gold=st.lists(_word, max_size=60))
def test_word_matching_is_one_to_one_between_equal_words(page, gold):
    matches = _match_words(page, gold)
    used = [j for j in matches if j >= 0]
    assert len(used) == len(set(used))
    assert all(page[i] == gold[j] for i, j in enumerate(matches) if j >= 0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(1, 9)), max_size=25,
                unique_by=lambda run: run[0]))
def test_heaviest_chain_holds_the_most_words(gold_starts_and_lengths):
    runs = [(i, j, length) for i, (j, length) in enumerate(gold_starts_and_lengths)]
    chain = _heaviest_chain(runs)
    assert all(a[0] < b[0] and a[1] < b[1] for a, b in zip(chain, chain[1:]))
    best = [0] * len(runs)  # quadratic reference: best chain ending at each run
    for k, (_, j, length) in enumerate(runs):
        best[k] = length + max((best[m] for m in range(k) if runs[m][1] < j), default=0)
    assert sum(length for _, _, length in chain) == max(best, default=0)
