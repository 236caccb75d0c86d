from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Status(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Actor(StrEnum):
    """Who caused an event: the project's people, the Zumik team, or the system itself."""

    CUSTOMER = "customer"
    SUPPORT = "support"
    SYSTEM = "system"


class Author(StrEnum):
    CUSTOMER = "customer"
    SUPPORT = "support"
