//! Rate limiters (being written).
