"""The demo's last 90 days of work: a seeded plan of authorization requests and their lives.

Pure: the same dataset, ``now`` and seed always give the same plan. What each request is (the
member, the vendor, the lines, the documents) is drafted here; what happens to it, and when, is
drawn in ``demo/lifecycle.py``; ``demo/replay.py`` then drives the real use cases, step by step,
with each step's time as ``now``. Steps after ``now`` have not happened yet: that is how some
requests are still open, pended, at risk or breached when the seed is done.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from dme_portal.codes import npi
from dme_portal.demo.catalog import BUNDLES, GENERALISTS, Bundle, Item
from dme_portal.demo.dataset import DemoContract, DemoDataset, DemoEnrollment, DemoMember
from dme_portal.demo.lifecycle import Draft, Fate, PlannedLine, PlannedRequest, plan_lifecycle
from dme_portal.demo.rulesets import CHOC_CSAGS, ruleset_for
from dme_portal.members.age import age_on
from dme_portal.rules.compile import prefixes_of
from dme_portal.rules.ruleset import normalize_prefix

WINDOW_DAYS = 90
DEFAULT_COUNT = 400
# Share of requests that ask for a longer period, or more, than the network allows.
_OVER_ASK = 0.08
_OUT_OF_NETWORK = 0.08  # the vendor the family chose is not contracted with the network
_EXPEDITED = 0.3  # of the bundles that can be urgent
_RENEWAL = 0.12  # of recurring supplies for lifelong conditions
_BUSIEST_DAYS = 14
_MIN_WITHDRAWN = 2  # withdrawn requests whose rule-approved lines became void
_CSAG_ASSIGNED = 0.7  # CHOC members with a trach or G-tube assigned to the CSAG
_ASSIGNED_CSAGS = (("trach-care", "Z93.0"), ("gtube-feeding", "Z93.1"))
_NO_AUTHORIZATION = frozenset(i["hcpcs"] for i in ruleset_for("choc")["no_authorization"])


@dataclass(frozen=True, slots=True)
class Assignment:
    """A network case manager assigns a member to a CSAG (before the window starts)."""

    at: datetime
    actor: str
    network_code: str
    member_cin: str
    csag_id: str
    effective_from: date


@dataclass(frozen=True, slots=True)
class ActivityPlan:
    """Everything that happened by ``now``: CSAG assignments, then requests by receipt."""

    now: datetime
    assignments: tuple[Assignment, ...]
    requests: tuple[PlannedRequest, ...]


@dataclass
class _World:
    data: DemoDataset
    now: datetime
    rng: random.Random
    enrollments: dict[str, list[DemoEnrollment]]
    contracts: dict[tuple[str, str], list[DemoContract]]
    vendor_npi: dict[str, str]
    vendor_user: dict[str, str]
    prescribers: tuple[str, ...]
    ledger: dict[tuple[str, str], list[tuple[date, date]]] = field(default_factory=dict)

    @classmethod
    def build(cls, data: DemoDataset, now: datetime, rng: random.Random) -> _World:
        enrollments: dict[str, list[DemoEnrollment]] = {}
        for e in data.enrollments:
            enrollments.setdefault(e.cin, []).append(e)
        contracts: dict[tuple[str, str], list[DemoContract]] = {}
        for c in data.contracts:
            contracts.setdefault((c.vendor_npi, c.network_code), []).append(c)
        vendor_users = [u for u in data.users if u.role == "vendor"]
        prescribers = tuple(npi.with_check_digit(f"1{rng.randrange(10**8):08d}") for _ in range(40))
        return cls(
            data=data,
            now=now,
            rng=rng,
            enrollments=enrollments,
            contracts=contracts,
            vendor_npi={u.username.removeprefix("vendor."): u.org_code for u in vendor_users},
            vendor_user={u.org_code: u.username for u in vendor_users},
            prescribers=prescribers,
        )

    def network_on(self, cin: str, on: date) -> str | None:
        for e in self.enrollments.get(cin, []):
            if e.effective_from <= on and (e.effective_to is None or e.effective_to >= on):
                return e.network_code
        return None

    def in_network(self, slug: str, network: str, on: date) -> bool:
        """The same test as the hub's: an in-network contract in force on the date."""
        return any(
            c.status == "in_network"
            and c.effective_from <= on
            and (c.effective_to is None or c.effective_to >= on)
            for c in self.contracts.get((self.vendor_npi[slug], network), [])
        )


