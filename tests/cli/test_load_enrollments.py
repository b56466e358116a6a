"""``dme-portal load-enrollments FILE``: run as an operator would, against this run's database
(SQLite and PostgreSQL), and its CSV reading and progress bar on their own."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from dme_portal.auth.roles import Role
from dme_portal.authorizations.models import Authorization
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.errors import DomainError
from dme_portal.members.load import parse
from dme_portal.members.models import Enrollment
from dme_portal.progress import Progress
from dme_portal.submissions.models import RequestEvent
from fixtures.factories import World, auth_headers, submit_request

HEADER = "cin,network,effective_from,effective_to,reason\n"


@dataclass
class Done:
    code: int
    out: str
    err: str


async def load_enrollments(database_url: str, tmp_path: Path, text: str, *options: str) -> Done:
    """Run the command in a process of its own, as an operator would."""
    path = tmp_path / f"enrollments-{uuid.uuid4().hex[:6]}.csv"
    path.write_text(text, encoding="utf-8")
    env = {
        **os.environ,
        "DME_DATA_DIR": str(tmp_path),
        "DME_DB__URL": database_url,
        "DME_ENV": "dev",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "dme_portal.cli",
        "load-enrollments",
        str(path),
        *options,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode is not None
    return Done(process.returncode, out.decode(), err.decode())


async def periods(db: Database, member_id: uuid.UUID) -> list[tuple[uuid.UUID, date, date | None]]:
    async with unit_of_work(db) as s:
        rows = await s.execute(
            select(Enrollment.network_id, Enrollment.effective_from, Enrollment.effective_to)
            .where(Enrollment.member_id == member_id)
            .order_by(Enrollment.effective_from)
        )
        return [(n, f, t) for n, f, t in rows.all()]


async def approve_default_request(
    client: httpx.AsyncClient, settings: Settings, world: World
) -> uuid.UUID:
    created = await submit_request(client, settings, world)
    reviewer = auth_headers(settings, world.principal(Role.REVIEWER))
    read = await client.get(f"/v1/authorization-requests/{created['id']}", headers=reviewer)
    r = await client.post(
        f"/v1/review/requests/{created['id']}/decision",
        json={
            "lines": [
                {"line_number": ln["line_number"], "outcome": "approved"} for ln in created["lines"]
            ]
        },
        headers={**reviewer, "If-Match": read.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    return uuid.UUID(created["id"])


async def test_a_file_is_applied_and_a_second_load_changes_nothing(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    database: Database,
    database_url: str,
    tmp_path: Path,
) -> None:
    request_id = await approve_default_request(client, settings, world)
    text = (
        HEADER
        + f"{world.member.cin},{world.network_b.code},2026-12-01,,county transfer\n"
        + f'{world.member_b.cin},{world.network_a.code},2027-01-01,2027-12-31,"family, choice"\n'
    )
    first = await load_enrollments(database_url, tmp_path, text)
    assert first.code == 0, first.err
    assert first.out.strip().splitlines()[-1] == "applied: 2, unchanged: 0, rejected: 0"
    # Not a terminal: the progress is plain lines on stderr.
    assert "load-enrollments: 2/2 rows" in first.err
    moved = await periods(database, world.member.id)
    assert moved[-2:] == [
        (world.network_a.id, date(2026, 10, 1), date(2026, 11, 30)),
        (world.network_b.id, date(2026, 12, 1), None),
    ]
    assert (await periods(database, world.member_b.id))[-2:] == [
        (world.network_b.id, date(2025, 1, 1), date(2026, 12, 31)),
        (world.network_a.id, date(2027, 1, 1), date(2027, 12, 31)),
    ]
    async with unit_of_work(database) as s:
        carried = list(
            await s.scalars(select(Authorization).where(Authorization.request_id == request_id))
        )
        reason = await s.scalar(
            select(Enrollment.reason).where(
                Enrollment.member_id == world.member_b.id,
                Enrollment.effective_from == date(2027, 1, 1),
            )
        )
    assert reason == "family, choice"
    assert carried
    assert {(a.continuity_network_id, a.continuity_until) for a in carried} == {
        (world.network_b.id, date(2027, 1, 31))
    }

    second = await load_enrollments(database_url, tmp_path, text)
    assert second.code == 0, second.err
    assert second.out.strip().splitlines()[-1] == "applied: 0, unchanged: 2, rejected: 0"
    assert (await periods(database, world.member.id))[-2:] == moved[-2:]
    async with unit_of_work(database) as s:
        events = await s.scalar(
            select(func.count())
            .select_from(RequestEvent)
            .where(
                RequestEvent.request_id == request_id,
                RequestEvent.kind == "member_moved_network",
            )
        )
    assert events == 1


def _mixed_file(world: World) -> str:
    return (
        HEADER
        + f"{world.member.cin},{world.network_b.code},2026-12-01,,\n"  # line 2: good
        + f"1234,{world.network_b.code},2026-12-01,,\n"  # line 3: malformed CIN
        + f"{world.member_b.cin},{world.network_a.code},2027-02-01,2027-01-01,\n"  # line 4
        + f"{world.member_b.cin},no-such-network,2027-02-01,,\n"  # line 5
        + f"00000000A,{world.network_a.code},2027-02-01,,\n"  # line 6: unknown member
        + f"{world.member_b.cin},{world.network_a.code},2024-06-01,,\n"  # line 7: backdated
        + f"{world.member_b.cin},{world.network_a.code},2027-02-30,,\n"  # line 8: no such day
    )


async def test_bad_rows_are_reported_with_their_line_and_skipped(
    world: World, database: Database, database_url: str, tmp_path: Path
) -> None:
    before_b = await periods(database, world.member_b.id)
    done = await load_enrollments(database_url, tmp_path, _mixed_file(world))
    assert done.code == 1
    assert done.out.strip().splitlines()[-1] == "applied: 1, unchanged: 0, rejected: 6"
    reported = {ln.split(": ", 2)[1]: ln for ln in done.err.splitlines() if ": line " in ln}
    assert set(reported) == {f"line {n}" for n in range(3, 9)}, done.err
    assert "cin:" in reported["line 3"]
    assert "effective_to:" in reported["line 4"]
    assert "network:" in reported["line 5"]
    assert "cin:" in reported["line 6"]
    assert "effective_from:" in reported["line 7"]
    assert "effective_from:" in reported["line 8"]
    assert world.member.cin not in done.err
    assert world.member_b.cin not in done.err
    assert (await periods(database, world.member.id))[-1] == (
        world.network_b.id,
        date(2026, 12, 1),
        None,
    )
    assert await periods(database, world.member_b.id) == before_b


async def test_strict_applies_nothing_when_a_row_fails(
    world: World, database: Database, database_url: str, tmp_path: Path
) -> None:
    before = await periods(database, world.member.id)
    done = await load_enrollments(database_url, tmp_path, _mixed_file(world), "--strict")
    assert done.code == 1
    assert "strict: nothing applied" in done.out
    assert "line 3:" in done.err
    assert await periods(database, world.member.id) == before


async def test_a_wrong_header_is_refused_before_any_row(
    world: World, database: Database, database_url: str, tmp_path: Path
) -> None:
    before = await periods(database, world.member.id)
    text = f"cin,network,start\n{world.member.cin},{world.network_b.code},2026-12-01\n"
    done = await load_enrollments(database_url, tmp_path, text)
    assert done.code == 2
    assert "line 1: missing column(s) effective_from; unknown column(s) start" in done.err
    assert await periods(database, world.member.id) == before


class TestParse:
    def test_line_numbers_count_physical_lines(self) -> None:
        text = (
            "\ufeff"
            + HEADER
            + "12345678A,choc,2027-01-01,,\n"
            + "\n"
            + '23456789B,choc,2027-01-01,,"two\nlines"\n'
            + "34567890C,choc,2027-01-01,,\n"
        )
        rows = parse(text)
        assert [r.line for r in rows] == [2, 5, 6]
        assert rows[1].values["reason"] == "two\nlines"

    def test_optional_columns_may_be_left_out(self) -> None:
        (row,) = parse("network,cin,effective_from\nchoc,12345678A,2027-01-01\n")
        assert row.values == {"network": "choc", "cin": "12345678A", "effective_from": "2027-01-01"}

    def test_missing_columns(self) -> None:
        with pytest.raises(DomainError, match="missing column"):
            parse("cin,network\n")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class TestProgress:
    def test_a_terminal_gets_one_redrawn_bar(self) -> None:
        stream = _Terminal()
        bar = Progress(200, stream=stream, label="load")
        for done in range(1, 201):
            bar(done)
        bar.close()
        text = stream.getvalue()
        assert text.count("\r") == 101  # once per percent (0 to 100), not per row
        assert text.endswith(f"[{'#' * 30}] 200/200 (100%)\n")
        assert text.count("\n") == 1

    def test_a_log_gets_a_line_per_tenth(self) -> None:
        stream = io.StringIO()
        bar = Progress(1000, stream=stream, label="load")
        for done in range(1, 1001):
            bar(done)
        bar.close()
        lines = stream.getvalue().splitlines()
        assert lines[0] == "load: 1/1000 rows"
        assert lines[-1] == "load: 1000/1000 rows"
        assert len(lines) == 11
