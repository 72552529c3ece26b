//! Helpers shared by the CLI test files (each `tests/*.rs` is its own crate, so this module is
//! included with `mod common;`).
#![allow(dead_code)]

pub mod cli;
