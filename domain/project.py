from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.plans import Plan


class Project(Aggregate):
    """A customer project (tenant). Its plan decides the SLA of tickets it opens next."""

    class Created(Aggregate.Created):
        name: str
        plan: Plan
        at: datetime

    class PlanChanged(Aggregate.Event):
        plan: Plan
        at: datetime

    @classmethod
    def create(cls, *, project_id: UUID, name: str, plan: Plan, at: datetime) -> Project:
        return cls._create(cls.Created, id=project_id, name=name, plan=plan, at=at)

    @event(Created)
    def __init__(self, *, name: str, plan: Plan, at: datetime) -> None:
        self.name = name
        self.plan = plan
        self.created_at = at

    def change_plan(self, plan: Plan, *, at: datetime) -> None:
        if plan is not self.plan:
            self._plan_changed(plan=plan, at=at)

    @event(PlanChanged)
    def _plan_changed(self, plan: Plan, at: datetime) -> None:
        self.plan = plan
