"""Segment an article (plain text or HTML) into paragraphs with character offsets.

Both inputs give the same record shape, :class:`Paragraph`, inside an :class:`Article`.
``article.text[p.start:p.end]`` is always the paragraph's raw text:

* for plain text, ``article.text`` is the input itself;
* for HTML, ``article.text`` is the page's plain-text rendering (one block per line, like
  the seed articles), so a labelled HTML page also yields a text version with the same
  paragraphs. ``Paragraph.source_line`` points back into the HTML source.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import codecs
import gzip
import io
import lzma
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, islice

from lxml import etree

__all__ = [
    "ARTICLE_FORMATS",
    "Article",
    "InputError",
    "Paragraph",
    "PAGE_MEDIA_TYPES",
    "compression",
    "decode_html",
    "decode_text",
    "normalise",
    "is_mhtml",
    "not_an_article",
    "read_mhtml",
    "segment",
    "segment_html",
    "segment_text",
    "sniff_format",
    "unknown_format",
    "unpaired_surrogate",
    "utf16_codec",
]


class InputError(ValueError):
    """Bad input: the message names the input and, where known, the line or byte."""


@dataclass(frozen=True, slots=True)
class Paragraph:
    index: int
    start: int
    end: int
    text: str
    # Structure features; HTML input only (plain text leaves the defaults).
    tag: str = ""
    heading_level: int = 0
    in_list: bool = False
    in_table: bool = False
    link_density: float = 0.0
    dom_depth: int = 0
    path: str = ""
    class_tokens: str = ""
    source_line: int = 0


@dataclass(slots=True)
class Article:
    format: str  # "text" or "html"
    text: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    title: str = ""


def normalise(raw: str) -> str:
    """Collapse every run of whitespace to one space and trim."""
    return " ".join(raw.split())


# --------------------------------------------------------------------------- plain text

_SENTENCE_END = tuple(".!?…:;\"”’')]»")
_MIN_WRAPPED_LINE = 30


def _looks_hard_wrapped(lengths: list[int]) -> int:
    """Return the wrap width when most lines stop near one column (e-mail style text), else 0."""
    if len(lengths) < 4:
        return 0
    width = max(lengths)
    if not 40 <= width <= 100:
        return 0
    near = sum(1 for n in lengths if n >= 0.75 * width)
    return width if near >= 0.5 * len(lengths) else 0


def _continues(prev: str, line: str, wrap_width: int) -> bool:
    """Does ``line`` continue the prose of ``prev`` (a hard-wrapped sentence)?"""
    if len(prev) < _MIN_WRAPPED_LINE or prev.endswith(_SENTENCE_END):
        return False
    if line[0].islower():
        return True
    return bool(wrap_width) and len(prev) >= 0.75 * wrap_width


def segment_text(text: str) -> list[Paragraph]:
    """One paragraph per non-empty line; hard-wrapped prose lines are joined back together.

    A blank line always ends a paragraph. A line continues the previous one only when that
    line is long, lacks sentence-final punctuation, and the next starts in lower case (or the
    whole text is wrapped at a fixed width), so one-block-per-line page text is never merged.
    """
    lines: list[tuple[int, int, str]] = []  # (start, end without line break, stripped)
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        lines.append((pos, pos + len(body), body.strip()))
        pos += len(raw)
    wrap_width = _looks_hard_wrapped([len(s) for _, _, s in lines if s])

    spans: list[list[int]] = []
    prev = ""
    for start, end, stripped in lines:
        if not stripped:
            prev = ""
            continue
        if prev and _continues(prev, stripped, wrap_width):
            spans[-1][1] = end
        else:
            spans.append([start, end])
        prev = stripped
    paragraphs = []
    for start, end in spans:
        raw = text[start:end]
        lead = len(raw) - len(raw.lstrip())
        trail = len(raw) - len(raw.rstrip())
        start, end = start + lead, end - trail
        paragraphs.append(Paragraph(len(paragraphs), start, end, normalise(text[start:end])))
    return paragraphs


# --------------------------------------------------------------------------- decoding

_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)


def compression(head: bytes) -> str | None:
    """"gzip", "bzip2" or "xz" when ``head`` (a file's first 10 bytes or more) starts one such
    stream, else None. bzip2 is checked up to its block header, as text may start with "BZh"."""
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head[:3] == b"BZh" and head[3:4] in b"123456789" and head[4:10] == b"1AY&SY":
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    return None


_DECOMPRESS = {"gzip": gzip.decompress, "bzip2": bz2.decompress, "xz": lzma.decompress}


def _decompress(data: bytes, name: str) -> bytes:
    """``data`` decompressed when it is gzip, bzip2 or xz data."""
    kind = compression(data[:10])
    if kind is None:
        return data
    try:
        return _DECOMPRESS[kind](data)
    except (OSError, EOFError, ValueError, lzma.LZMAError) as exc:  # bz2: ValueError when cut
        raise InputError(f"{name}: broken {kind} data ({exc})") from None


# Files users hand over by mistake, known by their first bytes: what to say instead of "binary
# data" or "not valid UTF-8".
_NOT_ARTICLES = (
    (b"%PDF-", "a PDF document, not text or HTML: extract its text first (e.g. with pdftotext)"),
    (b"PK\x03\x04", "a zip archive (Word, OpenDocument and EPUB files are zips too): unpack it "
                    "and give its folder, or extract its text first"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document, not text or HTML: "
                                        "extract its text first"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image, not text or HTML"),
    (b"\xff\xd8\xff", "a JPEG image, not text or HTML"),
    (b"GIF8", "a GIF image, not text or HTML"),
)


def not_an_article(head: bytes) -> str | None:
    """What a file is, when its first bytes (8 are enough) show a kind of file that holds no
    article as text or HTML (a PDF, a zip archive, an image...), else None."""
    return next((what for signature, what in _NOT_ARTICLES if head.startswith(signature)),
                None)


def unpaired_surrogate(key: str, value: str) -> str | None:
    """What is wrong when ``value`` holds half a UTF-16 surrogate pair, which JSON can escape
    ("\\ud800") but no output can write (a prediction record, a Parquet file), else None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"{key} holds an unpaired surrogate ({value[exc.start]!r} at character "
                f"{exc.start}), which is not text")
    return None


