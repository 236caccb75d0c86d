from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from domain.ids import uuid7


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def new_id(clock: Clock | None = None) -> UUID:
    at_ms = int(clock.now().timestamp() * 1000) if clock else time.time_ns() // 1_000_000
    return uuid7(at_ms, os.urandom(10))
