//! Throwaway databases for tests.
