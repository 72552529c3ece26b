//! Retry amplification: how much load retries add to a failing service.
//!
//! # One layer
//!
//! A client makes up to `n` attempts per request and stops at the first success. If every
//! attempt fails independently with probability `p`, attempt `k + 1` happens exactly when the
//! first `k` failed, with probability `p^k`, so the service sees on average
//!
//! ```text
//! A(p, n) = 1 + p + p² + … + p^(n−1) = (1 − p^n) / (1 − p)      (n when p = 1)
//! ```
//!
//! attempts per request ([`amplification`]), and the request still fails with probability `p^n`.
//!
//! # A retry storm across layers
//!
//! A call chain of `layers` services each retrying the one below, up to `n` attempts each, over a
//! bottom service whose every call fails independently with probability `p` (intermediate
//! services fail only when all their attempts below failed, and add no failures of their own).
//! A call into the lowest retrying layer makes `A(p, n)` bottom calls on average and fails with
//! probability `p^n`; the layer above sees that as its failure probability, and so on, so the
//! bottom service sees
//!
//! ```text
//! L(p, n, layers) = A(p, n) · A(p^n, n) · A(p^(n²), n) · … · A(p^(n^(layers−1)), n)
//! ```
//!
//! calls per top-level request ([`layered_amplification`]): `n^layers` when it is down
//! (`p = 1`), 3⁵ = 243 for five layers of three attempts.
//!
//! # Checks
//!
//! [`simulate_amplification`] and [`simulate_layered_amplification`] run the same models with
//! [`SimRng`] coin flips, for the fidelity tests. [`simulate_budgeted_amplification`] puts a
//! [`RetryBudget`] in front of the retries.
//!
//! Powers are repeated multiplications (no `powi`, no `libm`), so the formulas give the same
//! bits on every target.

use super::budget::RetryBudget;
use crate::rng::SimRng;
use crate::time::SimTime;

/// `x^k` by repeated multiplication (the same bits on every target).
fn pow(x: f64, k: u32) -> f64 {
    (0..k).fold(1.0, |acc, _| acc * x)
}

/// Expected attempts per request, `Σ_{k<max_attempts} p^k`, when each attempt fails
/// independently with probability `p` (clamped to `[0, 1]`). Zero attempts give 0.
pub fn amplification(p: f64, max_attempts: u32) -> f64 {
    let p = p.clamp(0.0, 1.0);
    let mut term = 1.0;
    let mut sum = 0.0;
    for _ in 0..max_attempts {
        sum += term;
        term *= p;
    }
    sum
}

/// Expected calls the bottom service sees per top-level request when `layers` layers each make
/// up to `attempts_per_layer` attempts on the layer below and the bottom fails each call
/// independently with probability `p` (the model in the module docs). Zero layers give 1.
pub fn layered_amplification(p: f64, attempts_per_layer: u32, layers: u32) -> f64 {
    let mut q = p.clamp(0.0, 1.0);
    let mut product = 1.0;
    for _ in 0..layers {
        product *= amplification(q, attempts_per_layer);
        q = pow(q, attempts_per_layer);
    }
    product
}

/// What a Monte Carlo run of requests saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AmplificationSample {
    /// Requests made.
    pub requests: u64,
    /// Calls the (bottom) service received.
    pub attempts: u64,
    /// Requests that failed after their last attempt.
    pub failed: u64,
    /// Retries a budget refused.
    pub retries_denied: u64,
}

impl AmplificationSample {
    /// Calls per request (0 for no requests).
    pub fn attempts_per_request(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.attempts as f64 / self.requests as f64
        }
    }
    /// The fraction of requests that failed (0 for no requests).
    pub fn failure_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.failed as f64 / self.requests as f64
        }
    }
}

/// `requests` requests of up to `max_attempts` attempts each, every attempt failing with
/// probability `p`.
pub fn simulate_amplification(
    p: f64,
    max_attempts: u32,
    requests: u64,
    rng: &mut SimRng,
) -> AmplificationSample {
    simulate_layered_amplification(p, max_attempts, 1, requests, rng)
}

/// `requests` top-level requests through `layers` retrying layers of up to `attempts_per_layer`
/// attempts each, over a bottom service failing each call with probability `p`.
pub fn simulate_layered_amplification(
    p: f64,
    attempts_per_layer: u32,
    layers: u32,
    requests: u64,
    rng: &mut SimRng,
) -> AmplificationSample {
    /// One call into the layer `depth` levels down; true on success.
    fn call(depth: u32, layers: u32, n: u32, p: f64, rng: &mut SimRng, calls: &mut u64) -> bool {
        if depth == layers {
            *calls += 1;
            return !rng.chance(p);
        }
        (0..n).any(|_| call(depth + 1, layers, n, p, rng, calls))
    }
    let mut sample = AmplificationSample {
        requests,
        ..Default::default()
    };
    for _ in 0..requests {
        if !call(0, layers, attempts_per_layer, p, rng, &mut sample.attempts) {
            sample.failed += 1;
        }
    }
    sample
}

/// `requests` requests, one every `interarrival_us` from time 0, of up to `max_attempts`
/// attempts each (taking no time), every attempt failing with probability `p`; a retry goes out
/// only if `budget` allows it.
pub fn simulate_budgeted_amplification(
    p: f64,
    max_attempts: u32,
    requests: u64,
    interarrival_us: u64,
    budget: &mut dyn RetryBudget,
    rng: &mut SimRng,
) -> AmplificationSample {
    let mut sample = AmplificationSample {
        requests,
        ..Default::default()
    };
    for i in 0..requests {
        let now = SimTime::from_us(i.saturating_mul(interarrival_us));
        budget.deposit(now);
        let mut ok = false;
        for attempt in 0..max_attempts {
            if attempt > 0 && !budget.try_withdraw(now) {
                sample.retries_denied += 1;
                break;
            }
            sample.attempts += 1;
            ok = !rng.chance(p);
            if ok {
                budget.on_success(now);
                break;
            }
            budget.on_failure(now);
        }
        if !ok {
            sample.failed += 1;
        }
    }
    sample
}
