"""Deterministic synthetic demo data: CalOptima networks, DME vendors, children and staff.

Everything here is fictional except the plan and network names, the ICD-10-CM codes and the
HCPCS codes they imply. The module is pure: no I/O, no clock, no secrets (the seeder makes them).
"""

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Literal

from dme_portal.codes import npi

ContractStatus = Literal["in_network", "out_of_network"]
OrgKind = Literal["vendor", "network", "plan"]
UserRole = Literal[
    "vendor", "reviewer", "medical_director", "network_admin", "care_coordinator", "plan_admin"
]
ClientRole = Literal["vendor_client", "network_client", "plan_client"]


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """The managed-care plan that oversees the networks."""

    code: str
    name: str
    hsc_1367_01_applies: bool = False


@dataclass(frozen=True, slots=True)
class DemoNetwork:
    """A health network that members enroll in and that decides their authorizations."""

    code: str
    name: str
    standard_hours: int
    expedited_hours: int


@dataclass(frozen=True, slots=True)
class DemoVendor:
    """A fictional DME supplier, identified by a check-digit-valid NPI."""

    npi: str
    name: str


@dataclass(frozen=True, slots=True)
class DemoContract:
    """A vendor's contract status with one network over a period (effective_to None = open)."""

    vendor_npi: str
    network_code: str
    status: ContractStatus
    effective_from: date
    effective_to: date | None


@dataclass(frozen=True, slots=True)
class DemoMember:
    """A synthetic child with a CCS-eligible condition; diagnoses are primary first."""

    cin: str
    first_name: str
    last_name: str
    birth_date: date
    ccs_eligible_from: date
    ccs_eligible_to: date
    condition: str
    diagnoses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoEnrollment:
    """A member's enrollment in one network over a period (effective_to None = open)."""

    cin: str
    network_code: str
    effective_from: date
    effective_to: date | None


@dataclass(frozen=True, slots=True)
class DemoUser:
    """A person who signs in; org_code is the vendor NPI, network code or plan code."""

    username: str
    role: UserRole
    org_kind: OrgKind
    org_code: str
    display_name: str


@dataclass(frozen=True, slots=True)
class DemoClient:
    """A machine client (client credentials); org_code is the vendor NPI, network or plan code."""

    client_id: str
    role: ClientRole
    org_kind: OrgKind
    org_code: str
    name: str


@dataclass(frozen=True, slots=True)
class DemoDataset:
    """The whole demo world, built for one `today`."""

    today: date
    plans: tuple[DemoPlan, ...]
    networks: tuple[DemoNetwork, ...]
    vendors: tuple[DemoVendor, ...]
    contracts: tuple[DemoContract, ...]
    members: tuple[DemoMember, ...]
    enrollments: tuple[DemoEnrollment, ...]
    users: tuple[DemoUser, ...]
    clients: tuple[DemoClient, ...]

    @property
    def plan(self) -> DemoPlan:
        """Return the one plan (CalOptima) that oversees every network."""
        return self.plans[0]


@dataclass(frozen=True, slots=True)
class _Condition:
    primary: tuple[str, ...]  # one of these is the member's primary diagnosis
    always: tuple[str, ...]  # status codes that go with the condition (e.g. Z93.0 tracheostomy)
    optional: tuple[str, ...]  # common secondary diagnoses, a random subset is added
    weight: int
    min_age_days: int = 0


