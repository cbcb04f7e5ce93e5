DROP TABLE llm_lifecycle_written;
