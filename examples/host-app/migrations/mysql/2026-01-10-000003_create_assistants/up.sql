CREATE TABLE assistants (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    team_id BIGINT NOT NULL,
    name VARCHAR(128) NOT NULL,
    llm_model_id BIGINT NOT NULL,
    fallback_model_id BIGINT NULL,
    FOREIGN KEY (team_id) REFERENCES teams (id),
    FOREIGN KEY (llm_model_id) REFERENCES app_llm_models (id),
    FOREIGN KEY (fallback_model_id) REFERENCES app_llm_models (id)
);
