//! Every integration test of `catalog` (the compiled lessons and the `sdp` command line), as one
//! test binary: one module per former `tests/*.rs` file, so the binary is linked once. Run one
//! file's tests with a filter on its module: `cargo test -p catalog --test suite cli_balancer::`.

mod common;

mod cli;
mod cli_balancer;
mod cli_directory;
mod cli_hot_keys;
mod cli_placement;
mod cli_range;
mod cli_scatter;
mod cli_trace;
mod lessons;
