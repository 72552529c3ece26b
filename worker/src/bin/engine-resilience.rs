//! The traffic-control family's engine: see `sweep_worker::engine!`.
sweep_worker::engine!();
