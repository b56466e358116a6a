"""The vendor's forms: a new request (member look-up, code search, live coverage check,
documents, submit once), an answer to an information request, and renewals in a batch.

Each handler calls the service the matching /v1 route calls, in the request's unit of work;
a refused change is undone to a savepoint so that its idempotency claim is not kept.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from dme_portal.api.access import AccessLogDep
from dme_portal.api.deps import ClockDep, SessionDep, SettingsDep
from dme_portal.api.idempotent import claim
from dme_portal.attachments import service as attachment_service
from dme_portal.attachments.storage import DatabaseBlobStore
from dme_portal.audit import repository as audit_repository
from dme_portal.audit.models import AccessAction, Outcome, ResourceType
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.authorizations.renewals import service as renewal_service
from dme_portal.authorizations.renewals.schemas import RenewalItem
from dme_portal.codes import search as code_search
from dme_portal.config import Settings
from dme_portal.errors import DomainError, Forbidden, field_path
from dme_portal.members import service as member_service
from dme_portal.members.service import MemberNotFound
from dme_portal.portal import csrf
from dme_portal.portal.forms import FormErrors, text
from dme_portal.portal.session import PortalPrincipal
from dme_portal.portal.templating import render, templates
from dme_portal.review import service as review_service
from dme_portal.review.schemas import InformationResponseCreate
from dme_portal.rules.ruleset import DocumentType
from dme_portal.submissions import coverage
from dme_portal.submissions import repository as request_repository
from dme_portal.submissions import service as submission_service
from dme_portal.submissions.schemas import AuthorizationRequestCreate

router = APIRouter(include_in_schema=False)

LINE_SLOTS = 3
DIAGNOSIS_SLOTS = 3
LINE_FIELDS = ("hcpcs", "quantity", "start_date", "end_date", "brand", "brand_reason")
SUGGESTIONS = 10
NEW_PATH = "/portal/requests/new"
# An unknown CIN and a wrong date of birth: one message on every part of the form (issue 21).
NO_MEMBER = "No member has this CIN and date of birth. Check both and try again."


def _new_key() -> str:
    return str(uuid.uuid4())


templates.env.globals["new_idempotency_key"] = _new_key
templates.env.globals["no_errors"] = FormErrors()  # never added to
templates.env.globals["document_types"] = [d.value for d in DocumentType]


def _vendor(principal: Principal) -> Principal:
    if principal.role is not Role.VENDOR:
        raise Forbidden("This page is for vendors.")
    return principal


def _htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


@dataclass
class Draft:
    """The form as entered, the body it makes (when valid) and the errors by input name."""

    values: dict[str, str]
    errors: FormErrors
    body: AuthorizationRequestCreate | None = None
    line_slots: list[int] = field(default_factory=list)
    diagnosis_slots: list[int] = field(default_factory=list)

    def input_name(self, path: str) -> str:
        """``lines[1].hcpcs`` -> the input the vendor typed it in, e.g. ``lines-2-hcpcs``."""
        head, _, rest = path.partition(".")
        if head.startswith("lines[") and head.endswith("]"):
            j = int(head[6:-1])
            slot = self.line_slots[j] if j < len(self.line_slots) else 0
            name = rest.split(".", 1)[0].split("[", 1)[0]
            return f"lines-{slot}-{name}" if name in LINE_FIELDS else f"lines-{slot}-hcpcs"
        if head.startswith("diagnoses"):
            if head.endswith("]"):
                k = int(head[head.index("[") + 1 : -1])
                if k < len(self.diagnosis_slots):
                    return f"diagnoses-{self.diagnosis_slots[k]}"
            return "diagnoses-0"
        if head in ("member_cin", "prescriber_npi", "urgency", "expedited_reason", "notes"):
            return head
        if head == "member_birth_date":
            return "birth_date"
        if head == "lines":
            return "lines-0-hcpcs"
        return "form"

    def add_validation(self, exc: ValidationError) -> None:
        for error in exc.errors():
            self.errors.add(self.input_name(field_path(error["loc"])), str(error["msg"]))

    def add_domain(self, exc: DomainError) -> None:
        if exc.errors:
            for error in exc.errors:
                self.errors.add(self.input_name(str(error.get("field", ""))), str(error["message"]))
        else:
            self.errors.add("form", exc.detail)


def _int_or_text(raw: str) -> int | str:
    try:
        return int(raw)
    except ValueError:
        return raw


def read_draft(form: FormData) -> Draft:
    """The form's fields into a submission body; blank line and diagnosis rows are left out."""
    values: dict[str, str] = {}
    for name in ("member_cin", "birth_date", "prescriber_npi", "urgency", "notes"):
        values[name] = text(form, name, max_length=4000)
    values["expedited_reason"] = text(form, "expedited_reason", max_length=2000)
    values["member_cin"] = values["member_cin"].upper()
    draft = Draft(values=values, errors=FormErrors())
    lines: list[dict[str, Any]] = []
    for slot in range(LINE_SLOTS):
        row = {f: text(form, f"lines-{slot}-{f}", max_length=2000) for f in LINE_FIELDS}
        row["hcpcs"] = row["hcpcs"].split(" ", 1)[0].upper()
        for f, v in row.items():
            values[f"lines-{slot}-{f}"] = v
        if not any(row.values()):
            continue
        line: dict[str, Any] = {
            "hcpcs": row["hcpcs"],
            "quantity": _int_or_text(row["quantity"]) if row["quantity"] else None,
            "start_date": row["start_date"] or None,
            "end_date": row["end_date"] or None,
        }
        if row["brand"]:
            line["brand"] = row["brand"]
        if row["brand_reason"]:
            line["brand_reason"] = row["brand_reason"]
        lines.append(line)
        draft.line_slots.append(slot)
    diagnoses: list[str] = []
    for slot in range(DIAGNOSIS_SLOTS):
        raw = text(form, f"diagnoses-{slot}", max_length=100).split(" ", 1)[0].upper()
        values[f"diagnoses-{slot}"] = raw
        if raw:
            diagnoses.append(raw)
            draft.diagnosis_slots.append(slot)
    payload: dict[str, Any] = {
        "member_cin": values["member_cin"],
        "member_birth_date": values["birth_date"] or None,
        "prescriber_npi": values["prescriber_npi"],
        "urgency": values["urgency"] or "standard",
        "diagnoses": diagnoses,
        "lines": lines,
    }
    if values["expedited_reason"]:
        payload["expedited_reason"] = values["expedited_reason"]
    if values["notes"]:
        payload["notes"] = values["notes"]
    if not values["member_cin"]:
        draft.errors.add("member_cin", "Enter the member's CIN.")
    if not values["birth_date"]:
        draft.errors.add("birth_date", "Enter the member's date of birth.")
    if not lines:
        draft.errors.add("lines-0-hcpcs", "Enter at least one item.")
    if not diagnoses:
        draft.errors.add("diagnoses-0", "Enter the primary diagnosis.")
    try:
        draft.body = AuthorizationRequestCreate.model_validate(payload)
    except ValidationError as exc:
        draft.add_validation(exc)
    return draft


