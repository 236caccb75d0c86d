from __future__ import annotations

from uuid import UUID

import asyncpg
import structlog

from infra.crypto import KeyUnavailableError
from infra.sealing import Opener
from infra.services import Services

log = structlog.get_logger()

_CANDIDATES = """
SELECT t.id, t.contact_email, k.wrapped FROM ticket_list t JOIN data_keys k ON k.key_id = t.id
WHERE t.project_id = $1 ORDER BY t.id
"""


async def erase(services: Services, project_id: UUID, contact_email: str | None = None) -> list[UUID]:
    """The deletion request: erases every ticket of the project, or only those whose
    contact email matches. Each ticket gets an `Erased` event, loses its view rows,
    idempotency records and, last, its data key: after that no copy of its personal
    data can be read, although the log keeps its (sealed) history."""
    async with services.pool.acquire() as conn:
        candidates = await conn.fetch(_CANDIDATES, project_id)
    erased = []
    for row in candidates:
        if contact_email is not None and not _same_email(services, row, contact_email):
            continue
        await services.tickets.erase(row["id"])
        erased.append(row["id"])
    log.info(
        "project.erased", project_id=str(project_id), tickets=len(erased), by_email=contact_email is not None
    )
    return erased


def _same_email(services: Services, row: asyncpg.Record, wanted: str) -> bool:
    try:
        opener = Opener(services.keyring.unwrap(row["id"], row["wrapped"]), row["id"])
        email = opener.open("contact_email", row["contact_email"])
    except KeyUnavailableError:
        return False
    return email is not None and email.casefold() == wanted.casefold()
