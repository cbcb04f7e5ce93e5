-- `model` holds an LlmModel id ("provider/name") written through diesel's Text.
CREATE TABLE conversations (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    team_id BIGINT NOT NULL,
    assistant_id BIGINT NOT NULL,
    title VARCHAR(256) NOT NULL,
    model VARCHAR(160) NOT NULL,
    FOREIGN KEY (team_id) REFERENCES teams (id),
    FOREIGN KEY (assistant_id) REFERENCES assistants (id)
);
