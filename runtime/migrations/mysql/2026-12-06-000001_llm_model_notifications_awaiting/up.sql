-- The notices that reached nobody so far (awaiting_recipients), found by an index, not by a
-- scan of every notice ever written: every apply looks for them (to retry their recipients, or
-- to release them when the catalogue has no recipients_query any more). MySQL has no partial
-- index: the index holds every notice, by its mark.
CREATE INDEX llm_model_notifications_awaiting ON llm_model_notifications (awaiting_recipients);