def _check_not_binary(data: bytes, name: str) -> None:
    what = not_an_article(data[:8])
    if what:
        raise InputError(f"{name}: {what}")
    sample = data[:4096]
    if b"\x00" in sample:
        raise InputError(f"{name}: looks like binary data (NUL byte at offset {sample.index(0)})")


# UTF-16 without a byte-order mark shows in its NUL bytes: the high byte of each character
# below U+0100 (markup, spaces, digits, Latin punctuation), so every other byte. Spaces and
# punctuation alone make about a sixth of Russian or Greek prose; binary data and text with a
# stray NUL rarely put so many at one parity, and then seldom decode as text.
_UTF16_MIN_NUL_SHARE = 1 / 8  # of the code units, at the parity of the high bytes
# NULs at the other parity come from characters U+xx00 ("一", U+4E00; Hangul "관") only.
_UTF16_MAX_LOW_NULS = 1 / 4  # of those at the parity of the high bytes
_UTF16_MAX_NOT_TEXT = 1 / 64  # of the characters: C0 controls, unassigned ones
_UTF16_MAX_ASCII_PAIRS = 1 / 16  # of the characters, when no other is beyond U+00FF


def utf16_codec(data: bytes) -> str | None:
    """The UTF-16 codec ``data`` is in: by its byte-order mark, or, without one (as Windows
    tools write it), when its NUL bytes fall at one byte parity and its first characters read
    that way are text. None for anything else."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = data[:min(512, len(data) - len(data) % 2)]
    units = len(head) // 2
    if units < 2:
        return None
    even_nuls, odd_nuls = head[0::2].count(0), head[1::2].count(0)
    high_nuls, low_nuls = max(even_nuls, odd_nuls), min(even_nuls, odd_nuls)
    if high_nuls < units * _UTF16_MIN_NUL_SHARE or low_nuls > high_nuls * _UTF16_MAX_LOW_NULS:
        return None
    codec = "utf-16-le" if odd_nuls > even_nuls else "utf-16-be"
    try:  # not final: a surrogate pair cut at the end of the sample waits for its second half
        sample = codecs.getincrementaldecoder(codec)().decode(head)
    except UnicodeDecodeError:  # a lone surrogate
        return None
    return codec if _reads_as_utf16_text(sample) else None


def _reads_as_utf16_text(sample: str) -> bool:
    """Whether characters decoded as UTF-16 are text: no NUL; hardly any other C0 control
    character (but line breaks and tabs) or unassigned code point; and not ASCII read two bytes
    at a time. ASCII strings ended by NULs read as characters made of two printable ASCII bytes,
    mostly CJK; real CJK text has kana and punctuation that are not, and Latin text has few
    such characters ("…", "•"). Private-use characters (icon fonts) and C1 controls (text that
    was decoded wrongly once) are found in web pages' text."""
    if "\0" in sample:
        return False
    not_text = sum(1 for char in sample if char < " " and not char.isspace()
                   or unicodedata.category(char) == "Cn")
    if not_text > len(sample) * _UTF16_MAX_NOT_TEXT:
        return False
    wide = [ord(char) for char in sample if ord(char) > 0xFF]
    ascii_pairs = sum(1 for code in wide
                      if 0x2020 <= code <= 0x7E7E and 0x20 <= code & 0xFF <= 0x7E)
    return ascii_pairs < len(wide) or ascii_pairs <= len(sample) * _UTF16_MAX_ASCII_PAIRS