def plan_activity(
    data: DemoDataset,
    *,
    now: datetime,
    seed: int = 2026,
    count: int = DEFAULT_COUNT,
    days: int = WINDOW_DAYS,
) -> ActivityPlan:
    """About ``count`` requests received over the ``days`` before ``now``, and their lives."""
    rng = random.Random(f"demo-activity:{seed}")
    world = _World.build(data, now, rng)
    assignments = _assignments(world)
    requests: list[PlannedRequest] = []
    for received in receipt_times(rng, now=now, count=count, days=days):
        draft = _draft(world, received)
        if draft is not None:
            requests.append(plan_lifecycle(rng, draft, number=len(requests) + 1, now=now))
    _withdraw_some_partly_approved(rng, requests, now=now)
    return ActivityPlan(now=now, assignments=assignments, requests=tuple(requests))


def _withdraw_some_partly_approved(
    rng: random.Random, requests: list[PlannedRequest], *, now: datetime
) -> None:
    """The demo shows withdrawn requests whose rule approvals became void: when chance gave
    too few, the latest requests that the rules approved in part are withdrawn instead."""
    candidates = [
        r
        for r in requests
        if r.draft.partly_covered and set(r.draft.documents_expected) <= set(r.draft.documents_sent)
    ]
    missing = _MIN_WITHDRAWN - sum(1 for r in candidates if r.fate is Fate.CANCEL)
    for planned in reversed(candidates):
        if missing <= 0:
            return
        if planned.fate is not Fate.CANCEL and now - planned.draft.received > timedelta(days=3):
            requests[planned.number - 1] = plan_lifecycle(
                rng, planned.draft, number=planned.number, now=now, fate=Fate.CANCEL
            )
            missing -= 1


def receipt_times(rng: random.Random, *, now: datetime, count: int, days: int) -> list[datetime]:
    """Receipt instants in Pacific business hours (15:00-01:00 UTC), fewer at weekends.

    Vendors moved from fax to the hub over the quarter: part of the volume is spread evenly,
    part grows towards ``now``, and the last two weeks are the busiest.
    """
    out: list[datetime] = []
    while len(out) < count:
        draw = rng.random()
        if draw < 0.45:
            back = rng.random() * days
        elif draw < 0.75:
            back = (1 - math.sqrt(rng.random())) * days
        else:
            back = rng.random() * min(days, _BUSIEST_DAYS)
        day = now.date() - timedelta(days=int(back))
        if day.weekday() >= 5 and rng.random() < 0.75:
            continue
        at = datetime.combine(day, time(15), UTC) + timedelta(minutes=rng.randrange(600))
        if now - days * timedelta(days=1) < at < now - timedelta(minutes=5):
            out.append(at)
    return sorted(out)


def _assignments(world: _World) -> tuple[Assignment, ...]:
    """CHOC's case managers assigned most children with a trach or G-tube to the CSAG."""
    out = []
    window_start = world.now.date() - timedelta(days=WINDOW_DAYS)
    for member in world.data.members:
        current = [e for e in world.enrollments[member.cin] if e.effective_to is None]
        wanted = [(c, dx) for c, dx in _ASSIGNED_CSAGS if dx in member.diagnoses]
        if not wanted or current[0].network_code != "choc":
            continue
        if world.rng.random() >= _CSAG_ASSIGNED:
            continue
        start = window_start - timedelta(days=world.rng.randint(1, 9))
        start = max(start, current[0].effective_from)
        at = datetime.combine(start, time(17), UTC)
        if at >= world.now:
            continue
        out += [Assignment(at, "admin.choc", "choc", member.cin, c, start) for c, _ in wanted]
    return tuple(out)


