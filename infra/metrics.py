from __future__ import annotations

from collections import Counter

import asyncpg

_TICKETS = """
SELECT count(*) FILTER (WHERE status = 'open') AS open,
       count(*) FILTER (WHERE status = 'open' AND breached_at IS NOT NULL) AS open_breached,
       count(*) FILTER (WHERE breached_at IS NOT NULL) AS breached
FROM ticket_list
"""
_NOTIFICATIONS = """
SELECT channel, count(*) FILTER (WHERE state = 'pending') AS pending,
       count(*) FILTER (WHERE state = 'failed') AS failed
FROM notification_deliveries WHERE state IN ('pending', 'failed')
GROUP BY channel ORDER BY channel
"""
_NOTIFIER_LAG = """
SELECT coalesce((SELECT max(position) FROM events), 0) - position
FROM projector_checkpoints WHERE name = 'notifications'
"""


class Metrics:
    """Prometheus text: request counts of this process, ticket gauges from the views."""

    def __init__(self) -> None:
        self.responses: Counter[str] = Counter()

    def count_response(self, status: int) -> None:
        self.responses[f"{status // 100}xx"] += 1

    async def render(self, conn: asyncpg.Connection) -> str:
        tickets = await conn.fetchrow(_TICKETS)
        rows = await conn.fetch(_NOTIFICATIONS)
        lag = await conn.fetchval(_NOTIFIER_LAG) or 0
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
            "# HELP zumik_notifications_pending Team notifications waiting to be sent or retried.",
            "# TYPE zumik_notifications_pending gauge",
            *(f'zumik_notifications_pending{{channel="{n["channel"]}"}} {n["pending"]}' for n in rows),
            "# HELP zumik_notifications_failed Team notifications on the dead-letter list.",
            "# TYPE zumik_notifications_failed gauge",
            *(f'zumik_notifications_failed{{channel="{n["channel"]}"}} {n["failed"]}' for n in rows),
            "# HELP zumik_notifier_lag_events Events appended that the notifier has not read yet.",
            "# TYPE zumik_notifier_lag_events gauge",
            f"zumik_notifier_lag_events {lag}",
        ]
        return "\n".join(lines) + "\n"
