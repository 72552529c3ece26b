//! The caching family's engine: see `sweep_worker::engine!`.
sweep_worker::engine!();
