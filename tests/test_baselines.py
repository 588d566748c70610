import sys

import numpy as np
import pytest

from trainer.baselines import (
    EXTRACTOR_NAMES,
    RENDERERS,
    BaselineUnavailable,
    Extractor,
    c4_line_filter,
    checkthat_baseline,
    justext_lines,
    make_extractor,
    make_extractors,
)
from trainer.segment import normalise, segment_text

PARAGRAPHS = [
    "The town council voted on Tuesday evening to approve a new budget for the coming year, "
    "after a long debate in which several members argued that the money set aside for road "
    "repairs was not nearly enough to fix the damage left by the floods of last winter.",
    "Under the plan, spending on schools will rise by four percent, and the library in the old "
    "market hall will stay open on Sundays, which had been one of the most popular requests "
    "made by residents during the public consultation held in the spring.",
    "The mayor said that she was pleased with the result but warned that the council would have "
    "to find further savings next year if the grant it receives from the national government "
    "continues to fall at the same rate as it has over the past decade.",
    "Opposition members said they would keep pressing for more money for the bus service, which "
    "they described as the only way for many older people in the villages around the town to "
    "reach the hospital, the shops and their friends and family.",
]

PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Council approves budget | Example News</title>
<style>.ad {{ color: red }}</style><script>var tracking = "script text";</script></head>
<body>
<header><nav class="menu"><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul></nav></header>
<div class="ad banner">Advertisement: Buy one, get one free at Example Mart this weekend only!</div>
<main><article>
<h1>Council approves budget after long debate</h1>
<p class="byline">By Jane Doe, 3 June 2025</p>
{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}
</article></main>
<aside class="sidebar ad"><h3>Sponsored</h3><a href="/deal">Cheap flights to anywhere</a></aside>
<footer><p><a href="/privacy">Privacy policy</a> | <a href="/terms">Terms of use</a></p>
<p>Copyright 2025 Example News. All rights reserved.</p></footer>
</body></html>"""

PACKAGES = {  # baseline -> module to import-or-skip
    "trafilatura": "trafilatura", "justext": "justext", "boilerpy3": "boilerpy3",
    "readability": "readability", "resiliparse": "resiliparse",
    "html2text": "html2text", "inscriptis": "inscriptis", "html_text": "html_text",
}


def test_every_extractor_is_listed_for_skipping():
    assert set(EXTRACTOR_NAMES) | set(RENDERERS) == set(PACKAGES)


# --------------------------------------------------------------------------- extractors

@pytest.mark.parametrize("name", EXTRACTOR_NAMES)
def test_extractor_returns_the_article_without_nav_or_footer(name):
    pytest.importorskip(PACKAGES[name])
    extractor = make_extractor(name)
    text = extractor(PAGE.encode("utf-8"))
    flat = normalise(text)
    for paragraph in PARAGRAPHS:
        assert paragraph in flat
    assert "Weather" not in text and "All rights reserved" not in text
    assert extractor.report() == {"name": name, "pages": 1, "failures": 0, "errors": {}}


@pytest.mark.parametrize("name", EXTRACTOR_NAMES)
def test_extractor_counts_undecodable_pages_as_failures(name):
    pytest.importorskip(PACKAGES[name])
    extractor = make_extractor(name)
    assert extractor(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))) == ""
    assert extractor(b"\x1f\x8b broken gzip") == ""
    assert extractor.report() == {"name": name, "pages": 2, "failures": 2,
                                  "errors": {"InputError": 2}}


def test_extractor_survives_a_crashing_baseline():
    def crash(page):
        raise RecursionError("too deep")

    extractor = Extractor("crashy", crash)
    assert extractor("<p>x</p>") == "" and extractor("<p>y</p>") == ""
    assert extractor.report() == {"name": "crashy", "pages": 2, "failures": 2,
                                  "errors": {"RecursionError": 2}}


def test_extractor_returns_empty_text_for_none():
    extractor = Extractor("silent", lambda page: None)
    assert extractor("<p>x</p>") == ""
    assert extractor.failures == 0


def test_missing_package_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # makes `import trafilatura` fail
    with pytest.raises(BaselineUnavailable, match=r"pip install -e '\.\[baselines\]'"):
        make_extractor("trafilatura")


def test_missing_package_is_not_swallowed_as_a_page_failure():
    def needs_missing_package(page):
        raise BaselineUnavailable("install it")

    with pytest.raises(BaselineUnavailable):
        Extractor("needy", needs_missing_package)("<p>x</p>")


def test_unknown_extractor_lists_the_choices():
    with pytest.raises(ValueError, match="trafilatura"):
        make_extractor("boilerpipe-java")


def test_make_extractors_gives_fresh_counters():
    pytest.importorskip("resiliparse")
    first = make_extractors(["resiliparse"])["resiliparse"]
    first(PAGE)
    assert make_extractors(["resiliparse"])["resiliparse"].pages == 0


# --------------------------------------------------------------------------- line baselines

LINES = [
    "Home | News | Sport | Weather",
    "Council approves budget after long debate",
    PARAGRAPHS[0],
    PARAGRAPHS[1],
    "Please enable JavaScript to watch this video.",
    "This site uses cookies to improve your experience.",
    "Share this article",
    PARAGRAPHS[2],
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    'She said: "We will see."',
    "function() { return 1; }.",
    PARAGRAPHS[3],
    "Copyright 2025 Example News. All rights reserved.",
]
TEXT = "\n".join(LINES) + "\n"


def test_c4_line_filter_applies_the_line_rules():
    assert len(segment_text(TEXT)) == len(LINES)
    assert c4_line_filter(TEXT) == [
        False,  # no terminal punctuation
        False,  # no terminal punctuation
        True, True,
        False,  # "javascript"
        False,  # cookie policy phrase "uses cookies"
        False,  # no terminal punctuation
        True,
        False,  # lorem ipsum
        True,   # ends in a closing quote
        False,  # curly bracket
        True,
        True,   # C4's line rules cannot tell a footer sentence from prose
    ]


def test_c4_line_filter_needs_three_words():
    assert c4_line_filter("Read more.\nRead more now.\n") == [False, True]
    assert c4_line_filter("") == []


def test_justext_lines_classifies_each_line():
    pytest.importorskip("justext")
    # The four long, stopword-rich paragraphs are good; jusText's context rule also keeps the
    # short lines lying between good paragraphs, and drops the short lines at either end.
    assert justext_lines(TEXT) == [False, False] + [True] * 10 + [False]


def test_justext_lines_maps_markup_and_control_characters_one_to_one():
    pytest.importorskip("justext")
    text = "\n".join(["<p>", "&amp; </body></html>", "\x00\x01", PARAGRAPHS[0], "<!-- x -->"])
    keep = justext_lines(text)
    assert len(keep) == len(segment_text(text)) == 5
    assert keep[3] is True


def test_justext_lines_follows_joined_hard_wrapped_lines():
    pytest.importorskip("justext")
    wrapped = PARAGRAPHS[0][:100] + "\n" + PARAGRAPHS[0][100:] + "\n\nMenu\n"
    assert len(segment_text(wrapped)) == 2
    assert justext_lines(wrapped) == [True, False]
    assert justext_lines("") == []


# --------------------------------------------------------------------------- renderers

@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_renderer_puts_each_block_on_its_own_line(name):
    pytest.importorskip(PACKAGES[name])
    lines = [normalise(line) for line in RENDERERS[name](PAGE).splitlines()]
    for paragraph in PARAGRAPHS:
        assert paragraph in lines
    assert "var tracking" not in " ".join(lines)


# --------------------------------------------------------------------------- claims

def test_checkthat_baseline_is_unfitted_and_gives_decision_scores():
    model = checkthat_baseline()
    assert not hasattr(model, "classes_")
    claims = ["Unemployment fell by 3 percent last year.", "The deficit doubled in 2019."]
    other = ["Thank you very much.", "Good evening everyone."]
    model.fit(claims + other, [1, 1, 0, 0])
    scores = model.decision_function(["Unemployment doubled in 2019.", "Thank you, everyone."])
    assert scores.shape == (2,) and np.isfinite(scores).all()
    assert scores[0] > 0 > scores[1]
