-- The resources a batched apply's notices are about, gathered range by range of each
-- referencing table's key (one short transaction each), then folded into one notice per team,
-- range by range of team ids (a resource that two references or two ranges reach is read
-- once); each fold deletes the rows it read. By run, so two applies never read each other's
-- rows. Clustered by run and team, so a fold reads and deletes one stretch of the table. Empty
-- between applies.
CREATE TABLE llm_lifecycle_affected (
    id BIGINT NOT NULL AUTO_INCREMENT,
    run_id BIGINT NOT NULL,
    team_id BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    kind_ord BIGINT NOT NULL,
    tbl TEXT NOT NULL,
    resource_id BIGINT NOT NULL,
    name TEXT,
    kind TEXT NOT NULL,
    url TEXT,
    PRIMARY KEY (run_id, team_id, id),
    KEY llm_lifecycle_affected_id (id)
);
