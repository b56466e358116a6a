"""The network admin's rules page: the ruleset in force, the draft editor (a form for the
common edits and the whole document as JSON), validation, publishing, the version history with
its diff, and the members assigned to CSAGs.

Every change goes through ``rulesets.service``, as ``PUT .../ruleset/draft``, ``POST
.../ruleset/draft/validate``, ``POST .../ruleset/publish`` and the CSAG assignment endpoints do.
The draft form carries the draft's ETag: a save over a newer draft is refused ("changed since
you opened it"), exactly as the API's ``If-Match`` is.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from dme_portal.api.access import AccessLogDep, AccessLogger
from dme_portal.api.deps import ClockDep, SessionDep, SettingsDep
from dme_portal.audit.models import AccessAction, ResourceType
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import Settings
from dme_portal.errors import Forbidden, InvalidInput, PreconditionFailed, field_path
from dme_portal.portal import csrf
from dme_portal.portal.forms import FormErrors, text
from dme_portal.portal.session import PortalPrincipal
from dme_portal.portal.templating import render
from dme_portal.rules.ruleset import RuleSet
from dme_portal.rulesets import repository
from dme_portal.rulesets import service as ruleset_service
from dme_portal.rulesets.exceptions import ConcurrentChange, DraftInvalid
from dme_portal.rulesets.models import RulesetDraft
from dme_portal.rulesets.schemas import CsagAssignmentCreate, ValidationIssue
from dme_portal.sla.clock import Clock

router = APIRouter(include_in_schema=False)

PAGE = "/portal/ruleset"
ASSIGNMENT_ROWS = 100
MAX_JSON_CHARS = 200_000
STALE = (
    "The draft changed since you opened it: someone saved it after you loaded this page. "
    "Nothing was saved. The page now shows the current draft; make your change again."
)
# The structured form's number fields and where they live in the document.
NUMBER_FIELDS: dict[str, tuple[str, str]] = {
    "default_days": ("durations", "default_days"),
    "lifelong_days": ("durations", "lifelong_days"),
    "max_days": ("durations", "max_days"),
    "standard_hours": ("sla", "standard_hours"),
    "expedited_hours": ("sla", "expedited_hours"),
    "window_days": ("renewals", "window_days"),
}
# Validation paths shown beside a form field (the rest beside the JSON).
PATH_TO_FIELD = {f"{section}.{key}": name for name, (section, key) in NUMBER_FIELDS.items()}
PATH_TO_FIELD["durations"] = "max_days"
_NOTICES = {
    "saved": "Draft saved.",
    "published": "Published. Requests submitted from now on use the new version.",
    "assigned": "Member assigned.",
    "ended": "Assignment ended.",
}


def _admin(principal: Principal) -> uuid.UUID:
    """The network the principal administers; anyone else gets the 403 page."""
    if principal.role is not Role.NETWORK_ADMIN or principal.org_kind is not OrgKind.NETWORK:
        raise Forbidden("This page is for network administrators.")
    return principal.org_id


def _etag(draft: RulesetDraft | None) -> str:
    return f'"d{draft.revision}"' if draft is not None else ""


async def _base_document(session: AsyncSession, network_id: uuid.UUID) -> dict[str, Any]:
    """What the editor starts from: the draft, else the version in force, else the defaults
    (a deep copy: the edits must not touch the loaded row's JSON in place)."""
    found = await repository.get_draft(session, network_id)
    if found is not None:
        return copy.deepcopy(found.document)
    current = await repository.current_version(session, network_id)
    if current is not None:
        return copy.deepcopy(current.document)
    return RuleSet().model_dump(mode="json")


def _section(document: dict[str, Any], name: str) -> dict[str, Any]:
    value = document.get(name)
    if not isinstance(value, dict):
        value = {}
        document[name] = value
    return value


def _list(document: dict[str, Any], name: str) -> list[Any]:
    """A list of the draft, or none when the draft holds something else there."""
    value = document.get(name)
    return value if isinstance(value, list) else []


def _form_values(document: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, (section, key) in NUMBER_FIELDS.items():
        part = document.get(section)
        values[name] = part.get(key, "") if isinstance(part, dict) else ""
    return values


def _csag_items(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(csag id, item code) of every item of the draft, for the "remove an item" list."""
    out: list[tuple[str, str]] = []
    # A draft is kept even when it is not the schema: any JSON value may stand anywhere.
    csags = document.get("csags")
    for csag in csags if isinstance(csags, list) else []:
        if isinstance(csag, dict):
            items = csag.get("items")
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict):
                    out.append((str(csag.get("id")), str(item.get("hcpcs"))))
    return out


def _split_issues(issues: list[ValidationIssue]) -> tuple[FormErrors, list[ValidationIssue]]:
    """Issues of the form's fields (beside them), and the others (beside the JSON)."""
    by_field = FormErrors()
    for issue in issues:
        name = PATH_TO_FIELD.get(issue.field)
        if name is not None:
            by_field.add(name, f"{issue.field}: {issue.message}")
    return by_field, issues


async def _page(
    request: Request,
    *,
    principal: Principal,
    settings: Settings,
    session: AsyncSession,
    access: AccessLogger,
    network_id: uuid.UUID,
    status_code: int = 200,
    notice: str | None = None,
    problem: str | None = None,
    form_errors: FormErrors | None = None,
    json_error: str | None = None,
    json_text: str | None = None,
    assign_errors: FormErrors | None = None,
    assign_values: dict[str, str] | None = None,
    today: date,
) -> Response:
    current = await repository.current_version(session, network_id)
    versions = await repository.list_versions(session, network_id)
    draft = await repository.get_draft(session, network_id)
    document = await _base_document(session, network_id)
    issues: list[ValidationIssue] = []
    if draft is not None:
        issues = await ruleset_service.validate_draft(
            session, principal=principal, network_id=network_id
        )
    field_issues, all_issues = _split_issues(issues)
    if notice == _NOTICES["saved"] and all_issues:
        notice = "Draft saved, with problems to fix before publishing (listed below)."
    errors = form_errors or FormErrors()
    for name, message in field_issues.by_field.items():
        errors.add(name, message)
    rows = await ruleset_service.list_assignments(
        session,
        principal=principal,
        network_id=network_id,
        member_cin=None,
        csag_id=None,
        after=None,
        limit=ASSIGNMENT_ROWS,
    )
    await access.record(
        principal,
        action=AccessAction.LIST,
        resource_type=ResourceType.CSAG_ASSIGNMENT,
        network_id=network_id,
        members=[(a.member_id, a.network_id) for a, _ in rows],
    )
    published = RuleSet.model_validate(current.document) if current is not None else None
    return render(
        request,
        "ruleset/page.html",
        settings=settings,
        principal=principal,
        status_code=status_code,
        notice=notice,
        problem=problem,
        current=current,
        rules=published,
        versions=versions,
        draft=draft,
        etag=_etag(draft),
        values=_form_values(document),
        csag_items=_csag_items(document),
        csag_ids=[c.id for c in published.csags] if published else [],
        errors=errors,
        issues=all_issues,
        json_text=json_text if json_text is not None else json.dumps(document, indent=2),
        json_error=json_error,
        # What "Discard the draft" saves in its place: the version in force, else the defaults.
        discard_text=json.dumps(
            current.document if current is not None else RuleSet().model_dump(mode="json")
        ),
        assignments=rows,
        assign_errors=assign_errors or FormErrors(),
        assign_values=assign_values or {"effective_from": today.isoformat()},
        today=today,
    )


@router.get("/ruleset")
async def ruleset_page(
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    network_id = _admin(principal)
    notice = _NOTICES.get(request.query_params.get("done", ""))
    return await _page(
        request,
        principal=principal,
        settings=settings,
        session=session,
        access=access,
        network_id=network_id,
        notice=notice,
        today=clock.now().date(),
    )


def _apply_form(form: FormData, document: dict[str, Any], errors: FormErrors) -> None:
    """The structured form's edits, applied to ``document`` (input errors go to ``errors``)."""
    for name, (section, key) in NUMBER_FIELDS.items():
        raw = text(form, name, max_length=20)
        if not raw:
            continue
        try:
            _section(document, section)[key] = int(raw)
        except ValueError:
            errors.add(name, "Enter a whole number.")
    remove = text(form, "remove_item", max_length=100)
    if remove:
        csag_id, _, code = remove.partition("|")
        csags = document.get("csags")
        for csag in csags if isinstance(csags, list) else []:
            if isinstance(csag, dict) and csag.get("id") == csag_id:
                items = csag.get("items")
                items = items if isinstance(items, list) else []
                csag["items"] = [
                    i for i in items if not (isinstance(i, dict) and i.get("hcpcs") == code)
                ]
    add_code = text(form, "add_hcpcs", max_length=10).upper()
    if add_code:
        target = text(form, "add_csag", max_length=64)
        numbers: dict[str, int] = {}
        for name in ("add_units", "add_days"):
            try:
                numbers[name] = int(text(form, name, max_length=10))
            except ValueError:
                errors.add(name, "Enter a whole number.")
        csag = next(
            (c for c in _list(document, "csags") if isinstance(c, dict) and c.get("id") == target),
            None,
        )
        if csag is None:
            errors.add("add_csag", "Choose the CSAG to add the item to.")
        elif len(numbers) == 2:
            if not isinstance(csag.get("items"), list):
                csag["items"] = []
            csag["items"].append(
                {
                    "hcpcs": add_code,
                    "modifiers": [],
                    "max_units_per_month": numbers["add_units"],
                    "max_period_days": numbers["add_days"],
                }
            )
    limit_code = text(form, "limit_hcpcs", max_length=10).upper()
    if limit_code:
        try:
            units = int(text(form, "limit_units", max_length=10))
        except ValueError:
            errors.add("limit_units", "Enter a whole number.")
        else:
            limits = [
                q
                for q in _list(document, "quantity_limits")
                if not (isinstance(q, dict) and q.get("hcpcs") == limit_code)
            ]
            limits.append({"hcpcs": limit_code, "max_units_per_month": units})
            document["quantity_limits"] = limits


async def _save(
    session: AsyncSession,
    *,
    principal: Principal,
    network_id: uuid.UUID,
    document: dict[str, Any],
    etag: str,
    clock: Clock,
) -> None:
    await ruleset_service.save_draft(
        session,
        principal=principal,
        network_id=network_id,
        document=document,
        if_match=etag or None,
        if_none_match=None if etag else "*",
        now=clock.now(),
    )


def _page_args(
    principal: Principal,
    settings: Settings,
    session: AsyncSession,
    access: AccessLogger,
    network_id: uuid.UUID,
    clock: Clock,
) -> dict[str, Any]:
    """What ``_page`` needs besides the request, when a form post renders the page again."""
    return {
        "principal": principal,
        "settings": settings,
        "session": session,
        "access": access,
        "network_id": network_id,
        "today": clock.now().date(),
    }


@router.post("/ruleset/draft")
async def save_draft(
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    """Save the draft from the form (``mode=form``) or from the whole JSON (``mode=json``)."""
    network_id = _admin(principal)
    form = await request.form()
    csrf.verify(request, form, settings)
    etag = text(form, "etag", max_length=20)
    page_args = _page_args(principal, settings, session, access, network_id, clock)
    draft = await repository.get_draft(session, network_id)
    if etag != _etag(draft):
        return await _page(request, status_code=409, problem=STALE, **page_args)
    if form.get("mode") == "json":
        raw = form.get("document")
        source = raw[:MAX_JSON_CHARS] if isinstance(raw, str) else ""
        try:
            document = json.loads(source)
        except json.JSONDecodeError as exc:
            message = f"This is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
            return await _page(
                request, status_code=422, json_error=message, json_text=source, **page_args
            )
        if not isinstance(document, dict):
            return await _page(
                request,
                status_code=422,
                json_error="The ruleset must be a JSON object ({ ... }).",
                json_text=source,
                **page_args,
            )
    else:
        document = await _base_document(session, network_id)
        errors = FormErrors()
        _apply_form(form, document, errors)
        if errors:
            return await _page(request, status_code=422, form_errors=errors, **page_args)
    try:
        await _save(
            session,
            principal=principal,
            network_id=network_id,
            document=document,
            etag=etag,
            clock=clock,
        )
    except (PreconditionFailed, ConcurrentChange):
        await session.rollback()
        return await _page(request, status_code=409, problem=STALE, **page_args)
    return RedirectResponse(f"{PAGE}?done=saved#draft", status_code=303)


@router.post("/ruleset/publish")
async def publish(
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    network_id = _admin(principal)
    form = await request.form()
    csrf.verify(request, form, settings)
    etag = text(form, "etag", max_length=20)
    page_args = _page_args(principal, settings, session, access, network_id, clock)
    try:
        await ruleset_service.publish(
            session,
            principal=principal,
            network_id=network_id,
            if_match=etag or '"none"',
            now=clock.now(),
        )
    except (PreconditionFailed, ConcurrentChange):
        await session.rollback()
        return await _page(request, status_code=409, problem=STALE, **page_args)
    except DraftInvalid:
        return await _page(
            request,
            status_code=409,
            problem="The draft has problems (listed beside its fields): fix them, then publish.",
            **page_args,
        )
    return RedirectResponse(f"{PAGE}?done=published", status_code=303)


@router.get("/ruleset/diff")
async def version_diff(
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
) -> Response:
    """What changed between two versions (``?from=1&to=2``; version numbers only)."""
    network_id = _admin(principal)
    versions = await repository.list_versions(session, network_id)
    numbers = [v.version for v in versions]

    def pick(name: str, default: int) -> int:
        try:
            value = int(request.query_params.get(name, ""))
        except ValueError:
            return default
        return value if value in numbers else default

    to_version = pick("to", numbers[0] if numbers else 0)
    from_version = pick("from", numbers[1] if len(numbers) > 1 else to_version)
    changes: list[tuple[str, Any, Any]] = []
    if numbers:
        changes = await ruleset_service.diff(
            session,
            principal=principal,
            network_id=network_id,
            from_version=from_version,
            to_version=to_version,
        )
    rows = [
        {
            "path": path,
            "kind": "added" if before is None else "removed" if after is None else "changed",
            "before": "" if before is None else json.dumps(before),
            "after": "" if after is None else json.dumps(after),
        }
        for path, before, after in changes
    ]
    return render(
        request,
        "ruleset/diff.html",
        settings=settings,
        principal=principal,
        versions=versions,
        from_version=from_version,
        to_version=to_version,
        rows=rows,
    )


def _first_error(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.errors():
        name = field_path(list(e["loc"])) or "member_cin"
        out.setdefault(name, str(e["msg"]).removeprefix("Value error, "))
    return out


@router.post("/ruleset/assignments")
async def add_assignment(
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    """Assign a member (by CIN, in the form body) to one of the published CSAGs."""
    network_id = _admin(principal)
    form = await request.form()
    csrf.verify(request, form, settings)
    values = {
        "member_cin": text(form, "member_cin", max_length=20).upper(),
        "csag_id": text(form, "csag_id", max_length=64),
        "effective_from": text(form, "effective_from", max_length=10),
        "effective_to": text(form, "effective_to", max_length=10),
    }
    errors = FormErrors()
    body: CsagAssignmentCreate | None = None
    try:
        body = CsagAssignmentCreate.model_validate(
            {k: v for k, v in values.items() if v or k != "effective_to"}
        )
    except ValidationError as exc:
        for name, message in _first_error(exc).items():
            errors.add(name, message)
    if body is not None:
        try:
            a, _ = await ruleset_service.assign(
                session, principal=principal, network_id=network_id, body=body, now=clock.now()
            )
        except InvalidInput as exc:
            for e in exc.errors or []:
                errors.add(str(e["field"]), str(e["message"]))
        else:
            await access.record(
                principal,
                action=AccessAction.CREATE,
                resource_type=ResourceType.CSAG_ASSIGNMENT,
                resource_id=a.id,
                members=[(a.member_id, a.network_id)],
            )
            return RedirectResponse(f"{PAGE}?done=assigned#assignments", status_code=303)
    return await _page(
        request,
        principal=principal,
        settings=settings,
        session=session,
        access=access,
        network_id=network_id,
        status_code=422,
        assign_errors=errors,
        assign_values=values,
        today=clock.now().date(),
    )


@router.post("/ruleset/assignments/{assignment_id}/end")
async def end_assignment(
    assignment_id: uuid.UUID,
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    network_id = _admin(principal)
    form = await request.form()
    csrf.verify(request, form, settings)
    raw = text(form, "effective_to", max_length=10)
    try:
        effective_to = date.fromisoformat(raw) if raw else clock.now().date()
    except ValueError as exc:
        raise InvalidInput("effective_to", "enter a date like 2026-11-30") from exc
    a, _ = await ruleset_service.end_assignment(
        session,
        principal=principal,
        network_id=network_id,
        assignment_id=assignment_id,
        effective_to=effective_to,
        now=clock.now(),
    )
    await access.record(
        principal,
        action=AccessAction.CHANGE,
        resource_type=ResourceType.CSAG_ASSIGNMENT,
        resource_id=a.id,
        members=[(a.member_id, a.network_id)],
    )
    return RedirectResponse(f"{PAGE}?done=ended#assignments", status_code=303)
