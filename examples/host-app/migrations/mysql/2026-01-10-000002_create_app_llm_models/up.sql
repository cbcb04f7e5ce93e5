-- The application's table of models, governed by models.toml's [model_table].
-- No database defaults and no unique index: the way most ORMs create it.
CREATE TABLE app_llm_models (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    team_id BIGINT NULL,
    kind VARCHAR(32) NOT NULL,
    name VARCHAR(128) NOT NULL,
    max_tokens INTEGER NOT NULL,
    retired BOOLEAN NOT NULL,
    origin VARCHAR(16) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    FOREIGN KEY (team_id) REFERENCES teams (id)
);
