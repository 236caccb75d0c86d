from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import msgspec
import uvloop

from api.presenters import event_out, export_line
from domain.ids import Prefix, format_id, parse_id
from domain.plans import Plan
from infra.database import Database
from infra.erasure import erase
from infra.logging import configure
from infra.notices import event_id
from infra.projects import ProjectNotFound, ProjectRow
from infra.rebuild import UnknownView, rebuild, views_named
from infra.services import Services, build_services
from infra.settings import Settings, SettingsError
from infra.ticket_reads import TicketNotFound
from infra.worker import run_worker


class CliError(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"zumik-support: {error}", file=sys.stderr)
        return 2
    configure(settings.log_format, settings.log_level)
    if args.command == "serve":
        return _serve(settings, args)
    try:
        # uvloop, as under `serve`: asyncpg reads its rows much faster on it, which is
        # most of what a rebuild or an export does.
        uvloop.run(_run(settings, args.handler, args))
    except CliError as error:
        print(f"zumik-support: {error}", file=sys.stderr)
        return 1
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    uvloop.run(_run(settings, _quietly, args))
    # uvicorn re-raises SIGTERM after its graceful shutdown; as SystemExit it lets
    # atexit run, which stops the embedded PostgreSQL when this was its last user.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    database = Database(settings)
    uvicorn.run(
        create_app(settings, database, with_worker=not args.no_worker),
        host=args.host or settings.host,
        port=args.port or settings.port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
    )
    return 0


Handler = Callable[[Services, Database, argparse.Namespace], Awaitable[Any]]


async def _run(settings: Settings, handler: Handler, args: argparse.Namespace) -> None:
    database = Database(settings)
    await database.start()
    try:
        args.applied = await database.migrate()
        result = await handler(build_services(settings, database.pool), database, args)
        if result is not None:
            sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    finally:
        await database.close()


def _project_id(text: str) -> UUID:
    value = parse_id(Prefix.PROJECT, text)
    if value is None:
        raise CliError(f"not a project id: {text!r}")
    return value


def _project_json(row: ProjectRow) -> dict[str, Any]:
    return {
        "id": format_id(Prefix.PROJECT, row.id),
        "name": row.name,
        "plan": row.plan,
        "created_at": row.created_at,
    }


