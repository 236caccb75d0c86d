from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg
import httpx
import structlog

from domain.notices import NoticeKind
from domain.ticket import Ticket
from infra import dead_letters
from infra.aggregates import Aggregates
from infra.clock import Clock
from infra.notices import Notice, notice_of
from infra.notification_outbox import NotificationOutbox
from infra.notification_sinks import DeliveryOutcome, Sent, Sink

log = structlog.get_logger()

_DUE = """
SELECT d.position, d.channel, d.stream_id, d.version, d.kind, d.attempts, e.recorded_at
FROM notification_deliveries d JOIN events e ON e.position = d.position
WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND d.channel = ANY($3)
ORDER BY d.next_attempt_at, d.position
LIMIT $2
FOR UPDATE OF d SKIP LOCKED
"""
_RECORD = """
UPDATE notification_deliveries
SET state = $3, attempts = $4, next_attempt_at = $5, last_error = $6, finished_at = $7
WHERE position = $1 AND channel = $2
"""
# Sent and dropped deliveries are kept this long, for whoever asks what went out.
KEPT = timedelta(days=7)
_FORGET = """
DELETE FROM notification_deliveries WHERE state IN ('delivered', 'dropped') AND finished_at < $1
"""
_CHANNEL = "zumik_events"  # what append_events() NOTIFYs
_STATE = {
    DeliveryOutcome.DELIVERED: "delivered",
    DeliveryOutcome.REFUSED: "failed",
    DeliveryOutcome.RETRY: "failed",  # only reached with no attempt left
    DeliveryOutcome.UNSENDABLE: "dropped",
}


@dataclass(frozen=True)
class Backoff:
    first: timedelta = timedelta(seconds=10)
    longest: timedelta = timedelta(hours=1)
    attempts: int = 10  # 85 minutes from the first try to the dead-letter list

    def after(self, attempts: int) -> timedelta:
        delay: timedelta = self.first * 2 ** (attempts - 1)
        return min(delay, self.longest)


