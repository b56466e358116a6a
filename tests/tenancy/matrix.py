"""The checks every call of the matrix gets: no secret of tenant 1 in the answer, nothing of
tenant 1 changed, and (for tenant 1's objects in the path) the answer a ghost object gets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

import httpx

from tenancy.world import Actor, Tenant1


def sent_text(request: httpx.Request) -> str:
    """Everything the caller sent (URL with query, body): what an answer may echo back."""
    try:
        content = request.content
    except httpx.RequestNotRead:  # a multipart upload, streamed: it carries no secret
        content = b""
    body = content.decode("utf-8", "replace")

    return unquote_plus(str(request.url)) + "\n" + unquote_plus(body)


def leaked(one: Tenant1, actor: Actor, response: httpx.Response) -> dict[str, str]:
    """Tenant 1's secrets in the answer (body and headers) that the caller did not send.

    A vendor that names a member's CIN and birth date learns who and where the member is
    (eligibility, DESIGN §3): then the identity is not counted, the clinical content still is.
    """
    sent = sent_text(response.request)
    allowed = {k for k, v in one.all_secrets().items() if v in sent}
    if actor.is_vendor and one.identity["cin"] in sent and one.identity["birth_date"] in sent:
        allowed |= set(one.identity)
    answer = response.content.decode("utf-8", "replace") + "\n" + _headers(response.headers)
    return {k: v for k, v in one.all_secrets().items() if k not in allowed and v in answer}


def _headers(headers: Mapping[str, str]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in headers.items())


def describe(response: httpx.Response) -> str:
    return (
        f"{response.request.method} {response.request.url} -> {response.status_code}: "
        + (response.text[:600])
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    return json.dumps(
        {k: [str(before[k]), str(after[k])] for k in before if before[k] != after[k]}, indent=1
    )
