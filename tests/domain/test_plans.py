from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.business_hours import BusinessCalendar
from domain.enums import Priority
from domain.plans import Plan, SlaTier, sla_for

calendar = BusinessCalendar()
FRIDAY_4PM = datetime(2026, 12, 4, 16, tzinfo=UTC)
TUESDAY_11PM = datetime(2026, 12, 1, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("plan", "tier", "target", "queue"),
    [
        (Plan.FREE, SlaTier.COMMUNITY, "Best effort, community support", False),
        (Plan.BASE, SlaTier.STANDARD, "1 business day", False),
        (Plan.PILOT, SlaTier.PRIORITY, "4 business hours", True),
        (Plan.ENTERPRISE, SlaTier.ENTERPRISE, "4 hours, 24/7 for urgent issues", True),
    ],
)
def test_each_plan_maps_to_its_published_sla(plan: Plan, tier: SlaTier, target: str, queue: bool) -> None:
    sla = sla_for(plan, Priority.NORMAL, FRIDAY_4PM, calendar)
    assert (sla.tier, sla.first_response_target, sla.priority_queue) == (tier, target, queue)


def test_free_tickets_have_no_due_time() -> None:
    assert sla_for(Plan.FREE, Priority.URGENT, FRIDAY_4PM, calendar).first_response_due_at is None


def test_base_is_due_one_business_day_later() -> None:
    due = sla_for(Plan.BASE, Priority.HIGH, FRIDAY_4PM, calendar).first_response_due_at
    assert due == datetime(2026, 12, 7, 16, tzinfo=UTC)


def test_pilot_is_due_four_business_hours_later() -> None:
    due = sla_for(Plan.PILOT, Priority.URGENT, FRIDAY_4PM, calendar).first_response_due_at
    assert due == datetime(2026, 12, 7, 12, tzinfo=UTC)


def test_enterprise_urgent_runs_around_the_clock() -> None:
    due = sla_for(Plan.ENTERPRISE, Priority.URGENT, TUESDAY_11PM, calendar).first_response_due_at
    assert due == datetime(2026, 12, 2, 3, tzinfo=UTC)


def test_enterprise_below_urgent_counts_business_hours() -> None:
    due = sla_for(Plan.ENTERPRISE, Priority.HIGH, TUESDAY_11PM, calendar).first_response_due_at
    assert due == datetime(2026, 12, 2, 13, tzinfo=UTC)
