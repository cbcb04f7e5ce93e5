-- The resources a batched apply's notices are about, gathered range by range (the PostgreSQL
-- and MySQL migrations say how it is used). On SQLite it stays empty: a batched apply counts
-- its notices in one transaction there (a writer waits for any transaction anyway); the table
-- is here so the schema is the same on every engine.
CREATE TABLE llm_lifecycle_affected (
    run_id BIGINT NOT NULL,
    team_id BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    kind_ord BIGINT NOT NULL,
    tbl TEXT NOT NULL,
    resource_id BIGINT NOT NULL,
    name TEXT,
    kind TEXT NOT NULL,
    url TEXT
);
CREATE INDEX llm_lifecycle_affected_run ON llm_lifecycle_affected (run_id, team_id);
