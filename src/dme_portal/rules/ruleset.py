"""The ruleset document a network admin edits and publishes: validated, versioned data."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    model_validator,
)

from dme_portal.codes import hcpcs

SCHEMA_VERSION = 1
_ICD10_PREFIX = re.compile(r"^[A-TV-Z][0-9]{0,2}(\.?[0-9A-Z]{0,4})?$")


class DocumentType(StrEnum):
    PRESCRIPTION = "prescription"
    LETTER_OF_MEDICAL_NECESSITY = "letter_of_medical_necessity"
    SEATING_EVALUATION = "seating_evaluation"
    EVALUATION = "evaluation"
    OTHER = "other"


def normalize_prefix(prefix: str) -> str:
    """ICD-10 prefixes are compared without the dot: ``G80.`` and ``G80`` are the same."""
    return prefix.replace(".", "").upper()


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoAuthItem(_Doc):
    """A code the network does not authorize at all (within a monthly ceiling)."""

    hcpcs: str = Field(pattern=r"^[A-Z][0-9]{4}$", description="HCPCS Level II code.")
    max_units_per_month: StrictInt | None = Field(
        default=None, gt=0, description="Above this, the item needs authorization after all."
    )


class CsagItem(_Doc):
    """An item a CSAG pre-approves, with its limits; a line over them goes to review."""

    hcpcs: str = Field(pattern=r"^[A-Z][0-9]{4}$", description="HCPCS Level II code.")
    modifiers: list[str] = Field(
        default_factory=list, description="Allowed modifiers; empty allows any."
    )
    max_units_per_month: StrictInt = Field(gt=0, description="Most units a month approved.")
    max_period_days: StrictInt = Field(
        gt=0, le=366, description="Longest period approved at once, in days."
    )


class Csag(_Doc):
    """Condition-specific authorization group: pre-approved items for a condition."""

    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="Stable id, e.g. `cp-mobility`; traces name it as `csag:<id>`.",
    )
    name: str = Field(min_length=1, max_length=200, description="Name shown in traces.")
    diagnosis_prefixes: list[str] = Field(
        min_length=1,
        description="ICD-10-CM prefixes (`G80`, `E10.6`): a request with a diagnosis "
        "starting with one of them is in the group.",
    )
    items: list[CsagItem] = Field(min_length=1, description="The items pre-approved.")
    requires_assignment: StrictBool = Field(
        default=False, description="The network's case manager must assign the member first."
    )
    requires_in_network_vendor: StrictBool = Field(
        default=True, description="Only a vendor contracted with the network is pre-approved."
    )
    documents_waived: StrictBool = Field(
        default=False,
        description="The network approves this CSAG's items without the documents its "
        "documentation rules ask for (the trace says so). By default a line is approved by "
        "rules only once its required documents are on file.",
    )
    citation: str | None = Field(
        default=None, max_length=500, description="The network policy this group comes from."
    )


class Durations(_Doc):
    """How long authorizations last."""

    default_days: StrictInt = Field(
        default=90, gt=0, le=366, description="Authorization period by default, in days."
    )
    lifelong_days: StrictInt = Field(
        default=180, gt=0, le=366, description="Period for members with a lifelong condition."
    )
    lifelong_diagnosis_prefixes: list[str] = Field(
        default_factory=list,
        description="ICD-10-CM prefixes of the lifelong conditions (e.g. `G80` cerebral palsy).",
    )
    max_days: StrictInt = Field(
        default=365, gt=0, le=366, description="The longest period ever authorized."
    )


class Renewals(_Doc):
    """When authorizations may be renewed, and when they are announced as expiring."""

    window_days: StrictInt = Field(
        default=30,
        ge=1,
        le=180,
        description="A renewal may be filed up to this many days before an authorization "
        "ends; the authorization is `expiring` from then on.",
    )
    extended_lifelong_days: StrictInt | None = Field(
        default=None,
        gt=0,
        le=366,
        description="A longer period a vendor may ask for, with a reason, when renewing for a "
        "member with a lifelong condition (null: none offered beyond `durations.lifelong_days`).",
    )


class Reconsideration(_Doc):
    """Reconsideration (appeal) of a denied or modified line."""

    request_within_days: StrictInt = Field(
        default=60,
        ge=1,
        le=366,
        description="Days after the decision within which a vendor may ask for reconsideration.",
    )
    turnaround_days: StrictInt = Field(
        default=30, ge=1, le=90, description="Days the network has to decide a reconsideration."
    )
    expedited_turnaround_hours: StrictInt = Field(
        default=72, ge=1, le=24 * 30, description="Hours for an expedited reconsideration."
    )


class QuantityLimit(_Doc):
    """A monthly quantity above which a line goes to review."""

    hcpcs: str = Field(pattern=r"^[A-Z][0-9]{4}$", description="HCPCS Level II code.")
    max_units_per_month: StrictInt = Field(gt=0, description="Most units a month.")


class DocumentationRequirement(_Doc):
    """Documents a line needs for review, by code or by category."""

    hcpcs: str | None = Field(
        default=None,
        pattern=r"^[A-Z][0-9]{4}$",
        description="The code it applies to; give this or `category`, not both.",
    )
    category: str | None = Field(
        default=None, description="The DME category it applies to, e.g. `wheelchairs`."
    )
    documents: list[DocumentType] = Field(min_length=1, description="The documents needed.")

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.hcpcs is None) == (self.category is None):
            raise ValueError("give exactly one of hcpcs or category")
        if self.category is not None and self.category not in hcpcs.CATEGORIES:
            raise ValueError(f"unknown category {self.category!r}")
        return self


class BrandRule(_Doc):
    """What a line naming a brand needs."""

    require_reason: StrictBool = Field(
        default=True, description="A line naming a brand needs a `brand_reason`."
    )


class OutOfNetworkRule(_Doc):
    """What a line from a vendor outside the network needs."""

    requires_letter_of_agreement: StrictBool = Field(
        default=True,
        description="Such a line goes to review for a letter of agreement with the vendor.",
    )


class SlaPolicy(_Doc):
    """The network's turnaround: hours to decide, and how the clock behaves."""

    # No upper bound in the shape: the legal maximums (rules/sla_limits.py) are checked, with
    # the rule they come from, when a draft is validated or published; an older published
    # version over them still loads.
    standard_hours: StrictInt = Field(
        default=72,
        gt=0,
        description="Hours from receipt to a standard decision: at most 168 (7 calendar days, "
        "42 CFR 438.210(d)(1)), and at most 120 where California HSC 1367.01 binds the plan "
        "(five business days); checked on validate and publish.",
    )
    expedited_hours: StrictInt = Field(
        default=72,
        gt=0,
        description="Hours from receipt to an expedited decision: at most 72 "
        "(42 CFR 438.210(d)(2)); checked on validate and publish.",
    )
    pause_while_pended: StrictBool = Field(
        default=False,
        description="The clock stands still while the network waits for the vendor's answer.",
    )
    at_risk_fraction: float = Field(
        default=1 / 6,
        gt=0,
        lt=1,
        description="A request is `at_risk` when less than this share of its turnaround is left.",
    )