def _document(form: FormData) -> tuple[UploadFile | None, DocumentType | None, str | None]:
    """The file chosen (if any) and its type; an error message when the type is missing."""
    upload = form.get("document")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, None, None
    raw = form.get("document_type")
    try:
        return upload, DocumentType(str(raw)), None
    except ValueError:
        return upload, None, "Choose what the document is."


def _form_page(
    request: Request,
    settings: Any,
    principal: Principal,
    draft: Draft,
    *,
    key: str,
    status_code: int = 200,
    member: Any = None,
    member_error: str | None = None,
    result: Any = None,
    coverage_error: str | None = None,
) -> HTMLResponse:
    return render(
        request,
        "vendor/new_request.html",
        settings=settings,
        principal=principal,
        status_code=status_code,
        values=draft.values,
        errors=draft.errors,
        key=key,
        line_slots=range(LINE_SLOTS),
        diagnosis_slots=range(DIAGNOSIS_SLOTS),
        member=member,
        member_error=member_error,
        result=result,
        coverage_error=coverage_error,
    )


@router.get("/requests/new")
async def new_request(
    request: Request, principal: PortalPrincipal, settings: SettingsDep
) -> Response:
    _vendor(principal)
    draft = Draft(values={}, errors=FormErrors())
    return _form_page(request, settings, principal, draft, key=_new_key())