# Pediatric conditions that make a child CCS-eligible, with billable ICD-10-CM codes.
_CONDITIONS: Mapping[str, _Condition] = MappingProxyType(
    {
        "cerebral_palsy": _Condition(
            ("G80.0", "G80.1", "G80.2", "G80.8"), (), ("M41.40", "R13.12", "G40.909", "Z99.3"), 30
        ),
        "spina_bifida": _Condition(
            ("Q05.2", "Q05.4", "Q05.7", "Q05.9"), ("N31.9",), ("K59.2", "Z98.2", "Z99.3"), 12
        ),
        "cystic_fibrosis": _Condition(("E84.0", "E84.19", "E84.8"), (), ("K86.81",), 6),
        "type_1_diabetes": _Condition(
            ("E10.9", "E10.65", "E10.649"), ("Z79.4",), ("Z96.41",), 12, min_age_days=365
        ),
        "tracheostomy_dependence": _Condition(
            ("J96.11", "J96.12", "Q32.0", "J38.6"), ("Z93.0",), ("Z99.11",), 7
        ),
        "gastrostomy_dependence": _Condition(
            ("R13.12", "R63.32", "R63.39"), ("Z93.1",), ("K21.9",), 10
        ),
        "bronchopulmonary_dysplasia": _Condition(("P27.1",), ("Z99.81",), ("Z93.0",), 5),
        "spinal_muscular_atrophy": _Condition(
            ("G12.0", "G12.1"), (), ("M41.40", "Z99.3", "Z99.11"), 4
        ),
        "muscular_dystrophy": _Condition(
            ("G71.01",), (), ("M41.40", "Z99.3"), 4, min_age_days=2 * 365
        ),
        "osteogenesis_imperfecta": _Condition(("Q78.0",), (), ("Z99.3",), 3),
        "arthrogryposis": _Condition(("Q74.3",), (), ("Z99.3",), 2),
        "paraplegia": _Condition(
            ("G82.21", "G82.22"), (), ("N31.9", "K59.2", "Z99.3"), 3, min_age_days=365
        ),
    }
)

CONDITIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {name: c.primary + c.always + c.optional for name, c in _CONDITIONS.items()}
)

# A Knox-Keene licensed plan: California HSC 1367.01 bounds its networks' turnaround.
_PLAN = DemoPlan(code="caloptima", name="CalOptima Health", hsc_1367_01_applies=True)

# Real CalOptima Health networks in Orange County; turnaround hours are illustrative.
_NETWORKS: tuple[DemoNetwork, ...] = (
    DemoNetwork("choc", "CHOC Health Alliance", 72, 72),
    DemoNetwork("altamed", "AltaMed Health Services", 72, 72),
    DemoNetwork("arta", "Arta Western Health Network", 72, 72),
    DemoNetwork("noble", "Noble Mid-Orange County", 72, 24),
    DemoNetwork("prospect", "Prospect Medical Group", 72, 72),
    DemoNetwork("talbert", "Talbert Medical Group", 72, 72),
    DemoNetwork("ucmg", "United Care Medical Group", 72, 72),
    DemoNetwork("chn", "CalOptima Health Community Network", 72, 72),
)
_NETWORK_WEIGHTS = (30, 14, 8, 6, 8, 6, 6, 22)

# Fictional suppliers: (username slug, name, first 9 NPI digits). NPIs are fixed across seeds.
_VENDORS: tuple[tuple[str, str, str], ...] = (
    ("harbor", "Harbor Pediatric Mobility", "104738261"),
    ("pelican", "Pelican Pediatric Respiratory", "118305927"),
    ("bluejay", "Bluejay Enteral Supply", "127460385"),
    ("sunbeam", "Sunbeam Continence Supply", "133982714"),
    ("cedarlane", "Cedar Lane Seating Systems", "146027539"),
    ("driftwood", "Driftwood Orthotics Lab", "152849603"),
    ("lighthouse", "Lighthouse Home Care Equipment", "161374028"),
    ("marigold", "Marigold Diabetes Supply", "179203846"),
    ("ottercreek", "Otter Creek Mobility", "184615372"),
    ("willow", "Willow Bath and Lift", "190537264"),
    ("kestrel", "Kestrel Medical Supply", "103826419"),
    ("coralreef", "Coral Reef Rehab Equipment", "112957340"),
)

_FIRST_NAMES = (
    "Sofia", "Mateo", "Emma", "Liam", "Camila", "Noah", "Mia", "Ethan", "Isabella", "Lucas",
    "Olivia", "Daniel", "Valentina", "Gabriel", "Ava", "Julian", "Khanh", "Minh", "Linh", "Bao",
    "Ji-woo", "Min-jun", "Seo-yeon", "Aarav", "Priya", "Omar", "Layla", "Yusuf", "Amara", "Elijah",
    "Chloe", "Santiago", "Ximena", "Diego", "Lucia", "Leo", "Aaliyah", "Hana", "Kai", "Zoe",
)  # fmt: skip
_LAST_NAMES = (
    "Garcia", "Nguyen", "Hernandez", "Tran", "Martinez", "Lopez", "Kim", "Pham", "Gonzalez",
    "Rodriguez", "Le", "Perez", "Sanchez", "Park", "Ramirez", "Torres", "Flores", "Rivera",
    "Smith", "Johnson", "Patel", "Hoang", "Vo", "Lee", "Castillo", "Morales", "Reyes", "Cruz",
    "Ortiz", "Nunez", "Haddad", "Brown", "Davis", "Wilson", "Anderson", "Dang", "Bui", "Choi",
)  # fmt: skip
_STAFF_FIRST = ("Ana", "Brian", "Carmen", "David", "Elena", "Farah", "Grace", "Hector", "Irene")
_STAFF_LAST = ("Alvarez", "Bennett", "Chen", "Dominguez", "Ellis", "Fujimoto", "Gutierrez")