class RuleSet(_Doc):
    """A network's authorization rules (one version of them)."""

    schema_version: StrictInt = Field(
        default=SCHEMA_VERSION, description=f"Version of this format; {SCHEMA_VERSION} now."
    )
    description: str = Field(
        default="", max_length=2000, description="What the ruleset is, in the network's words."
    )
    illustrative: StrictBool = Field(
        default=False, description="True for demo data: not any network's real policy."
    )
    no_authorization: list[NoAuthItem] = Field(
        default_factory=list, description="Codes that need no authorization."
    )
    csags: list[Csag] = Field(
        default_factory=list, description="Condition-specific authorization groups."
    )
    durations: Durations = Field(default=Durations(), description="Authorization periods.")
    quantity_limits: list[QuantityLimit] = Field(
        default_factory=list, description="Monthly limits per code."
    )
    documentation: list[DocumentationRequirement] = Field(
        default_factory=list, description="Documents needed per code or category."
    )
    brand: BrandRule = Field(default=BrandRule(), description="The brand rule.")
    out_of_network: OutOfNetworkRule = Field(
        default=OutOfNetworkRule(), description="The out-of-network rule."
    )
    sla: SlaPolicy = Field(default=SlaPolicy(), description="The turnaround policy.")
    renewals: Renewals = Field(default=Renewals(), description="Renewal window and periods.")
    reconsideration: Reconsideration = Field(
        default=Reconsideration(), description="Reconsideration of denials and reductions."
    )

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        if info.context and info.context.get("shape_only"):
            return self
        problems = consistency_problems(self)
        if problems:
            raise ValueError("; ".join(f"{where}: {what}" for where, what in problems))
        return self


