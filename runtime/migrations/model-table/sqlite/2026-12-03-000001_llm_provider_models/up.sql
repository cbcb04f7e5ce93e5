-- The model rows the catalogue governs (team_id NULL = global), when the runtime owns them
-- (no [model_table] in models.toml). Until 2026-12-03 the 000001 migration created it.
CREATE TABLE llm_provider_models (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id BIGINT NULL,
    provider TEXT NOT NULL,
    name TEXT NOT NULL,
    max_token_limit BIGINT NOT NULL,
    deprecated BOOLEAN NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX llm_provider_models_global_unique
    ON llm_provider_models (provider, name) WHERE team_id IS NULL;
CREATE UNIQUE INDEX llm_provider_models_team_unique
    ON llm_provider_models (team_id, provider, name) WHERE team_id IS NOT NULL;
