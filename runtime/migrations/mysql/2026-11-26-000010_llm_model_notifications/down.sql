ALTER TABLE llm_lifecycle_runs DROP COLUMN notified;
DROP TABLE llm_model_notification_deliveries;
DROP TABLE llm_model_notification_recipients;
DROP TABLE llm_model_notifications;
