//! Compare the catalogue with models.dev (in progress).
