-- How far each asynchronous projector has read the log. A worker locks its row
-- (FOR UPDATE SKIP LOCKED) for one batch, so any number of workers may run.
CREATE TABLE projector_checkpoints (
    name     text   PRIMARY KEY,
    position bigint NOT NULL
);

-- The notifier starts at the end of the log as it is now: the team is told about
-- new activity, not about every ticket there ever was.
INSERT INTO projector_checkpoints (name, position)
SELECT 'notifications', coalesce(max(position), 0) FROM events;

-- One row per event and channel the team is notified on: the outbox. It holds no
-- content at all; a delivery builds its message from the log when it sends, so an
-- erasure leaves nothing readable here.
CREATE TABLE notification_deliveries (
    position        bigint      NOT NULL,
    channel         text        NOT NULL CHECK (channel IN ('email', 'webhook')),
    stream_id       uuid        NOT NULL,
    version         integer     NOT NULL,
    kind            text        NOT NULL,
    state           text        NOT NULL DEFAULT 'pending'
                                CHECK (state IN ('pending', 'delivered', 'failed', 'dropped')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    -- What went wrong last: an HTTP status or an error class, never a response body.
    last_error      text,
    created_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    PRIMARY KEY (position, channel)
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX notification_deliveries_failed ON notification_deliveries (finished_at)
    WHERE state = 'failed';
