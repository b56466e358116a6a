"""Report use cases: prior-authorization metrics per network and urgency, and the breach list.

The database counts (``repository.counts``); percentiles are computed here, in pure functions,
from the decided requests' receipt and decision instants, so both backends agree to the digit.
"""

from __future__ import annotations

import csv
import io
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.csvsafe import safe_row
from dme_portal.db.dialect import aggregates_percentiles
from dme_portal.errors import Forbidden, InvalidInput
from dme_portal.networks.models import Network
from dme_portal.reports import repository
from dme_portal.reports.repository import Counts, Decided, DecisionSeconds
from dme_portal.reports.schemas import BreachRead, MetricsReport, MetricsRow
from dme_portal.rulesets.exceptions import NetworkNotFound
from dme_portal.submissions.models import Urgency

REPORT_ROLES = frozenset({Role.PLAN_ADMIN, Role.NETWORK_ADMIN})
MAX_PERIOD_DAYS = 366
URGENCIES = (Urgency.STANDARD, Urgency.EXPEDITED)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of sorted ``values``, linear between the closest ranks.

    The same as numpy's default method: position ``(n - 1) * q`` in the sorted values.
    """
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    position = (len(values) - 1) * q
    low = math.floor(position)
    high = math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


@dataclass(frozen=True, slots=True)
class HoursSummary:
    mean: float | None
    median: float | None
    p90: float | None


def summarize_hours(hours: Iterable[float]) -> HoursSummary:
    """Mean, median and 90th percentile, rounded to 2 places; all None for no values."""
    ordered = sorted(hours)
    if not ordered:
        return HoursSummary(None, None, None)
    return HoursSummary(
        mean=round(math.fsum(ordered) / len(ordered), 2),
        median=round(percentile(ordered, 0.5), 2),
        p90=round(percentile(ordered, 0.9), 2),
    )


def share(part: int, whole: int) -> float:
    """``part / whole`` rounded to 4 places; 0 when ``whole`` is 0."""
    return round(part / whole, 4) if whole else 0.0


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(hours=1)


def metrics_row(network: Network, urgency: Urgency, c: Counts, summary: HoursSummary) -> MetricsRow:
    """One report row from the counts and the decision times of a network and urgency."""
    return MetricsRow(
        network_id=network.id,
        network_code=network.code,
        network_name=network.name,
        urgency=urgency,
        requests=c.requests,
        cancelled=c.cancelled,
        decided_by_rules_share=share(c.rules_decided, c.requests),
        approved=c.approved,
        partially_approved=c.partially_approved,
        modified=c.modified,
        denied=c.denied,
        pended=c.pended,
        approved_after_reconsideration=c.approved_after_reconsideration,
        extended_timeframe_share=share(c.extended, c.requests),
        decision_hours_mean=summary.mean,
        decision_hours_median=summary.median,
        decision_hours_p90=summary.p90,
        sla_met=c.sla_met,
        sla_missed=c.sla_missed,
        sla_compliance=round(c.sla_met / c.decided, 4) if c.decided else None,
        breaches=c.sla_missed + c.overdue_open,
    )


def summaries_from(decided: Iterable[Decided]) -> dict[tuple[uuid.UUID, Urgency], HoursSummary]:
    """Decision-time summaries per (network, urgency) from each decided request."""
    hours: dict[tuple[uuid.UUID, Urgency], list[float]] = {}
    for d in decided:
        hours.setdefault((d.network_id, d.urgency), []).append(
            hours_between(d.received_at, d.decided_at)
        )
    return {key: summarize_hours(values) for key, values in hours.items()}


def summaries_from_seconds(
    rows: Iterable[DecisionSeconds],
) -> dict[tuple[uuid.UUID, Urgency], HoursSummary]:
    """Decision-time summaries per (network, urgency) from database-computed statistics."""
    return {
        (r.network_id, r.urgency): HoursSummary(
            mean=round(r.mean / 3600, 2),
            median=round(r.median / 3600, 2),
            p90=round(r.p90 / 3600, 2),
        )
        for r in rows
    }


def build_rows(
    networks: Sequence[Network],
    counts: Mapping[tuple[uuid.UUID, Urgency], Counts],
    summaries: Mapping[tuple[uuid.UUID, Urgency], HoursSummary],
) -> list[MetricsRow]:
    """A row for every network and both urgencies, in the networks' order, zeros included."""
    none = HoursSummary(None, None, None)
    return [
        metrics_row(n, u, counts.get((n.id, u), Counts()), summaries.get((n.id, u), none))
        for n in networks
        for u in URGENCIES
    ]


