"""Attachments of an authorization request: upload, list, download."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import AfterValidator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Receive

from dme_portal.api import idempotent
from dme_portal.api.access import AccessLogDep, AccessLogger, location_id
from dme_portal.api.deps import Authenticator, ClockDep, SessionDep, SettingsDep
from dme_portal.api.idempotent import REQUIRES_KEY, IdempotencyKey
from dme_portal.api.params import RequestId
from dme_portal.api.problem import problem_responses
from dme_portal.attachments import service as attachment_service
from dme_portal.attachments.exceptions import AttachmentTooLarge
from dme_portal.attachments.models import Attachment
from dme_portal.attachments.schemas import (
    DESCRIPTION_MAX_LENGTH,
    AttachmentList,
    AttachmentRead,
    clean_description,
)
from dme_portal.attachments.sniff import MediaType
from dme_portal.attachments.storage import BlobStore, DatabaseBlobStore
from dme_portal.audit.models import AccessAction, ResourceType
from dme_portal.auth.policies import CLINICAL_READERS
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import VENDOR_ROLES
from dme_portal.config import Settings
from dme_portal.rules.ruleset import DocumentType

# Room for the multipart envelope around the file: boundaries, part headers, the other fields.
ENVELOPE_ALLOWANCE = 64 * 1024


class _BodyTooLarge(Exception):
    pass


class _CappedReceive:
    """Counts request body bytes and gives up past ``cap``."""

    def __init__(self, receive: Receive, cap: int) -> None:
        self._receive = receive
        self._cap = cap
        self._seen = 0
        self.exceeded = False

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self._seen += len(message.get("body", b""))
            if self._seen > self._cap:
                self.exceeded = True
                raise _BodyTooLarge
        return message


class BodyCappedRoute(APIRoute):
    """Refuses bodies larger than the attachment limit (plus the envelope) with a 413.

    The multipart parser spools the whole file to a temporary file before the endpoint runs,
    so without this cap an endless body would fill the disk before the service could count
    its chunks. The limit comes from the app's settings, hence a route class rather than
    FastAPI's static ``max_body_size``.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def capped(request: Request) -> Response:
            settings: Settings = request.app.state.settings
            max_bytes = settings.attachments.max_bytes
            cap = max_bytes + ENVELOPE_ALLOWANCE
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise AttachmentTooLarge(max_bytes)
            receive = _CappedReceive(request.receive, cap)
            try:
                return await handler(Request(request.scope, receive))
            except StarletteHTTPException:
                # FastAPI reports any failure while parsing the form as a 400.
                if receive.exceeded:
                    raise AttachmentTooLarge(max_bytes) from None
                raise

        return capped


router = APIRouter(
    prefix="/authorization-requests/{request_id}/attachments",
    tags=["attachments"],
    route_class=BodyCappedRoute,
)

VendorPrincipal = Annotated[Principal, Depends(Authenticator(roles=VENDOR_ROLES))]
# Documents are clinical: status readers (auth.policies) read waiting_on, not documents (403).
DocumentReader = Annotated[Principal, Depends(Authenticator(roles=CLINICAL_READERS))]


def get_blob_store(session: SessionDep) -> BlobStore:
    """The database blob store, in the request's unit of work."""
    return DatabaseBlobStore(session)


BlobStoreDep = Annotated[BlobStore, Depends(get_blob_store)]

_MEDIA_TYPES = ", ".join(m.value for m in MediaType)


_UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    **problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 428),
    400: {**problem_responses(400)[400], "description": "The multipart body is malformed"},
    415: {
        **problem_responses(415)[415],
        "description": "The file is not a PDF, PNG, JPEG or TIFF (judged by its content)",
    },
}
FileField = Annotated[
    UploadFile, File(description=f"The document: {_MEDIA_TYPES}, identified by its content.")
]
DescriptionField = Annotated[
    str | None,
    Form(
        max_length=DESCRIPTION_MAX_LENGTH,
        description="What the document is, in a few words, e.g. `Seating evaluation by the "
        "CCS therapist`; blank means none.",
    ),
    AfterValidator(clean_description),
]
DocumentTypeField = Annotated[
    DocumentType,
    Form(description="What the document is; the network's documentation rules count it."),
]
AttachmentId = Annotated[uuid.UUID, Path(description="The attachment's `id`.")]


