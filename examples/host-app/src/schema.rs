//! The application's tables, as `diesel print-schema` writes them (the
//! migrations under `migrations/` create them on every engine).

diesel::table! {
    /// The application's teams.
    teams (id) {
        /// Primary key.
        id -> BigInt,
        /// Display name.
        name -> Text,
    }
}

diesel::table! {
    /// The application's model rows: `[model_table]` in models.toml. Global
    /// rows (`team_id` NULL) are written by `apply-models`; a team may add
    /// custom rows of its own.
    app_llm_models (id) {
        /// Primary key; what the foreign keys point at.
        id -> BigInt,
        /// NULL on a global row; the team of a custom row.
        team_id -> Nullable<BigInt>,
        /// The provider's key (`openai`).
        kind -> Text,
        /// The model's name within its provider (`gpt-4o`).
        name -> Text,
        /// The model's token limit.
        max_tokens -> Integer,
        /// Deprecated in the catalogue.
        retired -> Bool,
        /// Who created the row (`catalog` when `apply-models` did).
        origin -> Text,
        /// When the row was created.
        created_at -> Timestamp,
        /// When the row last changed.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Assistants: each runs on a model row, with an optional fallback.
    assistants (id) {
        /// Primary key.
        id -> BigInt,
        /// The team that owns it.
        team_id -> BigInt,
        /// Display name.
        name -> Text,
        /// The model it runs on (NOT NULL foreign key to `app_llm_models`).
        llm_model_id -> BigInt,
        /// The model it falls back to (nullable foreign key).
        fallback_model_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Conversations: the model they were started with, as its id.
    conversations (id) {
        /// Primary key.
        id -> BigInt,
        /// The team that owns it.
        team_id -> BigInt,
        /// The assistant it talks to.
        assistant_id -> BigInt,
        /// Display title.
        title -> Text,
        /// An [`LlmModel`](crate::LlmModel) id (`provider/name`).
        model -> Text,
    }
}

diesel::joinable!(assistants -> teams (team_id));
diesel::joinable!(conversations -> assistants (assistant_id));
diesel::allow_tables_to_appear_in_same_query!(teams, app_llm_models, assistants, conversations);
