DROP TABLE llm_provider_models;