class Notifier:
    """Tells the team about ticket activity, after the request that caused it
    committed: the outbox projector queues deliveries from the log, and due
    deliveries go out to their sinks. A delivery row stays locked while it is sent,
    so no two workers send it at once, and once it succeeded nobody sends it again."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        aggregates: Aggregates,
        clock: Clock,
        sinks: Sequence[Sink],
        *,
        backoff: Backoff = Backoff(),
        batch: int = 50,
    ) -> None:
        self._pool = pool
        self._aggregates = aggregates
        self._clock = clock
        self._sinks = {sink.channel: sink for sink in sinks}
        self._outbox = NotificationOutbox(list(self._sinks))
        self._backoff = backoff
        self._batch = batch

    async def queue(self) -> int:
        """Queues deliveries for everything appended since the last call, any worker's."""
        queued = 0
        async with self._pool.acquire() as conn:
            while read := await self._outbox.project(conn, self._clock.now()):
                queued += read
        return queued

    async def deliver(self, client: httpx.AsyncClient) -> int:
        """Sends one batch of due deliveries; returns how many it tried."""
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            # Only channels this worker can send on: another worker may have more.
            due = await conn.fetch(_DUE, now, self._batch, list(self._sinks))
            # A sink hears of one ticket in the order things happened to it; of
            # different tickets, at once.
            in_turn: dict[tuple[str, UUID], list[tuple[asyncpg.Record, Notice | Sent]]] = {}
            for row in due:
                notice = await self._notice(conn, row)
                in_turn.setdefault((row["channel"], row["stream_id"]), []).append((row, notice))
            sent = await asyncio.gather(*(self._send_in_turn(client, turn, now) for turn in in_turn.values()))
            await conn.executemany(_RECORD, [record for records in sent for record in records])
        return len(due)

    async def _notice(self, conn: asyncpg.Connection, row: asyncpg.Record) -> Notice | Sent:
        """The notice to send, or the outcome already known when there is none."""
        try:
            # Only an email carries personal fields; the webhook's notice is built without them.
            loaded = await self._aggregates.load(
                conn, row["stream_id"], with_personal=row["channel"] == "email", to_version=row["version"]
            )
        except asyncpg.PostgresError:
            raise
        except Exception as error:  # e.g. a data key the KEK cannot unwrap: this row only
            return Sent(DeliveryOutcome.REFUSED, type(error).__name__)
        if loaded is None or not isinstance(loaded.aggregate, Ticket):
            return Sent(DeliveryOutcome.UNSENDABLE, "no such ticket")
        return notice_of(loaded.aggregate, NoticeKind(row["kind"]), row["version"], row["recorded_at"])

    async def _send_in_turn(
        self, client: httpx.AsyncClient, turn: list[tuple[asyncpg.Record, Notice | Sent]], now: datetime
    ) -> list[tuple[object, ...]]:
        return [self._record(row, await self._send(client, row["channel"], n, now), now) for row, n in turn]

    async def _send(
        self, client: httpx.AsyncClient, channel: str, notice: Notice | Sent, now: datetime
    ) -> Sent:
        if isinstance(notice, Sent):
            return notice
        return await self._sinks[channel].send(client, notice, int(now.timestamp()))

    def _record(self, row: asyncpg.Record, sent: Sent, now: datetime) -> tuple[object, ...]:
        attempts = row["attempts"] + 1
        key = (row["position"], row["channel"])
        fields = {"position": key[0], "channel": key[1], "ticket_id": str(row["stream_id"])}
        if sent.outcome is DeliveryOutcome.RETRY and attempts < self._backoff.attempts:
            log.info("notification.retrying", attempts=attempts, error=sent.error, **fields)
            return (*key, "pending", attempts, now + self._backoff.after(attempts), sent.error, None)
        state = _STATE[sent.outcome]
        (log.warning if state == "failed" else log.info)(
            f"notification.{state}", attempts=attempts, error=sent.error, **fields
        )
        return (*key, state, attempts, now, sent.error, now)

    async def forget_finished(self) -> int:
        """Deletes deliveries sent or dropped longer than KEPT ago; failed ones stay."""
        async with self._pool.acquire() as conn:
            status = await conn.execute(_FORGET, self._clock.now() - KEPT)
        return int(status.split()[-1])

    async def failed(self) -> list[dead_letters.FailedDelivery]:
        async with self._pool.acquire() as conn:
            return await dead_letters.failed(conn)

    async def retry_failed(self, channel: str | None = None) -> int:
        async with self._pool.acquire() as conn:
            return await dead_letters.retry(conn, self._clock.now(), channel)

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Until `stop`: queue and deliver, then wait for the next append (LISTEN)
        or `interval`, whichever comes first."""
        wake = asyncio.Event()
        forgotten_at = 0.0
        async with httpx.AsyncClient(timeout=10.0) as client, _listening(self._pool, wake):
            while not stop.is_set():
                wake.clear()
                pause = interval
                try:
                    await self.queue()
                    while await self.deliver(client) == self._batch:
                        pass  # a backlog: keep going before waiting
                    if time.monotonic() - forgotten_at > 3600:
                        await self.forget_finished()
                        forgotten_at = time.monotonic()
                except Exception as error:  # the database away, or a bug: the next round tries again
                    log.error("notification.round_failed", error=type(error).__name__)
                    pause = 15 * interval  # a database outage is not logged every second
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_first(stop, wake), timeout=pause)


async def _first(*events: asyncio.Event) -> None:
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


@contextlib.asynccontextmanager
async def _listening(pool: asyncpg.Pool, wake: asyncio.Event) -> AsyncIterator[None]:
    """Sets `wake` on every append (append_events() NOTIFYs). Without a connection
    for it, the caller's polling still finds everything, only later."""
    try:
        conn = await pool.acquire()
    except (OSError, asyncpg.PostgresError, TimeoutError):
        yield
        return
    notified = lambda *_: wake.set()  # noqa: E731
    try:
        await conn.add_listener(_CHANNEL, notified)
        yield
    finally:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            await conn.remove_listener(_CHANNEL, notified)
        await pool.release(conn)
