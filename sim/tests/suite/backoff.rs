//! backoff: tests (being written).
