//! Apply an llm-lifecycle catalogue to a database.
