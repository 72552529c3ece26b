//! The caching family's queries: what only a cache can answer about a run (whether a key is
//! cached, what the policy evicted last), asked through
//! [`crate::engine::Simulation::query`] by questions, compare mode and the CLI.

/// A cache run's answers.
pub trait Caching {
    /// Whether `key` is cached now (ghost entries do not count).
    fn contains(&self, key: u64) -> bool;
    /// The eviction policy's id (`lru`, `s3fifo`, …).
    fn policy(&self) -> &'static str;
    /// The cached keys, ascending.
    fn cached(&self) -> Vec<u64>;
    /// The key evicted most recently, if any.
    fn last_evicted(&self) -> Option<u64>;
}