def decode_text(data: bytes, name: str = "<input>", charset: str | None = None) -> str:
    """Decode a plain-text article: UTF-8 (with or without BOM), or UTF-16; else the
    ``charset`` it was served with (an HTTP ``Content-Type`` header's), if given."""
    data = _decompress(data, name)
    utf16 = utf16_codec(data)
    if utf16:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: looks like UTF-16 but is not valid UTF-16 (at byte offset "
                f"{exc.start}: {exc.reason}); convert the file to UTF-8"
            ) from None
    _check_not_binary(data, name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        served = _codec(charset)
        # Served as UTF-8 but not UTF-8 beyond a stray byte: the header is wrong, and plain
        # text has no detection, so it is refused as unserved text is.
        if served and (served != "utf-8" or _mostly_utf8(data)):
            return data.decode(served, errors="replace")
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{name}: line {line}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); convert the file to UTF-8"
        ) from None


def _label(charset: str) -> str:
    """A charset label as a header or attribute gives it, without quotes, in lower case."""
    return charset.strip().strip("\"'").lower()


def _codec(charset: str | None) -> str | None:
    """The Python codec of a charset label, read as browsers read it; None if unknown."""
    if not charset:
        return None
    label = _label(charset)
    try:
        codec = codecs.lookup(_WHATWG_CODECS.get(label, label)).name
        b"x".decode(codec, errors="replace")  # LookupError if not a text encoding ("base64")
    except LookupError:
        return None
    return codec


# The Latin-script single-byte code pages a detector may name: Windows, ISO 8859, DOS, Mac.
_LATIN_FAMILY = frozenset({
    "cp1250", "cp1252", "cp1254", "cp1257", "latin_1", "iso8859_2", "iso8859_3", "iso8859_4",
    "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16",
    "cp437", "cp775", "cp850", "cp852", "cp857", "cp858", "cp860", "cp861", "cp863", "cp865",
    "mac_roman", "mac_latin2", "mac_iceland", "mac_turkish", "hp_roman8"})


# What browsers read a declared charset as (the WHATWG Encoding Standard), where Python's codec
# of that name differs: pages labelled Latin-1 or ASCII use windows-1252's quotes and dashes in
# 0x80-0x9F, and the Chinese, Japanese and Korean labels mean Microsoft's supersets.
_WHATWG_CODECS = {
    **dict.fromkeys(("iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1",
                     "ascii", "us-ascii", "cp819", "ibm819", "iso-ir-100", "csisolatin1",
                     "x-cp1252"), "cp1252"),
    **dict.fromkeys(("iso-8859-9", "iso8859-9", "iso_8859-9", "latin5", "l5", "iso-ir-148",
                     "csisolatin5"), "cp1254"),
    **dict.fromkeys(("iso-8859-11", "iso8859-11", "tis-620", "dos-874"), "cp874"),
    **dict.fromkeys(("gb2312", "gbk", "x-gbk", "chinese", "csgb2312", "iso-ir-58"), "gb18030"),
    **dict.fromkeys(("shift_jis", "shift-jis", "sjis", "ms_kanji", "x-sjis", "csshiftjis",
                     "windows-31j", "ms932"), "cp932"),
    **dict.fromkeys(("euc-kr", "ks_c_5601-1987", "ks_c_5601-1989", "ksc5601", "ksc_5601",
                     "korean", "iso-ir-149", "cseuckr", "windows-949"), "cp949"),
    **dict.fromkeys(("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"), "big5hkscs"),
    # A page that got this far is not UTF-16 (see utf16_codec), whatever it declares.
    **dict.fromkeys(("utf-16", "utf-16le", "utf-16be", "utf16", "unicode", "ucs-2",
                     "unicodefeff", "unicodefffe", "csunicode", "iso-10646-ucs-2"), "utf-8"),
}
# Encodings that write text in ASCII bytes: valid UTF-8 says nothing against them.
_SEVEN_BIT = frozenset({"utf-7", "utf7", "hz-gb-2312", "hz"})


