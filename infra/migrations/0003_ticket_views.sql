-- "Which tickets does this project have?": one row per ticket, written in the
-- append's transaction. Personal fields hold the event's sealed bytes, never text.
CREATE TABLE ticket_list (
    id                uuid PRIMARY KEY,
    project_id        uuid        NOT NULL,
    subject           bytea,
    contact_email     bytea,
    priority          text        NOT NULL,
    status            text        NOT NULL,
    plan              text        NOT NULL,
    sla               jsonb       NOT NULL,
    sla_tier          text        NOT NULL,
    -- The team's queue order: priority-queue tickets first, then urgent > high >
    -- normal > low. Lower sorts first; kept as one number so keyset pages can walk it.
    queue_rank        smallint    NOT NULL,
    first_response_due_at timestamptz,
    breached_at       timestamptz,
    follow_up_of      uuid,
    message_count     integer     NOT NULL,
    first_response_at timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           integer     NOT NULL
);
-- Ticket ids are UUIDv7, so id order is creation order: keyset pages walk these.
CREATE INDEX ticket_list_project ON ticket_list (project_id, id DESC);
CREATE INDEX ticket_list_project_status ON ticket_list (project_id, status, id DESC);
CREATE INDEX ticket_list_project_priority ON ticket_list (project_id, priority, id DESC);
-- "What should the team answer next?": open tickets of every project in queue order.
CREATE INDEX ticket_list_staff_queue ON ticket_list
    (queue_rank, coalesce(first_response_due_at, 'infinity'), id) WHERE status = 'open';
-- "Which first responses are overdue and not yet recorded as breached?"
CREATE INDEX ticket_list_sla_watch ON ticket_list (first_response_due_at)
    WHERE first_response_at IS NULL AND breached_at IS NULL AND first_response_due_at IS NOT NULL;

-- "What was said on this ticket?": the thread, oldest first. No foreign key: views
-- are rebuilt beside the live ones and swapped in, and a key would pin the old table.
CREATE TABLE ticket_messages (
    ticket_id  uuid        NOT NULL,
    seq        integer     NOT NULL,
    id         uuid        NOT NULL,
    author     text        NOT NULL,
    body       bytea,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);

-- Idempotency-Key records hold no request or response text: a keyed fingerprint of
-- the request, and the ticket version the first response showed.
CREATE TABLE idempotency_keys (
    project_id     uuid        NOT NULL,
    key_hash       bytea       NOT NULL,
    request_hash   bytea       NOT NULL,
    status_code    integer     NOT NULL,
    ticket_id      uuid        NOT NULL,
    ticket_version integer     NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, key_hash)
);
CREATE INDEX idempotency_keys_ticket ON idempotency_keys (ticket_id);
