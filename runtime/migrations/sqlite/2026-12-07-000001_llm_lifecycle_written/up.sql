-- The log of rows written while `apply --batch-size` moves references in batches (the
-- PostgreSQL and MySQL migrations say how it is used). On SQLite it stays empty: no trigger
-- is put there (a writer waits for any transaction anyway, so the final transaction reads
-- the tables again); the table is here so the schema is the same on every engine.
CREATE TABLE llm_lifecycle_written (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl TEXT NOT NULL,
    k BIGINT NOT NULL
);