def _documentation_applies(rs: RuleSet, code: str) -> bool:
    known = hcpcs.lookup(code)
    category = known.category if known else None
    return any(
        doc.hcpcs == code or (category is not None and doc.category == category)
        for doc in rs.documentation
    )


def consistency_problems(rs: RuleSet) -> list[tuple[str, str]]:
    """What contradicts itself or names unknown codes, as (field path, message) pairs."""
    out: list[str] = []
    if rs.schema_version != SCHEMA_VERSION:
        out.append(f"schema_version: must be {SCHEMA_VERSION}")

    def check_code(where: str, code: str | None) -> None:
        if code is not None and hcpcs.lookup(code) is None:
            out.append(f"{where}: {code} is not a DME HCPCS code known to the hub")

    def check_prefix(where: str, prefix: str) -> None:
        if not _ICD10_PREFIX.match(prefix) or not prefix:
            out.append(f"{where}: {prefix!r} is not an ICD-10-CM prefix (e.g. G80 or E10.6)")

    exempt: dict[str, NoAuthItem] = {}
    for i, free in enumerate(rs.no_authorization):
        check_code(f"no_authorization[{i}]", free.hcpcs)
        if free.hcpcs in exempt:
            out.append(f"no_authorization[{i}]: {free.hcpcs} is listed twice")
        exempt[free.hcpcs] = free
    ids: set[str] = set()
    for i, csag in enumerate(rs.csags):
        if csag.id in ids:
            out.append(f"csags[{i}]: id {csag.id!r} is used twice")
        ids.add(csag.id)
        for j, prefix in enumerate(csag.diagnosis_prefixes):
            check_prefix(f"csags[{i}].diagnosis_prefixes[{j}]", prefix)
        codes: set[str] = set()
        for j, item in enumerate(csag.items):
            where = f"csags[{i}].items[{j}]"
            check_code(where, item.hcpcs)
            if item.hcpcs in codes:
                out.append(f"{where}: {item.hcpcs} is listed twice in this CSAG")
            codes.add(item.hcpcs)
            for m in item.modifiers:
                if not hcpcs.is_known_modifier(m):
                    out.append(f"{where}: {m!r} is not a known modifier")
            if item.max_period_days > rs.durations.max_days:
                out.append(f"{where}: max_period_days exceeds durations.max_days")
            ex = exempt.get(item.hcpcs)
            if ex is not None and ex.max_units_per_month != item.max_units_per_month:
                out.append(
                    f"{where}: {item.hcpcs} is also on the no-authorization list with a "
                    "different limit; keep it in one place"
                )
    for i, csag in enumerate(rs.csags):
        if csag.documents_waived and not any(
            _documentation_applies(rs, item.hcpcs) for item in csag.items
        ):
            out.append(
                f"csags[{i}].documents_waived: no documentation rule applies to this CSAG's "
                "items, so there is nothing to waive; remove the waiver"
            )
    for i, limit in enumerate(rs.quantity_limits):
        check_code(f"quantity_limits[{i}]", limit.hcpcs)
    for i, doc in enumerate(rs.documentation):
        check_code(f"documentation[{i}]", doc.hcpcs)
    for j, prefix in enumerate(rs.durations.lifelong_diagnosis_prefixes):
        check_prefix(f"durations.lifelong_diagnosis_prefixes[{j}]", prefix)
    d = rs.durations
    if not d.default_days <= d.max_days or not d.lifelong_days <= d.max_days:
        out.append("durations: default_days and lifelong_days must not exceed max_days")
    pairs: list[tuple[str, str]] = []
    for text in out:
        where, _, what = text.partition(": ")
        pairs.append((where, what))
    return pairs
