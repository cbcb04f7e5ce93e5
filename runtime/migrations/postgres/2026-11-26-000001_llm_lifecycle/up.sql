-- The run ledger and the event journal (the model table is a migration set of its own:
-- migrations/model-table).
CREATE TABLE llm_lifecycle_runs (
    id BIGSERIAL PRIMARY KEY,
    environment TEXT NOT NULL,
    catalog_digest TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ NULL,
    duration_ms BIGINT NULL,
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    merged BIGINT NOT NULL DEFAULT 0,
    repointed_rows BIGINT NOT NULL DEFAULT 0,
    cleared_rows BIGINT NOT NULL DEFAULT 0,
    deleted BIGINT NOT NULL DEFAULT 0,
    unmanaged BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX llm_lifecycle_runs_environment ON llm_lifecycle_runs (environment, id);

CREATE TABLE llm_lifecycle_events (
    id BIGSERIAL PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES llm_lifecycle_runs (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    provider TEXT NOT NULL,
    name TEXT NOT NULL,
    model_id BIGINT NULL,
    team_id BIGINT NULL,
    target_id BIGINT NULL,
    target_provider TEXT NULL,
    target_name TEXT NULL,
    table_name TEXT NULL,
    column_name TEXT NULL,
    row_count BIGINT NULL,
    detail TEXT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX llm_lifecycle_events_run ON llm_lifecycle_events (run_id);
CREATE INDEX llm_lifecycle_events_model ON llm_lifecycle_events (action, provider, name);
