//! breaker: tests (being written).
