"""Decoding input bytes: UTF-16 without a byte-order mark, and pages whose declared charset is
wrong."""

from __future__ import annotations

import gzip
import math
import random
import struct

import pytest

from trainer.segment import (InputError, decode_html, decode_text, segment, sniff_format,
                             utf16_codec)

CODECS = ("utf-16-le", "utf-16-be")

# Text as Windows tools write it (UTF-16, often without a byte-order mark), with characters
# beyond U+00FF among the first: it was refused as binary data.
UTF16_TEXTS = {
    "curly quote": "It’s a fine day in the city, said the mayor.\r\nSecond line.\r\n",
    "ellipsis and bullet": "Wait for it… • the answer is 42, said the mayor.\n",
    "Russian": "Привет мир, это статья о погоде. Сегодня тепло.\r\n",
    "Greek": "Καλημέρα κόσμε, αυτό είναι ένα άρθρο για τον καιρό.\n",
    "Korean": "안녕하세요 세계, 이것은 날씨에 관한 기사입니다.\n" * 3,
    "Chinese JSON": '{"id": "1", "text": "这是一篇关于天气的文章，今天很热。我们一起去公园。"}\n' * 3,
    "Japanese HTML": "<html><body><p>日本語のテキストです。東京都は日本の首都である。</p>"
                     "<p>二番目の段落。</p></body></html>",
    "emoji": "Great news 🎉 for everyone 😀 today, said the mayor.\n" * 3,
    "icon font": "Home\nContact\n\uf082\n\uf081\nEmail us\nCall us\n",  # private use
}


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("text", UTF16_TEXTS.values(), ids=UTF16_TEXTS)
def test_utf16_without_a_byte_order_mark_is_read_beyond_latin_1(text, codec):
    data = text.encode(codec)
    assert utf16_codec(data) == codec
    assert decode_text(data, "notes.txt") == text
    assert decode_html(data, "page.html") == text


@pytest.mark.parametrize("codec", CODECS)
def test_utf16_pages_without_a_byte_order_mark_are_sniffed_and_segmented(codec):
    page = ("<html><head><title>T</title></head><body><p>Café crème brûlée — “quotes”.</p>"
            "<p>Второй абзац.</p></body></html>")
    assert sniff_format(page.encode(codec)) == "html"
    article = segment(page.encode(codec), name="page.html")
    assert [p.text for p in article.paragraphs] == ["Café crème brûlée — “quotes”.",
                                                    "Второй абзац."]


def test_a_surrogate_pair_cut_by_the_sample_still_reads_as_utf16():
    text = "a" * 255 + "😀 and more text after the sample.\n"  # the pair spans bytes 510-513
    data = text.encode("utf-16-le")
    assert utf16_codec(data) == "utf-16-le"
    assert decode_text(data) == text


_random = random.Random(1)
BINARY = {
    "PNG image": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + _random.randbytes(600),
    "PDF": b"%PDF-1.7\n%\xb5\xb5\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + _random.randbytes(600),
    "gzip of random bytes": gzip.compress(_random.randbytes(2000)),
    "random bytes": _random.randbytes(1024),
    # Many NULs at one byte parity, as in UTF-16, but no text there.
    "NUL every other byte": bytes(b for byte in _random.randbytes(512) for b in (byte | 1, 0)),
    "NUL in half the odd bytes": bytes(
        b for low, high in zip(_random.randbytes(512), _random.randbytes(512))
        for b in (low, high if high >= 128 else 0)),
    "quiet 16-bit sound": b"".join(struct.pack("<h", round(200 * math.sin(i / 7)))
                                   for i in range(600)),
    "NUL-terminated ASCII strings": b"".join(word + b"\x00" for word in
                                             [b"abc", b"xyz", b"foo", b"bar", b"a b"] * 40),
    "UTF-8 text with a stray NUL": "Café crème, naïve \x00 façade.\n".encode() * 10,
    "UTF-32": "Hello world, plain text.\n".encode("utf-32-le") * 10,
}


