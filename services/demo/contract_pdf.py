"""The demo contract's text as a one-page A4 PDF.

The text is set in STSong-Light, one of the Chinese fonts every PDF reader supplies (Adobe's
GB1 collection), so no font file is embedded and the document stays a few kilobytes.
"""

from __future__ import annotations

from collections.abc import Iterator

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4, in points
MARGIN = 56
FONT_SIZE = 11
LEADING = 16
TITLE_SIZE = 16
# Characters are as wide as the font size, Latin ones half as wide (the /W entry below).
LINE_EMS = (PAGE_WIDTH - 2 * MARGIN) / FONT_SIZE
MAX_LINES = (PAGE_HEIGHT - 2 * MARGIN - 2 * LEADING) // LEADING


def _ems(char: str) -> float:
    return 0.5 if ord(char) < 0x80 else 1.0


def _wrapped(paragraph: str) -> Iterator[str]:
    """The paragraph in lines that fit the page; continuation lines indented by two ems."""
    line, width, indent = "", 0.0, ""
    for char in paragraph:
        if width + _ems(char) > LINE_EMS and line:
            yield indent + line
            indent = "\u3000\u3000"
            line, width = "", 2.0
        line += char
        width += _ems(char)
    yield indent + line


def _text(value: str) -> bytes:
    """A PDF string in the font's encoding (UniGB-UTF16-H): UTF-16BE, in hex."""
    return b"<" + value.encode("utf-16-be").hex().upper().encode() + b">"


def _page_content(title: str, paragraphs: list[str]) -> bytes:
    lines = [line for paragraph in paragraphs for line in _wrapped(paragraph)]
    if len(lines) > MAX_LINES:
        raise ValueError(f"{len(lines)} lines do not fit one page ({MAX_LINES})")
    title_x = (PAGE_WIDTH - len(title) * TITLE_SIZE) / 2
    top = PAGE_HEIGHT - MARGIN
    parts = [
        b"BT",
        b"/F1 %d Tf %.1f %d Td " % (TITLE_SIZE, title_x, top) + _text(title) + b" Tj",
        b"ET",
        b"BT",
        b"/F1 %d Tf %d TL %d %d Td" % (FONT_SIZE, LEADING, MARGIN, top - 2 * LEADING),
    ]
    parts += [_text(line) + b" Tj T*" for line in lines]
    parts.append(b"ET")
    return b"\n".join(parts)


def contract_pdf(title: str, paragraphs: list[str]) -> bytes:
    """A PDF of one page: ``title`` centred at the top, then the paragraphs, wrapped."""
    content = _page_content(title, paragraphs)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d]" % (PAGE_WIDTH, PAGE_HEIGHT)
        + b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UTF16-H"
        b" /DescendantFonts [6 0 R] >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >>"
        b" /FontDescriptor 7 0 R /DW 1000 /W [1 95 500] >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6"
        b" /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120"
        b" /CapHeight 880 /StemV 93 >>",
        b"<< /Title <FEFF" + title.encode("utf-16-be").hex().upper().encode() + b"> >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (
        len(objects) + 1,
        len(objects),
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
