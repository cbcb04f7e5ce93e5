-- The rows the platform writes while `apply --batch-size` moves references in batches: a
-- trigger the apply puts on each table it walks logs the key of every row inserted, or
-- updated in a reference column, so the final transaction looks again at those rows only
-- instead of reading the whole table. The apply's own writes are not logged. `tbl` '' is a
-- run's marker: the log is whole from it on while it is there (removing the triggers
-- deletes every row, markers included). Empty between applies.
CREATE TABLE llm_lifecycle_written (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    tbl VARCHAR(255) NOT NULL,
    k BIGINT NOT NULL
);