# (username prefix, role, title) of the staff every network gets.
_NETWORK_STAFF: tuple[tuple[str, UserRole, str], ...] = (
    ("reviewer", "reviewer", "UM nurse reviewer"),
    ("md", "medical_director", "Medical director"),
    ("admin", "network_admin", "Network administrator"),
    ("coordinator", "care_coordinator", "Care coordinator"),
)

_MAX_AGE_DAYS = 21 * 365 - 10  # strictly under 21: CCS ends at the 21st birthday
_CCS_TERM = timedelta(days=364)  # one-year eligibility, inclusive of both ends
_PRIOR_ENROLLMENT_SHARE = 0.10
_LAPSED_CCS_SHARE = 0.05


def build_dataset(*, today: date, seed: int = 2026, member_count: int = 300) -> DemoDataset:
    """Build the demo world for `today`; the same arguments always give the same dataset."""
    if member_count < 0:
        raise ValueError("member_count must not be negative")
    rng = random.Random(seed)
    vendors = tuple(DemoVendor(npi.with_check_digit(base), name) for _, name, base in _VENDORS)
    members, enrollments = _build_members(rng, today=today, count=member_count)
    return DemoDataset(
        today=today,
        plans=(_PLAN,),
        networks=_NETWORKS,
        vendors=vendors,
        contracts=_build_contracts(rng, today=today, vendors=vendors),
        members=members,
        enrollments=enrollments,
        users=_build_users(rng, vendors=vendors),
        clients=_build_clients(vendors=vendors),
    )


def _build_contracts(
    rng: random.Random, *, today: date, vendors: Sequence[DemoVendor]
) -> tuple[DemoContract, ...]:
    codes = [n.code for n in _NETWORKS]
    contracts: list[DemoContract] = []
    for index, vendor in enumerate(vendors):
        # Round-robin anchor so that every network has at least one in-network vendor.
        anchor = codes[index % len(codes)]
        others = [c for c in codes if c != anchor]
        rng.shuffle(others)
        current_count = rng.randint(2, 5)
        current = [anchor, *others[: current_count - 1]]
        remaining = others[current_count - 1 :]
        for code in sorted(current):
            start = today - timedelta(days=rng.randint(60, 1500))
            end = None if rng.random() < 0.6 else today + timedelta(days=rng.randint(200, 700))
            contracts.append(DemoContract(vendor.npi, code, "in_network", start, end))
        # Some contracts have ended: every third vendor, and others by chance.
        if remaining and (index % 3 == 0 or rng.random() < 0.3):
            code = remaining.pop()
            end = today - timedelta(days=rng.randint(1, 365))
            start = end - timedelta(days=rng.randint(365, 1095))
            contracts.append(DemoContract(vendor.npi, code, "in_network", start, end))
        for code in remaining[: rng.randint(index % 2, 2)]:
            start = today - timedelta(days=rng.randint(30, 900))
            contracts.append(DemoContract(vendor.npi, code, "out_of_network", start, None))
    return tuple(contracts)


def _build_members(
    rng: random.Random, *, today: date, count: int
) -> tuple[tuple[DemoMember, ...], tuple[DemoEnrollment, ...]]:
    names = list(_CONDITIONS)
    weights = [c.weight for c in _CONDITIONS.values()]
    cins: set[str] = set()
    members: list[DemoMember] = []
    enrollments: list[DemoEnrollment] = []
    for index in range(count):
        cin = _new_cin(rng, cins)
        condition_name = rng.choices(names, weights=weights)[0]
        condition = _CONDITIONS[condition_name]
        birth = today - timedelta(days=rng.randint(condition.min_age_days + 14, _MAX_AGE_DAYS))
        eligible_from, eligible_to = _ccs_period(rng, today=today, birth=birth)
        optional = rng.sample(condition.optional, rng.randint(0, len(condition.optional)))
        members.append(
            DemoMember(
                cin=cin,
                first_name=rng.choice(_FIRST_NAMES),
                last_name=rng.choice(_LAST_NAMES),
                birth_date=birth,
                ccs_eligible_from=eligible_from,
                ccs_eligible_to=eligible_to,
                condition=condition_name,
                diagnoses=(rng.choice(condition.primary), *condition.always, *optional),
            )
        )
        # Every network gets members; after that, networks are weighted by size.
        network = (
            _NETWORKS[index]
            if index < len(_NETWORKS)
            else rng.choices(_NETWORKS, weights=_NETWORK_WEIGHTS)[0]
        )
        enrollments.extend(_enrollments(rng, today=today, cin=cin, birth=birth, network=network))
    return tuple(members), tuple(enrollments)


