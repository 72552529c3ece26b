//! Retry backoff and the contention experiment (being written).