def _mostly_utf8(data: bytes) -> bool:
    """Whether bytes that are not valid UTF-8 still hold more bytes of valid multi-byte UTF-8
    characters than invalid bytes: UTF-8 with a few bad bytes (a page cut short, a stray byte),
    best read as UTF-8, rather than text in another charset."""
    valid = data.decode("utf-8", errors="ignore")
    valid_bytes = len(valid.encode("utf-8"))
    multibyte_bytes = valid_bytes - len(valid.encode("ascii", errors="ignore"))
    return multibyte_bytes > len(data) - valid_bytes


@lru_cache
def _single_byte(codec: str) -> bool:
    """Whether ``codec`` reads each byte as one character (windows-1252, ISO 8859, KOI8-R...),
    so that it decodes nearly any bytes and a wrong declaration of it shows no errors."""
    return codec != "utf-8" and len(bytes(range(128, 256)).decode(codec, errors="replace")) == 128


_KANA = re.compile("[\u3041-\u30ff]")  # hiragana and katakana, not the half-width kind
_MIN_KANA = 10
_MIN_KANA_SHARE = 1 / 5  # of the characters beyond ASCII; Japanese prose has over a third


def _japanese(data: bytes) -> str | None:
    """``data`` read as Shift-JIS or EUC-JP when it is valid in one and reads as Japanese
    there, with kana among its characters, else None. Japanese pages declared in a single-byte
    charset (often Latin-1, a server's default) are told so: text in a single-byte charset
    that happens to be valid Shift-JIS or EUC-JP reads as scattered kanji, hardly any kana."""
    for codec in ("cp932", "euc_jp"):  # cp932: Microsoft's Shift-JIS, as browsers read it
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        beyond_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
        kana = len(_KANA.findall(text))
        if kana >= _MIN_KANA and kana >= beyond_ascii * _MIN_KANA_SHARE:
            return text
    return None


def decode_html(data: bytes | str, name: str = "<input>", charset: str | None = None) -> str:
    """Decode HTML bytes: a byte-order mark or UTF-16 (:func:`utf16_codec`); else UTF-8 when
    the bytes are valid UTF-8; else the declared charset (read as browsers read it); else a
    detected one. ``charset`` is one the page was served with (an HTTP ``Content-Type``
    header's): as in browsers, it comes before the page's own ``<meta>`` declaration.

    Valid UTF-8 comes before the declared charset because pages are often re-encoded as UTF-8
    (by a crawler, a CMS) and keep their old declaration: every WCXB page declaring
    ISO-8859-1 is UTF-8, and read as declared its quotes came out as "â€™". Non-ASCII text in
    a single- or double-byte charset is practically never valid UTF-8.

    A declaration is overruled only on strong evidence, as it decodes silently wrong: a page
    declared UTF-8 (or none) whose bytes are mostly UTF-8 but for a few bad ones is UTF-8, a
    bad byte replaced by U+FFFD (browsers do the same); one declared UTF-8 that is not is
    detected, as undeclared pages are; and one declared in a single-byte charset (which any
    bytes decode in) that is valid Shift-JIS or EUC-JP reading as Japanese is read so.
    """
    if isinstance(data, str):
        return data
    data = _decompress(data, name)
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8", errors="replace")
    utf16 = utf16_codec(data)
    if utf16:
        return data.decode(utf16, errors="replace")
    _check_not_binary(data, name)
    found = None if charset else _CHARSET_RE.search(data[:8192])
    declared = _label(charset or (found.group(1).decode("ascii") if found else ""))
    seven_bit = declared in _SEVEN_BIT or declared.startswith("iso-2022")
    if not seven_bit:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    codec = _codec(declared)
    if codec in (None, "utf-8") and _mostly_utf8(data):
        return data.decode("utf-8", errors="replace")  # a stray byte, a character cut short
    if codec and _single_byte(codec):
        japanese = _japanese(data)
        if japanese:
            return japanese
    if codec and codec != "utf-8":  # else no charset, an unknown one or UTF-8 wrongly: detect
        return data.decode(codec, errors="replace")
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError(f"{name}: cannot detect the text encoding of this HTML")
    # Detectors confuse the Latin single-byte code pages on short text; windows-1252 is the
    # web's default for undeclared pages (WHATWG), so prefer it within that family.
    if best.encoding in _LATIN_FAMILY:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    return str(best)


# --------------------------------------------------------------------------- HTML

