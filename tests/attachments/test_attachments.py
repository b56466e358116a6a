"""Attachments over HTTP: upload, list, download, refusals that store nothing, and scope."""

from __future__ import annotations

import hashlib
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from dme_portal.attachments import repository as attachment_repository
from dme_portal.attachments import service as attachment_service
from dme_portal.attachments.models import Attachment, AttachmentBlob
from dme_portal.attachments.sniff import MediaType, detect
from dme_portal.attachments.storage import DatabaseBlobStore
from dme_portal.auth.roles import Role
from dme_portal.config import AttachmentSettings, Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.main import create_app
from dme_portal.rules.ruleset import DocumentType
from dme_portal.sla.clock import FrozenClock
from dme_portal.submissions.models import AuthorizationRequest, RequestEvent, RequestStatus
from fixtures.documents import pdf_bytes
from fixtures.factories import (
    NOW,
    REQUESTS_URL,
    World,
    assert_problem,
    auth_headers,
    cancel,
    fresh_idempotency_key,
    request_body,
)

Headers = dict[str, str]
SMALL_LIMIT = 1024


# --- Tiny, structurally valid files, built by hand. ---


def png_bytes() -> bytes:
    """A 1x1 grey PNG: signature, IHDR, IDAT, IEND, with their CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80")  # filter byte 0, one grey pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """A 1x1 grey baseline JPEG: one-code Huffman tables, a zero DC difference, then EOB."""

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    one_code = bytes([1] + [0] * 15) + b"\x00"  # a single code of length 1 for symbol 0
    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xDB, b"\x00" + b"\x01" * 64)
        + segment(0xC0, struct.pack(">BHHB", 8, 1, 1, 1) + b"\x01\x11\x00")
        + segment(0xC4, b"\x00" + one_code)
        + segment(0xC4, b"\x10" + one_code)
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + b"\x3f"  # bits 0 (DC category 0) and 0 (EOB), padded with ones
        + b"\xff\xd9"
    )


def tiff_bytes() -> bytes:
    """A 1x1 8-bit grey TIFF (little-endian, uncompressed), with the baseline tags."""
    tags = [
        (256, 3, 1, 1),  # ImageWidth
        (257, 3, 1, 1),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # PhotometricInterpretation: black is zero
        (273, 4, 1, 0),  # StripOffsets (patched below)
        (278, 3, 1, 1),  # RowsPerStrip
        (279, 4, 1, 1),  # StripByteCounts
    ]
    ifd_size = 2 + 12 * len(tags) + 4
    pixel_at = 8 + ifd_size
    entries = b"".join(
        struct.pack("<HHII", tag, kind, count, pixel_at if tag == 273 else value)
        if kind == 4
        else struct.pack("<HHIHH", tag, kind, count, value, 0)
        for tag, kind, count, value in tags
    )
    ifd = struct.pack("<H", len(tags)) + entries + struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x80"


def exe_bytes() -> bytes:
    """The start of a Windows executable: MZ header pointing at a PE signature."""
    dos = bytearray(b"MZ" + b"\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00")
    dos += b"\x00" * (0x3C - len(dos)) + struct.pack("<I", 0x40)
    return bytes(dos) + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 64


FILES = {
    "pdf": (pdf_bytes(), "letter.pdf", MediaType.PDF),
    "png": (png_bytes(), "scan.png", MediaType.PNG),
    "jpeg": (jpeg_bytes(), "photo.jpeg", MediaType.JPEG),
    "tiff": (tiff_bytes(), "fax.tif", MediaType.TIFF),
}


# --- Helpers ---


def url(request_id: object) -> str:
    return f"{REQUESTS_URL}/{request_id}/attachments"


def content_url(request_id: object, attachment_id: object) -> str:
    return f"{url(request_id)}/{attachment_id}/content"


async def post_file(
    client: httpx.AsyncClient,
    headers: Headers,
    request_id: object,
    data: bytes,
    *,
    filename: str = "document.pdf",
    declared: str = "application/pdf",
    document_type: str = "prescription",
    description: str | None = None,
) -> httpx.Response:
    form = {"document_type": document_type}
    if description is not None:
        form["description"] = description
    return await client.post(
        url(request_id), headers=headers, files={"file": (filename, data, declared)}, data=form
    )


async def uploaded(
    client: httpx.AsyncClient, headers: Headers, request_id: object, data: bytes, **kw: Any
) -> dict[str, Any]:
    r = await post_file(client, headers, request_id, data, **kw)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def stored(database: Database, request_id: uuid.UUID) -> tuple[int, int, int]:
    """(attachment rows of the request, blob rows in all, attachment events of the request)."""
    async with unit_of_work(database) as s:
        attachments = await s.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.request_id == request_id)
        )
        blobs = await s.scalar(select(func.count()).select_from(AttachmentBlob))
        events = await s.scalar(
            select(func.count())
            .select_from(RequestEvent)
            .where(RequestEvent.request_id == request_id, RequestEvent.kind == "attachment_added")
        )
    return int(attachments or 0), int(blobs or 0), int(events or 0)


async def set_status(database: Database, request_id: uuid.UUID, status: RequestStatus) -> None:
    async with unit_of_work(database) as s:
        await s.execute(
            update(AuthorizationRequest)
            .where(AuthorizationRequest.id == request_id)
            .values(status=status)
        )


@pytest.fixture
def vendor(settings: Settings, world: World) -> Headers:
    return auth_headers(settings, world.principal(Role.VENDOR))


async def open_request(client: httpx.AsyncClient, settings: Settings, world: World) -> uuid.UUID:
    """A new request of world.vendor for member A (network A), in review."""
    r = await client.post(
        REQUESTS_URL,
        json=request_body(world),
        headers=auth_headers(settings, world.principal(Role.VENDOR)),
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "in_review"
    return uuid.UUID(r.json()["id"])


@pytest.fixture
async def request_id(client: httpx.AsyncClient, settings: Settings, world: World) -> uuid.UUID:
    return await open_request(client, settings, world)


@pytest.fixture(scope="module")
def small_app(settings: Settings, session_clock: FrozenClock, database: Database) -> FastAPI:
    """The app with a 1 KiB attachment limit, on the same database."""
    limited = settings.model_copy(update={"attachments": AttachmentSettings(max_bytes=SMALL_LIMIT)})
    return create_app(limited, clock=session_clock, database=database)


@pytest.fixture
async def small_client(small_app: FastAPI, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=small_app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://test",
        event_hooks={"request": [fresh_idempotency_key]},
    ) as c:
        yield c


# --- Tests ---


class TestSniffing:
    @pytest.mark.parametrize("kind", list(FILES))
    def test_the_hand_built_files_are_recognised(self, kind: str) -> None:
        data, _, media_type = FILES[kind]

        assert detect(data) is media_type

    @pytest.mark.parametrize(
        "data",
        [
            exe_bytes(),
            b"hello, plain text\n",
            b"<html><script>alert(1)</script></html>",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
            b"junk before " + pdf_bytes(),  # a PDF signature not at the start
            b"MZ" + pdf_bytes(),
            b"",
        ],
    )
    def test_anything_else_is_not(self, data: bytes) -> None:
        assert detect(data) is None


class TestUpload:
    @pytest.mark.parametrize("kind", list(FILES))
    async def test_each_allowed_type_is_stored_listed_and_downloaded_byte_identical(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        request_id: uuid.UUID,
        kind: str,
    ) -> None:
        data, filename, media_type = FILES[kind]

        r = await post_file(
            client,
            vendor,
            request_id,
            data,
            filename=filename,
            declared=media_type.value,
            document_type="letter_of_medical_necessity",
            description="  Signed by Dr. Example  ",
        )

        assert r.status_code == 201, r.text
        created = r.json()
        assert created == {
            "id": created["id"],
            "document_type": "letter_of_medical_necessity",
            "filename": filename,
            "content_type": media_type.value,
            "size_bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "uploaded_at": NOW.isoformat().replace("+00:00", "Z"),
            "uploaded_by": "user:test-vendor",
            "description": "Signed by Dr. Example",
            "request_id": str(request_id),
            "expires_at": None,
        }
        listed = await client.get(url(request_id), headers=vendor)
        assert listed.status_code == 200
        assert listed.json() == {"items": [created]}
        got = await client.get(content_url(request_id, created["id"]), headers=vendor)
        assert got.status_code == 200
        assert got.content == data
        assert got.headers["content-type"] == media_type.value
        assert got.headers["content-disposition"] == f'attachment; filename="{filename}"'
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["cache-control"] == "private, no-store"

    @pytest.mark.parametrize(
        ("kind", "filename", "declared", "expected_name"),
        [
            ("png", "scan.pdf", "application/pdf", "scan.png"),
            ("pdf", "letter", "image/png", "letter.pdf"),
            ("jpeg", "photo.JPG", "application/octet-stream", "photo.jpg"),
            ("tiff", "fax.exe", "text/plain", "fax.exe.tif"),
        ],
    )
    async def test_the_type_comes_from_the_content_not_the_header_or_name(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        request_id: uuid.UUID,
        kind: str,
        filename: str,
        declared: str,
        expected_name: str,
    ) -> None:
        data, _, media_type = FILES[kind]

        created = await uploaded(
            client, vendor, request_id, data, filename=filename, declared=declared
        )

        assert created["content_type"] == media_type.value
        assert created["filename"] == expected_name
        got = await client.get(content_url(request_id, created["id"]), headers=vendor)
        assert got.headers["content-type"] == media_type.value

    async def test_the_file_name_is_sanitised(
        self, client: httpx.AsyncClient, vendor: Headers, request_id: uuid.UUID
    ) -> None:
        created = await uploaded(
            client, vendor, request_id, pdf_bytes(), filename="..\\..\\x/Évaluation <final>;*.PDF"
        )

        assert created["filename"] == "Evaluation _final.pdf"
        got = await client.get(content_url(request_id, created["id"]), headers=vendor)
        assert got.headers["content-disposition"] == 'attachment; filename="Evaluation _final.pdf"'

    @pytest.mark.parametrize(
        ("raw", "media_type", "expected"),
        [
            ("report.PDF", MediaType.PDF, "report.pdf"),
            ('a"b;c.pdf', MediaType.PDF, "a_b_c.pdf"),
            ("/etc/passwd", MediaType.PDF, "passwd.pdf"),
            ("C:\\Users\\me\\scan.tiff", MediaType.TIFF, "scan.tiff"),
            ("photo.png", MediaType.JPEG, "photo.jpg"),
            ("...", MediaType.PNG, "prescription.png"),
            (None, MediaType.PDF, "prescription.pdf"),
            ("a\r\nContent-Type: text.pdf", MediaType.PDF, "a_Content-Type_ text.pdf"),
            ("x" * 300 + ".pdf", MediaType.PDF, "x" * 100 + ".pdf"),
        ],
    )
    def test_safe_filename(self, raw: str | None, media_type: MediaType, expected: str) -> None:
        assert (
            attachment_service.safe_filename(raw, media_type=media_type, fallback="prescription")
            == expected
        )

    async def test_a_blank_description_is_none(
        self, client: httpx.AsyncClient, vendor: Headers, request_id: uuid.UUID
    ) -> None:
        created = await uploaded(client, vendor, request_id, pdf_bytes(), description="   ")

        assert created["description"] is None

    async def test_a_file_of_exactly_the_limit_is_accepted(
        self, small_client: httpx.AsyncClient, vendor: Headers, request_id: uuid.UUID
    ) -> None:
        data = pdf_bytes(pad_to=SMALL_LIMIT)

        created = await uploaded(small_client, vendor, request_id, data)

        assert created["size_bytes"] == SMALL_LIMIT

    async def test_a_pended_request_takes_attachments(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        database: Database,
        request_id: uuid.UUID,
    ) -> None:
        await set_status(database, request_id, RequestStatus.PENDED)

        await uploaded(client, vendor, request_id, pdf_bytes())

        attachments, _, events = await stored(database, request_id)
        assert (attachments, events) == (1, 1)

    async def test_a_vendor_machine_client_may_upload(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        request_id: uuid.UUID,
    ) -> None:
        machine = auth_headers(settings, world.principal(Role.VENDOR_CLIENT))

        created = await uploaded(client, machine, request_id, png_bytes())

        events = await client.get(f"{REQUESTS_URL}/{request_id}/events", headers=machine)
        last = events.json()["items"][-1]
        assert (last["kind"], last["actor_type"], last["actor_role"]) == (
            "attachment_added",
            "client",
            "vendor_client",
        )
        assert last["data"]["attachment_id"] == created["id"]


class TestRefusalsStoreNothing:
    async def test_an_exe_renamed_to_pdf_is_415(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        database: Database,
        request_id: uuid.UUID,
    ) -> None:
        before = await stored(database, request_id)

        r = await post_file(
            client, vendor, request_id, exe_bytes(), filename="lmn.pdf", declared="application/pdf"
        )

        assert_problem(r, 415, code="attachment.unsupported_type", field="file")
        assert before[0] == 0
        assert await stored(database, request_id) == before

    async def test_text_is_415(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        database: Database,
        request_id: uuid.UUID,
    ) -> None:
        before = await stored(database, request_id)

        r = await post_file(client, vendor, request_id, b"Please approve.\n", filename="note.pdf")

        assert_problem(r, 415, field="file")
        assert await stored(database, request_id) == before

    async def test_one_byte_over_the_limit_is_413(
        self,
        small_client: httpx.AsyncClient,
        vendor: Headers,
        database: Database,
        request_id: uuid.UUID,
    ) -> None:
        before = await stored(database, request_id)

        r = await post_file(small_client, vendor, request_id, pdf_bytes(pad_to=SMALL_LIMIT + 1))

        problem = assert_problem(r, 413, code="attachment.too_large", field="file")
        assert problem["max_bytes"] == SMALL_LIMIT
        assert await stored(database, request_id) == before

    async def test_the_default_limit_is_ten_mebibytes(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        settings: Settings,
        database: Database,
        request_id: uuid.UUID,
    ) -> None:
        assert settings.attachments.max_bytes == 10 * 1024 * 1024
        before = await stored(database, request_id)

        r = await post_file(client, vendor, request_id, pdf_bytes(pad_to=10 * 1024 * 1024 + 1))

        assert_problem(r, 413, field="file")
        assert await stored(database, request_id) == before

    async def test_a_body_far_over_the_limit_is_refused_before_it_is_parsed(
        self,
        small_client: httpx.AsyncClient,
        vendor: Headers,
        database: Database,
        request_id: uuid.UUID,
    ) -> None:
        before = await stored(database, request_id)

        r = await post_file(small_client, vendor, request_id, pdf_bytes(pad_to=200 * 1024))

        assert_problem(r, 413, code="attachment.too_large", field="file")
        assert await stored(database, request_id) == before

    async def test_a_chunked_body_without_length_is_cut_off_too(
        self,
        small_client: httpx.AsyncClient,
        vendor: Headers,
        database: Database,
        request_id: uuid.UUID,
    ) -> None:
        before = await stored(database, request_id)
        boundary = "attachment-test-boundary"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="document_type"\r\n\r\nprescription\r\n'
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        sent: list[int] = []

        async def body() -> AsyncIterator[bytes]:
            yield head + b"%PDF-1.4\n"
            for _ in range(100):  # 6.4 MB if nobody stops it
                sent.append(1)
                yield b"%" + b"x" * (64 * 1024 - 2) + b"\n"
            yield f"\r\n--{boundary}--\r\n".encode()

        r = await small_client.post(
            url(request_id),
            headers={**vendor, "Content-Type": f"multipart/form-data; boundary={boundary}"},
            content=body(),
        )

        assert_problem(r, 413, code="attachment.too_large", field="file")
        assert len(sent) < 5
        assert await stored(database, request_id) == before

    async def test_an_empty_file_is_422(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        database: Database,
        request_id: uuid.UUID,
    ) -> None:
        before = await stored(database, request_id)

        r = await post_file(client, vendor, request_id, b"")

        assert_problem(r, 422, code="validation_error", field="file")
        assert await stored(database, request_id) == before

    async def test_an_unknown_document_type_is_422(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        database: Database,
        request_id: uuid.UUID,
    ) -> None:
        before = await stored(database, request_id)

        r = await post_file(client, vendor, request_id, pdf_bytes(), document_type="x_ray")

        assert_problem(r, 422, code="validation_error", field="document_type")
        assert await stored(database, request_id) == before

    @pytest.mark.parametrize(
        ("form", "files", "field"),
        [
            ({"document_type": "prescription"}, None, "file"),
            ({}, {"file": ("a.pdf", pdf_bytes(), "application/pdf")}, "document_type"),
            (
                {"document_type": "other", "description": "bad\x00byte"},
                {"file": ("a.pdf", pdf_bytes(), "application/pdf")},
                "description",
            ),
            (
                {"document_type": "other", "description": "x" * 1001},
                {"file": ("a.pdf", pdf_bytes(), "application/pdf")},
                "description",
            ),
        ],
    )
    async def test_missing_or_bad_fields_are_422(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        database: Database,
        request_id: uuid.UUID,
        form: dict[str, str],
        files: dict[str, Any] | None,
        field: str,
    ) -> None:
        before = await stored(database, request_id)

        r = await client.post(url(request_id), headers=vendor, data=form, files=files)

        assert_problem(r, 422, field=field)
        assert await stored(database, request_id) == before

    @pytest.mark.parametrize(
        "status", [RequestStatus.CANCELLED, RequestStatus.APPROVED, RequestStatus.DENIED]
    )
    async def test_a_closed_request_is_409(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        database: Database,
        request_id: uuid.UUID,
        status: RequestStatus,
    ) -> None:
        await set_status(database, request_id, status)
        before = await stored(database, request_id)

        r = await post_file(client, vendor, request_id, pdf_bytes())

        assert_problem(r, 409, code="authorization_request.closed")
        assert await stored(database, request_id) == before

    async def test_a_request_cancelled_through_the_api_is_409(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        database: Database,
        request_id: uuid.UUID,
    ) -> None:
        cancelled = await cancel(client, vendor, request_id)
        assert cancelled.json()["status"] == "cancelled"

        r = await post_file(client, vendor, request_id, pdf_bytes())

        assert_problem(r, 409, code="authorization_request.closed")
        assert (await stored(database, request_id))[0] == 0

    async def test_a_failure_after_the_bytes_were_written_rolls_them_back(
        self, database: Database, world: World, request_id: uuid.UUID
    ) -> None:
        before = await stored(database, request_id)

        class Boom(Exception):
            pass

        async def upload_then_fail() -> None:
            async with unit_of_work(database) as s:
                await attachment_service.upload(
                    s,
                    store=DatabaseBlobStore(s),
                    principal=world.principal(Role.VENDOR),
                    request_id=request_id,
                    document_type=DocumentType.PRESCRIPTION,
                    filename="rx.pdf",
                    file=await attachment_service.checked_file(
                        _Bytes(pdf_bytes()), max_bytes=SMALL_LIMIT
                    ),
                    description=None,
                    now=NOW,
                )
                blobs = await s.scalar(select(func.count()).select_from(AttachmentBlob))
                assert blobs == before[1] + 1  # written, not yet committed
                raise Boom

        with pytest.raises(Boom):
            await upload_then_fail()

        assert await stored(database, request_id) == before


class _Bytes:
    """An in-memory upload."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = len(self._data)
        chunk, self._data = self._data[:size], self._data[size:]
        return chunk


