//! Helpers shared by the CLI test modules (each takes them with `use crate::common;`).
#![allow(dead_code)]

pub mod cli;
