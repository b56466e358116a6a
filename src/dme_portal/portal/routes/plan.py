"""The plan dashboard: the networks side by side, per month, drawn as SVG on the server.

The figures are the transparency report's (``reports.service.metrics``, the function behind
GET /v1/reports/prior-authorization-metrics), once per month of the chosen period and once
over the whole of it; the CSV is that report's CSV; the breach list is
``reports.service.sla_breaches`` (GET /v1/reports/sla-breaches). Plan admins see every
network of the plan, a network admin their own network; other roles get the 403 page.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from markupsafe import Markup
from starlette.responses import Response

from dme_portal.api.access import AccessLogDep
from dme_portal.api.deps import ClockDep, SessionDep, SettingsDep
from dme_portal.audit.models import AccessAction, ResourceType
from dme_portal.auth.principal import Principal
from dme_portal.errors import Forbidden
from dme_portal.portal import charts
from dme_portal.portal.charts import Series
from dme_portal.portal.session import PortalPrincipal
from dme_portal.portal.templating import render
from dme_portal.reports import service as report_service
from dme_portal.reports.schemas import MetricsReport, MetricsRow
from dme_portal.submissions.models import Urgency

router = APIRouter(include_in_schema=False)

PERIODS = (3, 6, 12)
DEFAULT_MONTHS = 6
BREACH_ROWS = 50
CSV_MEDIA_TYPE = "text/csv"


def _check(principal: Principal) -> None:
    if principal.role not in report_service.REPORT_ROLES:
        raise Forbidden("The plan dashboard is for plan and network administrators.")


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_starts(today: date, months: int) -> list[date]:
    """The first days of the last ``months`` months, this one included, oldest first."""
    return [add_months(today, -k) for k in range(months - 1, -1, -1)]


def months_param(value: int | None) -> int:
    return value if value in PERIODS else DEFAULT_MONTHS


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True, slots=True)
class NetworkTotals:
    """One network over the period, both urgencies together."""

    network_id: uuid.UUID
    code: str
    name: str
    requests: int
    approved: int
    denied: int
    pended: int
    decided: int
    sla_met: int
    sla_missed: int
    breaches: int
    standard: MetricsRow
    expedited: MetricsRow

    @property
    def approval_rate(self) -> float | None:
        return ratio(self.approved, self.decided)

    @property
    def denial_rate(self) -> float | None:
        return ratio(self.denied, self.decided)

    @property
    def pend_rate(self) -> float | None:
        return ratio(self.pended, self.requests)

    @property
    def sla_compliance(self) -> float | None:
        return ratio(self.sla_met, self.decided)


def totals(report: MetricsReport) -> list[NetworkTotals]:
    """The report's rows summed over urgency, one per network in the report's order."""
    by_network: dict[uuid.UUID, list[MetricsRow]] = {}
    for row in report.items:
        by_network.setdefault(row.network_id, []).append(row)
    out = []
    for rows in by_network.values():
        urgent = {r.urgency: r for r in rows}
        first = rows[0]
        out.append(
            NetworkTotals(
                network_id=first.network_id,
                code=first.network_code,
                name=first.network_name,
                requests=sum(r.requests for r in rows),
                approved=sum(r.approved for r in rows),
                denied=sum(r.denied for r in rows),
                pended=sum(r.pended for r in rows),
                decided=sum(r.sla_met + r.sla_missed for r in rows),
                sla_met=sum(r.sla_met for r in rows),
                sla_missed=sum(r.sla_missed for r in rows),
                breaches=sum(r.breaches for r in rows),
                standard=urgent[Urgency.STANDARD],
                expedited=urgent[Urgency.EXPEDITED],
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Month:
    label: str
    networks: list[NetworkTotals]


def _series(networks: Sequence[NetworkTotals], months: Sequence[Month], pick: str) -> list[Series]:
    out = []
    for i, n in enumerate(networks):
        values: list[float | None] = []
        for m in months:
            value = getattr(m.networks[i], pick)
            values.append(None if value is None else float(value))
        out.append(Series(n.name, values, key=n.code))
    return out


def draw(networks: Sequence[NetworkTotals], months: Sequence[Month]) -> dict[str, Markup]:
    """The dashboard's charts, by name."""
    labels = [m.label for m in months]
    names = [n.name for n in networks]

    def by_network(pick: str) -> list[float | None]:
        values = [getattr(n, pick) for n in networks]
        return [None if v is None else float(v) for v in values]

    def turnaround(urgency: str, stat: str) -> list[float | None]:
        return [getattr(getattr(n, urgency), f"decision_hours_{stat}") for n in networks]

    return {
        "volume": charts.bar_chart(
            "chart-volume",
            title="Requests received per network and month",
            desc="Grouped bars: for each month, one bar per network. The table below gives "
            "the numbers.",
            categories=labels,
            series=_series(networks, months, "requests"),
        ),
        "turnaround": charts.bar_chart(
            "chart-turnaround",
            title="Hours from receipt to decision, per network",
            desc="Median and 90th percentile for standard and expedited requests decided in "
            "the period.",
            categories=names,
            series=[
                Series("Standard median", turnaround("standard", "median"), key="std-median"),
                Series("Standard p90", turnaround("standard", "p90"), key="std-p90"),
                Series("Expedited median", turnaround("expedited", "median"), key="exp-median"),
                Series("Expedited p90", turnaround("expedited", "p90"), key="exp-p90"),
            ],
            value_label=charts.hours,
        ),
        "rates": charts.bar_chart(
            "chart-rates",
            title="Approval, denial and pend rates per network",
            desc="Approved and denied as shares of decided requests; pended as a share of "
            "requests received.",
            categories=names,
            series=[
                Series("Approved", by_network("approval_rate"), key="approval"),
                Series("Denied", by_network("denial_rate"), key="denial"),
                Series("Pended", by_network("pend_rate"), key="pend"),
            ],
            value_label=charts.percent,
        ),
        "sla": charts.line_chart(
            "chart-sla",
            title="SLA compliance per network and month",
            desc="Share of the month's decided requests decided by their deadline; no point "
            "for a month with no decision.",
            categories=labels,
            series=_series(networks, months, "sla_compliance"),
            value_label=charts.percent,
        ),
        "breaches": charts.bar_chart(
            "chart-breaches",
            title="SLA breaches per network and month",
            desc="Requests decided late plus open requests past their deadline, by month received.",
            categories=labels,
            series=_series(networks, months, "breaches"),
        ),
    }


