from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Change:
    """One event as a view sees it: public payload, and personal fields still sealed.

    Views copy sealed fields as they are, so building a view never needs a key."""

    tenant_id: UUID
    stream_id: UUID
    version: int
    type: str
    payload: dict[str, Any]
    sealed: dict[str, bytes | None]
