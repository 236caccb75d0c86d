-- The append-only event log: the source of truth. Views are built from it.
CREATE TABLE events (
    position    bigint GENERATED ALWAYS AS IDENTITY,
    tenant_id   uuid        NOT NULL,
    stream_id   uuid        NOT NULL,
    version     integer     NOT NULL CHECK (version >= 1),
    type        text        NOT NULL,
    recorded_at timestamptz NOT NULL,
    payload     jsonb       NOT NULL,
    pii         bytea,
    key_id      uuid,
    metadata    jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (stream_id, version)
);
CREATE UNIQUE INDEX events_position ON events (position);
CREATE INDEX events_tenant_position ON events (tenant_id, position);

CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on events is refused', TG_OP
        USING ERRCODE = 'ZS001';
END $$;

CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
-- ALWAYS: the triggers fire even with session_replication_role = replica.
ALTER TABLE events ENABLE ALWAYS TRIGGER events_no_update_delete;
ALTER TABLE events ENABLE ALWAYS TRIGGER events_no_truncate;

-- Appends one or more events to a stream in one round trip.
-- The transaction-scoped advisory lock serialises appenders until they commit, so
-- positions become visible in order: a reader of `position > checkpoint` can never
-- pass over an event whose transaction commits late.
CREATE FUNCTION append_events(
    p_tenant   uuid,
    p_stream   uuid,
    p_expected integer,
    p_types    text[],
    p_payloads jsonb[],
    p_pii      bytea[],
    p_key_ids  uuid[],
    p_metadata jsonb[]
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    current_version integer;
    last_position bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7291001);
    SELECT coalesce(max(version), 0) INTO current_version FROM events WHERE stream_id = p_stream;
    IF current_version <> p_expected THEN
        RAISE EXCEPTION 'stream is at version %, expected %', current_version, p_expected
            USING ERRCODE = 'ZS409';
    END IF;
    WITH inserted AS (
        INSERT INTO events (tenant_id, stream_id, version, type, recorded_at, payload, pii, key_id, metadata)
        SELECT p_tenant, p_stream, p_expected + i, p_types[i], clock_timestamp(),
               p_payloads[i], p_pii[i], p_key_ids[i], p_metadata[i]
        FROM generate_subscripts(p_types, 1) AS i
        ORDER BY i
        RETURNING position
    )
    SELECT max(position) INTO last_position FROM inserted;
    PERFORM pg_notify('zumik_events', last_position::text);
    RETURN last_position;
END $$;
