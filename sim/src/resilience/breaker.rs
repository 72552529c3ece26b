//! Circuit breakers (being written).
