from __future__ import annotations

from collections import Counter

import asyncpg

_TICKETS = """
SELECT count(*) FILTER (WHERE status = 'open') AS open,
       count(*) FILTER (WHERE status = 'open' AND breached_at IS NOT NULL) AS open_breached,
       count(*) FILTER (WHERE breached_at IS NOT NULL) AS breached
FROM ticket_list
"""


class Metrics:
    """Prometheus text: request counts of this process, ticket gauges from the views."""

    def __init__(self) -> None:
        self.responses: Counter[str] = Counter()

    def count_response(self, status: int) -> None:
        self.responses[f"{status // 100}xx"] += 1

    async def render(self, conn: asyncpg.Connection) -> str:
        tickets = await conn.fetchrow(_TICKETS)
        lines = [
            "# HELP zumik_http_responses_total Responses served by this process, by status class.",
            "# TYPE zumik_http_responses_total counter",
            *(f'zumik_http_responses_total{{class="{c}"}} {n}' for c, n in sorted(self.responses.items())),
            "# HELP zumik_tickets_open Tickets awaiting the team.",
            "# TYPE zumik_tickets_open gauge",
            f"zumik_tickets_open {tickets['open']}",
            "# HELP zumik_tickets_open_breached Open tickets whose first response is overdue (recorded).",
            "# TYPE zumik_tickets_open_breached gauge",
            f"zumik_tickets_open_breached {tickets['open_breached']}",
            "# HELP zumik_sla_breaches Tickets with a recorded first-response breach.",
            "# TYPE zumik_sla_breaches gauge",
            f"zumik_sla_breaches {tickets['breached']}",
        ]
        return "\n".join(lines) + "\n"
