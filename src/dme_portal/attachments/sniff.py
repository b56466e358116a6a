"""What a file is, judged by its bytes (puremagic), never by its name or declared type."""

from __future__ import annotations

from enum import StrEnum

import puremagic


class MediaType(StrEnum):
    """The file types the hub accepts as attachments."""

    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"
    TIFF = "image/tiff"

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self][0]

    @property
    def extensions(self) -> tuple[str, ...]:
        """File name extensions that fit the type, the usual one first."""
        return _EXTENSIONS[self]


_EXTENSIONS: dict[MediaType, tuple[str, ...]] = {
    MediaType.PDF: (".pdf",),
    MediaType.PNG: (".png",),
    MediaType.JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"),
    MediaType.TIFF: (".tif", ".tiff"),
}

# Each accepted type must also start with its own signature at offset 0: puremagic also matches
# signatures at other offsets and at the end of a file, which a polyglot could exploit.
_LEADING_SIGNATURES: dict[MediaType, tuple[bytes, ...]] = {
    MediaType.PDF: (b"%PDF-",),
    MediaType.PNG: (b"\x89PNG\r\n\x1a\n",),
    MediaType.JPEG: (b"\xff\xd8\xff",),
    MediaType.TIFF: (b"II*\x00", b"MM\x00*"),
}


def detect(data: bytes) -> MediaType | None:
    """The accepted type the content is, or None (unknown, ambiguous or not accepted)."""
    if not data:
        return None
    try:
        matches = puremagic.magic_string(data)
    except (puremagic.PureError, ValueError):
        return None
    if not matches:
        return None
    best = max(m.confidence for m in matches)
    found: set[MediaType] = set()
    for match in matches:
        if match.confidence == best and match.mime_type in _BY_MIME:
            found.add(_BY_MIME[match.mime_type])
    if len(found) != 1:
        return None
    (media_type,) = found
    if not data.startswith(_LEADING_SIGNATURES[media_type]):
        return None
    return media_type


_BY_MIME: dict[str, MediaType] = {m.value: m for m in MediaType}
