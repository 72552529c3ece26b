//! limiters: tests (being written).
