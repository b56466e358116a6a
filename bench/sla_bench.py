"""SLA worker sweep and monthly metrics report on PostgreSQL with 10,000 and 1,000,000 requests.

Run: make bench-sla (needs PostgreSQL on 127.0.0.1:5432, or DME_BENCH_PG_URL).
Targets: one sweep under 200 ms, ratio 1M/10k under 3 (it touches only requests near their
deadline); the one-month metrics report under 2 s at 1M.

Data: requests received evenly over 90 days; those received in the last 3 days are open, the
rest decided (mostly met). The sweep is timed after a catch-up sweep, with the clock moved on
by the worker's interval (30 s by default), as the worker runs in production.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import WorkerSettings
from dme_portal.db import migrate
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.reports import service as reports_service
from dme_portal.sla import worker

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DAYS = 90
PLAN_ID = uuid.UUID("00000000-0000-0000-0000-000000000001")
INTERVAL = WorkerSettings().interval_seconds
SERVER = os.environ.get("DME_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")

SEED_SQL = """
INSERT INTO health_plan (id, code, name, created_at)
  VALUES ('00000000-0000-0000-0000-000000000001', 'bench', 'Bench plan', $1);
INSERT INTO network (id, plan_id, code, name, standard_turnaround_hours,
                     expedited_turnaround_hours, created_at)
  SELECT md5('n' || g)::uuid, '00000000-0000-0000-0000-000000000001', 'n' || g,
         'Network ' || g, 72, 72, $1 FROM generate_series(1, 8) g;
INSERT INTO vendor (id, npi, name, created_at)
  VALUES ('00000000-0000-0000-0000-000000000002', '1234567893', 'Bench vendor', $1);
INSERT INTO member (id, cin, first_name, last_name, birth_date, created_at)
  SELECT md5('m' || g)::uuid, lpad(g::text, 8, '0') || 'A', 'B', 'C', '2015-01-01', $1
  FROM generate_series(1, 1000) g;
"""

REQUESTS_SQL = """
INSERT INTO authorization_request (
  id, vendor_id, member_id, network_id, status, urgency, kind, prescriber_npi,
  received_at, due_at, at_risk_at, decided_at, updated_at, waiting_on, version,
  turnaround_hours, sla_state, pauses_while_pended, paused_seconds, decided_by, was_pended)
SELECT
  gen_random_uuid(), '00000000-0000-0000-0000-000000000002', md5('m' || (g % 1000 + 1))::uuid,
  md5('n' || (g % 8 + 1))::uuid,
  CASE WHEN r.at > $1::timestamptz - interval '3 days' THEN 'in_review'
       WHEN g % 10 = 0 THEN 'denied' ELSE 'approved' END,
  CASE WHEN g % 7 = 0 THEN 'expedited' ELSE 'standard' END,
  'initial', '1234567893',
  r.at, r.at + interval '72 hours', r.at + interval '60 hours',
  CASE WHEN r.at > $1::timestamptz - interval '3 days' THEN NULL
       ELSE r.at + (g % 80) * interval '1 hour' END,
  r.at, 'bench', 1, 72,
  CASE WHEN r.at > $1::timestamptz - interval '3 days' THEN 'on_time'
       WHEN g % 80 <= 72 THEN 'met' ELSE 'missed' END,
  false, 0,
  CASE WHEN r.at > $1::timestamptz - interval '3 days' THEN NULL
       WHEN g % 3 = 0 THEN 'rules' ELSE 'user' END,
  g % 11 = 0
FROM generate_series(1, $2::int) g,
     LATERAL (SELECT $1::timestamptz - ($3::float * g / $2::int) * interval '1 day' AS at) r;
"""


async def build(size: int) -> tuple[str, Database]:
    name = f"dme_bench_{size}_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    db = Database.from_url(f"{SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{name}")
    await migrate.upgrade(db.engine)
    conn = await asyncpg.connect(f"{SERVER}/{name}")
    try:
        await conn.execute("SET synchronous_commit = off")
        for statement in SEED_SQL.strip().split(";\n"):
            if statement.strip():
                await conn.execute(statement, NOW)
        started = time.perf_counter()
        await conn.execute(REQUESTS_SQL, NOW, size, float(DAYS))
        await conn.execute("ANALYZE")
        print(f"  loaded {size:,} requests in {time.perf_counter() - started:.1f} s")
    finally:
        await conn.close()
    return name, db


async def drop(name: str, db: Database) -> None:
    await db.dispose()
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def time_sweeps(db: Database, name: str, repeats: int) -> float:
    await worker.sweep(db, now=NOW)  # catch up once, as a worker that just started
    # The catch-up moved thousands of rows out of the sweep's partial indexes at once; in
    # steady state autovacuum keeps up with the few rows each sweep moves. Vacuum here so that
    # the timed sweeps see the steady state rather than the one-off dead index entries.
    conn = await asyncpg.connect(f"{SERVER}/{name}")
    try:
        await conn.execute("VACUUM ANALYZE authorization_request")
    finally:
        await conn.close()
    samples, idle, moved = [], [], 0
    for i in range(1, repeats + 1):
        now = NOW + timedelta(seconds=INTERVAL * i)
        started = time.perf_counter()
        result = await worker.sweep(db, now=now)
        samples.append(time.perf_counter() - started)
        moved += result.at_risk + result.breached
        started = time.perf_counter()
        await worker.sweep(db, now=now)  # nothing left to move: the fixed cost of a sweep
        idle.append(time.perf_counter() - started)
    print(
        f"  {moved / repeats:.1f} transitions per {INTERVAL:.0f} s sweep; "
        f"idle sweep {statistics.median(idle) * 1000:.1f} ms"
    )
    return statistics.median(samples)


async def time_report(db: Database, repeats: int) -> float:
    """The plan admin's metrics report for the last 30 days, all networks."""
    plan_admin = Principal("user:bench", Role.PLAN_ADMIN, OrgKind.PLAN, PLAN_ID)
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        async with unit_of_work(db) as session:
            report = await reports_service.metrics(
                session,
                principal=plan_admin,
                start=(NOW - timedelta(days=30)).date(),
                end=NOW.date(),
                network_id=None,
                now=NOW,
            )
        samples.append(time.perf_counter() - started)
    assert sum(row.requests for row in report.items) > 0
    return statistics.median(samples)


async def main_async(sizes: list[int], repeats: int) -> None:
    results: dict[int, tuple[float, float]] = {}
    for size in sizes:
        print(f"{size:,} requests:")
        name, db = await build(size)
        try:
            sweep = await time_sweeps(db, name, repeats)
            report = await time_report(db, max(1, repeats // 2))
        finally:
            await drop(name, db)
        results[size] = (sweep, report)
        print(
            f"  sweep (median of {repeats}): {sweep * 1000:.1f} ms; "
            f"one-month report: {report * 1000:.0f} ms"
        )
    small, large = min(results), max(results)
    ratio = results[large][0] / results[small][0]
    print(f"sweep ratio {large:,}/{small:,}: {ratio:.2f} (target < 3; sweep target < 200 ms)")
    print(f"report at {large:,}: {results[large][1]:.2f} s (target < 2 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    asyncio.run(main_async(sizes, args.repeats))


if __name__ == "__main__":
    main()
