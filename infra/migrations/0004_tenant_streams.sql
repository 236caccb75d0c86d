-- "Which tickets has this project ever had?", erased ones included, in id order:
-- what a data export walks, resumable from any ticket id.
CREATE INDEX events_tenant_openings ON events (tenant_id, stream_id) WHERE type = 'Opened';
