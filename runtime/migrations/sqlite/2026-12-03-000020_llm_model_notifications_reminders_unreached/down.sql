-- The reminders go: the old key allows one notice per team, slug and model. The table is rebuilt
-- as the up migration explains.
--
-- SQLite cannot change a table's UNIQUE constraint, so the table is rebuilt. Its children
-- (recipients, deliveries) are copied aside and rebuilt too: with foreign_keys = ON (the
-- runtime's sessions), dropping the parent would cascade-delete them, and the pragma that turns
-- that off has no effect inside a transaction. Ids are kept, and so is the AUTOINCREMENT
-- sequence, so no notification id is ever handed out twice (webhook receivers de-duplicate by it).
DELETE FROM llm_model_notifications WHERE reminder_days <> 0;
CREATE TEMP TABLE llm_lifecycle_copy_recipients AS SELECT * FROM llm_model_notification_recipients;
CREATE TEMP TABLE llm_lifecycle_copy_deliveries AS SELECT * FROM llm_model_notification_deliveries;
CREATE TEMP TABLE llm_lifecycle_copy_sequence AS
    SELECT seq FROM sqlite_sequence WHERE name = 'llm_model_notifications';
DROP TABLE llm_model_notification_recipients;
DROP TABLE llm_model_notification_deliveries;

CREATE TABLE llm_model_notifications_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id BIGINT NOT NULL,
    slug TEXT NOT NULL,
    model TEXT NOT NULL,
    level TEXT NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    links TEXT NOT NULL DEFAULT '{}',
    permission TEXT NOT NULL,
    run_id BIGINT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT llm_model_notifications_once UNIQUE (team_id, slug, model)
);
INSERT INTO llm_model_notifications_rebuilt
    (id, team_id, slug, model, level, title, message, links, permission, run_id, created_at)
    SELECT id, team_id, slug, model, level, title, message, links, permission, run_id, created_at
    FROM llm_model_notifications;
DROP TABLE llm_model_notifications;
ALTER TABLE llm_model_notifications_rebuilt RENAME TO llm_model_notifications;
UPDATE sqlite_sequence
    SET seq = MAX(seq, COALESCE((SELECT MAX(seq) FROM llm_lifecycle_copy_sequence), 0))
    WHERE name = 'llm_model_notifications';

CREATE TABLE llm_model_notification_recipients (
    notification_id BIGINT NOT NULL REFERENCES llm_model_notifications (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    PRIMARY KEY (notification_id, user_id)
);
CREATE TABLE llm_model_notification_deliveries (
    notification_id BIGINT NOT NULL REFERENCES llm_model_notifications (id) ON DELETE CASCADE,
    sink TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT NULL,
    delivered_at TEXT NULL,
    PRIMARY KEY (notification_id, sink)
);
INSERT INTO llm_model_notification_recipients (notification_id, user_id)
    SELECT notification_id, user_id FROM llm_lifecycle_copy_recipients;
INSERT INTO llm_model_notification_deliveries
    (notification_id, sink, attempts, last_error, delivered_at)
    SELECT notification_id, sink, attempts, last_error, delivered_at FROM llm_lifecycle_copy_deliveries;
DROP TABLE llm_lifecycle_copy_recipients;
DROP TABLE llm_lifecycle_copy_deliveries;
DROP TABLE llm_lifecycle_copy_sequence;