class TestScope:
    async def test_another_vendor_gets_404_everywhere(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        vendor: Headers,
        database: Database,
        request_id: uuid.UUID,
    ) -> None:
        created = await uploaded(client, vendor, request_id, pdf_bytes())
        before = await stored(database, request_id)
        for role in (Role.VENDOR, Role.VENDOR_CLIENT):
            other = auth_headers(settings, world.principal(role, world.other_vendor))

            up = await post_file(client, other, request_id, pdf_bytes())
            listed = await client.get(url(request_id), headers=other)
            got = await client.get(content_url(request_id, created["id"]), headers=other)

            for r in (up, listed, got):
                assert_problem(r, 404, code="authorization_request.not_found")
            assert created["id"] not in up.text + listed.text
        assert await stored(database, request_id) == before

    @pytest.mark.parametrize(
        "role",
        [Role.REVIEWER, Role.MEDICAL_DIRECTOR, Role.NETWORK_CLIENT],
    )
    async def test_network_staff_of_the_requests_network_list_and_download(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        vendor: Headers,
        request_id: uuid.UUID,
        role: Role,
    ) -> None:
        data = png_bytes()
        created = await uploaded(client, vendor, request_id, data)
        mine = auth_headers(settings, world.principal(role, world.network_a))
        theirs = auth_headers(settings, world.principal(role, world.network_b))

        listed = await client.get(url(request_id), headers=mine)
        got = await client.get(content_url(request_id, created["id"]), headers=mine)

        assert listed.json()["items"] == [created]
        assert got.content == data
        for r in (
            await client.get(url(request_id), headers=theirs),
            await client.get(content_url(request_id, created["id"]), headers=theirs),
        ):
            assert_problem(r, 404, code="authorization_request.not_found")

    @pytest.mark.parametrize(
        ("role", "org"),
        [(Role.PLAN_ADMIN, "plan"), (Role.PLAN_CLIENT, "plan"), (Role.NETWORK_ADMIN, "network_a")],
    )
    async def test_status_readers_read_no_documents(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        vendor: Headers,
        request_id: uuid.UUID,
        role: Role,
        org: str,
    ) -> None:
        """Documents are clinical: the plan and network admins get 403 (issue 21.5)."""
        created = await uploaded(client, vendor, request_id, tiff_bytes())
        mine = auth_headers(settings, world.principal(role, getattr(world, org)))

        assert_problem(await client.get(url(request_id), headers=mine), 403)
        assert_problem(await client.get(content_url(request_id, created["id"]), headers=mine), 403)

    @pytest.mark.parametrize(
        ("role", "org"),
        [
            (Role.REVIEWER, "network_a"),
            (Role.MEDICAL_DIRECTOR, "network_a"),
            (Role.NETWORK_CLIENT, "network_a"),
            (Role.NETWORK_ADMIN, "network_a"),
            (Role.CARE_COORDINATOR, "network_a"),
            (Role.PLAN_ADMIN, "plan"),
        ],
    )
    async def test_only_vendors_upload(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        database: Database,
        request_id: uuid.UUID,
        role: Role,
        org: str,
    ) -> None:
        headers = auth_headers(settings, world.principal(role, getattr(world, org)))
        before = await stored(database, request_id)

        r = await post_file(client, headers, request_id, pdf_bytes())

        assert_problem(r, 403, code="auth.forbidden")
        assert await stored(database, request_id) == before

    async def test_anonymous_gets_401(
        self, client: httpx.AsyncClient, database: Database, request_id: uuid.UUID
    ) -> None:
        before = await stored(database, request_id)

        up = await post_file(client, {}, request_id, pdf_bytes())
        listed = await client.get(url(request_id))
        got = await client.get(content_url(request_id, uuid.uuid4()))

        for r in (up, listed, got):
            assert_problem(r, 401, code="auth.unauthorized")
        assert await stored(database, request_id) == before

    async def test_an_unknown_request_is_404(
        self, client: httpx.AsyncClient, vendor: Headers
    ) -> None:
        missing = uuid.uuid4()

        up = await post_file(client, vendor, missing, pdf_bytes())
        listed = await client.get(url(missing), headers=vendor)

        assert_problem(up, 404, code="authorization_request.not_found")
        assert_problem(listed, 404, code="authorization_request.not_found")

    async def test_an_attachment_is_reached_only_through_its_own_request(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        settings: Settings,
        database: Database,
        world: World,
        request_id: uuid.UUID,
    ) -> None:
        created = await uploaded(client, vendor, request_id, pdf_bytes())
        sibling = await open_request(client, settings, world)

        r = await client.get(content_url(sibling, created["id"]), headers=vendor)
        unknown = await client.get(content_url(request_id, uuid.uuid4()), headers=vendor)

        assert_problem(r, 404, code="attachment.not_found")
        assert_problem(unknown, 404, code="attachment.not_found")
        assert (await client.get(url(sibling), headers=vendor)).json() == {"items": []}


