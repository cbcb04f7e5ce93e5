DROP TABLE app_llm_models;