_DROP_TAGS = frozenset({
    "script", "style", "template", "svg", "math", "iframe", "object", "embed",
    "canvas", "head", "select", "option", "datalist", "video", "audio", "map",
})
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
    "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
    "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "main",
    "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul", "br", "button", "label", "textarea",
})
_REVEAL_DEPTH = 6  # how deep a hidden wrapper of the whole page may sit
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_TOKEN_RE = re.compile(r"[a-z]+")
_MAX_CLASS_TOKENS = 12
_LIST_TAGS = frozenset({"li", "ul", "ol", "dl", "dd", "dt", "menu"})
_TABLE_TAGS = frozenset({"td", "th", "table"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
# No id index (collect_ids): nothing here looks elements up by id. huge_tree: without it
# libxml2 stops at 256 nested elements (pages with unclosed inline tags reach that) and
# drops the rest of the page; with it the limit is 2048, and reaching it is an InputError.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, recover=True, collect_ids=False,
                           huge_tree=True)
# For the markup encoded as UTF-8: libxml2 converts a str's UCS-2/UCS-4 buffer more slowly
# than Python encodes it, and UTF-8 is also what it reads a pure-ASCII str as.
_UTF8_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, recover=True,
                                collect_ids=False, encoding="utf-8", huge_tree=True)


def _fromstring(markup: str, name: str):
    """The parsed tree of ``markup``, or None; an InputError if the parser could not read it
    whole."""
    try:
        try:
            parser = _UTF8_PARSER
            root = etree.fromstring(markup.encode("utf-8"), parser)
        except UnicodeEncodeError:  # lone surrogates: let lxml read the str itself
            parser = _PARSER
            root = etree.fromstring(markup, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"{name}: cannot parse HTML ({exc})") from None
    limit = next((e for e in parser.error_log
                  if e.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT), None)
    if limit is not None:  # the parser stopped there: the rest of the page would be lost
        raise InputError(f"{name}: line {limit.line}, column {limit.column}: elements nest "
                         f"deeper than the HTML parser's limit ({limit.message.split(',')[0]}), "
                         f"so the page cannot be read whole")
    return root


def _parse(markup: str, name: str):
    # lxml rejects str input that declares an encoding; strip the XML declaration first.
    markup = re.sub(r"^\s*<\?xml[^>]*>", "", markup, count=1)
    if not markup or markup.isspace():  # not markup.strip(), without copying the page
        return None, ""
    root = _fromstring(markup, name)
    if root is None:
        return None, ""
    _keep_after_end(root)
    for fallback in root.iter("noframes", "noembed"):
        _parse_raw_text(fallback, name)
    title_el = next(root.iterdescendants("title"), None)
    title = normalise(title_el.text or "") if title_el is not None else ""
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    return root, title


def _word_count(el) -> int:
    """Whitespace-separated words in an element's text, its descendants' included."""
    return len(etree.tostring(el, method="text", encoding=str, with_tail=False).split())


def _keep_after_end(root) -> None:
    """Move what follows a stray ``</html>`` back into the page. libxml2 puts markup after it
    in a second top-level element, beside the root, where a walk of the root never looks;
    browsers read it as more of the body. 18 of 1,497 WCXB pages have such markup (a theme's
    early ``</body></html>``), one with its whole article after it."""
    strays = list(root.itersiblings())
    if not strays:
        return
    body = root.find("body")
    body = root if body is None else body
    for stray in strays:
        for part in list(stray):
            if part.tag == "body":  # a second <body> gives its content
                body.extend(list(part))
            else:  # a second <head> too goes there, and is dropped with the first
                body.append(part)


def _parse_raw_text(el, name: str) -> None:
    """Parse the markup of a ``<noframes>`` or ``<noembed>`` element into its children.

    libxml2 keeps their content as raw text, as browsers that show frames and embeds do; but a
    frameset page's only text is often there, and it would come out as markup.
    """
    markup = el.text
    if not markup or "<" not in markup and "&" not in markup:
        return
    inner = _fromstring(f"<html><body>{markup}</body></html>", name)
    body = None if inner is None else inner.find("body")
    if body is None:
        return
    for child in body.iter():  # lines within the page, not within the fragment
        if child.sourceline:
            child.sourceline += el.sourceline - 1 if el.sourceline else 0
    el.text = body.text
    el.extend(body)


@lru_cache(maxsize=8192)
def _merged_tokens(classes: str, ids: str, inherited: str) -> str:
    """Class/id tokens of an element, then of its ancestors (``inherited``); unique, capped."""
    tokens = _TOKEN_RE.findall(f"{classes} {ids}".lower())
    if inherited:
        tokens += inherited.split(" ")
    return " ".join(islice(dict.fromkeys(tokens), _MAX_CLASS_TOKENS))


