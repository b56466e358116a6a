"""Small, real, one-page PDFs for the demo's attachments (synthetic content only)."""

from __future__ import annotations

from collections.abc import Sequence

TITLES = {
    "prescription": "Prescription (Rx) for durable medical equipment",
    "seating_evaluation": "Seating and mobility evaluation (PT/OT)",
    "letter_of_medical_necessity": "Letter of medical necessity",
    "evaluation": "Clinical evaluation",
    "other": "Supporting document",
}
_BANNER = "SYNTHETIC DEMO DOCUMENT - no real person or clinician"


def _escape(text: str) -> str:
    ascii_text = text.encode("ascii", "replace").decode("ascii")
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _page_content(title: str, lines: Sequence[str]) -> bytes:
    ops = ["BT", "/F1 15 Tf", "56 760 Td", f"({_escape(title)}) Tj", "/F1 10 Tf", "0 -22 Td"]
    ops.append(f"({_escape(_BANNER)}) Tj")
    for line in lines:
        ops += ["0 -16 Td", f"({_escape(line)}) Tj"]
    ops.append("ET")
    return "\n".join(ops).encode("ascii")


def demo_pdf(document_type: str, lines: Sequence[str]) -> bytes:
    """A valid one-page PDF (Helvetica text, correct cross-reference table)."""
    content = _page_content(TITLES.get(document_type, TITLES["other"]), lines)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
