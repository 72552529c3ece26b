//! Traffic control and resilience, as plain algorithms: rate limiters, circuit breakers, retry
//! backoff. Each is a data structure driven by simulated time ([`crate::time::SimTime`]) and,
//! where it draws, a [`crate::rng::SimRng`]; the traffic-control family's models
//! (`crate::models::limiters` and the ones after it) put them on a stream of requests.
//!
//! Nothing here reads a clock or an OS random source, and every decision is a function of the
//! times and outcomes it was given, so the same calls give the same answers natively and in wasm.

pub mod backoff;
pub mod bench;
pub mod breaker;
pub mod limiter;