def _node_tokens(node: list | None) -> str:
    """Class/id tokens of the element of ``node`` and of its ancestors (:func:`_merged_tokens`).

    A node is ``[element, parent's node, tokens or None]``, None above the root. Tokens are
    worked out on demand and kept in the nodes they were worked out for.
    """
    # Climb to the nearest node with its tokens known, then work them out downwards.
    todo = []
    while node is not None and node[2] is None:
        todo.append(node)
        node = node[1]
    tokens = "" if node is None else node[2]
    for node in reversed(todo):
        el = node[0]
        # Attribute names are bytes: lxml would encode a str name on every call.
        classes, ids = el.get(b"class"), el.get(b"id")
        if el.get(b"hidden") is not None:
            tokens = _merged_tokens(f"{classes or ''} hidden", ids or "", tokens)
        elif classes is not None or ids is not None:
            tokens = _merged_tokens(classes or "", ids or "", tokens)
        node[2] = tokens
    return tokens


def segment_html(data: bytes | str, name: str = "<input>", charset: str | None = None) -> Article:
    """Split an HTML page into text blocks in reading order; returns its text rendering too.

    Scripts, styles, comments and nodes hidden by CSS (``display: none``, ``visibility:
    hidden``) or ``aria-hidden`` are dropped. Nodes with the ``hidden`` attribute are kept and
    marked with a ``hidden`` class token: pages put real content there for scripts to reveal
    (tabs, accordions, streamed server rendering), and on WCXB keeping them raises the share of
    gold words present from 0.949 to 0.968. ``<noscript>`` is kept for the same reason (forum
    software serves the whole thread there), and so are ``<noframes>`` and ``<noembed>``, read
    as markup (:func:`_parse_raw_text`). Each block keeps what markup tells and text
    cannot: its tag, heading level, list/table membership, link density, DOM depth, tag path
    and class/id tokens of its ancestors. ``charset``: the one the page was served with, if
    known (see :func:`decode_html`).
    """
    root, title = _parse(decode_html(data, name, charset), name)
    if root is None:
        return Article("html", "", [], "")

    lines: list[str] = []
    paragraphs: list[Paragraph] = []
    # The open element's context lives in locals: its enclosing block tag, heading level,
    # node (for class tokens) and tag path; each start saves the parent's on a stack that its
    # end restores. List/table/link membership are counters. All O(1) per element.
    # Class tokens are worked out only when a paragraph asks (see _node_tokens), so only for
    # the elements paragraphs sit in and their ancestors (about 60% of a page's elements):
    # merging tokens is the costliest step, as combinations new to the page miss the cache.
    block_tag = path = ""
    node = None
    heading = n_list = n_table = n_link = 0
    saved: list[tuple[str, int, list | None, str]] = []
    push, pop = saved.append, saved.pop
    # The block being filled: its text parts, characters inside links, and its context.
    parts: list[str] = []
    link_chars = 0
    opened: tuple | None = None

    def flush() -> None:
        nonlocal link_chars, opened
        text = normalise("".join(parts))
        if text:
            el, block_tag, heading, node, path, in_list, in_table, depth = opened
            start = paragraphs[-1].end + 1 if paragraphs else 0
            # Positional: a frozen dataclass takes keywords more slowly.
            paragraphs.append(Paragraph(
                len(paragraphs), start, start + len(text), text, block_tag, heading, in_list,
                in_table, min(1.0, link_chars / len(text)), depth, path, _node_tokens(node),
                el.sourceline or 0,
            ))
            lines.append(text)
        parts.clear()
        link_chars = 0
        opened = None

    block_tags, headings, list_tags, table_tags = _BLOCK_TAGS, _HEADINGS, _LIST_TAGS, _TABLE_TAGS
    hidden_style = _HIDDEN_STYLE.search
    # Elements only: comments, processing instructions and entities are skipped with their tails.
    walk = etree.iterwalk(root, events=("start", "end"), tag=etree.Element)
    # An event's text (the element's text at its start, its tail at its end) is taken in at
    # the next event, so that the tails of hidden elements in between can join it, as if the
    # hidden elements were cut out of the markup (cheaper than a pass that cuts them out).
    # Attribute names are bytes: lxml would encode a str name on every call.
    text = owner = None
    page_words = 0  # the page's word count, counted once a hidden element needs it

    def reveals_page(el) -> bool:
        # A page that its scripts reveal once they have run is hidden as a whole until then:
        # a wrapper near the top holding most of its words (5 of 1,497 WCXB pages, 2 to 6
        # levels under <html>, "visibility: hidden" or "display: none"; one lost all its text).
        if len(saved) > _REVEAL_DEPTH:
            return False
        words = _word_count(el)
        if words < 20:  # most are small (icons, pixels, menus): spare counting the page
            return False
        nonlocal page_words
        page_words = page_words or _word_count(root)
        return 2 * words > page_words

    for event, el in chain(walk, [("stop", None)]):
        if event == "start" and (
                el.get(b"aria-hidden") == "true"
                or (style := el.get(b"style")) is not None and hidden_style(style)) and saved \
                and not reveals_page(el):
            # Hidden, and not the root (which has no parent to be cut from): skip it.
            walk.skip_subtree()
            next(walk)  # its end event
            if el.tail:
                text = (text or "") + el.tail
            continue
        if text and (opened is not None or not text.isspace()):
            if opened is None:
                opened = (owner, block_tag, heading, node, path, n_list > 0, n_table > 0,
                          len(saved))
            parts.append(text)
            if n_link:
                link_chars += len(text.strip())
        if el is None:  # the sentinel after the last event
            break
        tag = el.tag
        if event == "start":
            push((block_tag, heading, node, path))
            # Every counted tag but "a" is a block tag: inline elements take one test.
            if tag in block_tags:
                if opened is not None:
                    flush()
                if tag != "br":
                    block_tag = tag
                    if tag in headings:
                        heading = headings[tag]
                    elif tag in list_tags:
                        n_list += 1
                    elif tag in table_tags:
                        n_table += 1
            elif tag == "a":
                n_link += 1
            path = f"{path}>{tag}" if path else tag
            node = [el, node, None]
            text = el.text
        else:
            block_tag, heading, node, path = pop()
            if tag in block_tags:
                if opened is not None:
                    flush()
                if tag in list_tags:
                    n_list -= 1
                elif tag in table_tags:
                    n_table -= 1
            elif tag == "a":
                n_link -= 1
            text = el.tail
        owner = el
    if opened is not None:
        flush()
    return Article("html", "\n".join(lines), paragraphs, title)


