"""What an uploaded document is, judged by its content, never by its name."""

from __future__ import annotations

from domain.errors import SellerGuardError

SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


class DocumentRefusedError(SellerGuardError):
    """Base of the refusals of a document's content; never raised directly."""


class UnsupportedDocumentError(DocumentRefusedError):
    """Only PDF, PNG and JPEG documents are accepted, judged by their content."""

    code = "unsupported_media_type"


class EmptyDocumentError(DocumentRefusedError):
    """The file is empty."""

    code = "validation_error"
    field = "file"


class DocumentTooLargeError(DocumentRefusedError):
    """The file is larger than 10 MiB."""

    code = "payload_too_large"


def content_type_of(data: bytes) -> str:
    """The document's type from its first bytes; refused if not PDF, PNG or JPEG."""
    if not data:
        raise EmptyDocumentError("empty")
    for signature, content_type in SIGNATURES:
        if data.startswith(signature):
            return content_type
    raise UnsupportedDocumentError("unknown signature")
