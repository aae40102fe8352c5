"""Uploads judged by decoding the whole file (pillow, pypdf), not by first bytes.

A file is taken only when it decodes completely as the type its signature
claims, ends where that format ends, and holds no markup a browser could run:
so a polyglot (a PNG that goes on as HTML, a PDF header before a zip) is refused.
"""

from __future__ import annotations

import io
import logging
import re
import warnings

import pypdf
from PIL import Image

from domain.documents import UnsupportedDocumentError, content_type_of

# Real scans are far smaller; a larger image is a decompression bomb.
MAX_PIXELS = 50_000_000
MARKUP = re.compile(rb"<(?:!doctype|html|head|body|script|iframe|svg|object)\b", re.I)
SNIFFED_PREFIX = 1024  # what browsers read when they guess a type
PNG_END = b"IEND\xaeB`\x82"
JPEG_END = b"\xff\xd9"
PDF_END = re.compile(rb"%%EOF[\r\n\t \x00]*\Z")
PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}


class DocumentInspector:
    """Accepts only whole, well-formed PDF, PNG and JPEG files."""

    def content_type_of(self, data: bytes) -> str:
        """The file's type once every byte of it has been decoded as that type."""
        claimed = content_type_of(data)  # empty or unknown: refused here
        if MARKUP.search(data[:SNIFFED_PREFIX]):
            raise UnsupportedDocumentError("markup in the sniffed prefix")
        if claimed == "application/pdf":
            _check_pdf(data)
        else:
            _check_image(data, PIL_FORMATS[claimed])
        return claimed


def _check_image(data: bytes, image_format: str) -> None:
    end = PNG_END if image_format == "PNG" else JPEG_END
    if not data.rstrip(b"\x00").endswith(end):
        raise UnsupportedDocumentError("bytes after the end of the image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise UnsupportedDocumentError("image too large")
                image.verify()
            with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                image.load()  # every pixel decoded, not just the header
    except UnsupportedDocumentError:
        raise
    except Exception as error:  # a decoder fed hostile bytes may fail any way
        raise UnsupportedDocumentError("not a whole image") from error


def _check_pdf(data: bytes) -> None:
    if not PDF_END.search(data[-1024:]):
        raise UnsupportedDocumentError("bytes after the end of the PDF")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings are ours
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
            if reader.is_encrypted:
                raise UnsupportedDocumentError("an encrypted PDF cannot be read")
            pages = reader.pages
            if len(pages) == 0:
                raise UnsupportedDocumentError("a PDF without pages")
            for page in pages:
                _ = page.mediabox
    except UnsupportedDocumentError:
        raise
    except Exception as error:  # a parser fed hostile bytes may fail any way
        raise UnsupportedDocumentError("not a whole PDF") from error
