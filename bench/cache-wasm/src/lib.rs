//! The wasm side of the caching benchmark (`scripts/bench-cache.sh`, issue 12).
//!
//! [`CacheBench`] holds the benchmark trace (`sim::bench::cache_trace`, generated once, in wasm
//! memory) and one freshly built policy; `run` replays the whole trace through it with
//! `cache::replay`, the loop the miss-ratio sweeps use, and returns the hits. Timing is the
//! caller's (Node's `performance.now()` around `run`): this crate never reads a clock. `keys`
//! hands the same key sequence to JavaScript, so npm `lru-cache` replays the identical trace.
//!
//! Policies come from `sim::bench::cache_policy` (`cache::build` with the benchmark's seed).

use sim::bench::{cache_policy, cache_trace, CACHE_CAPACITY, CACHE_POLICIES};
use sim::cache::{replay, Policy, Request};

/// The trace and the policy under test.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen::prelude::wasm_bindgen)]
pub struct CacheBench {
    trace: Vec<Request>,
    policy: Option<Box<dyn Policy>>,
}

impl Default for CacheBench {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen::prelude::wasm_bindgen)]
impl CacheBench {
    /// Generates the benchmark trace.
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen(constructor))]
    pub fn new() -> CacheBench {
        CacheBench {
            trace: cache_trace(),
            policy: None,
        }
    }

    /// The trace's keys in order, for JavaScript (every key fits in u32: Zipf ranks below
    /// 100,000; a key that would not is reported as an error rather than truncated).
    pub fn keys(&self) -> Result<Vec<u32>, String> {
        self.trace
            .iter()
            .map(|r| u32::try_from(r.key).map_err(|_| format!("key {} exceeds u32", r.key)))
            .collect()
    }

    /// The ids of the policies the benchmark times, comma-separated (Belady's MIN last).
    pub fn policies() -> String {
        let mut ids: Vec<&str> = CACHE_POLICIES.to_vec();
        ids.push("belady");
        ids.join(",")
    }

    /// The benchmark's cache capacity in objects.
    pub fn capacity() -> u32 {
        CACHE_CAPACITY as u32
    }

    /// Builds a fresh, empty `id` cache for the next `run` (not timed); false for an unknown id.
    pub fn prepare(&mut self, id: &str) -> bool {
        self.policy = cache_policy(id, CACHE_CAPACITY);
        self.policy.is_some()
    }

    /// Replays the whole trace through the prepared cache; returns its hits (`u32::MAX` when no
    /// cache is prepared).
    pub fn run(&mut self) -> u32 {
        match self.policy.as_mut() {
            Some(p) => replay(p.as_mut(), &self.trace).hits as u32,
            None => u32::MAX,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CacheBench;

    #[test]
    fn replays_the_trace_and_hands_out_its_keys() {
        let mut b = CacheBench::new();
        let keys = b.keys().expect("Zipf ranks fit in u32");
        assert_eq!(keys.len() as u64, sim::bench::CACHE_REQUESTS);
        assert!(keys.iter().all(|k| u64::from(*k) < sim::bench::CACHE_KEYS));
        assert_eq!(b.run(), u32::MAX, "nothing prepared");
        assert!(!b.prepare("nope"));
        assert!(b.prepare("lru"));
        let hits = b.run();
        assert!(hits > 0 && u64::from(hits) < sim::bench::CACHE_REQUESTS);
        assert!(b.prepare("lru"));
        assert_eq!(b.run(), hits, "a fresh cache replays identically");
    }
}
