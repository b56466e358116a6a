"""Two tenants on one database, for the tenancy matrix (issue 21 point 10).

Tenant 1 is vendor V1, network N1 and member M1 of plan P1; it holds every kind of object an
operation can address, made through the API as its owners would, each carrying a marker that
appears nowhere else. Tenant 2 is vendor V2, network N2 (same plan) and member M2, and plan P2
with network N3 and member M3: their callers read, list and change with tenant 1's ids.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.authorizations.models import Authorization
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.members.models import Enrollment, Member
from dme_portal.networks.models import HealthPlan, Network
from dme_portal.submissions.schemas import AuthorizationRequestCreate
from dme_portal.vendors.models import ContractStatus, Vendor, VendorContract
from fixtures.documents import pdf_bytes
from fixtures.factories import NOW, World, auth_headers, request_body, unique_cin, unique_npi
from fixtures.rules import choc_like, publish

TODAY = NOW.date()
REQUESTS = "/v1/authorization-requests"


def marker(what: str, tag: str) -> str:
    """Text that appears in tenant 1's data only (a leak is found by a plain substring)."""
    return f"tnt1{tag}{what}"


@dataclass
class Tenant1:
    """Tenant 1's objects and the secrets a caller of another tenant must never read."""

    world: World  # network_a = N1, vendor = V1, member = M1 (request_body builds M1's bodies)
    open_id: str  # in review: notes, a question answered, a document
    approved_id: str  # approved: two short authorizations
    denied_id: str  # denied for medical necessity, then reconsideration asked
    renewal_id: str  # the renewal of the first authorization
    authorization_ids: list[str]
    authorization_numbers: list[str]
    attachment_id: str  # on the open request
    upload_id: str  # uploaded before submitting, not attached
    reconsideration_id: str
    assignment_id: str
    open_lines: list[dict[str, Any]]
    identity: dict[str, str]  # CIN, names, birth date: a vendor that names CIN and birth learns
    secrets: dict[str, str]  # everything else: clinical content, ids, numbers, V1 itself
    etags: dict[str, str] = field(default_factory=dict)

    @property
    def member(self) -> Member:
        return self.world.member

    @property
    def network(self) -> Network:
        return self.world.network_a

    def all_secrets(self) -> dict[str, str]:
        return {**self.identity, **self.secrets}


@dataclass
class Tenant2:
    """The callers' organisations: V2 and N2 in plan P1, and plan P2 with network N3."""

    world: World  # vendor = V2, network_a = N2, member = M2; network_b = N1
    plan2: HealthPlan
    network3: Network
    member3: Member

    def principal(self, role: Role, scope: str) -> Principal:
        org: Any = {
            "vendor": self.world.vendor,
            "network": self.world.network_a,
            "plan2": self.plan2,
        }[scope]
        kind = {"vendor": OrgKind.VENDOR, "network": OrgKind.NETWORK, "plan2": OrgKind.PLAN}[scope]
        # One subject per world and role: the member look-ups a module's matrix makes count
        # (and throttle, under the frozen clock) for this world's callers only.
        tag = self.plan2.code.rsplit("-", 1)[1]
        return Principal(
            subject=f"user:tenancy-{tag}-{scope}-{role.value}",
            role=role,
            org_kind=kind,
            org_id=org.id,
        )


@dataclass(frozen=True)
class Actor:
    """A caller of another tenant: a role in an organisation that is not tenant 1's."""

    role: Role
    scope: str  # "vendor" (V2), "network" (N2, same plan), "plan2" (another plan)

    @property
    def id(self) -> str:
        return f"{self.role.value}@{self.scope}"

    @property
    def is_vendor(self) -> bool:
        return self.scope == "vendor"


