from __future__ import annotations

import asyncio

import asyncpg

from api.app import create_app
from infra.database import Database
from tests.api.helpers import SEED_OPEN, open_ticket
from tests.conftest import Channels, ProjectKey, running, start_notifier_at_the_end


async def test_a_stuck_notification_sink_neither_fails_nor_holds_up_a_request(
    channels: Channels, project: ProjectKey, pool: asyncpg.Pool
) -> None:
    await start_notifier_at_the_end(pool)
    channels.webhook.hold.set()
    app = create_app(channels.settings, Database(channels.settings), with_worker=True)
    async with running(app) as client:
        first = await open_ticket(client, project)
        assert await asyncio.to_thread(channels.webhook.arrived.wait, 10), "the worker is sending"

        second = await client.post("/v2/support/tickets", json=SEED_OPEN, headers=project.auth)

        assert second.status_code == 201
        assert channels.webhook.answered == 0, "answered while the sink still held the first delivery"
        channels.webhook.release.set()
        await channels.webhook.wait_for(second.json()["id"], 1)
        assert len(channels.webhook.of_ticket(first["id"])) == 1
        assert len(await channels.email.wait_for(second.json()["id"], 1)) == 1
