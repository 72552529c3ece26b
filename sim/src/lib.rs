//! # sim — the simulation core of System Design Playground
//!
//! Every lesson is a real implementation of a mechanism (a consistent-hash ring, later caches,
//! balancers, limiters, …) driven by a seeded, deterministic discrete-event simulation. A run is
//! a function of `(seed, params, inputs)`: the same triple gives the same trace on x86_64 and in
//! wasm32. This crate has no web dependencies; the app and the `sdp` CLI drive it alike.
//!
//! ```
//! use sim::models::sharding::placement;
//! use sim::registry;
//! use sim::scenario::Scenario;
//! use sim::time::SimTime;
//!
//! // The source material's worked example: servers at 45°, 120° and 280°, User123 at 100°;
//! // server B crashes at time zero.
//! let mut scenario = Scenario::new("hash-ring", 42, SimTime::from_ms(10_000));
//! scenario.params.insert("servers".into(), "A@45,B@120,C@280".into());
//! scenario.params.insert("named_keys".into(), "User123@100".into());
//! scenario.params.insert("vnodes".into(), "1".into());
//! scenario.inputs.push("0:remove-server:B".parse().unwrap());
//! let mut run = registry::start(&scenario).unwrap();
//! run.seek(SimTime::from_ms(1));
//! let ring = placement(run.as_ref()).unwrap(); // the sharding family's queries
//! assert_eq!(ring.owners("User123").unwrap()[0], "C");
//! run.validate().unwrap();
//! ```
//!
//! The lessons that drive these models are compiled by the build into the `catalog` crate.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod balance;
pub mod bench;
pub mod cache;
pub mod compare;
pub mod engine;
pub mod event;
pub mod frame;
pub mod hashing;
pub mod lesson;
pub mod model;
pub mod models;
pub mod order;
pub mod params;
pub mod query;
pub mod registry;
pub mod remote;
pub mod requests;
pub mod resilience;
pub mod rng;
pub mod scenario;
pub mod sweep;
pub mod theory;
pub mod time;
pub mod trace;
pub mod wire;
pub mod workload;
