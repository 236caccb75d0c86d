from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import httpx
import pytest

from domain.enums import Actor, Author, Status
from domain.ids import Prefix, format_id
from infra.channel_settings import EmailChannel, WebhookChannel
from infra.metrics import Metrics
from infra.notifier import Backoff, Notifier
from infra.services import Services, build_services, sinks
from infra.settings import Settings
from infra.tickets import OpenTicket
from tests.conftest import ProjectKey, SetClock, new_project
from tests.sink_server import Sink, sink_server

SECRET = b"whsec-test"


@dataclass
class Channels:
    email: Sink
    webhook: Sink
    settings: Settings


@pytest.fixture
def channels(settings: Settings) -> Iterator[Channels]:
    with sink_server() as resend, sink_server() as webhook:
        configured = replace(
            settings,
            email=EmailChannel("re_test", resend.url, "Zumik <support@zumik.example>", "team@zumik.example"),
            webhook=WebhookChannel(webhook.url, SECRET),
        )
        yield Channels(resend, webhook, configured)


@pytest.fixture
async def clock() -> SetClock:
    return SetClock(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))


@pytest.fixture
async def notified(
    channels: Channels, pool: asyncpg.Pool, clock: SetClock
) -> AsyncIterator[tuple[Services, Notifier]]:
    """Services whose notifier talks to the two local sinks, starting, like a fresh
    installation, at the end of the log: earlier tests' activity is not theirs."""
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE projector_checkpoints SET position = (SELECT coalesce(max(position), 0) FROM events)"
        )
        await conn.execute("UPDATE notification_deliveries SET state = 'dropped' WHERE state = 'pending'")
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
    channels: Channels, pool: asyncpg.Pool, clock: SetClock, notified: tuple[Services, Notifier]
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

    failed = [f for f in await notifier.failed() if f.ticket_id == ticket_id]
    assert [(f.channel, f.kind, f.attempts, f.last_error) for f in failed] == [
        ("webhook", "ticket.opened", 2, "HTTP 500")
    ]
    metrics = await services.queries.metrics(Metrics())
    assert gauge(metrics, 'zumik_notifications_failed{channel="webhook"}') >= 1

    assert await notifier.retry_failed("webhook") >= 1
    await drain(notifier)
    assert len(channels.webhook.of_ticket(format_id(Prefix.TICKET, ticket_id))) == 3
    assert not [f for f in await notifier.failed() if f.ticket_id == ticket_id]


def gauge(metrics: str, name: str) -> int:
    values = [line.split()[-1] for line in metrics.splitlines() if line.startswith(name + " ")]
    return int(values[0]) if values else 0
