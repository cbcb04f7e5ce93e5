-- The notices that reached nobody so far (awaiting_recipients), found by an index, not by a
-- scan of every notice ever written: every apply looks for them (to retry their recipients, or
-- to release them when the catalogue has no recipients_query any more). Partial: only the
-- marked rows are in it, so writing the (unmarked) notices costs nothing more.
CREATE INDEX llm_model_notifications_awaiting ON llm_model_notifications (id)
    WHERE awaiting_recipients;
