"""Reading portal forms: plain fields with limits, and errors kept next to their field."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import FormData


@dataclass
class FormErrors:
    """Messages by field name; the template shows each beside its input."""

    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)


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
