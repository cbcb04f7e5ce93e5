DROP FUNCTION llm_lifecycle_try_jsonb(text);
