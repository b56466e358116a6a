"""Authorization expiry sweep on PostgreSQL with 10,000 and 1,000,000 authorizations.

Run: make bench-expiry (needs PostgreSQL on 127.0.0.1:5432, or DME_BENCH_PG_URL).
Targets: a day's sweep costs per transition, not per authorization (ratio 1M/10k of the idle
sweep under 3), and an idle sweep stays under 200 ms at 1M.

Data: authorizations ending evenly over two years around the day of the bench, ten per request
(requests from the SLA bench's loader). The day's sweep is timed after a catch-up sweep, with
the clock moved on one day, as the worker sees the first run of a new day.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import timedelta

import asyncpg
from sla_bench import NOW, REQUESTS_SQL, SEED_SQL, SERVER

from dme_portal.authorizations import expiry
from dme_portal.db import migrate
from dme_portal.db.engine import Database

DAYS = 730

# Lines are not needed by the sweep: the bench skips the foreign key checks (replica role) and
# gives each authorization a line id of its own.
AUTHORIZATIONS_SQL = """
INSERT INTO "authorization" (
  id, number, member_id, vendor_id, network_id, request_id, line_id, line_number, hcpcs,
  modifiers, quantity, unit, frequency, brand, start_date, end_date, state, issued_at,
  issued_by, state_changed_at, version)
SELECT
  gen_random_uuid(), 'B' || lpad(g::text, 12, '0'), r.member_id, r.vendor_id, r.network_id,
  r.id, gen_random_uuid(), 1, 'E1161', '[]', 1, 'each', 'once', NULL,
  e.end_date - 179, e.end_date,
  CASE WHEN e.end_date < $1::date THEN 'expired' ELSE 'active' END,
  $2, 'rules', $2, 1
FROM (SELECT id, member_id, vendor_id, network_id, row_number() OVER () AS n
      FROM authorization_request) r
JOIN generate_series(1, $3::int) g ON (g - 1) / 10 + 1 = r.n,
     LATERAL (SELECT ($1::date - $4::int / 2 + (g * $4::int / $3::int))::date AS end_date) e;
"""


async def build(size: int) -> tuple[str, Database]:
    name = f"dme_bench_expiry_{size}_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    db = Database.from_url(f"{SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{name}")
    await migrate.upgrade(db.engine)
    conn = await asyncpg.connect(f"{SERVER}/{name}")
    try:
        await conn.execute("SET synchronous_commit = off")
        await conn.execute("SET session_replication_role = replica")
        for statement in SEED_SQL.strip().split(";\n"):
            if statement.strip():
                await conn.execute(statement, NOW)
        started = time.perf_counter()
        await conn.execute(REQUESTS_SQL, NOW, (size + 9) // 10, 90.0)
        await conn.execute(AUTHORIZATIONS_SQL, NOW.date(), NOW, size, DAYS)
        await conn.execute("ANALYZE")
        print(f"  loaded {size:,} authorizations in {time.perf_counter() - started:.1f} s")
    finally:
        await conn.close()
    return name, db


async def drop(name: str, db: Database) -> None:
    await db.dispose()
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def time_sweeps(db: Database, name: str, repeats: int) -> tuple[float, float]:
    caught = await expiry.sweep(db, now=NOW)  # catch up once, as a worker that just started
    print(f"  catch-up: {caught.expiring:,} expiring, {caught.expired:,} expired")
    conn = await asyncpg.connect(f"{SERVER}/{name}")
    try:
        await conn.execute('VACUUM ANALYZE "authorization"')
    finally:
        await conn.close()
    samples, idle, moved = [], [], 0
    for day in range(1, repeats + 1):
        now = NOW + timedelta(days=day)
        started = time.perf_counter()
        result = await expiry.sweep(db, now=now)
        samples.append(time.perf_counter() - started)
        moved += result.moved
        started = time.perf_counter()
        await expiry.sweep(db, now=now)  # nothing left to move: the fixed cost of a sweep
        idle.append(time.perf_counter() - started)
    print(f"  {moved / repeats:.1f} transitions per day")
    return statistics.median(samples), statistics.median(idle)


async def main_async(sizes: list[int], repeats: int) -> None:
    results: dict[int, tuple[float, float]] = {}
    for size in sizes:
        print(f"{size:,} authorizations:")
        name, db = await build(size)
        try:
            results[size] = await time_sweeps(db, name, repeats)
        finally:
            await drop(name, db)
        day, idle = results[size]
        print(
            f"  a day's sweep (median of {repeats}): {day * 1000:.1f} ms; "
            f"idle sweep: {idle * 1000:.1f} ms"
        )
    small, large = min(results), max(results)
    ratio = results[large][1] / results[small][1]
    print(f"idle sweep ratio {large:,}/{small:,}: {ratio:.2f} (target < 3; idle target < 200 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main_async([int(s) for s in args.sizes.split(",")], args.repeats))


if __name__ == "__main__":
    main()
