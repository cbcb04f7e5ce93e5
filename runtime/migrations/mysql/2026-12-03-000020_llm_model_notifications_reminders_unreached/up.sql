-- Sunset reminders: one notice per team, slug, model and threshold (`[notifications] reminders`,
-- days before the sunset); every other notice has reminder_days = 0.
-- awaiting_recipients: a notice whose recipients_query found nobody for its team when it was
-- written; later applies look again, and sinks (Notifier, webhook) get it once it has someone. One statement: MySQL commits
-- each DDL statement on its own, so the key is never missing in between.
ALTER TABLE llm_model_notifications
    ADD COLUMN reminder_days INT NOT NULL DEFAULT 0,
    ADD COLUMN awaiting_recipients BOOLEAN NOT NULL DEFAULT FALSE,
    DROP INDEX llm_model_notifications_once,
    ADD UNIQUE KEY llm_model_notifications_once (team_id, slug, model, reminder_days);
