"""Reading portal forms: plain fields with limits, and errors kept next to their field."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from dme_portal.errors import DomainError
from dme_portal.text import storable


@dataclass
class FormErrors:
    """Messages by field name; the template shows each beside its input."""

    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)


# What each field is called on the page, for errors that name a field outside its form.
FIELD_LABELS = {
    "member_cin": "CIN",
    "cin": "CIN",
    "birth_date": "date of birth",
    "prescriber_npi": "prescriber NPI",
    "notes": "notes",
    "expedited_reason": "reason for expediting",
    "message": "message",
    "reason": "reason",
    "username": "user name",
    "password": "password",
    "document_type": "document type",
    "document": "document",
    "etag": "version of the page",
    "idempotency_key": "form key",
    "csrf_token": "security token",
    "effective_to": "end date",
    "csag_id": "condition group",
    "authorization_id": "authorization",
    "status": "status",
    "from": "from date",
    "to": "to date",
    "mode": "mode",
    "months": "months",
    "source": "ruleset text",
}
_LINE_PARTS = {
    "hcpcs": "item code",
    "start": "start date",
    "end": "end date",
    "quantity": "quantity",
    "reason_code": "reason code",
    "outcome": "outcome",
}


def field_label(name: str) -> str:
    """A form field's name in words: ``lines-2-hcpcs`` is "item code of line 2"."""
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    head, _, rest = name.partition("-")
    if head in ("lines", "line", "diagnoses") and rest:
        number, _, part = rest.partition("-")
        if head == "diagnoses":
            return f"diagnosis {number}" if number.isdigit() else "diagnosis"
        words = _LINE_PARTS.get(part) or FIELD_LABELS.get(part) or part.replace("_", " ")
        return f"{words} of line {number}" if number.isdigit() else words
    return name.replace("_", " ").replace("-", " ").strip() or "a field"


class UnstorableInput(DomainError):
    """A form field holds a character no database can store as text (NUL, a lone surrogate)."""

    status = 422
    code = "portal.unstorable_input"
    title = "A field holds a character that cannot be saved"

    def __init__(self, field: str) -> None:
        self.field = field
        self.label = field_label(field)
        super().__init__(
            f"The {self.label} field contains a character that cannot be saved (such as an "
            "invisible NUL character, often pasted from another program). Remove it and "
            "send the form again. Nothing was saved.",
            errors=[{"field": field, "message": "Contains a character that cannot be saved."}],
        )


async def storable_input(request: Request) -> None:
    """Every portal route: refuse (422) a query or form field that text cannot store.

    Runs before the route reads its form (Starlette keeps the parsed form on the request, so
    the route's own ``await request.form()`` reuses it); nothing is read or written first.
    """
    for name, value in request.query_params.multi_items():
        if not storable(name) or not storable(value):
            raise UnstorableInput(name if storable(name) else "form")
    if request.method != "POST":
        return
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return
    form = await request.form()
    for field_name, field_value in form.multi_items():
        if not storable(field_name):
            raise UnstorableInput("form")
        if isinstance(field_value, UploadFile):
            if field_value.filename and not storable(field_value.filename):
                raise UnstorableInput(field_name)
        elif not storable(field_value):
            raise UnstorableInput(field_name)


def text(form: FormData, name: str, *, max_length: int) -> str:
    """A text field, stripped of surrounding space and cut to ``max_length`` characters."""
    value = form.get(name)
    return value.strip()[:max_length] if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True)
class SignInForm:
    username: str
    password: str

    @classmethod
    def parse(cls, form: FormData) -> tuple[SignInForm, FormErrors]:
        errors = FormErrors()
        username = text(form, "username", max_length=100)
        raw_password = form.get("password")
        password = raw_password[:200] if isinstance(raw_password, str) else ""
        if not username:
            errors.add("username", "Enter your user name.")
        if not password:
            errors.add("password", "Enter your password.")
        return cls(username=username, password=password), errors