def _draft(world: _World, received: datetime) -> Draft | None:
    """A request a vendor would send at ``received``; None when no member fits after a few tries."""
    rng = world.rng
    for _ in range(12):
        # members[0] is the README's example member: a newcomer starts from a clean slate.
        member = rng.choice(world.data.members[1:])
        if member.birth_date > received.date():
            continue
        start = received.date() + timedelta(days=rng.choice((0, 0, 0, 1, 3, 7, 14)))
        network = world.network_on(member.cin, start)
        if network is None:
            continue
        age = age_on(member.birth_date, start)
        bundles = [b for b in BUNDLES[member.condition] if b.min_age <= age <= b.max_age]
        if not bundles:
            continue
        bundle = rng.choices(bundles, weights=[b.weight for b in bundles])[0]
        lines = _lines(world, member, network, bundle, start)
        if lines is None:
            continue
        return _finish_draft(world, received, member, network, bundle, lines)
    return None


def _finish_draft(
    world: _World,
    received: datetime,
    member: DemoMember,
    network: str,
    bundle: Bundle,
    lines: list[PlannedLine],
) -> Draft:
    rng = world.rng
    slug = _vendor(world, bundle, network, lines[0].start)
    in_network = world.in_network(slug, network, lines[0].start)
    lines = [_with_contract(ln, in_network) for ln in lines]
    expedited = bundle.urgent is not None and rng.random() < _EXPEDITED
    renewal = (
        all(ln.recurring for ln in lines) and _lifelong(network, member) and rng.random() < _RENEWAL
    )
    documents = _documents_sent(rng, bundle)
    start = lines[0].start
    return Draft(
        received=received,
        network_code=network,
        turnaround_hours=_turnaround(world, network, expedited=expedited),
        standard_hours=_turnaround(world, network, expedited=False),
        vendor_user=world.vendor_user[world.vendor_npi[slug]],
        member_cin=member.cin,
        member_birth_date=member.birth_date,
        prescriber_npi=world.prescribers[_stable_index(member.cin, len(world.prescribers))],
        diagnoses=member.diagnoses,
        expedited_reason=bundle.urgent if expedited else None,
        kind="renewal" if renewal else "initial",
        notes=f"Renewal: the current authorization ends {(start - timedelta(days=1)).isoformat()}."
        if renewal
        else None,
        lines=tuple(lines),
        documents_sent=documents,
        # A prescription alone is a courtesy; two documents are what the ruleset requires.
        documents_expected=bundle.documents if len(bundle.documents) > 1 else (),
        benefit_question=bundle.benefit_question,
        has_csags=network == "choc",
        partly_covered=network == "choc" and in_network and _partly_covered(member, lines),
    )


def _partly_covered(member: DemoMember, lines: Sequence[PlannedLine]) -> bool:
    """Some lines in a CHOC CSAG for the member's diagnoses, and some left to a reviewer."""
    prefixes = {p for dx in member.diagnoses for p in prefixes_of(dx)}
    covered = set(_NO_AUTHORIZATION)
    for csag in CHOC_CSAGS:
        wanted = {normalize_prefix(p) for p in csag["diagnosis_prefixes"]}
        if wanted & prefixes and not csag.get("requires_assignment"):
            covered |= {item["hcpcs"] for item in csag["items"]}
    in_csag = [ln.hcpcs in covered and ln.hcpcs not in _NO_AUTHORIZATION for ln in lines]
    return any(in_csag) and any(ln.hcpcs not in covered for ln in lines)