async def _upload_once(
    session: SessionDep,
    principal: Principal,
    *,
    key: str | None,
    operation: str,
    file: UploadFile,
    document_type: DocumentType,
    description: str | None,
    max_bytes: int,
    now: datetime,
    window: timedelta,
    store_it: Callable[[attachment_service.CheckedFile], Awaitable[Attachment]],
    access: AccessLogger,
    location_of: Callable[[Attachment], str] | None = None,
) -> JSONResponse:
    """Check the file, claim the Idempotency-Key, store once; a retry replays the first answer."""
    checked = await attachment_service.checked_file(file, max_bytes=max_bytes)
    # The same bytes, name, type and description under the same key are the same upload.
    fingerprint = {
        "sha256": checked.sha256,
        "filename": file.filename,
        "document_type": document_type.value,
        "description": description,
    }
    claimed = await idempotent.claim(
        session,
        principal=principal,
        key=key,
        operation=operation,
        payload=fingerprint,
        now=now,
        window=window,
    )
    if claimed.replay is not None:
        replayed = location_id(claimed.replay)
        await access.record(
            principal,
            action=AccessAction.READ,
            resource_type=ResourceType.ATTACHMENT,
            resource_id=replayed,
        )
        return claimed.replay
    attachment = await store_it(checked)
    await access.record(
        principal,
        action=AccessAction.CREATE,
        resource_type=ResourceType.ATTACHMENT,
        resource_id=attachment.id,
        request_ids=[attachment.request_id] if attachment.request_id else [],
    )
    payload = AttachmentRead.model_validate(attachment).model_dump(mode="json")
    location = location_of(attachment) if location_of is not None else None
    await claimed.complete(session, status=201, body=payload, location=location)
    return JSONResponse(
        payload, status_code=201, headers={"Location": location} if location else None
    )


