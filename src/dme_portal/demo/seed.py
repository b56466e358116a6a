"""Load the demo dataset into the database; create accounts with generated secrets."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.models import ApiClient, AppUser
from dme_portal.auth.passwords import hash_secret_off_loop
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import ROLE_ORG_KINDS, OrgKind, Role
from dme_portal.demo.activity import WINDOW_DAYS, plan_activity
from dme_portal.demo.dataset import DemoDataset, build_dataset
from dme_portal.demo.replay import replay
from dme_portal.demo.rulesets import ruleset_for
from dme_portal.errors import InvalidInput
from dme_portal.members.models import Enrollment, Member
from dme_portal.networks.models import HealthPlan, Network
from dme_portal.rules.ruleset import RuleSet
from dme_portal.rulesets.models import RulesetVersion
from dme_portal.vendors.models import ContractStatus, Vendor, VendorContract

ESTABLISHED_DAYS = WINDOW_DAYS + 10


async def already_seeded(session: AsyncSession) -> bool:
    """True when the plan exists (the seed ran before)."""
    return bool(await session.scalar(select(func.count()).select_from(HealthPlan)))


async def resolve_org(session: AsyncSession, *, role: Role, org: str) -> tuple[OrgKind, uuid.UUID]:
    """Find the organisation a role belongs to by vendor NPI, network code or plan code."""
    lookups: list[tuple[OrgKind, uuid.UUID | None]] = []
    kinds = ROLE_ORG_KINDS[role]
    if OrgKind.VENDOR in kinds:
        lookups.append(
            (OrgKind.VENDOR, await session.scalar(select(Vendor.id).where(Vendor.npi == org)))
        )
    if OrgKind.NETWORK in kinds:
        lookups.append(
            (OrgKind.NETWORK, await session.scalar(select(Network.id).where(Network.code == org)))
        )
    if OrgKind.PLAN in kinds:
        lookups.append(
            (
                OrgKind.PLAN,
                await session.scalar(select(HealthPlan.id).where(HealthPlan.code == org)),
            )
        )
    for kind, org_id in lookups:
        if org_id is not None:
            return kind, org_id
    expected = " or ".join(k.value for k in kinds)
    raise InvalidInput("org", f"no {expected} '{org}' for role {role.value}")


async def create_account(
    session: AsyncSession,
    *,
    name: str,
    role: Role,
    org_kind: OrgKind,
    org_id: uuid.UUID,
    machine: bool,
    secret: str | None = None,
    now: datetime | None = None,
) -> str:
    """Create an API client or a user; return its secret (shown once, stored hashed)."""
    secret = secret or secrets.token_urlsafe(18)
    now = now or datetime.now(UTC)
    hashed = await hash_secret_off_loop(secret)
    if machine:
        session.add(
            ApiClient(
                client_id=name,
                secret_hash=hashed,
                name=name,
                role=role,
                org_kind=org_kind,
                org_id=org_id,
                active=True,
                created_at=now,
            )
        )
    else:
        session.add(
            AppUser(
                username=name,
                password_hash=hashed,
                display_name=name,
                role=role,
                org_kind=org_kind,
                org_id=org_id,
                active=True,
                created_at=now,
            )
        )
    await session.flush()
    return secret


async def seed_demo(
    session: AsyncSession, *, today: date, now: datetime | None = None, activity: bool = True
) -> str:
    """Insert the demo plan, networks, vendors, contracts, members and accounts, and (with
    ``activity``) the authorization requests of the last 90 days up to ``now``.

    ``now`` defaults to noon UTC on ``today``. Returns the printable list of accounts and
    their generated secrets.
    """
    data = build_dataset(today=today)
    seeded_at = now or datetime.combine(today, time(12), UTC)
    # The world existed before the 90 days of requests: rulesets published, accounts made.
    now = seeded_at - timedelta(days=ESTABLISHED_DAYS)
    plan = HealthPlan(
        id=uuid.uuid4(),
        code=data.plan.code,
        name=data.plan.name,
        hsc_1367_01_applies=data.plan.hsc_1367_01_applies,
        created_at=now,
    )
    session.add(plan)
    networks = {
        n.code: Network(
            id=uuid.uuid4(),
            plan_id=plan.id,
            code=n.code,
            name=n.name,
            standard_turnaround_hours=n.standard_hours,
            expedited_turnaround_hours=n.expedited_hours,
            created_at=now,
        )
        for n in data.networks
    }
    vendors = {
        v.npi: Vendor(id=uuid.uuid4(), npi=v.npi, name=v.name, created_at=now) for v in data.vendors
    }
    members = {
        m.cin: Member(
            id=uuid.uuid4(),
            cin=m.cin,
            first_name=m.first_name,
            last_name=m.last_name,
            birth_date=m.birth_date,
            ccs_eligible_from=m.ccs_eligible_from,
            ccs_eligible_to=m.ccs_eligible_to,
            created_at=max(now, datetime.combine(m.birth_date, time(), UTC)),
        )
        for m in data.members
    }
    session.add_all([*networks.values(), *vendors.values(), *members.values()])
    await session.flush()
    session.add_all(
        VendorContract(
            vendor_id=vendors[c.vendor_npi].id,
            network_id=networks[c.network_code].id,
            status=ContractStatus(c.status),
            effective_from=c.effective_from,
            effective_to=c.effective_to,
        )
        for c in data.contracts
    )
    session.add_all(
        Enrollment(
            member_id=members[e.cin].id,
            network_id=networks[e.network_code].id,
            effective_from=e.effective_from,
            effective_to=e.effective_to,
        )
        for e in data.enrollments
    )
    session.add_all(
        RulesetVersion(
            network_id=networks[n.code].id,
            version=1,
            document=RuleSet.model_validate(
                ruleset_for(n.code, expedited_hours=n.expedited_hours)
            ).model_dump(mode="json"),
            published_at=now,
            published_by="seed-demo",
        )
        for n in data.networks
    )
    await session.flush()  # the activity reads them (the session does not autoflush)
    org_ids = {
        OrgKind.PLAN: {plan.code: plan.id},
        OrgKind.NETWORK: {code: n.id for code, n in networks.items()},
        OrgKind.VENDOR: {npi: v.id for npi, v in vendors.items()},
    }
    lines = ["Demo accounts (secrets are generated once; keep this file private):", ""]
    for u in data.users:
        kind = OrgKind(u.org_kind)
        secret = await create_account(
            session,
            name=u.username,
            role=Role(u.role),
            org_kind=kind,
            org_id=org_ids[kind][u.org_code],
            machine=False,
            now=now,
        )
        lines.append(f"user    {u.username:<28} {u.role:<18} {u.org_code:<12} password={secret}")
    for c in data.clients:
        kind = OrgKind(c.org_kind)
        secret = await create_account(
            session,
            name=c.client_id,
            role=Role(c.role),
            org_kind=kind,
            org_id=org_ids[kind][c.org_code],
            machine=True,
            now=now,
        )
        lines.append(f"client  {c.client_id:<28} {c.role:<18} {c.org_code:<12} secret={secret}")
    summary = (
        [await _seed_activity(session, data, now=seeded_at, org_ids=org_ids)] if activity else []
    )
    sample = data.members[0]
    lines += [
        "",
        f"{len(data.networks)} networks, {len(data.vendors)} vendors, {len(data.members)} members.",
        *summary,
        # Synthetic data: eligibility answers only with the member's birth date (as AEVS does).
        f"Example member CIN: {sample.cin} ({sample.condition}), "
        f"born {sample.birth_date.isoformat()}.",
        "Token: curl -s -d grant_type=password -d username=... -d password=... $HUB/v1/auth/token",
    ]
    return "\n".join(lines) + "\n"


async def _seed_activity(
    session: AsyncSession,
    data: DemoDataset,
    *,
    now: datetime,
    org_ids: dict[OrgKind, dict[str, uuid.UUID]],
) -> str:
    """Replay the last 90 days of requests through the hub; a one-line summary."""
    principals = {
        u.username: Principal(
            subject=f"user:{u.username}",
            role=Role(u.role),
            org_kind=OrgKind(u.org_kind),
            org_id=org_ids[OrgKind(u.org_kind)][u.org_code],
        )
        for u in data.users
    }
    plan = plan_activity(data, now=now)
    result = await replay(
        session, plan, principals=principals, network_ids=org_ids[OrgKind.NETWORK]
    )
    return (
        f"{result.requests} authorization requests over the last {WINDOW_DAYS} days, "
        f"{result.open} still open (sign in as reviewer.choc to work the queue)."
    )