async def _worker(services: Services, database: Database, args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await run_worker(services, stop)


async def _quietly(services: Services, database: Database, args: argparse.Namespace) -> None:
    return None


async def _migrate(services: Services, database: Database, args: argparse.Namespace) -> Any:
    return {"applied": args.applied}  # _run migrates before every command


async def _projects_create(services: Services, database: Database, args: argparse.Namespace) -> Any:
    row, key = await services.projects.create(args.name, Plan(args.plan))
    return {**_project_json(row), "api_key": key}


async def _projects_set_plan(services: Services, database: Database, args: argparse.Namespace) -> Any:
    try:
        return _project_json(await services.projects.set_plan(_project_id(args.project_id), Plan(args.plan)))
    except ProjectNotFound:
        raise CliError(f"no such project: {args.project_id}") from None


async def _projects_list(services: Services, database: Database, args: argparse.Namespace) -> Any:
    return [_project_json(row) for row in await services.projects.list()]


async def _keys_create(services: Services, database: Database, args: argparse.Namespace) -> Any:
    try:
        key = await services.projects.create_key(_project_id(args.project_id))
    except ProjectNotFound:
        raise CliError(f"no such project: {args.project_id}") from None
    return {"project_id": args.project_id, "api_key": key}


async def _keys_revoke(services: Services, database: Database, args: argparse.Namespace) -> Any:
    if not await services.projects.revoke_key(args.key_prefix):
        raise CliError(f"no active key starts with {args.key_prefix!r}")
    return {"revoked": args.key_prefix}


async def _staff_create_key(services: Services, database: Database, args: argparse.Namespace) -> Any:
    return {"name": args.name, "api_key": await services.projects.create_staff_key(args.name)}


async def _projections_rebuild(services: Services, database: Database, args: argparse.Namespace) -> Any:
    try:
        views = views_named(args.names)
    except UnknownView as error:
        raise CliError(str(error)) from None
    progress = _progress_bar("rebuild") if sys.stderr.isatty() else None
    applied = await rebuild(database.pool, views, progress)
    if progress:
        sys.stderr.write("\n")
    return {"rebuilt": [v.name for v in views], "events_applied": applied}


async def _history(services: Services, database: Database, args: argparse.Namespace) -> Any:
    ticket_id = parse_id(Prefix.TICKET, args.ticket_id)
    if ticket_id is None:
        raise CliError(f"not a ticket id: {args.ticket_id!r}")
    try:
        entries = await services.queries.history(ticket_id, None)
    except TicketNotFound:
        raise CliError(f"no such ticket: {args.ticket_id}") from None
    return [event_out(entry) for entry in entries]


async def _export(services: Services, database: Database, args: argparse.Namespace) -> None:
    project_id = _project_id(args.project_id)
    if not await services.projects.exists(project_id):
        raise CliError(f"no such project: {args.project_id}")
    after = parse_id(Prefix.TICKET, args.after) if args.after else None
    total = await services.export.count(project_id, after)
    progress = _progress_bar("export") if sys.stderr.isatty() else None
    now = services.clock.now()
    # Blocking writes are fine here: the command runs one task and nothing else waits.
    with open(args.out or sys.stdout.fileno(), "wb", closefd=bool(args.out)) as out:  # noqa: ASYNC230
        done = 0
        async for item in services.export.tickets(project_id, after):
            out.write(export_line(item, now))
            done += 1
            if progress and (done % 100 == 0 or done == total):
                progress(done, total)
    if progress:
        sys.stderr.write("\n")


async def _erase(services: Services, database: Database, args: argparse.Namespace) -> Any:
    project_id = _project_id(args.project_id)
    if not await services.projects.exists(project_id):
        raise CliError(f"no such project: {args.project_id}")
    erased = await erase(services, project_id, args.contact_email)
    return {"project_id": args.project_id, "tickets_erased": [format_id(Prefix.TICKET, t) for t in erased]}


async def _notifications_failed(services: Services, database: Database, args: argparse.Namespace) -> Any:
    return [
        {
            "event_id": format_id(Prefix.EVENT, event_id(f.ticket_id, f.version)),
            "channel": f.channel,
            "type": f.kind,
            "ticket_id": format_id(Prefix.TICKET, f.ticket_id),
            "attempts": f.attempts,
            "last_error": f.last_error,
            "failed_at": f.failed_at,
        }
        for f in await services.notifier.failed()
    ]


async def _notifications_retry(services: Services, database: Database, args: argparse.Namespace) -> Any:
    return {"requeued": await services.notifier.retry_failed(args.channel)}


def _progress_bar(label: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        share = done / total if total else 1.0
        bar = "#" * int(share * 30)
        sys.stderr.write(f"\r{label} [{bar:<30}] {share:6.1%} ({done}/{total})")
        sys.stderr.flush()

    return show


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zumik-support", description="Zumik support backend")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, then serve the API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--no-worker", action="store_true", help="do not run the projectors in this process")

    commands.add_parser("worker", help="run the background jobs only").set_defaults(handler=_worker)
    commands.add_parser("migrate", help="apply pending migrations").set_defaults(handler=_migrate)

    projects = commands.add_parser("projects", help="customer projects").add_subparsers(
        dest="action", required=True
    )
    create = projects.add_parser("create")
    create.add_argument("--name", required=True)
    create.add_argument("--plan", required=True, choices=[p.value for p in Plan])
    create.set_defaults(handler=_projects_create)
    set_plan = projects.add_parser("set-plan")
    set_plan.add_argument("project_id")
    set_plan.add_argument("plan", choices=[p.value for p in Plan])
    set_plan.set_defaults(handler=_projects_set_plan)
    projects.add_parser("list").set_defaults(handler=_projects_list)

    keys = commands.add_parser("keys", help="project API keys").add_subparsers(dest="action", required=True)
    key_create = keys.add_parser("create")
    key_create.add_argument("project_id")
    key_create.set_defaults(handler=_keys_create)
    key_revoke = keys.add_parser("revoke")
    key_revoke.add_argument("key_prefix")
    key_revoke.set_defaults(handler=_keys_revoke)

    staff = commands.add_parser("staff", help="Zumik team keys").add_subparsers(dest="action", required=True)
    staff_key = staff.add_parser("create-key")
    staff_key.add_argument("--name", required=True)
    staff_key.set_defaults(handler=_staff_create_key)
    history = commands.add_parser("history", help="a ticket's events, in order")
    history.add_argument("ticket_id")
    history.set_defaults(handler=_history)

    export = commands.add_parser("export", help="a project's data export (NDJSON)")
    export.add_argument("project_id")
    export.add_argument("--out", help="file to write (default: standard output)")
    export.add_argument("--after", help="resume after this ticket id")
    export.set_defaults(handler=_export)

    erase_cmd = commands.add_parser("erase", help="the deletion request")
    erase_cmd.add_argument("project_id")
    erase_cmd.add_argument("--contact-email", help="only tickets with this contact email")
    erase_cmd.set_defaults(handler=_erase)

    views = commands.add_parser("projections", help="views built from the log").add_subparsers(
        dest="action", required=True
    )
    rebuild_cmd = views.add_parser("rebuild", help="rebuild views beside the live ones, then swap them in")
    rebuild_cmd.add_argument("names", nargs="*", metavar="NAME", help="projects, tickets (default: all)")
    rebuild_cmd.set_defaults(handler=_projections_rebuild)

    notifications = commands.add_parser("notifications", help="the team's notifications").add_subparsers(
        dest="action", required=True
    )
    notifications.add_parser("failed", help="the dead-letter list").set_defaults(
        handler=_notifications_failed
    )
    retry = notifications.add_parser("retry", help="send every failed notification again")
    retry.add_argument("--channel", choices=["email", "webhook"], help="only this channel's")
    retry.set_defaults(handler=_notifications_retry)
    return parser


if __name__ == "__main__":
    sys.exit(main())
