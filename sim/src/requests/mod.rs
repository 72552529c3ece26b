//! The request simulator: a discrete-event model of clients, a load balancer and servers,
//! shared by the load-balancing family and later ones (traffic control, queues, pools).
//!
//! **What it models.** Requests arrive by an [arrival process](mod@arrivals) (constant, Poisson,
//! bursts, a daily curve, a recorded list), each with a client key and a [cost](mod@cost)
//! (constant, exponential, log-normal, capped Pareto, a mix). A [`Balancer`] picks a
//! [server](mod@server) for each attempt from what a real balancer can see ([`BackendView`]: its
//! own in-flight counts, weights after slow start, health-check verdicts, draining), and
//! hears every outcome. A server is `workers` workers behind one FIFO queue (M/M/c with
//! Poisson arrivals and exponential costs), optionally bounded (drops when full), with a speed
//! that can change. Servers can be killed (losing what they hold), revived, added and removed
//! (draining first); [active health checks](mod@health) decide when the balancer notices, and
//! slow start ramps a newcomer's weight. A per-attempt timeout and retries on another server
//! are optional.
//!
//! **The timeout and the server.** The timeout is per attempt, kept by the balancer (a
//! proxy's upstream timeout, or a client library's per-try timeout). When it expires the
//! attempt fails as `timed-out` and may be retried, but **the server keeps working on it**: a
//! queued request is still served in turn and one in service runs to completion, because the
//! server does not know the client left (no deadline propagation). That work is counted as
//! `wasted` and still counts as busy time.
//!
//! **Retries** ([`RetryPolicy`]) go to another server (the balancer sees the servers already
//! tried as `tried` and [`BackendView::eligible`] excludes them, as nginx's
//! `proxy_next_upstream` does), after an optional fixed backoff, for the outcomes the policy
//! names (dropped, error, timed out). A request's final outcome is its last attempt's; when no
//! untried eligible server is left for a retry, the request ends with the outcome of the
//! attempt that failed (nginx, `ngx_http_upstream_module`: "If a successful response could not
//! be obtained from any of the servers, the client will receive the result of the
//! communication with the last server").
//!
//! **Time and order.** Integer microseconds ([`SimTime`](crate::time::SimTime)); one event queue ordered by
//! `(time, sequence number)` ([`crate::event::EventQueue`]), so simultaneous events happen in
//! the order they were scheduled. Randomness comes from four [`SimRng`] streams derived from
//! the seed (arrivals, costs, keys, balancer), so two balancers compared on one seed see the
//! same arrivals, keys and costs. Every event processed is folded into a 64-bit FNV-1a
//! [digest](Simulation::digest) for determinism tests.
//!
//! **Invariants** ([`Simulation::validate`]): every arrival is served, dropped, timed out,
//! failed or still unfinished, exactly once; each server holds no more jobs in service than
//! workers and queues only when all are busy; the balancer's in-flight count of a server equals
//! the unfinished attempts it has there.
//!
//! **What it ignores.** Network delay between balancer and servers (zero), connection setup,
//! probes' own cost, per-request deadlines on the server, several balancers with separate views
//! (one balancer sees everything it sent), and client-side behaviour beyond timeouts and
//! retries (no retry budgets, no hedging).
//!
//! ```
//! use sim::requests::*;
//! use sim::time::SimTime;
//!
//! let mut cfg = SimConfig::new(
//!     vec![ServerSpec::new("A"), ServerSpec::new("B")],
//!     Arrivals::Poisson { rate_per_sec: 100.0 },
//!     CostDist::Exponential { mean_us: 5_000.0 },
//!     SimTime::from_secs(10),
//! );
//! cfg.timeout_us = Some(200_000);
//! let mut sim = Simulation::new(cfg, Box::new(RoundRobin::new()), 42).unwrap();
//! let report = sim.run().unwrap();
//! assert_eq!(
//!     report.arrivals,
//!     report.served + report.dropped + report.timed_out + report.errors
//! );
//! assert!(report.servers[0].utilisation > 0.1);
//! sim.validate().unwrap();
//! ```
//!
//! [`SimRng`]: crate::rng::SimRng

pub mod arrivals;
pub mod balancer;
pub mod bench;
pub mod config;
pub mod cost;
pub mod health;
pub mod server;
pub mod simulation;
pub mod stats;
pub mod timeline;

pub use arrivals::{ArrivalStream, Arrivals};
pub use balancer::{
    AttemptOutcome, BackendView, Balancer, BalancerClone, Explanation, Membership, RequestInfo,
    Response, RoundRobin, ServerScore, UniformRandom,
};
pub use config::{Action, Recording, RetryPolicy, SimConfig};
pub use cost::CostDist;
pub use health::{HealthCheckConfig, HealthState};
pub use server::{ServerSpec, ServerState};
pub use simulation::Simulation;
pub use stats::{LatencySamples, LatencySummary, Report, ServerReport};
pub use timeline::{AttemptRecord, RequestRecord, Sample, ServerSample, SimEvent};

use serde::Serialize;
use std::fmt;

/// A server's id: its index in the order servers were configured and added (dense, never
/// reused), so `views[id.0 as usize]` is its [`BackendView`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ServerId(pub u32);

impl fmt::Display for ServerId {
    /// `#0`, `#1`, … (names live in the server specs).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}
