-- Team notifications (one per team, slug and model), their recipients, and what each host sink was handed.
CREATE TABLE llm_model_notifications (
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

ALTER TABLE llm_lifecycle_runs ADD COLUMN notified BIGINT NOT NULL DEFAULT 0;
