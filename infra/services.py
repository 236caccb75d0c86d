from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from infra.aggregates import Aggregates
from infra.clock import Clock, SystemClock
from infra.crypto import KeyRing, load_kek
from infra.event_types import codec
from infra.export import Export
from infra.history import History
from infra.notification_sinks import EmailSink, Sink, WebhookSink
from infra.notifier import Notifier
from infra.projects import Projects
from infra.queries import Queries
from infra.settings import Settings
from infra.ticket_reads import TicketReads
from infra.tickets import Tickets


@dataclass(frozen=True)
class Services:
    pool: asyncpg.Pool
    aggregates: Aggregates
    keyring: KeyRing
    clock: Clock
    projects: Projects
    tickets: Tickets
    export: Export
    queries: Queries
    notifier: Notifier


def build_services(settings: Settings, pool: asyncpg.Pool, clock: Clock | None = None) -> Services:
    clock = clock or SystemClock()
    keyring = KeyRing(load_kek(settings.kek, settings.kek_file, settings.data_dir))
    aggregates = Aggregates(codec, keyring)
    reads = TicketReads(aggregates)
    history = History(aggregates)
    return Services(
        pool=pool,
        aggregates=aggregates,
        keyring=keyring,
        clock=clock,
        projects=Projects(pool, aggregates, clock),
        tickets=Tickets(pool, aggregates, reads, clock, settings.calendar),
        export=Export(pool, reads),
        queries=Queries(pool, reads, history),
        notifier=Notifier(pool, aggregates, clock, sinks(settings)),
    )


def sinks(settings: Settings) -> list[Sink]:
    configured: list[Sink] = []
    if settings.email is not None:
        configured.append(EmailSink(settings.email))
    if settings.webhook is not None:
        configured.append(WebhookSink(settings.webhook))
    return configured
