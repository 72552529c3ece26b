//! The property tests' share of the common helpers: proptest settings and strategies. Native
//! only: proptest needs OS randomness for its own seeds and is no wasm32 dev-dependency.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::FileFailurePersistence;
use proptest::test_runner::TestRunner;
use sim::hashing::HashFn;

/// proptest settings that record shrunk failures in `sim/proptest-regressions/<file>.txt`, so
/// they are replayed first on every later run; commit those files. (proptest's default location
/// needs a `lib.rs` above the test file, which `tests/` lacks.)
pub fn config(file: &str) -> ProptestConfig {
    let path = format!(
        "{}/proptest-regressions/{file}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(Box::leak(
            path.into_boxed_str(),
        )))),
        ..ProptestConfig::default()
    }
}

/// Either of the ring's hash functions.
pub fn hash_fn() -> impl Strategy<Value = HashFn> {
    prop_oneof![Just(HashFn::Fnv1a32), Just(HashFn::Murmur3_32)]
}

/// Draws `count` random server-name sets of sizes `sizes`, reproducibly (proptest's
/// deterministic runner), for the statistical tests.
pub fn name_sets(count: usize, sizes: std::ops::RangeInclusive<usize>) -> Vec<Vec<String>> {
    let mut runner = TestRunner::deterministic();
    let strategy = prop::collection::btree_set("[a-z]{3,8}", sizes);
    (0..count)
        .map(|_| {
            let tree = strategy.new_tree(&mut runner).expect("strategy generates");
            tree.current().into_iter().collect()
        })
        .collect()
}