def _stable_index(text: str, size: int) -> int:
    """A stable index for ``text`` (Python's ``hash`` of a str changes between runs)."""
    return sum(ord(c) * (i + 1) for i, c in enumerate(text)) % size


def _documents_sent(rng: random.Random, bundle: Bundle) -> tuple[str, ...]:
    """What the vendor uploads before submitting: now and then the last document is missing."""
    docs = bundle.documents
    if len(docs) > 1 and rng.random() < 0.25:
        return docs[:-1]
    if len(docs) == 1 and rng.random() < 0.5:
        return ()  # a prescription alone is not asked for: half the vendors leave it out
    return docs


def _turnaround(world: _World, network: str, *, expedited: bool) -> int:
    found = next(n for n in world.data.networks if n.code == network)
    return found.expedited_hours if expedited else found.standard_hours


@cache
def _durations(network: str) -> tuple[frozenset[str], int, int]:
    """The demo ruleset's lifelong prefixes, lifelong days and default days of a network."""
    d = ruleset_for(network)["durations"]
    wanted = frozenset(normalize_prefix(p) for p in d["lifelong_diagnosis_prefixes"])
    cap = int(d["max_days"])
    return wanted, min(int(d["lifelong_days"]), cap), min(int(d["default_days"]), cap)


def _lifelong(network: str, member: DemoMember) -> bool:
    wanted, _, _ = _durations(network)
    return any(p in wanted for dx in member.diagnoses for p in prefixes_of(dx))


def _period_days(network: str, member: DemoMember) -> int:
    _, lifelong_days, default_days = _durations(network)
    return lifelong_days if _lifelong(network, member) else default_days


def _lines(
    world: _World, member: DemoMember, network: str, bundle: Bundle, start: date
) -> list[PlannedLine] | None:
    """The bundle's lines from ``start``; None if one would repeat a line already asked for."""
    allowed = _period_days(network, member)
    lines = [_line(world.rng, item, start, allowed) for item in bundle.items]
    for line in lines:
        for booked_start, booked_end in world.ledger.get((member.cin, line.hcpcs), []):
            if booked_start <= line.end and line.start <= booked_end:
                return None
    for line in lines:
        world.ledger.setdefault((member.cin, line.hcpcs), []).append((line.start, line.end))
    return lines


def _line(rng: random.Random, item: Item, start: date, allowed_days: int) -> PlannedLine:
    days = allowed_days if item.recurring else 90
    trim_period: int | None = None
    if item.recurring and allowed_days < 365 and rng.random() < _OVER_ASK:
        days, trim_period = 365, allowed_days
    quantity, trim_quantity = item.quantity, None
    if item.over_quantity is not None and rng.random() < _OVER_ASK * 2:
        quantity, trim_quantity = item.over_quantity
    with_reason = item.brand is not None and rng.random() < 0.85
    return PlannedLine(
        hcpcs=item.hcpcs,
        quantity=quantity,
        unit=item.unit,
        frequency=item.frequency,
        start=start,
        end=start + timedelta(days=days - 1),
        acquisition=item.acquisition,
        modifiers=item.modifiers,
        brand=item.brand.name if item.brand else None,
        manufacturer=item.brand.manufacturer if item.brand else None,
        brand_reason=item.brand.reason if item.brand and with_reason else None,
        trim_to_days=trim_period,
        trim_to_quantity=trim_quantity,
    )


def _with_contract(line: PlannedLine, in_network: bool) -> PlannedLine:
    return replace(line, in_network=in_network)


def _vendor(world: _World, bundle: Bundle, network: str, on: date) -> str:
    """Mostly a specialist in network; else a generalist in network; else out of network."""
    rng = world.rng
    if rng.random() < _OUT_OF_NETWORK:
        return rng.choice(bundle.vendors)
    for pool in (bundle.vendors, GENERALISTS):
        inside = [s for s in pool if world.in_network(s, network, on)]
        if inside:
            return rng.choice(inside)
    return rng.choice(bundle.vendors)