def _fragment(request: Request, name: str, settings: Any, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context)
    csrf.remember_nonce(request, response, settings)
    return response


@router.post("/requests/new/member")
async def look_up_member(
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    """Eligibility by CIN and date of birth, as GET /v1/members/{cin}/eligibility answers."""
    _vendor(principal)
    form = await request.form()
    csrf.verify(request, form, settings)
    draft = read_draft(form)
    cin, birth = draft.values["member_cin"], draft.values["birth_date"]
    member, problem = None, None
    try:
        birth_date = date.fromisoformat(birth)
    except ValueError:
        problem = "Enter the member's CIN and date of birth (YYYY-MM-DD)."
    else:
        action, resource_type = AccessAction.ELIGIBILITY, ResourceType.MEMBER
        await access.guard_member_lookup(principal, action=action, resource_type=resource_type)
        try:
            member = await member_service.eligibility(
                session, principal=principal, cin=cin, birth_date=birth_date, on=clock.now().date()
            )
        except DomainError:
            await access.record_apart(
                principal, action=action, resource_type=resource_type, outcome=Outcome.NOT_FOUND
            )
            problem = NO_MEMBER
        else:
            member_id = await audit_repository.member_id_by_cin(session, cin)
            network_id = member.network.id if member.network else None
            await access.record(
                principal,
                action=action,
                resource_type=resource_type,
                resource_id=member_id,
                network_id=network_id,
                members=[(member_id, network_id)] if member_id else [],
            )
    draft.errors = FormErrors()
    return _part_or_page(
        request,
        settings,
        principal,
        draft,
        form,
        "vendor/_member.html",
        member=member,
        member_error=problem,
    )


@router.post("/requests/new/coverage")
async def check_coverage(
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    """What the network's rules would do with each line now (POST /v1/coverage-checks)."""
    _vendor(principal)
    form = await request.form()
    csrf.verify(request, form, settings)
    draft = read_draft(form)
    result, problem = None, None
    if draft.body is None:
        problem = (
            "Complete the member (CIN and date of birth), diagnosis and items to see what "
            "would be approved."
        )
    else:
        action, resource_type = AccessAction.COVERAGE_CHECK, ResourceType.COVERAGE_CHECK
        await access.guard_member_lookup(principal, action=action, resource_type=resource_type)
        try:
            result = await coverage.check(
                session, principal=principal, body=draft.body, now=clock.now()
            )
        except DomainError as exc:
            not_found = isinstance(exc, MemberNotFound)
            await access.record_apart(
                principal,
                action=action,
                resource_type=resource_type,
                outcome=Outcome.NOT_FOUND if not_found else Outcome.FAILED,
            )
            problem = NO_MEMBER if not_found else exc.detail
        else:
            member_id = await audit_repository.member_id_by_cin(session, draft.body.member_cin)
            await access.record(
                principal,
                action=action,
                resource_type=resource_type,
                network_id=result.network.id,
                members=[(member_id, result.network.id)] if member_id else [],
            )
    return _part_or_page(
        request,
        settings,
        principal,
        draft,
        form,
        "vendor/_coverage.html",
        result=result,
        coverage_error=problem,
    )


def _part_or_page(
    request: Request,
    settings: Settings,
    principal: Principal,
    draft: Draft,
    form: FormData,
    fragment: str,
    **context: Any,
) -> Response:
    """htmx asked for one part of the form (``fragment``); without JS, the whole form again."""
    if _htmx(request):
        return _fragment(request, fragment, settings, **context)
    key = str(form.get("idempotency_key") or _new_key())
    return _form_page(request, settings, principal, draft, key=key, **context)


@router.get("/codes/{code_set}")
async def code_suggestions(
    code_set: str, request: Request, principal: PortalPrincipal, settings: SettingsDep
) -> Response:
    """``<option>``s for a datalist: HCPCS or billable ICD-10-CM codes matching what is typed."""
    q = next((v for v in request.query_params.values() if v.strip()), "").strip()[:100]
    options: list[tuple[str, str]] = []
    if q and code_set == "hcpcs":
        page = code_search.hcpcs_index().search(q, after=None, limit=SUGGESTIONS)
        options = [(e.code, e.description) for e in page.items]
    elif q and code_set == "icd10":
        found = code_search.icd10_index().search(
            q, after=None, limit=SUGGESTIONS, where=lambda c: c.billable
        )
        options = [(c.code, c.description) for c in found.items]
    return _fragment(request, "vendor/_options.html", settings, options=options)


@router.post("/requests/new")
async def submit_request(
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    """Submit once per form: the form's key goes through the idempotency service."""
    _vendor(principal)
    form = await request.form()
    csrf.verify(request, form, settings)
    draft = read_draft(form)
    key = text(form, "idempotency_key", max_length=255)
    upload, document_type, document_problem = _document(form)
    if document_problem:
        draft.errors.add("document_type", document_problem)
    if not key:
        draft.errors.add("form", "This form is out of date: check it and submit again.")
        key = _new_key()
    if draft.errors or draft.body is None:
        return _form_page(request, settings, principal, draft, key=key, status_code=422)
    # Only submits that match no member count against the look-up limit (docs/SECURITY.md).
    await access.guard_member_lookup(
        principal, action=AccessAction.CREATE, resource_type=ResourceType.MEMBER, failed_only=True
    )
    now = clock.now()
    checked = None
    if upload is not None:
        try:
            checked = await attachment_service.checked_file(
                upload, max_bytes=settings.attachments.max_bytes
            )
        except DomainError as exc:
            draft.errors.add("document", exc.detail)
            return _form_page(request, settings, principal, draft, key=key, status_code=422)
    # The same form sent twice is the same submission: the file counts by its content.
    fingerprint = {
        **draft.body.model_dump(mode="json"),
        "document": checked.sha256 if checked else None,
    }
    try:
        async with session.begin_nested():
            claimed = await claim(
                session,
                principal=principal,
                key=key,
                operation="portal.authorization_request.submit",
                payload=fingerprint,
                now=now,
                window=settings.idempotency.window,
            )
            if claimed.replay is not None:
                replayed = uuid.UUID(json.loads(bytes(claimed.replay.body))["id"])
                return RedirectResponse(f"/portal/requests/{replayed}", status_code=303)
            body = draft.body
            if checked is not None and document_type is not None and upload is not None:
                attachment = await attachment_service.upload_unattached(
                    session,
                    store=DatabaseBlobStore(session),
                    principal=principal,
                    document_type=document_type,
                    filename=upload.filename,
                    file=checked,
                    description=None,
                    now=now,
                )
                body = body.model_copy(update={"attachment_ids": [attachment.id]})
            created = await submission_service.submit(
                session,
                principal=principal,
                body=body,
                now=now,
                default_at_risk_fraction=settings.sla.at_risk_fraction,
            )
            await request_repository.load_read_details(session, created)
            await access.record(
                principal,
                action=AccessAction.CREATE,
                resource_type=ResourceType.REQUEST,
                resource_id=created.id,
                requests=[created],
            )
            location = f"/portal/requests/{created.id}"
            await claimed.complete(
                session, status=201, body={"id": str(created.id)}, location=location
            )
    except MemberNotFound as exc:
        # The savepoint is undone; the failed match alone is kept, and counted.
        await access.record_apart(
            principal,
            action=AccessAction.CREATE,
            resource_type=ResourceType.MEMBER,
            outcome=Outcome.NOT_FOUND,
        )
        draft.errors.add("birth_date", NO_MEMBER)
        return _form_page(request, settings, principal, draft, key=key, status_code=exc.status)
    except DomainError as exc:
        draft.add_domain(exc)
        return _form_page(request, settings, principal, draft, key=key, status_code=exc.status)
    return RedirectResponse(location, status_code=303)


@router.post("/requests/{request_id}/information-response")
async def answer_information_request(
    request_id: uuid.UUID,
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    """The answer and a document (POST .../attachments, then .../information-responses)."""
    _vendor(principal)
    form = await request.form()
    csrf.verify(request, form, settings)
    message = text(form, "message", max_length=4000)
    key = text(form, "idempotency_key", max_length=255) or _new_key()
    errors = FormErrors()
    upload, document_type, document_problem = _document(form)
    if document_problem:
        errors.add("document_type", document_problem)
    if not message:
        errors.add("message", "Write your answer to the network's question.")
    now = clock.now()
    if not errors:
        try:
            checked = (
                await attachment_service.checked_file(
                    upload, max_bytes=settings.attachments.max_bytes
                )
                if upload is not None
                else None
            )
            async with session.begin_nested():
                claimed = await claim(
                    session,
                    principal=principal,
                    key=key,
                    operation=f"portal.authorization_request.respond:{request_id}",
                    payload={"message": message, "document": checked.sha256 if checked else None},
                    now=now,
                    window=settings.idempotency.window,
                )
                if claimed.replay is None:
                    ids: list[uuid.UUID] = []
                    if checked is not None and upload is not None and document_type is not None:
                        attachment = await attachment_service.upload(
                            session,
                            store=DatabaseBlobStore(session),
                            principal=principal,
                            request_id=request_id,
                            document_type=document_type,
                            filename=upload.filename,
                            file=checked,
                            description=None,
                            now=now,
                        )
                        ids.append(attachment.id)
                    answered = await review_service.respond(
                        session,
                        principal=principal,
                        request_id=request_id,
                        body=InformationResponseCreate(message=message, attachment_ids=ids),
                        now=now,
                    )
                    await access.record(
                        principal,
                        action=AccessAction.CREATE,
                        resource_type=ResourceType.INFORMATION_REQUEST,
                        resource_id=answered.id,
                        requests=[answered.request],
                    )
                    await claimed.complete(
                        session, status=201, body={"id": str(answered.id)}, location=None
                    )
        except DomainError as exc:
            if exc.status == 404:
                raise
            near = "document" if upload is not None and exc.status in (413, 415) else "message"
            errors.add(near, exc.detail)
    if errors:
        return render(
            request,
            "vendor/answer.html",
            settings=settings,
            principal=principal,
            status_code=422,
            request_id=request_id,
            message=message,
            errors=errors,
            key=key,
        )
    return RedirectResponse(f"/portal/requests/{request_id}", status_code=303)


@router.post("/renewals")
async def renew_selected(
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    """Renew the checked authorizations in one batch (POST /v1/authorization-renewals)."""
    _vendor(principal)
    form = await request.form()
    csrf.verify(request, form, settings)
    chosen: list[uuid.UUID] = []
    for raw in form.getlist("authorization_id"):
        try:
            chosen.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    numbers = {str(a): text(form, f"number-{a}", max_length=40) for a in chosen}
    key = text(form, "idempotency_key", max_length=255) or _new_key()
    now = clock.now()
    problems: list[tuple[str, str]] = []
    filed: list[renewal_service.Filed] = []
    replayed = False
    if not chosen:
        problems.append(("", "Tick at least one authorization to renew."))
    else:
        items = [RenewalItem(authorization_id=a) for a in chosen]
        try:
            async with session.begin_nested():
                claimed = await claim(
                    session,
                    principal=principal,
                    key=key,
                    operation="portal.authorization.renew_batch",
                    payload={"renewals": [str(a) for a in chosen]},
                    now=now,
                    window=settings.idempotency.window,
                )
                if claimed.replay is not None:
                    replayed = True
                else:
                    filed = await renewal_service.renew(
                        session,
                        principal=principal,
                        items=items,
                        batch=True,
                        now=now,
                        store=DatabaseBlobStore(session),
                        default_at_risk_fraction=settings.sla.at_risk_fraction,
                    )
                    await access.record(
                        principal,
                        action=AccessAction.CREATE,
                        resource_type=ResourceType.REQUEST,
                        requests=[f.request for f in filed],
                    )
                    await claimed.complete(
                        session,
                        status=201,
                        body={"renewals": [str(f.request.id) for f in filed]},
                        location=None,
                    )
        except DomainError as exc:
            for error in exc.errors or [{"field": "", "message": exc.detail}]:
                path = str(error.get("field", ""))
                label = ""
                if path.startswith("renewals["):
                    index = int(path[9 : path.index("]")])
                    if index < len(chosen):
                        label = numbers.get(str(chosen[index])) or str(chosen[index])[:8]
                problems.append((label, str(error["message"])))
    if replayed:
        return RedirectResponse("/portal/", status_code=303)
    reads = [(f, submission_service.view(f.request, now=now, viewer=principal.role)) for f in filed]
    return render(
        request,
        "vendor/renewals.html",
        settings=settings,
        principal=principal,
        status_code=422 if problems else 200,
        problems=problems,
        filed=reads,
    )
