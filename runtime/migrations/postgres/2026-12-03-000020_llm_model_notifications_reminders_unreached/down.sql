-- The reminders go: the old key allows one notice per team, slug and model.
DELETE FROM llm_model_notifications WHERE reminder_days <> 0;
ALTER TABLE llm_model_notifications DROP CONSTRAINT llm_model_notifications_once;
ALTER TABLE llm_model_notifications
    ADD CONSTRAINT llm_model_notifications_once UNIQUE (team_id, slug, model);
ALTER TABLE llm_model_notifications DROP COLUMN reminder_days;
ALTER TABLE llm_model_notifications DROP COLUMN awaiting_recipients;
