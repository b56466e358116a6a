"""Rendering: one Jinja2 environment, the page CSP, the CSRF token and the role's navigation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from dme_portal import __version__
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.portal import csrf

HERE = Path(__file__).resolve().parent
STATIC_URL = "/portal/static"
# 'self' only: no inline script or style anywhere (htmx's inline indicator style is off).
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)

ROLE_NAMES: dict[Role, str] = {
    Role.VENDOR: "Vendor",
    Role.REVIEWER: "Reviewer",
    Role.MEDICAL_DIRECTOR: "Medical director",
    Role.NETWORK_ADMIN: "Network administrator",
    Role.CARE_COORDINATOR: "Care coordinator",
    Role.PLAN_ADMIN: "Plan administrator",
}


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    href: str


def navigation(principal: Principal | None) -> list[NavItem]:
    """The links a role has; later slices add the reviewer queue, rulesets and the rest."""
    if principal is None:
        return []
    if principal.role is Role.VENDOR:
        return [NavItem("Dashboard", "/portal/"), NavItem("New request", "/portal/requests/new")]
    if principal.role in (Role.REVIEWER, Role.MEDICAL_DIRECTOR):
        return [NavItem("Home", "/portal/"), NavItem("Review queue", "/portal/review")]
    if principal.role is Role.CARE_COORDINATOR:
        return [NavItem("Home", "/portal/"), NavItem("Find a child", "/portal/coordinator")]
    if principal.role is Role.NETWORK_ADMIN:
        return [
            NavItem("Home", "/portal/"),
            NavItem("Network rules", "/portal/ruleset"),
            NavItem("Network dashboard", "/portal/plan"),
        ]
    if principal.role is Role.PLAN_ADMIN:
        return [NavItem("Home", "/portal/"), NavItem("Plan dashboard", "/portal/plan")]
    return [NavItem("Home", "/portal/")]


def _countdown(due: datetime, now: datetime) -> str:
    """'due in 2 days 3 hours' or 'overdue by 5 hours', to the hour."""
    seconds = int((due - now).total_seconds())
    hours = abs(seconds) // 3600
    days, rest = divmod(hours, 24)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if rest or not days:
        parts.append(f"{rest} hour{'s' if rest != 1 else ''}" if hours else "less than an hour")
    text = " ".join(parts)
    return f"due in {text}" if seconds >= 0 else f"overdue by {text}"


def _plain(value: object) -> str:
    """An enum value in words: ``partially_approved`` -> ``partially approved``."""
    text = str(getattr(value, "value", value))
    return text.replace("_", " ")


templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(static_url=STATIC_URL, version=__version__, role_names=ROLE_NAMES)
templates.env.filters.update(plain=_plain)
templates.env.globals["countdown"] = _countdown


def render(
    request: Request,
    name: str,
    *,
    settings: Settings,
    principal: Principal | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A full page with its CSP, this browser's CSRF token and the role's navigation."""
    response = templates.TemplateResponse(
        request,
        name,
        {
            "principal": principal,
            "role_name": ROLE_NAMES.get(principal.role, principal.role.value) if principal else "",
            "nav": navigation(principal),
            "csrf_token": csrf.token_for(request, settings),
            "csrf_field": csrf.CSRF_FIELD,
            **context,
        },
        status_code=status_code,
    )
    response.headers["Content-Security-Policy"] = PAGE_CSP
    csrf.remember_nonce(request, response, settings)
    return response
