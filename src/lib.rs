//! llm-lifecycle: LLM model lifecycle as a compile-time fact.