class TestTimeline:
    async def test_an_upload_appends_attachment_added_and_moves_only_the_version(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        clock: FrozenClock,
        request_id: uuid.UUID,
    ) -> None:
        request_url = f"{REQUESTS_URL}/{request_id}"
        before = await client.get(request_url, headers=vendor)

        created = await uploaded(
            client, vendor, request_id, pdf_bytes(), document_type="seating_evaluation"
        )

        events = (await client.get(f"{request_url}/events", headers=vendor)).json()["items"]
        assert [e["kind"] for e in events] == ["submitted", "attachment_added"]
        added = events[-1]
        assert added["sequence"] == events[0]["sequence"] + 1
        assert added["data"] == {
            "attachment_id": created["id"],
            "document_type": "seating_evaluation",
        }
        assert (added["actor_type"], added["actor_id"], added["actor_role"]) == (
            "user",
            "user:test-vendor",
            "vendor",
        )
        assert (added["from_status"], added["to_status"]) == (None, None)
        after = await client.get(request_url, headers=vendor)
        # Issue 15: a new document is a new version of the request (a decision made on the
        # view before it is a 412); nothing else about the request changed.
        assert before.headers["ETag"] != after.headers["ETag"]
        moved = {"version", "updated_at"}
        assert {k: v for k, v in after.json().items() if k not in moved} == {
            k: v for k, v in before.json().items() if k not in moved
        }