ARTICLE_FORMATS = ("text", "html", "mhtml")


def unknown_format(format) -> str:
    return f"unknown input format {format!r}: use {', '.join(map(repr, ARTICLE_FORMATS))}"


def segment(data: bytes | str, format: str | None = None, name: str = "<input>",
            charset: str | None = None) -> Article:
    """Segment text or HTML, or the page of a page saved as MHTML (:func:`read_mhtml`);
    ``format`` is "text", "html", "mhtml" or None to decide from the content; ``charset`` is
    the one the input was served with, if known (see :func:`decode_html` and
    :func:`decode_text`); a saved page's own charset comes first."""
    if isinstance(data, bytes) and format in (None, "mhtml"):
        data = _decompress(data, name)
        if format == "mhtml" or is_mhtml(data[:2048]):
            data, format, saved_charset = read_mhtml(io.BytesIO(data), name)
            charset = saved_charset or charset
    if format is None:
        format = sniff_format(data)
    if format == "html":
        return segment_html(data, name, charset)
    if format == "mhtml":  # given as str: its parts' encodings are gone with the bytes
        raise InputError(f"{name}: an MHTML page must be given as bytes (the saved file read "
                         f"in binary mode), not as text")
    if format != "text":
        raise ValueError(unknown_format(format))
    text = decode_text(data, name, charset) if isinstance(data, bytes) else data
    return Article("text", text, segment_text(text))


# HTML by its first tag, after an XML declaration (XHTML) and comments: the tags browsers sniff
# HTML by (WHATWG MIME Sniffing), and those an article's markup fragment starts with.
_HTML_SNIFF = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|link|title|"
    rb"style|script|iframe|div|p|a|b|br|font|table|h[1-6]|article|section|main|header|nav|"
    rb"span|ul|ol|figure|img)[\s>/]", re.I | re.S)


def sniff_format(data: bytes | str) -> str:
    """Guess "html" or "text" from the first bytes."""
    head = data[:2048]
    if isinstance(head, str):
        head = head.encode("utf-8", errors="replace")
    if compression(head[:10]):
        head = _decompress(data, "<input>")[:2048]
    utf16 = utf16_codec(head)
    if utf16:
        head = head.decode(utf16, errors="replace").encode("utf-8")
    return "html" if _HTML_SNIFF.match(head.lstrip(codecs.BOM_UTF8)) else "text"


# --------------------------------------------------------------------------- saved pages

# Media types of pages (in a saved page's or a web archive's parts), by the format they are
# read as.
PAGE_MEDIA_TYPES = {"text/html": "html", "application/xhtml+xml": "html", "text/plain": "text"}
# A saved page (MHTML): mail-style header lines, among them a multipart/related content type.
_MHTML_HEAD = re.compile(rb"(?:[!-9;-~]+:[^\n]*\n|[ \t][^\n]*\n)*?content-type:\s*"
                         rb"multipart/related", re.I)
_MHTML_MAX_HEADER = 1 << 16  # bytes of a part's header lines, at most


