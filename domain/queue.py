from __future__ import annotations

from domain.enums import Priority

_URGENCY = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


def queue_rank(priority_queue: bool, priority: Priority) -> int:
    """Where a ticket stands in the team's queue, lowest first: priority-queue plans
    (Pilot, Enterprise) ahead of all others, then urgent > high > normal > low."""
    return (0 if priority_queue else 4) + _URGENCY[priority]
