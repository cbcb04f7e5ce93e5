-- The run ledger and the event journal (the model table is a migration set of its own:
-- migrations/model-table).
-- MySQL/MariaDB: names compare byte for byte (utf8mb4_bin), as on the other engines;
-- timestamps are UTC (the runtime's sessions run with time_zone '+00:00').
CREATE TABLE llm_lifecycle_runs (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    environment VARCHAR(255) NOT NULL,
    catalog_digest VARCHAR(255) NOT NULL,
    tool_version VARCHAR(255) NOT NULL,
    status VARCHAR(32) NOT NULL,
    error TEXT NULL,
    started_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    finished_at TIMESTAMP(6) NULL,
    duration_ms BIGINT NULL,
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    merged BIGINT NOT NULL DEFAULT 0,
    repointed_rows BIGINT NOT NULL DEFAULT 0,
    cleared_rows BIGINT NOT NULL DEFAULT 0,
    deleted BIGINT NOT NULL DEFAULT 0,
    unmanaged BIGINT NOT NULL DEFAULT 0,
    KEY llm_lifecycle_runs_environment (environment, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE llm_lifecycle_events (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    run_id BIGINT NOT NULL,
    action VARCHAR(32) NOT NULL,
    provider VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    model_id BIGINT NULL,
    team_id BIGINT NULL,
    target_id BIGINT NULL,
    target_provider VARCHAR(255) NULL,
    target_name VARCHAR(255) NULL,
    table_name VARCHAR(255) NULL,
    column_name VARCHAR(255) NULL,
    row_count BIGINT NULL,
    detail TEXT NULL,
    created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY llm_lifecycle_events_run (run_id),
    KEY llm_lifecycle_events_model (action, provider, name),
    CONSTRAINT llm_lifecycle_events_run_fk FOREIGN KEY (run_id)
        REFERENCES llm_lifecycle_runs (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
