"""One check in front of every operation: text the databases cannot store is a 422.

PostgreSQL's ``text`` refuses NUL, and a lone surrogate (JSON ``"\\ud800"``) is not UTF-8: left
to the database, either is a 500 whose traceback quotes the value (a child's name, a note). The
check runs before the body is validated, so pydantic never echoes the value either, and it names
the field: a JSON body's path, a query or path parameter, or a header.
"""

from __future__ import annotations

import json
import re

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from dme_portal.text import first_unstorable, storable

UNSTORABLE_MESSAGE = "Contains a character that cannot be stored (such as NUL); remove it."
# A NUL or a surrogate can only reach a JSON string through an escape: look for one first.
_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def unstorable_error(*loc: str | int) -> RequestValidationError:
    """The 422 for the field at ``loc`` (``("body", "lines", 0, "notes")``); no input echoed."""
    return RequestValidationError(
        [{"type": "string_unstorable", "loc": loc, "msg": UNSTORABLE_MESSAGE, "input": None}]
    )


async def reject_unstorable_text(request: Request) -> None:
    """Refuse (422) NUL or a lone surrogate in the path, query, headers or JSON body."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and not storable(value):
            raise unstorable_error("path", name)
    for name, value in request.query_params.multi_items():
        if not storable(name) or not storable(value):
            raise unstorable_error("query", name if storable(name) else "(name)")
    for name, value in request.headers.items():
        if not storable(value):
            # As the operations declare it (X-Purpose-Of-Use), not as ASGI lower-cases it.
            raise unstorable_error("header", "-".join(p.capitalize() for p in name.split("-")))
    content_type = request.headers.get("content-type", "")
    if "json" not in content_type.split(";", 1)[0]:
        return
    body = await request.body()
    if not _ESCAPE.search(body):
        return
    try:
        document = json.loads(body)
    except ValueError:
        return  # FastAPI answers invalid JSON with its own 422
    found = first_unstorable(document)
    if found is not None:
        raise unstorable_error("body", *found)
