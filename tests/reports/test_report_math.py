"""The report arithmetic, without a database: percentiles, summaries, shares and rows."""

from __future__ import annotations

import statistics
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dme_portal.api.v1.reports import wants_csv
from dme_portal.networks.models import Network
from dme_portal.reports.repository import Counts, Decided
from dme_portal.reports.service import (
    HoursSummary,
    build_rows,
    percentile,
    share,
    summaries_from,
    summarize_hours,
)
from dme_portal.submissions.models import Urgency

T0 = datetime(2026, 11, 2, tzinfo=UTC)


class TestPercentile:
    # Expected values are numpy.percentile(values, 100 * q) (method "linear"), worked by hand:
    # the position is (n - 1) * q in the sorted values, interpolated between its neighbours.
    @pytest.mark.parametrize(
        ("values", "q", "expected"),
        [
            ([5.0], 0.5, 5.0),
            ([5.0], 0.9, 5.0),
            ([1.0, 2.0], 0.5, 1.5),  # position 0.5
            ([1.0, 2.0], 0.9, 1.9),  # position 0.9
            ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),  # position 1.5
            ([1.0, 2.0, 3.0, 4.0], 0.9, 3.7),  # position 2.7
            ([0.0, 10.0, 87.0], 0.5, 10.0),  # position 1
            ([0.0, 10.0, 87.0], 0.9, 71.6),  # position 1.8: 10 + 0.8 * 77
            ([15.0, 20.0, 35.0, 40.0, 50.0], 0.9, 46.0),  # position 3.6: 40 + 0.6 * 10
            ([15.0, 20.0, 35.0, 40.0, 50.0], 0.0, 15.0),
            ([15.0, 20.0, 35.0, 40.0, 50.0], 1.0, 50.0),
            ([2.0, 2.0, 2.0], 0.9, 2.0),
        ],
    )
    def test_linear_between_closest_ranks(
        self, values: list[float], q: float, expected: float
    ) -> None:
        assert percentile(values, q) == pytest.approx(expected)

    def test_refuses_no_values_and_bad_quantiles(self) -> None:
        with pytest.raises(ValueError, match="no values"):
            percentile([], 0.5)
        with pytest.raises(ValueError, match="between 0 and 1"):
            percentile([1.0], 1.5)

    @given(st.lists(st.floats(0, 10_000, allow_nan=False), min_size=2, max_size=50))
    def test_agrees_with_the_inclusive_method(self, values: list[float]) -> None:
        ordered = sorted(values)
        deciles = statistics.quantiles(values, n=10, method="inclusive")
        assert percentile(ordered, 0.9) == pytest.approx(deciles[8], abs=1e-6)
        assert percentile(ordered, 0.5) == pytest.approx(statistics.median(values), abs=1e-6)


class TestSummaries:
    @pytest.mark.parametrize(
        ("hours", "expected"),
        [
            ([], HoursSummary(None, None, None)),
            ([3.0], HoursSummary(3.0, 3.0, 3.0)),
            ([3.0, 1.0, 2.0], HoursSummary(2.0, 2.0, 2.8)),  # sorted first
            ([87.0, 0.0, 10.0], HoursSummary(32.33, 10.0, 71.6)),  # mean 97/3
            ([24.0, 78.0, 6.0], HoursSummary(36.0, 24.0, 67.2)),  # p90 24 + 0.8 * 54
            ([1 / 3], HoursSummary(0.33, 0.33, 0.33)),
            ([1.0, 2.0, 3.0, 4.0], HoursSummary(2.5, 2.5, 3.7)),
        ],
    )
    def test_mean_median_p90_rounded(self, hours: list[float], expected: HoursSummary) -> None:
        assert summarize_hours(hours) == expected

    @pytest.mark.parametrize(
        ("part", "whole", "expected"),
        [(0, 0, 0.0), (0, 5, 0.0), (1, 6, 0.1667), (2, 3, 0.6667), (3, 3, 1.0), (1, 8, 0.125)],
    )
    def test_share(self, part: int, whole: int, expected: float) -> None:
        assert share(part, whole) == expected


def _network(tag: str) -> Network:
    return Network(id=uuid.uuid4(), code=f"{tag}-code", name=f"Network {tag}")


class TestRows:
    def test_every_network_and_urgency_with_zeros(self) -> None:
        a, b = _network("a"), _network("b")
        counts = {
            (a.id, Urgency.STANDARD): Counts(
                requests=6,
                cancelled=1,
                decided=3,
                rules_decided=1,
                approved=2,
                denied=1,
                pended=2,
                extended=2,
                sla_met=2,
                sla_missed=1,
                overdue_open=2,
            )
        }
        decided = [
            Decided(a.id, Urgency.STANDARD, T0, T0),
            Decided(a.id, Urgency.STANDARD, T0, T0 + timedelta(hours=10)),
            Decided(a.id, Urgency.STANDARD, T0, T0 + timedelta(hours=87)),
        ]
        rows = build_rows([a, b], counts, summaries_from(decided))
        assert [(r.network_id, r.urgency) for r in rows] == [
            (a.id, Urgency.STANDARD),
            (a.id, Urgency.EXPEDITED),
            (b.id, Urgency.STANDARD),
            (b.id, Urgency.EXPEDITED),
        ]
        first = rows[0].model_dump()
        assert first == {
            "network_id": a.id,
            "network_code": "a-code",
            "network_name": "Network a",
            "urgency": Urgency.STANDARD,
            "requests": 6,
            "cancelled": 1,
            "decided_by_rules_share": 0.1667,
            "approved": 2,
            "partially_approved": 0,
            "modified": 0,
            "denied": 1,
            "pended": 2,
            "approved_after_reconsideration": 0,
            "extended_timeframe_share": 0.3333,
            "decision_hours_mean": 32.33,
            "decision_hours_median": 10.0,
            "decision_hours_p90": 71.6,
            "sla_met": 2,
            "sla_missed": 1,
            "sla_compliance": 0.6667,
            "breaches": 3,  # one missed, two open past due
        }
        for empty in rows[1:]:
            assert empty.requests == 0
            assert empty.decided_by_rules_share == 0.0
            assert empty.extended_timeframe_share == 0.0
            assert empty.decision_hours_mean is None
            assert empty.decision_hours_median is None
            assert empty.decision_hours_p90 is None
            assert empty.sla_compliance is None
            assert empty.breaches == 0

    def test_decision_times_count_seconds(self) -> None:
        a = _network("a")
        decided = [Decided(a.id, Urgency.EXPEDITED, T0, T0 + timedelta(minutes=80))]
        counts = {(a.id, Urgency.EXPEDITED): Counts(requests=1, decided=1, sla_met=1)}
        row = build_rows([a], counts, summaries_from(decided))[1]
        assert row.decision_hours_mean == 1.33  # 1 h 20 min
        assert row.decision_hours_p90 == 1.33
        assert row.sla_compliance == 1.0


class TestNegotiation:
    @pytest.mark.parametrize(
        ("accept", "csv"),
        [
            (None, False),
            ("", False),
            ("application/json", False),
            ("*/*", False),
            ("text/csv", True),
            ("TEXT/CSV; charset=utf-8", True),
            ("text/csv, */*", True),
            ("text/csv, application/json", False),
            ("application/json;q=0.5, text/csv", True),
            ("text/csv;q=0.5, application/json", False),
            ("text/csv;q=0, */*", False),
            ("text/csv;q=bad", False),
            ("text/html,application/xhtml+xml,*/*;q=0.8", False),
        ],
    )
    def test_csv_only_when_preferred(self, accept: str | None, csv: bool) -> None:
        assert wants_csv(accept) is csv
