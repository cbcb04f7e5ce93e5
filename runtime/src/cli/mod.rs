//! The `apply-models` command line.
