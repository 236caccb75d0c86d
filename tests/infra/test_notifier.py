from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import httpx
import pytest

from domain.enums import Actor, Author, Status
from domain.ids import Prefix, format_id
from infra.erasure import erase
from infra.metrics import Metrics
from infra.notifier import Backoff, Notifier
from infra.services import Services, build_services, sinks
from infra.settings import Settings, SettingsError
from infra.tickets import OpenTicket
from tests.conftest import SECRET, Channels, ProjectKey, SetClock, new_project, start_notifier_at_the_end
from tests.infra.test_sealing import tables_holding
from tests.test_cli import cli


@pytest.fixture
async def clock() -> SetClock:
    # Today: the command line, which a test also runs, has the real clock.
    return SetClock(datetime.now(UTC))


@pytest.fixture
async def notified(
    channels: Channels, pool: asyncpg.Pool, clock: SetClock
) -> AsyncIterator[tuple[Services, Notifier]]:
    """Services whose notifier talks to the two local sinks, starting, like a fresh
    installation, at the end of the log: earlier tests' activity is not theirs."""
    await start_notifier_at_the_end(pool)
    services = build_services(channels.settings, pool, clock)
    yield services, services.notifier


async def drain(notifier: Notifier) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        await notifier.queue()
        while await notifier.deliver(client):
            pass


