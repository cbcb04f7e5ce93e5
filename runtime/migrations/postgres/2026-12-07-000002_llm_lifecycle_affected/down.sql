DROP TABLE llm_lifecycle_affected;