async def _reports(
    principal: Principal,
    session: SessionDep,
    clock: ClockDep,
    months: int,
) -> tuple[MetricsReport, list[Month]]:
    now = clock.now()
    starts = month_starts(now.date(), months)
    end = add_months(starts[-1], 1)
    whole = await report_service.metrics(
        session, principal=principal, start=starts[0], end=end, network_id=None, now=now
    )
    monthly = []
    for start in starts:
        report = await report_service.metrics(
            session,
            principal=principal,
            start=start,
            end=add_months(start, 1),
            network_id=None,
            now=now,
        )
        monthly.append(Month(start.strftime("%b %Y"), totals(report)))
    return whole, monthly


@router.get("/plan")
async def plan_dashboard(
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
    months: Annotated[int | None, Query()] = None,
) -> Response:
    _check(principal)
    chosen = months_param(months)
    whole, monthly = await _reports(principal, session, clock, chosen)
    networks = totals(whole)
    breaches = await report_service.sla_breaches(
        session,
        principal=principal,
        network_id=None,
        now=clock.now(),
        after=None,
        limit=BREACH_ROWS,
    )
    await access.record(
        principal,
        action=AccessAction.READ,
        resource_type=ResourceType.REPORT,
        resource_id="prior-authorization-metrics",
        network_id=principal.network_id,
    )
    await access.record(
        principal,
        action=AccessAction.LIST,
        resource_type=ResourceType.REPORT,
        resource_id="sla-breaches",
        network_id=principal.network_id,
        request_ids=[b.request_id for b in breaches],
    )
    return render(
        request,
        "plan/dashboard.html",
        settings=settings,
        principal=principal,
        now=clock.now(),
        months=chosen,
        periods=PERIODS,
        report=whole,
        networks=networks,
        monthly=monthly,
        charts=draw(networks, monthly),
        breaches=breaches,
        percent=lambda v: "—" if v is None else charts.percent(v),
        hours=lambda v: "—" if v is None else charts.hours(v),
    )


@router.get("/plan/metrics.csv")
async def plan_metrics_csv(
    principal: PortalPrincipal,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
    months: Annotated[int | None, Query()] = None,
) -> Response:
    """The report over the chosen months, as the API's CSV (``Accept: text/csv``)."""
    _check(principal)
    now = clock.now()
    starts = month_starts(now.date(), months_param(months))
    end = add_months(starts[-1], 1)
    report = await report_service.metrics(
        session, principal=principal, start=starts[0], end=end, network_id=None, now=now
    )
    await access.record(
        principal,
        action=AccessAction.READ,
        resource_type=ResourceType.REPORT,
        resource_id="prior-authorization-metrics",
        network_id=principal.network_id,
    )
    filename = f"prior-authorization-metrics-{starts[0].isoformat()}-{end.isoformat()}.csv"
    return Response(
        report_service.metrics_csv(report),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
