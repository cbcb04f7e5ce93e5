-- Team notifications (one per team, slug and model), their recipients, and what each host sink was handed.
CREATE TABLE llm_model_notifications (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    team_id BIGINT NOT NULL,
    slug VARCHAR(255) NOT NULL,
    model VARCHAR(255) NOT NULL,
    level VARCHAR(32) NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    links JSON NOT NULL,
    permission VARCHAR(255) NOT NULL,
    run_id BIGINT NULL,
    created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY llm_model_notifications_once (team_id, slug, model),
    KEY llm_model_notifications_run (run_id, slug, model)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE llm_model_notification_recipients (
    notification_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    PRIMARY KEY (notification_id, user_id),
    CONSTRAINT llm_model_notification_recipients_fk FOREIGN KEY (notification_id)
        REFERENCES llm_model_notifications (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE llm_model_notification_deliveries (
    notification_id BIGINT NOT NULL,
    sink VARCHAR(255) NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT NULL,
    delivered_at TIMESTAMP(6) NULL,
    PRIMARY KEY (notification_id, sink),
    CONSTRAINT llm_model_notification_deliveries_fk FOREIGN KEY (notification_id)
        REFERENCES llm_model_notifications (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

ALTER TABLE llm_lifecycle_runs ADD COLUMN notified BIGINT NOT NULL DEFAULT 0;