def _check_role(principal: Principal) -> None:
    if principal.role not in REPORT_ROLES:
        raise Forbidden(f"The role '{principal.role.value}' may not read reports.")


async def networks_in_scope(
    session: AsyncSession, *, principal: Principal, network_id: uuid.UUID | None
) -> list[Network]:
    """The networks the report covers; 404 for a network the principal may not see."""
    _check_role(principal)
    networks = await repository.networks_in_scope(session, principal, network_id)
    if network_id is not None and not networks:
        raise NetworkNotFound()
    return networks


def _period(start: date, end: date) -> tuple[datetime, datetime]:
    if end <= start:
        raise InvalidInput("to", "must be after `from` (the period is [from, to), UTC days)")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidInput("to", f"the period may cover at most {MAX_PERIOD_DAYS} days")
    return datetime.combine(start, time(), UTC), datetime.combine(end, time(), UTC)


async def metrics(
    session: AsyncSession,
    *,
    principal: Principal,
    start: date,
    end: date,
    network_id: uuid.UUID | None,
    now: datetime,
) -> MetricsReport:
    """Prior-authorization metrics of the requests received from ``start`` to before ``end``."""
    since, until = _period(start, end)
    networks = await networks_in_scope(session, principal=principal, network_id=network_id)
    ids = [n.id for n in networks]
    counted = await repository.counts(session, ids, start=since, end=until, now=now)
    if aggregates_percentiles(session):
        summaries = summaries_from_seconds(
            await repository.decision_percentiles(session, ids, start=since, end=until)
        )
    else:
        summaries = summaries_from(
            await repository.decision_times(session, ids, start=since, end=until)
        )
    return MetricsReport.model_validate(
        {
            "from": start,
            "to": end,
            "generated_at": now,
            "items": build_rows(networks, counted, summaries),
        }
    )


async def sla_breaches(
    session: AsyncSession,
    *,
    principal: Principal,
    network_id: uuid.UUID | None,
    now: datetime,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[BreachRead]:
    """Open requests past their deadline at ``now`` (clock running), most overdue first."""
    networks = await networks_in_scope(session, principal=principal, network_id=network_id)
    names = {n.id: n.name for n in networks}
    rows = await repository.overdue_open(session, list(names), now=now, after=after, limit=limit)
    return [
        BreachRead(
            request_id=row.request_id,
            network_id=row.network_id,
            network_name=names[row.network_id],
            status=row.status,
            urgency=row.urgency,
            received_at=row.received_at,
            due_at=row.due_at,
            hours_late=round(hours_between(row.due_at, now), 2),
            assigned_to=row.assigned_to,
            waiting_on=row.waiting_on,
            escalated=row.escalated,
        )
        for row in rows
    ]


CSV_COLUMNS = tuple(MetricsRow.model_fields)


def metrics_csv(report: MetricsReport) -> str:
    """The report's rows as CSV (RFC 4180, header row first; empty cells for nulls)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in report.items:
        values = row.model_dump(mode="json")
        # Network names and codes are typed by admins: no cell may start a formula.
        writer.writerow(safe_row(values[c] for c in CSV_COLUMNS))
    return out.getvalue()
