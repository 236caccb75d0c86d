from __future__ import annotations

from domain.project import Project
from domain.ticket import Ticket
from infra.codec import Codec, EventType

# Stored names are part of the log's format: never rename one, add a new type instead.
EVENT_TYPES = (
    EventType("Opened", Ticket.Opened, Ticket, personal=("subject", "body", "contact_email")),
    EventType("MessageAppended", Ticket.MessageAppended, Ticket, personal=("body",)),
    EventType("StatusChanged", Ticket.StatusChanged, Ticket),
    EventType("Reopened", Ticket.Reopened, Ticket),
    EventType("FirstResponseBreached", Ticket.FirstResponseBreached, Ticket),
    EventType("Erased", Ticket.Erased, Ticket),
    EventType("ProjectCreated", Project.Created, Project),
    EventType("PlanChanged", Project.PlanChanged, Project),
)

codec = Codec(EVENT_TYPES)
