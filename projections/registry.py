from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from projections import projects, ticket_views
from projections.change import Change
from projections.ticket_fold import TicketFold

Apply = Callable[[asyncpg.Connection, Change], Awaitable[None]]


@dataclass(frozen=True)
class View:
    """A view built from the log: its tables, and how one change updates them.
    Its SQL names tables without a schema, so the same code builds a shadow copy
    when the search path puts the shadow schema first."""

    name: str
    tables: tuple[str, ...]
    apply: Apply
    event_types: frozenset[str]
    # Builds the whole view in memory for a full rebuild, when the view has one.
    fold: type[TicketFold] | None = None


VIEWS: dict[str, View] = {
    view.name: view
    for view in (
        View("projects", ("projects",), projects.apply, frozenset({"ProjectCreated", "PlanChanged"})),
        View(
            "tickets",
            ("ticket_list", "ticket_messages"),
            ticket_views.apply,
            frozenset(
                {"Opened", "MessageAppended", "StatusChanged", "Reopened", "FirstResponseBreached", "Erased"}
            ),
            fold=TicketFold,
        ),
    )
}
