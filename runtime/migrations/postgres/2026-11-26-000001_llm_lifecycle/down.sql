DROP TABLE llm_lifecycle_events;
DROP TABLE llm_lifecycle_runs;
