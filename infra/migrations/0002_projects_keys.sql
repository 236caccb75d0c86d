-- Per-stream data keys (AES-256-GCM), wrapped by a key-encryption key kept outside
-- the database. Deleting a row is what makes a ticket's personal data unreadable.
CREATE TABLE data_keys (
    key_id     uuid PRIMARY KEY,
    tenant_id  uuid        NOT NULL,
    wrapped    bytea       NOT NULL,
    kek_id     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_keys_tenant ON data_keys (tenant_id);

-- Projects as of their latest event; written in the append's transaction.
CREATE TABLE projects (
    id         uuid PRIMARY KEY,
    name       text        NOT NULL,
    plan       text        NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version    integer     NOT NULL
);

-- API keys are stored only as SHA-256 of the secret; the prefix names a key for revocation.
CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    prefix      text        NOT NULL UNIQUE,
    secret_hash bytea       NOT NULL UNIQUE,
    kind        text        NOT NULL CHECK (kind IN ('project', 'staff')),
    project_id  uuid,
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CHECK ((kind = 'project') = (project_id IS NOT NULL))
);
