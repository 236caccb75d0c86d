from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int
    reset_seconds: int

    @property
    def exhausted(self) -> bool:
        return self.remaining < 0

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(self.remaining, 0)),
            "RateLimit-Reset": str(self.reset_seconds),
        }


class RateLimiter:
    """Fixed one-minute windows per API key, in this process.

    Each API process counts on its own, so N processes allow up to N times the limit;
    the headers still tell a client exactly where it stands with the process it hit."""

    WINDOW = 60

    def __init__(self, limit_per_minute: int, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit_per_minute
        self._clock = clock
        self._window = -1
        self._counts: dict[bytes, int] = {}

    def take(self, key: bytes) -> Quota:
        now = self._clock()
        window = int(now // self.WINDOW)
        if window != self._window:
            self._window, self._counts = window, {}
        used = self._counts.get(key, 0) + 1
        self._counts[key] = used
        reset = math.ceil((window + 1) * self.WINDOW - now)
        return Quota(self.limit, self.limit - used, max(reset, 1))
