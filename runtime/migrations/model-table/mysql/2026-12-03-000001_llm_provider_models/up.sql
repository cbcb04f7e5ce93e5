-- The model rows the catalogue governs (team_id NULL = global), when the runtime owns them
-- (no [model_table] in models.toml). Until 2026-12-03 the 000001 migration created it.
-- MySQL/MariaDB: names compare byte for byte (utf8mb4_bin), as on the other engines;
-- timestamps are UTC (the runtime's sessions run with time_zone '+00:00').
CREATE TABLE llm_provider_models (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    team_id BIGINT NULL,
    provider VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    max_token_limit BIGINT NOT NULL,
    deprecated BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    -- No partial unique index on this engine: a generated column that is 1 on
    -- global rows and NULL on team rows (NULLs never collide in a unique key)
    -- makes (provider, name) unique among global rows only.
    global_row TINYINT AS (CASE WHEN team_id IS NULL THEN 1 END) STORED,
    UNIQUE KEY llm_provider_models_global_unique (provider, name, global_row),
    UNIQUE KEY llm_provider_models_team_unique (team_id, provider, name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
