"""Errors of the attachment use cases; each names the form field it is about."""

from __future__ import annotations

from dme_portal.errors import DomainError, InvalidInput, NotFound


class AttachmentNotFound(NotFound):
    code = "attachment.not_found"
    title = "Attachment not found"


class AttachmentTooLarge(DomainError):
    status = 413
    code = "attachment.too_large"
    title = "The file is too large"

    def __init__(self, max_bytes: int) -> None:
        message = f"must not be larger than {max_bytes} bytes"
        super().__init__(
            f"file: {message}",
            errors=[{"field": "file", "message": message, "code": "too_large"}],
            extra={"max_bytes": max_bytes},
        )


class UnsupportedAttachmentType(DomainError):
    status = 415
    code = "attachment.unsupported_type"
    title = "The file is not of an accepted type"

    def __init__(self) -> None:
        message = "must be a PDF, PNG, JPEG or TIFF file (judged by its content, not its name)"
        super().__init__(
            f"file: {message}",
            errors=[{"field": "file", "message": message, "code": "unsupported_type"}],
        )


class EmptyAttachment(InvalidInput):
    def __init__(self) -> None:
        super().__init__("file", "is empty", code="empty_file")
