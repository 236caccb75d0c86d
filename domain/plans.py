from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.business_hours import BusinessCalendar
from domain.enums import Priority


class Plan(StrEnum):
    FREE = "free"
    BASE = "base"
    PILOT = "pilot"
    ENTERPRISE = "enterprise"


class SlaTier(StrEnum):
    COMMUNITY = "community"
    STANDARD = "standard"
    PRIORITY = "priority"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True)
class SlaSnapshot:
    """The first-response promise as it stood when a ticket opened; never recomputed."""

    tier: SlaTier
    first_response_target: str
    priority_queue: bool
    first_response_due_at: datetime | None


@dataclass(frozen=True)
class _PlanTerms:
    tier: SlaTier
    target: str
    priority_queue: bool
    business_hours: float | None  # None: best effort, no due time


_TERMS: dict[Plan, _PlanTerms] = {
    Plan.FREE: _PlanTerms(SlaTier.COMMUNITY, "Best effort, community support", False, None),
    Plan.BASE: _PlanTerms(SlaTier.STANDARD, "1 business day", False, 8),
    Plan.PILOT: _PlanTerms(SlaTier.PRIORITY, "4 business hours", True, 4),
    Plan.ENTERPRISE: _PlanTerms(SlaTier.ENTERPRISE, "4 hours, 24/7 for urgent issues", True, 4),
}

_ROUND_THE_CLOCK = timedelta(hours=4)


def sla_for(plan: Plan, priority: Priority, opened_at: datetime, calendar: BusinessCalendar) -> SlaSnapshot:
    terms = _TERMS[plan]
    due: datetime | None
    if terms.business_hours is None:
        due = None
    elif plan is Plan.ENTERPRISE and priority is Priority.URGENT:
        due = opened_at + _ROUND_THE_CLOCK
    else:
        due = calendar.add_business_hours(opened_at, terms.business_hours)
    return SlaSnapshot(
        tier=terms.tier,
        first_response_target=terms.target,
        priority_queue=terms.priority_queue,
        first_response_due_at=due,
    )