@pytest.mark.parametrize("data", BINARY.values(), ids=BINARY)
def test_binary_data_is_still_refused(data):
    assert utf16_codec(data) is None
    with pytest.raises(InputError, match=r"^data\.bin: (looks like binary data|a PNG image|"
                                         r"a PDF document)"):
        decode_text(data, "data.bin")
    with pytest.raises(InputError, match=r"^data\.bin: (looks like binary data|a PNG image|"
                                         r"a PDF document)"):
        decode_html(data, "data.bin")


FRENCH = "Café crème brûlée — “quotes” naïve façade. Second paragraph with €uro sign and ß."


def _page(meta: str, text: str) -> str:
    return f"<html><head>{meta}<title>T</title></head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize("meta", ['<meta charset="utf-8">', '<meta charset="UTF-16">',
                                  '<meta http-equiv="Content-Type" content="text/html; '
                                  'charset=utf-8">'])
def test_a_page_declared_utf8_that_is_not_is_read_as_an_undeclared_one(meta):
    # windows-1252 bytes declared UTF-8 came out as "Caf� cr�me", with no warning.
    data = _page(meta, FRENCH).encode("cp1252")
    assert decode_html(data, "page.html") == _page(meta, FRENCH)
    # Undeclared, as detection reads it.
    assert decode_html(_page("", FRENCH).encode("cp1252")) == _page("", FRENCH)


def test_a_page_served_as_utf8_that_is_not_is_read_as_an_undeclared_one():
    data = _page("", FRENCH).encode("cp1252")
    assert decode_html(data, "page.html", charset="utf-8") == _page("", FRENCH)
    # Plain text is UTF-8 or UTF-16 or the charset it was served with: served wrongly as
    # UTF-8, it is refused as unserved text is, not read with U+FFFD.
    with pytest.raises(InputError, match=r"notes\.txt: line 1: not valid UTF-8 \(byte 0xe9"):
        decode_text(FRENCH.encode("cp1252"), "notes.txt", charset="utf-8")


@pytest.mark.parametrize("meta", ['<meta charset="utf-8">', ""])
def test_utf8_with_a_stray_byte_is_still_utf8(meta):
    # A page cut inside a character, or with one bad byte: read as UTF-8, that byte replaced.
    # Undeclared, detection read it all as another charset ("Ã©" for "é").
    page = _page(meta, FRENCH * 3).encode("utf-8")
    middle = page.index("brûlée".encode()) + 3  # inside "û"
    damaged = page[:middle] + page[middle + 1:]
    assert decode_html(damaged) == damaged.decode("utf-8", errors="replace")
    cut = page[:page.rindex("ß".encode()) + 1]
    assert decode_html(cut) == cut[:-1].decode() + "\ufffd"
    served = FRENCH.encode() + b"\xff\n"
    assert decode_text(served, charset="utf-8") == FRENCH + "\ufffd\n"


JAPANESE = "日本語のテキストです。東京都は日本の首都である。二番目の段落です。"


@pytest.mark.parametrize("codec", ["shift_jis", "cp932", "euc_jp"])
@pytest.mark.parametrize("declared", ["iso-8859-1", "windows-1252", "windows-1251"])
def test_a_japanese_page_declared_in_a_single_byte_charset_is_read_as_japanese(codec,
                                                                               declared):
    page = _page(f'<meta charset="{declared}">', JAPANESE)
    assert decode_html(page.encode(codec), "page.html") == page
    assert decode_html(_page("", JAPANESE).encode(codec), charset=declared) == _page("", JAPANESE)


def test_latin_text_that_is_also_valid_shift_jis_is_read_as_declared():
    page = _page('<meta charset="iso-8859-1">', "Crème brûlée, Mädchen, Käse, Bäcker, Häuser.")
    data = page.encode("cp1252")
    assert "Cr鑪e br璉馥" in data.decode("cp932")  # an accented letter and the next byte: kanji
    assert decode_html(data) == page


def test_a_wrong_single_byte_declaration_is_followed_without_strong_evidence():
    # Russian in windows-1251 declared Latin-1, read as windows-1252: any bytes decode in
    # both, and nothing tells them apart as surely as kana tell Japanese.
    page = _page('<meta charset="iso-8859-1">', "Москва – столица России, крупнейший город.")
    assert decode_html(page.encode("cp1251")) == page.encode("cp1251").decode("cp1252")