def is_mhtml(head: bytes) -> bool:
    """Whether ``head``, the first bytes of an input, start a page saved as MHTML."""
    return _MHTML_HEAD.match(head) is not None


def read_mhtml(stream, name: str = "<input>",
               limit: int = 1 << 62) -> tuple[bytes, str, str | None]:
    """The page in an MHTML file read from a binary ``stream`` (RFC 2557: a browser's "save as
    single file", ``.mhtml`` or ``.mht``): its bytes, format ("html" or "text") and charset.
    The page is the root part, the first one unless the header names another as ``start``,
    decoded from its transfer encoding. The parts after it (stylesheets, images, frames) are
    not read, so a saved page's size does not matter. An InputError names what is wrong:
    no page, a file cut inside it, a page over ``limit`` bytes..."""
    def failed(problem: str) -> InputError:
        return InputError(f"{name}: {problem}")

    header = _mime_header(stream)
    if header is None:
        raise failed("not an MHTML file: its header lines do not end")
    boundary = header.get_boundary()
    if header.get_content_type() != "multipart/related" or not boundary:
        raise failed("not an MHTML file: no multipart/related content type with a boundary")
    start = _param(header, "start")  # a Content-ID, without its angle brackets
    separator = b"--" + boundary.encode("utf-8", errors="replace")
    line = b""
    while line.rstrip() != separator:  # the preamble before the first part
        line = stream.readline(limit)
        if not line or line.rstrip() == separator + b"--":
            raise failed("no page in this MHTML file: it has no parts")
    while True:
        part = _mime_header(stream)
        if part is None:
            raise failed("a part's header lines do not end: the file is cut short or damaged")
        body, end = _mime_body(stream, separator, limit)
        if start is None or part.get("Content-ID", "").strip().strip("<>") == start:
            break
        if end != "next":
            raise failed(f"no part with the Content-ID <{start}>, which the header names as "
                         f"the page")
    if end == "cut":
        raise failed("the file ends inside the page's part: it is cut short")
    media = part.get_content_type()
    if media not in PAGE_MEDIA_TYPES:
        raise failed(f"the saved page is {media}, not HTML or text")
    if body is None:
        raise failed(f"the page is larger than the {limit >> 20} MiB limit")
    transfer = part.get("Content-Transfer-Encoding", "7bit").strip().lower()
    if transfer == "quoted-printable":
        data = binascii.a2b_qp(body)
    elif transfer == "base64":
        try:
            data = base64.b64decode(body)
        except binascii.Error as exc:
            raise failed(f"the page's base64 is damaged ({exc})") from None
    elif transfer in ("7bit", "8bit", "binary"):
        data = body
    else:
        raise failed(f"unknown Content-Transfer-Encoding {transfer!r} of the page")
    return data, PAGE_MEDIA_TYPES[media], _param(part, "charset")


def _param(header, name: str) -> str | None:
    """A parameter of a MIME header's Content-Type (an RFC 2231 encoded one decoded)."""
    from email.utils import collapse_rfc2231_value

    value = header.get_param(name)
    return None if value is None else collapse_rfc2231_value(value)


def _mime_header(stream):
    """The header lines read from ``stream`` up to the blank line after them (or the end of
    the stream), parsed; None when there are none, or when a line is cut or they run past
    ``_MHTML_MAX_HEADER`` bytes."""
    from email import policy
    from email.parser import BytesHeaderParser

    lines = []
    size = 0
    while (line := stream.readline(_MHTML_MAX_HEADER)).strip():
        size += len(line)
        if size > _MHTML_MAX_HEADER or not line.endswith(b"\n"):
            return None
        lines.append(line)
    if not line and not lines:
        return None
    return BytesHeaderParser(policy=policy.default).parsebytes(b"".join(lines))


def _mime_body(stream, separator: bytes, limit: int) -> tuple[bytes | None, str]:
    """A part's body, read up to the next ``separator`` line (None when over ``limit`` bytes),
    and how it ended: "next" (another part follows), "last" (the closing separator) or "cut"
    (the end of the file)."""
    lines = []
    size = 0
    end = "cut"
    readline, append = stream.readline, lines.append
    while line := readline(limit + 1):
        if line.startswith(b"--") and (bare := line.rstrip()) in (separator, separator + b"--"):
            end = "next" if bare == separator else "last"
            break
        size += len(line)
        if size <= limit:
            append(line)
    body = b"".join(lines)
    # The line break before a separator belongs to the separator (RFC 2046).
    body = body[:-2] if body.endswith(b"\r\n") else body.removesuffix(b"\n")
    return (body if size <= limit else None), end
