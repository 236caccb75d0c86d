from __future__ import annotations

from datetime import datetime


def is_breached(due_at: datetime | None, first_response_at: datetime | None, now: datetime) -> bool:
    """Breached when the team answered after the due time, or has not answered and it passed."""
    if due_at is None:
        return False
    if first_response_at is not None:
        return first_response_at > due_at
    return now > due_at
