from __future__ import annotations

import asyncio

import structlog

from infra.breach_watch import BreachWatch
from infra.services import Services

log = structlog.get_logger()


async def run_worker(services: Services, stop: asyncio.Event) -> None:
    """The background jobs of one process; any number of processes may run them."""
    watch = BreachWatch(services.pool, services.tickets, services.clock)
    log.info("worker.started")
    await asyncio.gather(watch.run(stop), services.notifier.run(stop))
    log.info("worker.stopped")
