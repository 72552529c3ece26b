//! Load balancing (issue 13; catalogue A D6, catalogue B D8): the pieces that do not need the
//! request simulator.
//!
//! - [`swrr`]: nginx's smooth weighted round robin, exactly as nginx runs it ([`SmoothWrr`]),
//!   with passive health (`max_fails` / `fail_timeout`), `down`, `max_conns` and backup peers.
//! - [`config`]: a pasted nginx `upstream { … }` block or HAProxy `backend` section read into one
//!   [`PoolConfig`], with every directive it does not model listed, never silently dropped.
//! - [`bins`]: balls into bins with d choices and the supermarket model, each beside its theory
//!   (the exact law of the maximum load for d = 1, the fluid limits for d ≥ 2).
//!
//! - [`strategies`]: every strategy of the lessons as a [`Balancer`](crate::requests::Balancer)
//!   for the request simulator (nginx, HAProxy, Finagle, the papers), each explaining its picks.
//!
//! All of them are plain data and functions: no clock but the [`SimTime`](crate::time::SimTime)
//! they are given, no randomness but the [`SimRng`](crate::rng::SimRng) they are handed, no
//! `usize` in anything drawn, floats through `libm`.

pub mod bins;
pub mod config;
pub mod strategies;
pub mod swrr;

pub use config::{ConfigError, Method, PoolConfig, ServerConfig, Source, Unsupported};
pub use swrr::{PeerId, PeerSpec, Pick, SmoothWrr, Tier};