@router.post(
    "",
    operation_id="uploadAttachment",
    status_code=201,
    response_model=AttachmentRead,
    openapi_extra=REQUIRES_KEY,
    responses=_UPLOAD_RESPONSES,
    summary="Attach a document to a request",
)
async def upload(
    request_id: RequestId,
    principal: VendorPrincipal,
    session: SessionDep,
    store: BlobStoreDep,
    clock: ClockDep,
    settings: SettingsDep,
    file: FileField,
    document_type: DocumentTypeField,
    access: AccessLogDep,
    description: DescriptionField = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The request's vendor attaches a document while the request is in review or pended.

    The type is sniffed from the bytes; the declared Content-Type and the file name's
    extension are ignored. The upload is recorded on the request's timeline. When the document
    completes what the network's rules ask for, the lines the rules then approve get their
    authorization in this call. Retried with the same Idempotency-Key, it answers as the first
    time and stores nothing new.
    """
    now = clock.now()

    async def attach(checked: attachment_service.CheckedFile) -> Attachment:
        return await attachment_service.upload(
            session,
            store=store,
            principal=principal,
            request_id=request_id,
            document_type=document_type,
            filename=file.filename,
            file=checked,
            description=description,
            now=now,
        )

    return await _upload_once(
        session,
        principal,
        key=idempotency_key,
        operation=f"attachment.upload:{request_id}",
        file=file,
        document_type=document_type,
        description=description,
        max_bytes=settings.attachments.max_bytes,
        window=settings.idempotency.window,
        now=now,
        store_it=attach,
        access=access,
    )


unattached_router = APIRouter(
    prefix="/attachments", tags=["attachments"], route_class=BodyCappedRoute
)


@unattached_router.post(
    "",
    operation_id="uploadDocument",
    status_code=201,
    response_model=AttachmentRead,
    openapi_extra=REQUIRES_KEY,
    responses={
        201: {
            "description": "Stored; name its id in `attachment_ids` when you submit",
            "headers": {
                "Location": {"description": "URL of the upload", "schema": {"type": "string"}}
            },
        },
        **{k: v for k, v in _UPLOAD_RESPONSES.items() if k != 404},
    },
    summary="Upload a document before submitting",
)
async def upload_unattached(
    request: Request,
    principal: VendorPrincipal,
    session: SessionDep,
    store: BlobStoreDep,
    clock: ClockDep,
    settings: SettingsDep,
    file: FileField,
    document_type: DocumentTypeField,
    access: AccessLogDep,
    description: DescriptionField = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Upload a prescription, letter or evaluation first, then name it in the submission's
    `attachment_ids` (or in a coverage check's) so the network's rules count it at once.

    Same checks and limits as attaching to a request. An upload no submission names is
    deleted after a day (`expires_at`).
    """
    now = clock.now()

    async def keep(checked: attachment_service.CheckedFile) -> Attachment:
        return await attachment_service.upload_unattached(
            session,
            store=store,
            principal=principal,
            document_type=document_type,
            filename=file.filename,
            file=checked,
            description=description,
            now=now,
        )

    return await _upload_once(
        session,
        principal,
        key=idempotency_key,
        operation="attachment.upload",
        file=file,
        document_type=document_type,
        description=description,
        max_bytes=settings.attachments.max_bytes,
        window=settings.idempotency.window,
        now=now,
        store_it=keep,
        access=access,
        location_of=lambda a: str(request.url_for("get_upload", attachment_id=a.id).path),
    )


@unattached_router.get(
    "/{attachment_id}",
    operation_id="getUploadedDocument",
    name="get_upload",
    response_model=AttachmentRead,
    responses=problem_responses(401, 403, 404, 422),
    summary="Read one of your uploads",
)
async def get_upload(
    attachment_id: AttachmentId,
    principal: VendorPrincipal,
    session: SessionDep,
    access: AccessLogDep,
) -> AttachmentRead:
    """Your upload's metadata: whether a request holds it yet, and when it expires if not."""
    found = await attachment_service.get_own_upload(
        session, principal=principal, attachment_id=attachment_id
    )
    await access.record(
        principal,
        action=AccessAction.READ,
        resource_type=ResourceType.ATTACHMENT,
        resource_id=found.id,
        request_ids=[found.request_id] if found.request_id else [],
    )
    return AttachmentRead.model_validate(found)


@router.get(
    "",
    operation_id="listAttachments",
    response_model=AttachmentList,
    responses=problem_responses(401, 403, 404, 422),
    summary="List a request's attachments",
)
async def list_attachments(
    request_id: RequestId, principal: DocumentReader, session: SessionDep, access: AccessLogDep
) -> AttachmentList:
    """Oldest first; 404 when the request is outside your scope."""
    rows = await attachment_service.list_attachments(
        session, principal=principal, request_id=request_id
    )
    await access.record(
        principal,
        action=AccessAction.LIST,
        resource_type=ResourceType.ATTACHMENT,
        resource_id=request_id,
        request_ids=[request_id],
    )
    return AttachmentList(items=[AttachmentRead.model_validate(a) for a in rows])


_DOWNLOAD_HEADERS = {
    "Content-Disposition": {
        "description": 'Always `attachment; filename="..."` with the sanitised name',
        "schema": {"type": "string"},
    },
    "X-Content-Type-Options": {"description": "`nosniff`", "schema": {"type": "string"}},
    "Cache-Control": {"description": "`private, no-store`", "schema": {"type": "string"}},
}


@router.get(
    "/{attachment_id}/content",
    operation_id="downloadAttachment",
    response_class=Response,
    responses={
        200: {
            "description": "The file, with its sniffed Content-Type",
            "content": {
                m.value: {"schema": {"type": "string", "format": "binary"}} for m in MediaType
            },
            "headers": _DOWNLOAD_HEADERS,
        },
        **problem_responses(401, 403, 404, 422),
    },
    summary="Download an attachment",
)
async def download(
    request_id: RequestId,
    attachment_id: AttachmentId,
    principal: DocumentReader,
    session: SessionDep,
    store: BlobStoreDep,
    access: AccessLogDep,
) -> Response:
    """The bytes as uploaded, always as a download (never rendered inline)."""
    attachment, data = await attachment_service.content(
        session,
        store=store,
        principal=principal,
        request_id=request_id,
        attachment_id=attachment_id,
    )
    await access.record(
        principal,
        action=AccessAction.DOWNLOAD,
        resource_type=ResourceType.ATTACHMENT,
        resource_id=attachment.id,
        request_ids=[request_id],
    )
    return Response(
        content=data,
        media_type=attachment.content_type.value,
        headers={
            "Content-Disposition": f'attachment; filename="{attachment.filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
