"""``dme-portal``: migrate, seed demo data, serve, manage clients and users, issue tokens."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import uuid
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from dme_portal import logs
from dme_portal.auth.jwt import issue_token
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import ROLE_ORG_KINDS, OrgKind, Role
from dme_portal.config import get_settings, write_private
from dme_portal.db import migrate
from dme_portal.db.engine import Database
from dme_portal.db.roles import MigrationRefused
from dme_portal.db.session import unit_of_work
from dme_portal.demo.exceptions import DemoRefused
from dme_portal.errors import DomainError
from dme_portal.sla.clock import SystemClock

log = logging.getLogger("dme_portal.cli")

_INSUFFICIENT_PRIVILEGE = "42501"


async def _migrate() -> None:
    settings = get_settings()
    # As the owner (DME_DB__MIGRATION_URL) when set; it then grants DME_DB__URL's role.
    db = Database.from_url(settings.db.migration_dsn)
    try:
        try:
            await migrate.upgrade(db.engine, runtime_role=settings.db.runtime_role)
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != _INSUFFICIENT_PRIVILEGE:
                raise
            raise MigrationRefused(
                "this database role may not change the schema: run `dme-portal migrate` with "
                "DME_DB__MIGRATION_URL set to the owner's URL (docs/SECURITY.md, Database roles)"
            ) from None
        single_role = settings.db.runtime_role is None
        if (
            single_role
            and settings.is_prod
            and await migrate.connected_role_owns_access_log(db.engine)
        ):
            log.warning(
                "DME_DB__URL's role owns the access log and could disable its append-only "
                "trigger: set DME_DB__MIGRATION_URL to a separate owner role "
                "(docs/SECURITY.md, Database roles)"
            )
    finally:
        await db.dispose()


async def _seed(*, if_empty: bool) -> None:
    from dme_portal.demo import seed

    settings = get_settings()
    if settings.is_prod:
        # Demo accounts have printed passwords and demo members are fictitious children.
        raise DemoRefused("demo data is never loaded with DME_ENV=prod")
    db = Database.from_url(settings.db.url)
    try:
        async with unit_of_work(db) as session:
            if if_empty and await seed.already_seeded(session):
                print("demo data already present; nothing to do")
                return
            now = SystemClock().now()
            credentials = await seed.seed_demo(session, today=now.date(), now=now)
        out = settings.data_dir / "demo-credentials.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        write_private(out, credentials)
        print(credentials)
        print(f"(also written to {out})")
    finally:
        await db.dispose()


async def _resolve_org(role: Role, org: str) -> tuple[OrgKind, uuid.UUID]:
    from dme_portal.demo import seed

    db = Database.from_url(get_settings().db.url)
    try:
        async with unit_of_work(db) as session:
            return await seed.resolve_org(session, role=role, org=org)
    finally:
        await db.dispose()


async def _create_account(args: argparse.Namespace, *, machine: bool) -> None:
    from dme_portal.demo import seed

    role = Role(args.role)
    db = Database.from_url(get_settings().db.url)
    try:
        async with unit_of_work(db) as session:
            kind, org_id = await seed.resolve_org(session, role=role, org=args.org)
            secret = await seed.create_account(
                session, name=args.name, role=role, org_kind=kind, org_id=org_id, machine=machine
            )
    finally:
        await db.dispose()
    label = "client_id" if machine else "username"
    print(f"{label}={args.name}\nsecret={secret}")


async def set_account_active(kind: str, name: str, *, active: bool) -> None:
    """(De)activate a user or client; its tokens stop (or start again) working at once."""
    from dme_portal.auth import withdraw

    db = Database.from_url(get_settings().db.url)
    try:
        await withdraw.set_active(
            db, kind="user" if kind == "user" else "client", name=name, active=active
        )
    finally:
        await db.dispose()


def _create_token(args: argparse.Namespace) -> None:
    settings = get_settings()
    role = Role(args.role)
    kind, org_id = asyncio.run(_resolve_org(role, args.org))
    principal = Principal(
        subject=args.subject or f"cli:{role.value}", role=role, org_kind=kind, org_id=org_id
    )
    token, _ = issue_token(principal, settings=settings.auth, now=SystemClock().now())
    print(token)


def _openapi(args: argparse.Namespace) -> int:
    from dme_portal.main import create_app

    spec = json.dumps(create_app().openapi(), indent=2, sort_keys=False) + "\n"
    if args.check:
        committed = Path(args.check).read_text() if Path(args.check).exists() else ""
        if committed != spec:
            print(f"{args.check} is stale: run `make openapi` and commit it", file=sys.stderr)
            return 1
        print(f"{args.check} matches the app")
        return 0
    if args.out:
        Path(args.out).write_text(spec)
    else:
        sys.stdout.write(spec)
    return 0


async def _worker(*, once: bool) -> None:
    from dme_portal.sla import worker as sla_worker

    settings = get_settings()
    db = Database.from_url(settings.db.url)
    try:
        if once:
            result = await sla_worker.sweep(db, now=SystemClock().now())
            print(f"at risk: {result.at_risk}, breached: {result.breached}")
            moved = await sla_worker.expire_authorizations(db, now=SystemClock().now())
            print(
                f"authorizations expiring: {moved.expiring}, expired: {moved.expired}, "
                f"superseded: {moved.superseded}"
            )
        else:
            await sla_worker.run_forever(
                db, SystemClock(), interval_seconds=settings.worker.interval_seconds
            )
    finally:
        await db.dispose()


async def _load_enrollments(path: Path, text: str, *, strict: bool) -> int:
    from dme_portal.members import load
    from dme_portal.progress import Progress

    rows = load.parse(text)
    db = Database.from_url(get_settings().db.url)
    bar = Progress(len(rows), stream=sys.stderr, label="load-enrollments")
    try:
        report = await load.load(db, rows, now=SystemClock().now(), strict=strict, progress=bar)
    finally:
        bar.close()
        await db.dispose()
    for line, why in report.rejected:
        print(f"{path.name}: line {line}: {why}", file=sys.stderr)
    print(report.summary)
    return 1 if report.rejected else 0


HUB_LINE = "Hub: "


def note_served_url(credentials: Path, url: str) -> None:
    """Put the URL actually served first in the credentials file (``Hub: http://...``)."""
    if not credentials.exists():
        return
    kept = [ln for ln in credentials.read_text().splitlines() if not ln.startswith(HUB_LINE)]
    write_private(credentials, "\n".join([f"{HUB_LINE}{url}", *kept]) + "\n")


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = get_settings()
    asyncio.run(_migrate())
    url = f"http://{args.host}:{args.port}"
    if settings.is_prod:
        log.info("serving the hub at %s (prod: no demo data)", url)
    else:
        asyncio.run(_seed(if_empty=True))
        credentials = settings.data_dir / "demo-credentials.txt"
        note_served_url(credentials, url)
        docs = f" (API docs at {url}/docs)" if settings.docs_enabled else ""
        print(f"Serving the hub at {url}{docs}.")
        if credentials.exists():
            print(f"Demo accounts and the example member: {credentials} (first line: the URL).")
    # log_config=None: uvicorn's loggers go through the masking handler configured in main().
    uvicorn.run(
        "dme_portal.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        log_config=None,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dme-portal`` command."""
    parser = argparse.ArgumentParser(prog="dme-portal", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations")
    seed_p = sub.add_parser("seed-demo", help="load the demo plan, networks, vendors and members")
    seed_p.add_argument("--if-empty", action="store_true", help="do nothing if already seeded")
    serve_p = sub.add_parser("serve", help="migrate, seed on first run, and serve the API")
    serve_p.add_argument("--host", default="127.0.0.1")
    serve_p.add_argument("--port", type=int, default=8000)
    roles = [r.value for r in Role]
    for name, machine in (("create-client", True), ("create-user", False)):
        p = sub.add_parser(name, help=f"create an API {'client' if machine else 'user'}")
        p.add_argument("name")
        p.add_argument("--role", choices=roles, required=True)
        p.add_argument("--org", required=True, help="vendor NPI, network code or plan code")
    for verb, active in (("deactivate", False), ("reactivate", True)):
        for kind, what in (("user", "user name"), ("client", "client_id")):
            p = sub.add_parser(
                f"{verb}-{kind}",
                help=f"{verb} a {kind}"
                + (": no new tokens, and its tokens are refused at once" if not active else ""),
            )
            p.add_argument("name", help=what)
    tok = sub.add_parser("create-token", help="print an access token (for curl)")
    tok.add_argument("--role", choices=roles, required=True)
    tok.add_argument("--org", required=True, help="vendor NPI, network code or plan code")
    tok.add_argument("--subject", default=None)
    le = sub.add_parser(
        "load-enrollments",
        help="load enrollment changes from a CSV file (cin, network, effective_from, "
        "effective_to, reason); idempotent per row",
    )
    le.add_argument("file", type=Path)
    le.add_argument(
        "--strict",
        action="store_true",
        help="all or nothing: apply the file only if every row is valid",
    )
    wk = sub.add_parser("worker", help="run the SLA worker (safe to run several)")
    wk.add_argument("--once", action="store_true", help="one sweep, then exit")
    oa = sub.add_parser("openapi", help="print or check the OpenAPI document")
    oa.add_argument("--out", default=None)
    oa.add_argument("--check", default=None, metavar="FILE")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        # hide_input_in_errors: the message names the setting, never its value.
        print(f"dme-portal: invalid settings: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings)
    try:
        return _dispatch(args)
    except DomainError as exc:
        print(f"dme-portal: {exc.detail}", file=sys.stderr)
        return 2
    except Exception:
        # Through the masking handler, not Python's bare traceback on stderr.
        log.exception("dme-portal %s failed", args.command)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "migrate":
        asyncio.run(_migrate())
    elif args.command == "seed-demo":
        asyncio.run(_seed(if_empty=args.if_empty))
    elif args.command == "serve":
        _serve(args)
    elif args.command in ("create-client", "create-user"):
        asyncio.run(_create_account(args, machine=args.command == "create-client"))
    elif args.command in ("deactivate-user", "deactivate-client"):
        kind = args.command.split("-", 1)[1]
        asyncio.run(set_account_active(kind, args.name, active=False))
        print(f"{kind} {args.name} deactivated; its tokens are refused from now on")
    elif args.command in ("reactivate-user", "reactivate-client"):
        kind = args.command.split("-", 1)[1]
        asyncio.run(set_account_active(kind, args.name, active=True))
        print(f"{kind} {args.name} reactivated")
    elif args.command == "create-token":
        _create_token(args)
    elif args.command == "openapi":
        return _openapi(args)
    elif args.command == "load-enrollments":
        try:
            text = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"dme-portal: cannot read {args.file}: {exc}", file=sys.stderr)
            return 2
        return asyncio.run(_load_enrollments(args.file, text, strict=args.strict))
    elif args.command == "worker":
        asyncio.run(_worker(once=args.once))
    return 0


__all__ = ["ROLE_ORG_KINDS", "main"]


if __name__ == "__main__":
    raise SystemExit(main())
