"""Real documents for upload tests: made by pillow, or a PDF written by hand."""

from __future__ import annotations

import io

from PIL import Image


def png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def jpeg(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def pdf(size: int | None = None, text: bytes = b"identity document") -> bytes:
    """A one-page PDF; with ``size``, padded to exactly that many bytes."""
    padding = 0
    for _ in range(5):
        made = _pdf(text, padding)
        if size is None or len(made) == size:
            return made
        padding += size - len(made)
    raise ValueError(size)


def _pdf(text: bytes, padding: int) -> bytes:
    content = b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET\n%" + b"p" * padding
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>",
        b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<</Size %d/Root 1 0 R>>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
