-- The reminders go: the old key allows one notice per team, slug and model.
DELETE FROM llm_model_notifications WHERE reminder_days <> 0;
ALTER TABLE llm_model_notifications
    DROP INDEX llm_model_notifications_once,
    ADD UNIQUE KEY llm_model_notifications_once (team_id, slug, model),
    DROP COLUMN reminder_days,
    DROP COLUMN awaiting_recipients;
