//! Helpers shared by the property-test files (each `tests/*.rs` is its own crate, so this module
//! is included with `mod common;`).
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
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
