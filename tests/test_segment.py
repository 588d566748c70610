import bz2
import gzip
import lzma

import pytest
from hypothesis import given, settings, strategies as st

from trainer.segment import (InputError, decode_html, decode_text, segment, segment_html,
                             segment_text, sniff_format)

from conftest import SEED

PAGE = """<!DOCTYPE html><html><head><title>Test page</title>
<style>.x{color:red}</style><script>var hidden = "never shown";</script></head>
<body>
<nav class="main-menu"><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<article id="story">
<h1>Floods hit the <em>valley</em></h1>
<p>The river rose by <b>two metres</b> overnight, officials said.</p>
<p>About 300 homes were evacuated.<br>Schools are closed.</p>
<!-- a comment that must vanish -->
<div style="display: none">Invisible promo</div>
<p hidden>Revealed by a script</p>
<span aria-hidden="true">icon</span>
<table><tr><td>Rainfall</td><td>120 mm</td></tr></table>
</article>
<footer><p>Copyright 2024 <a href="/about">Example News</a></p></footer>
</body></html>"""


def non_space(s: str) -> str:
    return "".join(s.split())


def test_seed_gives_its_36_non_empty_lines():
    text = SEED.read_text(encoding="utf-8")
    paragraphs = segment_text(text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert [p.text for p in paragraphs] == [" ".join(line.split()) for line in lines]
    assert len(paragraphs) == 36
    for p in paragraphs:
        assert text[p.start:p.end] == lines[p.index]


def test_hard_wrapped_prose_is_rejoined():
    text = ("The council voted on Tuesday to approve the new budget for the\n"
            "coming year, which raises spending on schools by four percent.\n"
            "\n"
            "Short heading\n"
            "Next paragraph starts here.\n")
    paragraphs = segment_text(text)
    assert [p.text for p in paragraphs] == [
        "The council voted on Tuesday to approve the new budget for the coming year, which "
        "raises spending on schools by four percent.",
        "Short heading",
        "Next paragraph starts here.",
    ]
    assert text[paragraphs[0].start:paragraphs[0].end].count("\n") == 1


def test_fixed_width_wrapping_is_rejoined_even_before_capitals():
    words = ("Officials in Springfield said the bridge would reopen in March after repairs "
             "that cost the city about 4 million dollars according to Mayor Quimby and "
             "Director Flanders who both spoke on Monday").split()
    lines, line = [], ""
    for w in words:
        if len(line) + len(w) + 1 > 60:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    text = "\n".join(lines) + "\n\nA second paragraph.\n"
    paragraphs = segment_text(text)
    assert len(paragraphs) == 2
    assert paragraphs[0].text == " ".join(words)


def test_html_blocks_in_reading_order_with_structure():
    article = segment_html(PAGE.encode("utf-8"))
    texts = [p.text for p in article.paragraphs]
    assert texts == [
        "Home", "News", "Floods hit the valley",
        "The river rose by two metres overnight, officials said.",
        "About 300 homes were evacuated.", "Schools are closed.",
        "Revealed by a script", "Rainfall", "120 mm", "Copyright 2024 Example News",
    ]
    assert article.title == "Test page"
    by_text = {p.text: p for p in article.paragraphs}
    assert by_text["Home"].in_list and by_text["Home"].link_density == 1.0
    assert "menu" in by_text["Home"].class_tokens and "nav" in by_text["Home"].path
    assert by_text["Floods hit the valley"].heading_level == 1
    assert by_text["Floods hit the valley"].tag == "h1"
    assert by_text["Rainfall"].in_table and not by_text["Rainfall"].in_list
    assert "story" in by_text["Rainfall"].class_tokens
    assert "hidden" in by_text["Revealed by a script"].class_tokens.split()
    assert "hidden" not in by_text["Rainfall"].class_tokens.split()
    footer = by_text["Copyright 2024 Example News"]
    assert "footer" in footer.path and 0 < footer.link_density < 1
    for p in article.paragraphs:
        assert article.text[p.start:p.end] == p.text
        assert p.source_line > 0
    assert article.text.splitlines() == texts


def test_html_accepts_gzip_and_declared_encodings():
    latin = '<html><head><meta charset="iso-8859-1"></head><body><p>Café crème</p></body></html>'
    raw = latin.encode("iso-8859-1")
    assert segment_html(raw).paragraphs[0].text == "Café crème"
    for compress in (gzip.compress, bz2.compress, lzma.compress):
        assert segment_html(compress(raw)).paragraphs[0].text == "Café crème"
        assert segment(compress(raw)).format == "html"
        assert segment(compress("Café\n".encode())).paragraphs[0].text == "Café"
    with pytest.raises(InputError, match=r"page\.html\.bz2: broken bzip2 data"):
        segment_html(bz2.compress(raw)[:-10], "page.html.bz2")
    utf16 = "\ufeff<html><body><p>Grüße</p></body></html>".encode("utf-16")
    assert segment_html(utf16).paragraphs[0].text == "Grüße"


def _page(charset: str, text: str) -> str:
    return f'<html><head><meta charset="{charset}"></head><body><p>{text}</p></body></html>'


@pytest.mark.parametrize("charset, text, codec", [
    # Labelled Latin-1, written in windows-1252, as browsers read it: the euro and the quotes.
    ("iso-8859-1", "Price € 5, “quoted” – done", "cp1252"),
    ("us-ascii", "It’s €5", "cp1252"),
    # Re-encoded as UTF-8 and still labelled Latin-1 (every such WCXB page): it was "Itâ€™s".
    ("iso-8859-1", "It’s café time – naïve", "utf-8"),
    # Labelled UTF-16 without being UTF-16: browsers read such a label as UTF-8.
    ("utf-16", "Grüße aus Köln", "utf-8"),
    ("shift_jis", "日本語のテキスト。①", "cp932"),  # ① is in Microsoft's superset only
    ("iso-2022-jp", "日本語のテキスト。", "iso-2022-jp"),  # 7-bit: its bytes are ASCII
    ("euc-kr", "한국어 텍스트", "cp949"),
    # A label Python does not know: detected, as an undeclared page would be.
    ("x-mac-nonsense", "Les élèves ont été très contents de leur journée." * 5, "cp1252"),
    # A codec Python has that is not a text encoding: the same.
    ("base64", "Les élèves ont été très contents de leur journée." * 5, "cp1252"),
])
def test_declared_charsets_are_read_as_browsers_read_them(charset, text, codec):
    assert segment_html(_page(charset, text).encode(codec)).paragraphs[0].text == text


def test_the_charset_a_page_was_served_with_comes_before_its_own_declaration():
    # A server's Content-Type says windows-1251 while the page's <meta> says Latin-1: browsers
    # follow the server. Valid UTF-8 and a byte-order mark still come first.
    russian = "Москва – столица"
    raw = _page("iso-8859-1", russian).encode("cp1251")
    assert segment_html(raw).paragraphs[0].text != russian
    assert segment_html(raw, charset="windows-1251").paragraphs[0].text == russian
    assert segment(raw, "html", charset='"Windows-1251"').paragraphs[0].text == russian
    served_wrong = _page("utf-8", russian).encode("utf-8")
    assert segment_html(served_wrong, charset="iso-8859-1").paragraphs[0].text == russian
    # Plain text too, which is otherwise UTF-8 or UTF-16 only.
    with pytest.raises(InputError, match="not valid UTF-8"):
        segment(russian.encode("cp1251"), "text")
    assert segment(russian.encode("cp1251"), "text", charset="windows-1251").text == russian
    assert segment(russian.encode("utf-8"), "text", charset="windows-1251").text == russian
    for unknown in ("x-unknown", "base64"):
        with pytest.raises(InputError, match="not valid UTF-8"):
            segment(russian.encode("cp1251"), "text", charset=unknown)


def test_undeclared_non_utf8_html_is_detected():
    page = "<html><body><p>" + "Les élèves ont été très contents de leur journée. " * 5 + "</p></body></html>"
    text = segment_html(page.encode("cp1252")).paragraphs[0].text
    assert "élèves" in text


def test_files_that_hold_no_article_are_named_for_what_they_are():
    # As bytes given to the API; trainer predict tells them before reading a file.
    for data, what in ((b"%PDF-1.7\n%\xb5\xb5\xb5\xb5\n", "a PDF document"),
                       (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
                       (b"PK\x03\x04\x14\x00\x06\x00word/document.xml", "a zip archive")):
        for format in ("text", "html", None):
            with pytest.raises(InputError, match=f"^report: {what}"):
                segment(data, format, "report")


def test_markup_after_a_stray_end_of_page_is_kept():
    # libxml2 puts it beside the root element, where a walk of the root never looked; a
    # browser shows it as more of the body. One WCXB page has its whole article there.
    page = (b"<html><head><title>T</title></head><body><p>Menu</p></body></html>\n"
            b"<div><p>The article.</p></div><body><p>More of it.</p></body>"
            b"<head><title>Another</title></head><p>The end.</p></html>")
    article = segment_html(page)
    assert [p.text for p in article.paragraphs] == ["Menu", "The article.", "More of it.",
                                                    "The end."]
    assert article.title == "T"
    assert article.text == "\n".join(p.text for p in article.paragraphs)


def test_broken_and_empty_html():
    assert segment_html(b"").paragraphs == []
    assert segment_html(b"   ").paragraphs == []
    broken = b"<html><body><div><p>Unclosed <b>bold<p>next</div></span></table>tail"
    assert [p.text for p in segment_html(broken).paragraphs] == ["Unclosed bold", "next", "tail"]
    xml_declared = '<?xml version="1.0" encoding="utf-8"?><html><body><p>ok</p></body></html>'
    assert segment_html(xml_declared).paragraphs[0].text == "ok"
    declared_twice = '<?xml version="1.0" encoding="latin-1"?>' + xml_declared
    assert [p.text for p in segment_html(declared_twice).paragraphs] == ["ok"]


def test_bad_text_input_names_the_input_and_line():
    with pytest.raises(InputError, match=r"notes\.txt: line 2: not valid UTF-8"):
        decode_text(b"fine\nbad \xff byte\n", "notes.txt")
    with pytest.raises(InputError, match="binary"):
        decode_text(b"\x00\x01\x02PNG", "image.txt")
    with pytest.raises(InputError, match="gzip"):
        decode_text(b"\x1f\x8b\x08broken", "a.txt.gz")
    # A UTF-16 byte-order mark, then an odd number of bytes: not UTF-16 after all.
    assert decode_text("Grüße\n".encode("utf-16"), "de.txt") == "Grüße\n"
    with pytest.raises(InputError, match=r"notes\.txt: looks like UTF-16 but is not valid "
                                         r"UTF-16 \(at byte offset 16"):
        decode_text(b"\xff\xfe bad utf8 line\n", "notes.txt")
    # Without a byte-order mark (as Windows tools write it), in either byte order.
    for codec in ("utf-16-le", "utf-16-be"):
        assert decode_text("Grüße aus Zürich\n".encode(codec), "de.txt") == "Grüße aus Zürich\n"
        page = "<html><body><p>Grüße</p></body></html>".encode(codec)
        assert [p.text for p in segment_html(page).paragraphs] == ["Grüße"]
        assert sniff_format(page) == "html" and sniff_format("Grüße".encode(codec)) == "text"
    # Zero bytes that are not every other byte are still binary.
    with pytest.raises(InputError, match="binary"):
        decode_text(b"ab\x00\x00cd\x00\x01", "odd.txt")


def test_format_sniffing():
    assert sniff_format(b"<!doctype html><p>x") == "html"
    assert sniff_format("  <html>") == "html"
    assert sniff_format(gzip.compress(b"<html><body>x</body></html>")) == "html"
    assert sniff_format(SEED.read_bytes()) == "text"
    assert segment(SEED.read_bytes()).format == "text"
    assert segment(PAGE).format == "html"
    # XHTML with its XML declaration, and the fragments a CMS exports an article body as.
    xhtml = b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD ' \
            b'XHTML 1.0 Strict//EN" "x">\n<html xmlns="http://www.w3.org/1999/xhtml">'
    fragments = [b"<title>A page</title><p>Hi", b"<article><p>Hi</p></article>",
                 b"<H1>Title</H1>\n<P>Body", b"\n  <p>One</p><p>Two</p>", b"<a href='/'>Home</a>",
                 b"<table><tr><td>x", b"<section class=s><h2>T</h2>", b"<br/>line"]
    assert [sniff_format(page) for page in [xhtml, *fragments]] == ["html"] * 9
    not_html = [b"<3 this article", b"<pre-release> notes", b"a < b and <b is bold",
                b"<?xml version='1.0'?><rss version='2.0'>"]
    assert [sniff_format(text) for text in not_html] == ["text"] * 4


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_text_segmentation_keeps_every_character_in_order(text):
    paragraphs = segment_text(text)
    assert non_space("".join(p.text for p in paragraphs)) == non_space(text)
    previous_end = 0
    for i, p in enumerate(paragraphs):
        assert p.index == i and previous_end <= p.start <= p.end <= len(text)
        assert " ".join(text[p.start:p.end].split()) == p.text and p.text
        previous_end = p.end


@given(st.lists(st.sampled_from(["word", "Word.", "", " ", "a long line of prose that goes on",
                                 "\t", "lower", "\r"]), max_size=30))
def test_text_segmentation_on_line_structures(lines):
    text = "\n".join(lines)
    paragraphs = segment_text(text)
    assert non_space("".join(p.text for p in paragraphs)) == non_space(text)


@given(st.binary(max_size=2000))
@settings(max_examples=200, deadline=None)
def test_html_segmentation_never_raises_unexpectedly_on_bytes(data):
    try:
        article = segment_html(data)
    except InputError:
        return
    for p in article.paragraphs:
        assert article.text[p.start:p.end] == p.text


@given(st.lists(st.sampled_from(list("<>/ab pdiv=\"'&;!-é") + ["<p>", "</p>", "<div>", "<br>"]),
                max_size=120).map("".join))
@settings(max_examples=200, deadline=None)
def test_html_segmentation_keeps_text_of_tag_soup(markup):
    article = segment_html(markup)
    for p in article.paragraphs:
        assert article.text[p.start:p.end] == p.text
    assert decode_html(markup) == markup


_HIDING = ['style="display: none"', 'aria-hidden="true"', 'style="Visibility:hidden"']
_CONTAINERS = {"div", "section", "li"}
# Text nodes with no blank ones: the HTML parser drops some blank nodes, by their neighbours.
_PIECES = st.sampled_from(["one", "Two words. ", "three\nfour", " five", "&amp; six"])
_TREES = st.recursive(
    st.lists(_PIECES, max_size=3),
    lambda children: st.lists(st.one_of(_PIECES, st.tuples(
        st.sampled_from(["span", "b", "a", "br", "div", "p", "h2", "section", "ul"]),
        st.sampled_from(["", "", "", *_HIDING]), children)), max_size=4),
    max_leaves=40)


def _render(nodes, keep_hidden: bool, parent: str = "div", in_hidden: bool = False) -> str:
    """Markup for ``nodes`` nested as the HTML parser keeps it, hidden elements kept or cut."""
    out = []
    for node in nodes:
        if isinstance(node, str):
            # No line break inside hidden elements: cutting them must not move later lines.
            out.append(node.replace("\n", " ") if in_hidden else node)
            continue
        tag, hiding, children = node
        if hiding and not keep_hidden:
            continue
        if tag in {"div", "p", "h2", "section", "ul"} and parent not in _CONTAINERS:
            tag = "span"
        elif tag == "a" and parent == "a":
            tag = "b"
        attrs = f" {hiding}" if hiding else ""
        if tag == "br":
            out.append(f"<br{attrs}>")
            continue
        inner = _render(children, keep_hidden, "li" if tag == "ul" else tag,
                        in_hidden or bool(hiding))
        if tag == "ul":
            inner = f"<li>{inner}</li>"
        out.append(f"<{tag}{attrs}>{inner}</{tag}>")
    return "".join(out)


@given(_TREES)
@settings(max_examples=300, deadline=None)
def test_hidden_elements_are_dropped_as_if_cut_from_the_markup(nodes):
    # Their tails stay, joined to the text before them: the same paragraphs, link densities
    # and source lines as the page without them. The visible paragraph after them holds most
    # of the page's words, so no hidden element is taken for a page hidden until its scripts
    # run (see the test below).
    page = "<html><body>\n<div>{}</div><p>" + "visible " * 200 + "</p></body></html>"
    hidden = segment_html(page.format(_render(nodes, keep_hidden=True)))
    cut = segment_html(page.format(_render(nodes, keep_hidden=False)))
    assert hidden == cut


def test_a_page_hidden_until_its_scripts_run_is_read():
    # Frameworks hide the whole page until their scripts have run (a WCXB article page lost
    # all its text so); hidden parts of it, and small hidden elements beside it, still go.
    article = " ".join(f"Sentence {i} of the article says something new." for i in range(12))
    page = ('<html><body><div id="app"><div style="visibility:hidden;min-height:100vh">'
            '<nav style="display:none">Home News Sport</nav>'
            f'<h1>The headline</h1><p>{article}</p></div></div>'
            '<div style="display: none">' + "Cookie settings and our partners. " * 10 + '</div>'
            '<footer>Contact</footer></body></html>')
    assert [p.text for p in segment_html(page).paragraphs] == ["The headline", article,
                                                               "Contact"]
    # Hidden text that is not most of the page stays hidden.
    beside = page.replace(article, "A short visible paragraph.").replace(
        '<footer>Contact</footer>', f'<p>{article}</p>')
    assert "Cookie settings" not in segment_html(beside).text
    assert "The headline" not in segment_html(beside).text


def test_deeply_nested_html_is_read_whole_or_refused():
    # libxml2 alone stops at 256 nested elements and drops the rest of the page (all of it
    # here, even the paragraph after the nesting); unclosed inline tags nest that deep too.
    nested = ("<html><body><p>before</p>" + "<div>" * 300 + "<p>deep text</p>" + "</div>" * 300
              + "<p>tail text</p></body></html>")
    assert [p.text for p in segment_html(nested).paragraphs] == ["before", "deep text",
                                                                  "tail text"]
    unclosed = "<html><body>" + "".join(f"<font><b>item {i} " for i in range(400))
    assert segment_html(unclosed).text.split() == " ".join(
        f"item {i}" for i in range(400)).split()
    too_deep = "<html><body>\n<p>before</p>" + "<div>" * 2100 + "<p>lost</p></body></html>"
    with pytest.raises(InputError, match=r"page\.html: line 2, column \d+: elements nest deeper "
                                         r"than the HTML parser's limit"):
        segment_html(too_deep, "page.html")


def test_noframes_and_noembed_markup_is_read_as_html():
    # libxml2 keeps these elements' content as raw text: a frameset page came out as markup.
    frameset = ("<html><head><title>Old site</title></head>\n<frameset><frame src='menu.html'>"
                "</frameset>\n<noframes><body><h1>Welcome</h1>\n<p>Our <b>opening</b> hours "
                "&amp; prices.<script>track()</script></p></body></noframes></html>")
    article = segment_html(frameset)
    assert [(p.text, p.tag, p.source_line) for p in article.paragraphs] == [
        ("Welcome", "h1", 3), ("Our opening hours & prices.", "p", 4)]
    assert segment_html("<p>a</p><noembed>Fish &amp; chips</noembed><xmp><b>x</b></xmp>"
                        ).text == "a\nFish & chips<b>x</b>"  # <xmp> shows its markup


def test_an_mhtml_page_given_as_text_is_refused_saying_why():
    with pytest.raises(InputError, match=r"page\.mhtml: an MHTML page must be given as bytes"):
        segment("MIME-Version: 1.0\nContent-Type: multipart/related", "mhtml", "page.mhtml")