ACTORS = [
    Actor(Role.VENDOR, "vendor"),
    Actor(Role.VENDOR_CLIENT, "vendor"),
    Actor(Role.REVIEWER, "network"),
    Actor(Role.MEDICAL_DIRECTOR, "network"),
    Actor(Role.NETWORK_CLIENT, "network"),
    Actor(Role.NETWORK_ADMIN, "network"),
    Actor(Role.CARE_COORDINATOR, "network"),
    Actor(Role.CARE_COORDINATOR, "plan2"),
    Actor(Role.PLAN_ADMIN, "plan2"),
    Actor(Role.PLAN_CLIENT, "plan2"),
]
# Every role of auth.roles is some actor's: a new role fails test_every_role_is_an_actor.


def with_birth_date(body: dict[str, Any], member: Member) -> dict[str, Any]:
    """The body with the member's birth date if this branch's schema accepts the field."""
    if "member_birth_date" in AuthorizationRequestCreate.model_fields:
        return {**body, "member_birth_date": member.birth_date.isoformat()}
    return body


async def _base(db: Database) -> tuple[World, Tenant2]:
    tag = uuid.uuid4().hex[:6]
    async with unit_of_work(db) as s:
        plans = [
            HealthPlan(id=uuid.uuid4(), code=f"tp{i}-{tag}", name=f"Plan {i} {tag}", created_at=NOW)
            for i in (1, 2)
        ]
        s.add_all(plans)
        await s.flush()
        nets = [
            Network(
                id=uuid.uuid4(),
                plan_id=plans[0 if i < 2 else 1].id,
                code=f"tn{i + 1}-{tag}",
                name=f"Network {i + 1} {tag}",
                standard_turnaround_hours=72,
                expedited_turnaround_hours=24,
                created_at=NOW,
            )
            for i in range(3)
        ]
        vendors = [
            Vendor(id=uuid.uuid4(), npi=unique_npi(), name=name, created_at=NOW)
            for name in (marker("vendorname", tag), f"Second vendor {tag}")
        ]
        # Names and birth dates unique to each member, so that a leak is a plain substring.
        members = [
            Member(
                id=uuid.uuid4(),
                cin=unique_cin(),
                first_name=first,
                last_name=last,
                birth_date=birth,
                ccs_eligible_from=date(2026, 1, 1),
                ccs_eligible_to=date(2027, 12, 31),
                created_at=NOW,
            )
            for first, last, birth in (
                (f"Zelphine{tag}", f"Quorax{tag}", date(2014, 2, 27)),
                (f"Other{tag}", f"Child{tag}", date(2017, 8, 9)),
                (f"Third{tag}", f"Kid{tag}", date(2018, 3, 4)),
            )
        ]
        s.add_all([*nets, *vendors, *members])
        await s.flush()
        s.add_all(
            [
                VendorContract(
                    vendor_id=vendors[i].id,
                    network_id=nets[i].id,
                    status=ContractStatus.IN_NETWORK,
                    effective_from=date(2025, 1, 1),
                    effective_to=None,
                )
                for i in (0, 1)
            ]
        )
        s.add_all(
            [
                Enrollment(
                    member_id=members[i].id,
                    network_id=nets[i].id,
                    effective_from=date(2025, 1, 1),
                    effective_to=None,
                )
                for i in range(3)
            ]
        )
    one = World(plans[0], nets[0], nets[1], vendors[0], vendors[1], members[0], members[1])
    two = World(plans[0], nets[1], nets[0], vendors[1], vendors[0], members[1], members[0])
    return one, Tenant2(two, plans[1], nets[2], members[2])