class TestDocumentTypesFor:
    async def test_returns_the_types_attached_so_far(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        settings: Settings,
        database: Database,
        world: World,
        request_id: uuid.UUID,
    ) -> None:
        untouched = await open_request(client, settings, world)
        for document_type, data in (
            ("prescription", pdf_bytes()),
            ("letter_of_medical_necessity", png_bytes()),
            ("prescription", jpeg_bytes()),
        ):
            await uploaded(client, vendor, request_id, data, document_type=document_type)

        async with unit_of_work(database) as s:
            found = await attachment_repository.document_types_for(s, request_id)
            none = await attachment_repository.document_types_for(s, untouched)

        assert found == frozenset(
            {DocumentType.PRESCRIPTION, DocumentType.LETTER_OF_MEDICAL_NECESSITY}
        )
        assert none == frozenset()


class TestDatabaseBlobStore:
    async def test_put_get_delete(self, database: Database) -> None:
        key = f"test/{uuid.uuid4()}"
        async with unit_of_work(database) as s:
            store = DatabaseBlobStore(s)
            await store.put(key, b"\x00\x01bytes")
        async with unit_of_work(database) as s:
            store = DatabaseBlobStore(s)
            assert await store.get(key) == b"\x00\x01bytes"
            await store.delete(key)
            await store.delete(key)  # deleting what is gone is not an error
        async with unit_of_work(database) as s:
            assert await DatabaseBlobStore(s).get(key) is None


class TestOpenApi:
    async def test_the_routes_document_their_answers(self, app: FastAPI) -> None:
        paths = app.openapi()["paths"]
        base = "/v1/authorization-requests/{request_id}/attachments"

        upload = paths[base]["post"]
        content = paths[f"{base}/{{attachment_id}}/content"]["get"]

        assert {"201", "401", "403", "404", "409", "413", "415", "422"} <= set(upload["responses"])
        assert "multipart/form-data" in upload["requestBody"]["content"]
        assert set(paths[base]["get"]["responses"]) >= {"200", "401", "404", "422"}
        assert set(content["responses"]["200"]["content"]) == {m.value for m in MediaType}
        assert {"Content-Disposition", "X-Content-Type-Options"} <= set(
            content["responses"]["200"]["headers"]
        )
