"""``waiting_on``: what a request is waiting for, in words a parent understands."""

from __future__ import annotations

from dme_portal.submissions.models import RequestStatus

_DOC_WORDS = {
    "prescription": "the prescription",
    "letter_of_medical_necessity": "a letter of medical necessity",
    "seating_evaluation": "a seating evaluation",
    "evaluation": "a clinical evaluation",
    "other": "supporting documents",
}


def describe(
    status: RequestStatus,
    *,
    network_name: str,
    out_of_network_lines: int = 0,
    documents_needed: list[str] | None = None,
    rules_approve_on_documents: bool = False,
    extended_period_days: int | None = None,
) -> str:
    """A plain-language sentence naming who must act next and on what.

    ``rules_approve_on_documents``: every open line waits only for documents, and the network's
    rules approve it as soon as they arrive (no reviewer needed).
    """
    if status is RequestStatus.IN_REVIEW and rules_approve_on_documents and documents_needed:
        words = ", ".join(_DOC_WORDS.get(d, d) for d in documents_needed)
        return (
            f"Waiting for the vendor to send {words}: {network_name}'s rules approve the "
            "request as soon as they arrive, with no further review."
        )
    if status is RequestStatus.IN_REVIEW:
        text = f"Waiting for {network_name} to review the request and decide."
        if extended_period_days:
            text = (
                f"Waiting for {network_name} to review the request and decide on the extended "
                f"lifelong period ({extended_period_days} days) the vendor asked for: a person "
                "grants it, not the rules."
            )
        if documents_needed:
            words = ", ".join(_DOC_WORDS.get(d, d) for d in documents_needed)
            text += f" The vendor should send {words}."
        if out_of_network_lines:
            text += (
                f" {out_of_network_lines} item(s) come from a vendor outside the network, so "
                f"{network_name} also needs a letter of agreement with the vendor."
            )
        return text
    if status is RequestStatus.PENDED:
        if documents_needed:
            words = ", ".join(_DOC_WORDS.get(d, d) for d in documents_needed)
            return f"Waiting for the vendor to send {words}, which {network_name} asked for."
        return f"Waiting for the vendor to answer a question from {network_name}."
    if status is RequestStatus.CANCELLED:
        return "Nothing: the vendor cancelled this request."
    return f"Nothing: {network_name} has decided this request."