def _new_cin(rng: random.Random, taken: set[str]) -> str:
    while True:
        cin = f"9{rng.randint(0, 9_999_999):07d}{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}"
        if cin not in taken:
            taken.add(cin)
            return cin


def _ccs_period(rng: random.Random, *, today: date, birth: date) -> tuple[date, date]:
    # Redeterminations are spread over the year; a few children are past theirs (lapsed).
    lapsed = (today - birth).days > 800 and rng.random() < _LAPSED_CCS_SHARE
    offset = rng.randint(380, 700) if lapsed else rng.randint(0, 360)
    start = max(today - timedelta(days=offset), birth)
    end = min(start + _CCS_TERM, _twenty_first_birthday(birth) - timedelta(days=1))
    return start, end


def _twenty_first_birthday(birth: date) -> date:
    try:
        return birth.replace(year=birth.year + 21)
    except ValueError:  # born on 29 February
        return date(birth.year + 21, 3, 1)


def _enrollments(
    rng: random.Random, *, today: date, cin: str, birth: date, network: DemoNetwork
) -> list[DemoEnrollment]:
    current_from = max(today - timedelta(days=rng.randint(0, 1500)), birth)
    result = [DemoEnrollment(cin, network.code, current_from, None)]
    if (current_from - birth).days >= 60 and rng.random() < _PRIOR_ENROLLMENT_SHARE:
        previous = rng.choice([n for n in _NETWORKS if n.code != network.code])
        prior_to = current_from - timedelta(days=1)
        prior_from = max(prior_to - timedelta(days=rng.randint(60, 900)), birth)
        result.insert(0, DemoEnrollment(cin, previous.code, prior_from, prior_to))
    return result


def _build_users(rng: random.Random, *, vendors: Sequence[DemoVendor]) -> tuple[DemoUser, ...]:
    def person() -> str:
        return f"{rng.choice(_STAFF_FIRST)} {rng.choice(_STAFF_LAST)}"

    users = [
        DemoUser(f"vendor.{slug}", "vendor", "vendor", vendor.npi, f"{person()} ({vendor.name})")
        for (slug, _, _), vendor in zip(_VENDORS, vendors, strict=True)
    ]
    for network in _NETWORKS:
        for prefix, role, title in _NETWORK_STAFF:
            name = f"Dr. {person()}" if role == "medical_director" else person()
            users.append(
                DemoUser(
                    f"{prefix}.{network.code}",
                    role,
                    "network",
                    network.code,
                    f"{name}, {title}, {network.name}",
                )
            )
    users.append(
        DemoUser(
            "coordinator.plan",
            "care_coordinator",
            "plan",
            _PLAN.code,
            f"{person()}, CCS care coordinator, {_PLAN.name}",
        )
    )
    users.append(
        DemoUser("plan.admin", "plan_admin", "plan", _PLAN.code, f"{person()}, {_PLAN.name}")
    )
    return tuple(users)


def _build_clients(*, vendors: Sequence[DemoVendor]) -> tuple[DemoClient, ...]:
    vendor_clients = [
        DemoClient(f"vendor-{slug}", "vendor_client", "vendor", v.npi, f"{v.name} integration")
        for (slug, _, _), v in zip(_VENDORS, vendors, strict=True)
    ]
    network_clients = [
        DemoClient(f"network-{n.code}", "network_client", "network", n.code, f"{n.name} UM system")
        for n in _NETWORKS
    ]
    plan_client = DemoClient(
        f"plan-{_PLAN.code}", "plan_client", "plan", _PLAN.code, f"{_PLAN.name} enrollment feed"
    )
    return (*vendor_clients, *network_clients, plan_client)