def _ok(r: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body


async def _etag(client: httpx.AsyncClient, headers: dict[str, str], url: str) -> str:
    r = await client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    return r.headers["ETag"]


async def build(
    client: httpx.AsyncClient, settings: Settings, db: Database
) -> tuple[Tenant1, Tenant2]:
    """Make both tenants; tenant 1's objects through the API, by their owners."""
    w, two = await _base(db)
    tag = w.plan.code.rsplit("-", 1)[1]
    m = lambda what: marker(what, tag)  # noqa: E731
    subject = f"user:tnt1{tag}-vendor"  # unique, so that a filter by subject finds only V1's
    vendor = auth_headers(settings, Principal(subject, Role.VENDOR, OrgKind.VENDOR, w.vendor.id))
    reviewer = auth_headers(settings, w.principal(Role.REVIEWER))
    md_a = auth_headers(
        settings,
        Principal("user:tenancy-md-a", Role.MEDICAL_DIRECTOR, OrgKind.NETWORK, w.network_a.id),
    )
    admin = auth_headers(settings, w.principal(Role.NETWORK_ADMIN))
    prescriber = unique_npi()
    diagnoses = ["G71.01", "Q90.9"]

    def body(**over: Any) -> dict[str, Any]:
        return with_birth_date(
            request_body(w, prescriber_npi=prescriber, diagnoses=diagnoses, **over), w.member
        )

    upload = _ok(
        await client.post(
            "/v1/attachments",
            files={"file": (f"{m('upload')}.pdf", pdf_bytes(m("uploadpdf")), "application/pdf")},
            data={"document_type": "prescription"},
            headers=vendor,
        ),
        201,
    )
    open_body = body(notes=m("notes"), attachment_ids=[upload["id"]])
    open_body["lines"][1]["brand_reason"] = m("brandreason")
    opened = _ok(await client.post(REQUESTS, json=open_body, headers=vendor), 201)
    oid = opened["id"]
    attachment = _ok(
        await client.post(
            f"{REQUESTS}/{oid}/attachments",
            files={"file": (f"{m('lmn')}.pdf", pdf_bytes(m("lmnpdf")), "application/pdf")},
            data={"document_type": "letter_of_medical_necessity"},
            headers=vendor,
        ),
        201,
    )
    etag = await _etag(client, reviewer, f"{REQUESTS}/{oid}")
    _ok(
        await client.post(
            f"/v1/review/requests/{oid}/information-requests",
            json={"message": m("question")},
            headers={**reviewer, "If-Match": etag},
        ),
        201,
    )
    _ok(
        await client.post(
            f"{REQUESTS}/{oid}/information-responses",
            json={"message": m("answer"), "attachment_ids": []},
            headers=vendor,
        ),
        201,
    )

    # Two short authorizations, renewable now; the first renewed, the second kept.
    soon = TODAY + timedelta(days=1)
    short = [
        {
            "hcpcs": code,
            "quantity": 1,
            "start_date": soon.isoformat(),
            "end_date": (soon + timedelta(days=5)).isoformat(),
        }
        for code in ("L1970", "L1907")
    ]
    approved = _ok(await client.post(REQUESTS, json=body(lines=short), headers=vendor), 201)
    aid = approved["id"]
    etag = await _etag(client, reviewer, f"{REQUESTS}/{aid}")
    _ok(
        await client.post(
            f"/v1/review/requests/{aid}/decision",
            json={
                "lines": [{"line_number": n, "outcome": "approved"} for n in (1, 2)],
                "note": m("approvalnote"),
            },
            headers={**reviewer, "If-Match": etag},
        )
    )
    async with unit_of_work(db) as s:
        auths = list(
            await s.scalars(
                select(Authorization)
                .where(Authorization.request_id == uuid.UUID(aid))
                .order_by(Authorization.line_number)
            )
        )
    renewal = _ok(
        await client.post(f"/v1/authorizations/{auths[0].id}/renewals", json={}, headers=vendor),
        201,
    )

    later = TODAY + timedelta(days=200)
    denied = _ok(
        await client.post(
            REQUESTS,
            json=body(
                lines=[
                    {
                        "hcpcs": "E0638",
                        "quantity": 1,
                        "start_date": later.isoformat(),
                        "end_date": (later + timedelta(days=60)).isoformat(),
                    }
                ]
            ),
            headers=vendor,
        ),
        201,
    )
    did = denied["id"]
    etag = await _etag(client, md_a, f"{REQUESTS}/{did}")
    _ok(
        await client.post(
            f"/v1/review/requests/{did}/decision",
            json={
                "lines": [
                    {
                        "line_number": 1,
                        "outcome": "denied",
                        "reason_code": "medical_necessity",
                        "reason": m("denialreason"),
                    }
                ]
            },
            headers={**md_a, "If-Match": etag},
        )
    )
    recon = _ok(
        await client.post(
            f"{REQUESTS}/{did}/reconsiderations",
            json={"lines": [1], "reason": m("reconreason")},
            headers=vendor,
        ),
        201,
    )

    # N1's rules: a published version and a draft, each with its own marker; a CSAG assignment.
    # (CSAG names are not secret: a coverage check names the CSAG that would approve a line.)
    doc = choc_like()
    await publish(db, w.network_a, doc)
    second = copy.deepcopy(doc)
    second["description"] = m("publisheddescription")
    await publish(db, w.network_a, second)
    for net in (two.world.network_a, two.network3):
        await publish(db, net, choc_like())
    base = f"/v1/networks/{w.network_a.id}"
    draft = copy.deepcopy(doc)
    draft["description"] = m("draftdescription")
    _ok(
        await client.put(
            f"{base}/ruleset/draft",
            json={"document": draft},
            headers={**admin, "If-None-Match": "*"},
        )
    )
    assignment = _ok(
        await client.post(
            f"{base}/csag-assignments",
            json={
                "member_cin": w.member.cin,
                "csag_id": "trach-care",
                "effective_from": TODAY.isoformat(),
            },
            headers=admin,
        ),
        201,
    )

    reads = {
        rid: _ok(await client.get(f"{REQUESTS}/{rid}", headers=vendor))
        for rid in (oid, aid, did, renewal["request"]["id"])
    }
    numbers = [str(a.number) for a in auths]
    identity = {
        "cin": w.member.cin,
        "first_name": w.member.first_name,
        "last_name": w.member.last_name,
        "birth_date": w.member.birth_date.isoformat(),
        "member_id": str(w.member.id),
    }
    secrets = {
        **{f"diagnosis {d}": d for d in diagnoses},
        "prescriber": prescriber,
        "vendor_name": w.vendor.name,
        "vendor_npi": w.vendor.npi,
        "vendor_id": str(w.vendor.id),
        "vendor_subject": subject,
        **{f"request {i}": rid for i, rid in enumerate(reads)},
        **{f"authorization {i}": str(a.id) for i, a in enumerate(auths)},
        **{f"authorization number {i}": n for i, n in enumerate(numbers)},
        "attachment": attachment["id"],
        "upload_id": upload["id"],
        "reconsideration": recon["id"],
        "assignment": assignment["id"],
        **{
            what: m(what)
            for what in (
                "notes",
                "brandreason",
                "question",
                "answer",
                "approvalnote",
                "denialreason",
                "reconreason",
                "publisheddescription",
                "draftdescription",
                "upload",
                "uploadpdf",
                "lmn",
                "lmnpdf",
            )
        },
    }
    one = Tenant1(
        world=w,
        open_id=oid,
        approved_id=aid,
        denied_id=did,
        renewal_id=renewal["request"]["id"],
        authorization_ids=[str(a.id) for a in auths],
        authorization_numbers=numbers,
        attachment_id=attachment["id"],
        upload_id=upload["id"],
        reconsideration_id=recon["id"],
        assignment_id=assignment["id"],
        open_lines=open_body["lines"],
        identity=identity,
        secrets=secrets,
    )
    one.etags = {rid: f'"v{read["version"]}"' for rid, read in reads.items()}
    recon_read = await client.get(f"/v1/reconsiderations/{recon['id']}", headers=md_a)
    one.etags["reconsideration"] = recon_read.headers.get("ETag", '"v1"')
    draft_read = await client.get(f"{base}/ruleset/draft", headers=admin)
    one.etags["draft"] = draft_read.headers["ETag"]
    return one, two