def verified(secret: bytes, signature_header: str, body: bytes) -> bool:
    fields = dict(part.split("=", 1) for part in signature_header.split(","))
    expected = hmac.new(secret, f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


async def open_ticket(services: Services, project: ProjectKey, subject: str = "GPU node unreachable") -> UUID:
    ticket = OpenTicket(subject=subject, body="Since 03:00 UTC.", contact_email="ops@acme.example")
    return (await services.tickets.open(project.uuid, ticket)).ticket.id


async def test_the_team_hears_of_new_tickets_customer_replies_and_reopens_on_both_channels(
    notified: tuple[Services, Notifier], channels: Channels
) -> None:
    services, notifier = notified
    project = await new_project(services)
    ticket_id = await open_ticket(services, project)
    await services.tickets.reply(None, ticket_id, body="Looking into it.", author=Author.SUPPORT)
    await services.tickets.reply(project.uuid, ticket_id, body="Still down.", author=Author.CUSTOMER)
    await services.tickets.set_status(project.uuid, ticket_id, Status.RESOLVED, Actor.SUPPORT)
    await services.tickets.reply(project.uuid, ticket_id, body="Down again.", author=Author.CUSTOMER)

    await drain(notifier)

    ticket = format_id(Prefix.TICKET, ticket_id)
    hooks = channels.webhook.of_ticket(ticket)
    assert [h.json()["type"] for h in hooks] == [
        "ticket.opened",
        "ticket.message_created",
        "ticket.message_created",
        "ticket.reopened",
    ]
    assert all(verified(SECRET, h.headers["Zumik-Signature"], h.body) for h in hooks)
    assert hooks[0].json()["data"]["project_id"] == project.id
    assert [h.json()["data"]["status"] for h in hooks] == ["open", "open", "resolved", "open"]
    assert hooks[0].json()["data"]["sla"]["tier"] == "enterprise"
    for personal in (b"GPU node", b"Since 03:00", b"Still down", b"ops@acme"):
        assert not any(personal in h.body for h in hooks), "the ops webhook carries no personal data"

    emails = channels.email.of_ticket(ticket)
    assert [e.path for e in emails] == ["/emails"] * 3
    assert [e.json()["subject"] for e in emails] == [
        "New normal ticket: GPU node unreachable",
        "Customer reply: GPU node unreachable",
        "Customer reply: GPU node unreachable",
    ]
    assert [e.json()["text"].split("\n")[0] for e in emails] == [
        "Since 03:00 UTC.",
        "Still down.",
        "Down again.",
    ]
    assert emails[0].json()["to"] == ["team@zumik.example"]
    assert emails[0].headers["Authorization"] == "Bearer re_test"
    assert {e.headers["Idempotency-Key"] for e in emails} == {
        h.json()["id"] for h in hooks if h.json()["type"] != "ticket.reopened"
    }


async def test_a_failing_sink_gets_the_delivery_again_later_and_once_it_took_it_never_again(
    notified: tuple[Services, Notifier], channels: Channels, clock: SetClock
) -> None:
    services, notifier = notified
    project = await new_project(services)
    ticket = format_id(Prefix.TICKET, await open_ticket(services, project))
    channels.webhook.script += [503, 500]

    await drain(notifier)
    assert len(channels.webhook.of_ticket(ticket)) == 1
    await drain(notifier)
    assert len(channels.webhook.of_ticket(ticket)) == 1, "not again before its backoff"

    for _ in range(3):
        clock.value += timedelta(hours=1)
        await drain(notifier)

    tries = channels.webhook.of_ticket(ticket)
    assert len(tries) == 3
    assert len({t.json()["id"] for t in tries}) == 1, "the same event id on every try"
    assert len(channels.email.of_ticket(ticket)) == 1


async def test_a_delivery_that_keeps_failing_lands_on_the_dead_letter_list_and_can_be_sent_again(
    channels: Channels,
    pool: asyncpg.Pool,
    clock: SetClock,
    notified: tuple[Services, Notifier],
    env_for_cli: dict[str, str],
) -> None:
    services, _ = notified
    notifier = Notifier(
        pool, services.aggregates, clock, sinks(channels.settings), backoff=Backoff(attempts=2)
    )
    project = await new_project(services)
    ticket_id = await open_ticket(services, project)
    channels.webhook.script += [500, 500]

    await drain(notifier)
    clock.value += timedelta(hours=1)
    await drain(notifier)

    ticket = format_id(Prefix.TICKET, ticket_id)
    listed = await asyncio.to_thread(cli, env_for_cli, "notifications", "failed")
    assert [
        (f["channel"], f["type"], f["attempts"], f["last_error"]) for f in listed if f["ticket_id"] == ticket
    ] == [("webhook", "ticket.opened", 2, "HTTP 500")]
    metrics = await services.queries.metrics(Metrics())
    assert gauge(metrics, 'zumik_notifications_failed{channel="webhook"}') >= 1

    retried = await asyncio.to_thread(cli, env_for_cli, "notifications", "retry", "--channel", "webhook")
    await drain(notifier)

    assert retried["requeued"] >= 1
    assert len(channels.webhook.of_ticket(ticket)) == 3
    assert not [f for f in await notifier.failed() if f.ticket_id == ticket_id]


def gauge(metrics: str, name: str) -> int:
    values = [line.split()[-1] for line in metrics.splitlines() if line.startswith(name + " ")]
    return int(values[0]) if values else 0


async def test_two_workers_racing_deliver_every_event_once_per_channel(
    channels: Channels, pool: asyncpg.Pool, clock: SetClock, notified: tuple[Services, Notifier]
) -> None:
    services, first = notified
    second = build_services(channels.settings, pool, clock).notifier
    project = await new_project(services)
    tickets = [format_id(Prefix.TICKET, await open_ticket(services, project)) for _ in range(12)]

    await asyncio.gather(drain(first), drain(second), drain(first), drain(second))

    for ticket in tickets:
        assert len(channels.webhook.of_ticket(ticket)) == 1
        assert len(channels.email.of_ticket(ticket)) == 1


async def test_an_erased_tickets_pending_email_is_dropped_and_the_outbox_never_held_its_words(
    notified: tuple[Services, Notifier], channels: Channels, pool: asyncpg.Pool
) -> None:
    services, notifier = notified
    canary = f"canary{secrets.token_hex(6)}"
    project = await new_project(services)
    ticket_id = await open_ticket(services, project, subject=canary)
    await notifier.queue()

    await erase(services, project.uuid)
    await drain(notifier)

    ticket = format_id(Prefix.TICKET, ticket_id)
    assert channels.email.of_ticket(ticket) == [], "nothing left to mail once erased"
    assert [h.json()["type"] for h in channels.webhook.of_ticket(ticket)] == ["ticket.opened"]
    async with pool.acquire() as conn:
        assert await tables_holding(conn, canary) == []
        states = await conn.fetch(
            "SELECT channel, state, last_error FROM notification_deliveries WHERE stream_id = $1 ORDER BY 1",
            ticket_id,
        )
    assert [tuple(s) for s in states] == [("email", "dropped", "erased"), ("webhook", "delivered", None)]


async def test_notification_settings_that_cannot_work_are_refused_by_name() -> None:
    kek = {"ZUMIK_KEK": base64.b64encode(bytes(32)).decode()}
    cases = {
        "RESEND_FROM is required": {"RESEND_API_KEY": "re_1", "SUPPORT_TEAM_EMAIL": "team@x.example"},
        "SUPPORT_TEAM_EMAIL is required": {"RESEND_API_KEY": "re_1", "RESEND_FROM": "a@x.example"},
        "OPS_WEBHOOK_SECRET is required": {"OPS_WEBHOOK_URL": "https://ops.example/hook"},
        "OPS_WEBHOOK_URL must be an http(s) URL": {
            "OPS_WEBHOOK_URL": "ops.example",
            "OPS_WEBHOOK_SECRET": "s",
        },
    }
    for message, env in cases.items():
        with pytest.raises(SettingsError, match=re.escape(message)):
            Settings.from_env({**kek, **env})
    quiet = Settings.from_env(kek)
    assert quiet.email is None and quiet.webhook is None


async def test_a_worker_leaves_alone_the_channels_it_cannot_send_on(
    channels: Channels, pool: asyncpg.Pool, clock: SetClock, notified: tuple[Services, Notifier]
) -> None:
    services, both = notified
    webhook_only = build_services(replace(channels.settings, email=None), pool, clock).notifier
    project = await new_project(services)
    ticket = format_id(Prefix.TICKET, await open_ticket(services, project))
    await both.queue()

    await drain(webhook_only)
    assert len(channels.webhook.of_ticket(ticket)) == 1 and channels.email.of_ticket(ticket) == []
    await drain(both)

    assert len(channels.email.of_ticket(ticket)) == 1, "its email was waiting, not used up"
    assert len(channels.webhook.of_ticket(ticket)) == 1


async def test_sent_notifications_are_forgotten_after_a_week_and_failed_ones_kept(
    channels: Channels, pool: asyncpg.Pool, clock: SetClock, notified: tuple[Services, Notifier]
) -> None:
    services, notifier = notified
    project = await new_project(services)
    ticket_id = await open_ticket(services, project)
    channels.webhook.script.append(404)
    await drain(notifier)

    clock.value += timedelta(days=6)
    await notifier.forget_finished()
    kept_a_while = await states_of(pool, ticket_id)
    clock.value += timedelta(days=2)
    await notifier.forget_finished()

    assert kept_a_while == [("email", "delivered"), ("webhook", "failed")]
    assert await states_of(pool, ticket_id) == [("webhook", "failed")]


async def states_of(pool: asyncpg.Pool, ticket_id: UUID) -> list[tuple[str, str]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT channel, state FROM notification_deliveries WHERE stream_id = $1 ORDER BY 1", ticket_id
        )
    return [(r["channel"], r["state"]) for r in rows]


async def test_an_email_the_worker_cannot_open_fails_alone_and_the_rest_goes_out(
    channels: Channels, pool: asyncpg.Pool, clock: SetClock, notified: tuple[Services, Notifier]
) -> None:
    services, _ = notified
    other_kek = replace(channels.settings, kek=secrets.token_bytes(32))
    misconfigured = build_services(other_kek, pool, clock).notifier
    project = await new_project(services)
    ticket_id = await open_ticket(services, project)

    await drain(misconfigured)

    ticket = format_id(Prefix.TICKET, ticket_id)
    assert channels.email.of_ticket(ticket) == []
    assert len(channels.webhook.of_ticket(ticket)) == 1
    assert await states_of(pool, ticket_id) == [("email", "failed"), ("webhook", "delivered")]
