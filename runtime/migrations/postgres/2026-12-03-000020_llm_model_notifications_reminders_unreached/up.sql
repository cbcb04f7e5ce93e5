-- Sunset reminders: one notice per team, slug, model and threshold (`[notifications] reminders`,
-- days before the sunset); every other notice has reminder_days = 0.
-- awaiting_recipients: a notice whose recipients_query found nobody for its team when it was
-- written; later applies look again, and sinks (Notifier, webhook) get it once it has someone.
ALTER TABLE llm_model_notifications ADD COLUMN reminder_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE llm_model_notifications ADD COLUMN awaiting_recipients BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE llm_model_notifications DROP CONSTRAINT llm_model_notifications_once;
ALTER TABLE llm_model_notifications
    ADD CONSTRAINT llm_model_notifications_once UNIQUE (team_id, slug, model, reminder_days);
