//! Retry backoff: how long a caller waits before trying again, and what retrying costs.
//!
//! - This file: the delay formulas ([`Strategy`], [`Backoff`]) and a caller's state between
//!   retries ([`BackoffState`]).
//! - [`contention`]: the classic experiment of Marc Brooker's "Exponential Backoff And Jitter"
//!   (AWS Architecture Blog, 2015): N clients racing to update one row with optimistic
//!   concurrency, counting the work the row's server sees and the time until the last client
//!   succeeds, per strategy.
//! - [`amplification`](mod@amplification): the extra load retries put on a failing service (the geometric sum
//!   1 + p + p² + …), retries at every layer of a call chain (a retry storm), and Monte Carlo runs
//!   that check both formulas.
//! - [`budget`]: retry budgets that stop the storm: gRPC's retry throttling (gRFC A6) and
//!   Finagle's `RetryBudget`.
//!
//! # The formulas
//!
//! With `base` and `cap` in microseconds and `attempt` the retry's number, Brooker writes
//! `ceiling = min(cap, base · 2^attempt)` and defines
//!
//! | strategy | delay |
//! |---|---|
//! | [`Strategy::None`] | 0 |
//! | [`Strategy::Exponential`] | `ceiling` |
//! | [`Strategy::FullJitter`] | uniform in `[0, ceiling]` |
//! | [`Strategy::EqualJitter`] | `ceiling/2` + uniform in `[0, ceiling − ceiling/2]` |
//! | [`Strategy::Decorrelated`] | `min(cap, uniform in [base, 3 · previous delay])`, the first previous delay being `base`; `attempt` is not used |
//!
//! and, for the comparison of the source material's mobile client (catalogue B, A13),
//! [`Strategy::Constant`] (`min(cap, base)`) and [`Strategy::Linear`]
//! (`min(cap, base · (attempt + 1))`). Numbered from `attempt = 0`, the first `k` delays of the
//! uncapped exponential sum to `base · (2^k − 1)` and those of the linear one to
//! `base · k(k+1)/2`.
//!
//! # Where this differs from the sources
//!
//! Times are integer microseconds and draws come from [`SimRng`] (uniform integers, inclusive of
//! both ends), where the published simulator draws Python floats in milliseconds. Equal jitter's
//! halves are integer halves (`ceiling/2` rounded down, then the rest), so its delay never exceeds
//! `ceiling`. `base · 2^attempt` saturates to `cap` instead of overflowing.
//!
//! # Invariants
//!
//! A [`Backoff`] has `1 ≤ base ≤ cap` (checked by [`Backoff::new`]); every delay lies in
//! [`Backoff::bounds_us`], so it is never above `cap`, and a decorrelated delay is never below
//! `base`.

pub mod amplification;
pub mod budget;
pub mod contention;

use crate::rng::SimRng;
use std::fmt;
use std::str::FromStr;

pub use amplification::{
    amplification, layered_amplification, simulate_amplification, simulate_budgeted_amplification,
    simulate_layered_amplification, AmplificationSample,
};
pub use budget::{FinagleRetryBudget, GrpcRetryThrottle, RetryBudget};
pub use contention::{
    average_contention, run_contention, run_contention_with_waves, ContentionAverage,
    ContentionConfig, ContentionError, ContentionEvent, ContentionEventKind, ContentionOutcome,
    NetDelay,
};

/// How a caller spaces its retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Strategy {
    /// Retry at once.
    None,
    /// Wait `base` every time.
    Constant,
    /// Wait `base · (attempt + 1)`: base, 2·base, 3·base, …
    Linear,
    /// Wait `min(cap, base · 2^attempt)`, with no randomness.
    Exponential,
    /// Wait a uniform time in `[0, min(cap, base · 2^attempt)]` ("Full Jitter").
    FullJitter,
    /// Wait half the exponential delay plus a uniform time up to the other half ("Equal Jitter").
    EqualJitter,
    /// Wait `min(cap, uniform in [base, 3 · previous delay])` ("Decorrelated Jitter").
    Decorrelated,
}

impl Strategy {
    /// Every strategy, the blog's five and the two of the A13 comparison.
    pub const ALL: [Strategy; 7] = [
        Strategy::None,
        Strategy::Constant,
        Strategy::Linear,
        Strategy::Exponential,
        Strategy::FullJitter,
        Strategy::EqualJitter,
        Strategy::Decorrelated,
    ];

    /// The five strategies of Brooker's experiment, in the order its charts list them.
    pub const CLASSIC: [Strategy; 5] = [
        Strategy::None,
        Strategy::Exponential,
        Strategy::FullJitter,
        Strategy::EqualJitter,
        Strategy::Decorrelated,
    ];

    /// The id used in URLs, parameters and the CLI (`full-jitter`); [`Strategy::parse`] reads it.
    pub const fn id(self) -> &'static str {
        match self {
            Strategy::None => "none",
            Strategy::Constant => "constant",
            Strategy::Linear => "linear",
            Strategy::Exponential => "exponential",
            Strategy::FullJitter => "full-jitter",
            Strategy::EqualJitter => "equal-jitter",
            Strategy::Decorrelated => "decorrelated",
        }
    }

    /// A short human name for tables and legends.
    pub const fn label(self) -> &'static str {
        match self {
            Strategy::None => "No backoff",
            Strategy::Constant => "Constant",
            Strategy::Linear => "Linear",
            Strategy::Exponential => "Exponential",
            Strategy::FullJitter => "Full jitter",
            Strategy::EqualJitter => "Equal jitter",
            Strategy::Decorrelated => "Decorrelated jitter",
        }
    }

    /// The strategy whose [`Strategy::id`] is `id`, if any.
    pub fn parse(id: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.id() == id)
    }

    /// True when the delay is drawn at random.
    pub const fn is_jittered(self) -> bool {
        matches!(
            self,
            Strategy::FullJitter | Strategy::EqualJitter | Strategy::Decorrelated
        )
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Strategy {
    type Err = BackoffError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Strategy::parse(s).ok_or_else(|| BackoffError::UnknownStrategy(s.to_string()))
    }
}

/// Why a backoff could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackoffError {
    /// The base delay was zero.
    ZeroBase,
    /// The cap was below the base delay.
    CapBelowBase {
        /// The base delay given, µs.
        base_us: u64,
        /// The cap given, µs.
        cap_us: u64,
    },
    /// No strategy has this id.
    UnknownStrategy(String),
}

impl fmt::Display for BackoffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackoffError::ZeroBase => write!(f, "the base delay must be at least 1 µs"),
            BackoffError::CapBelowBase { base_us, cap_us } => write!(
                f,
                "the cap ({cap_us} µs) must be at least the base delay ({base_us} µs)"
            ),
            BackoffError::UnknownStrategy(id) => {
                let ids: Vec<&str> = Strategy::ALL.iter().map(|s| s.id()).collect();
                write!(
                    f,
                    "unknown backoff strategy {id:?}; expected one of {}",
                    ids.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for BackoffError {}

/// A retry policy: a [`Strategy`] with its base delay and cap, `1 ≤ base_us ≤ cap_us`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Backoff {
    strategy: Strategy,
    base_us: u64,
    cap_us: u64,
}

impl Backoff {
    /// A policy, or why it is not one.
    pub fn new(strategy: Strategy, base_us: u64, cap_us: u64) -> Result<Backoff, BackoffError> {
        if base_us == 0 {
            return Err(BackoffError::ZeroBase);
        }
        if cap_us < base_us {
            return Err(BackoffError::CapBelowBase { base_us, cap_us });
        }
        Ok(Backoff {
            strategy,
            base_us,
            cap_us,
        })
    }

    /// The blog's parameters: base 5 ms, cap 2 s.
    pub fn classic(strategy: Strategy) -> Backoff {
        Backoff {
            strategy,
            base_us: 5_000,
            cap_us: 2_000_000,
        }
    }

    /// The strategy.
    pub const fn strategy(&self) -> Strategy {
        self.strategy
    }
    /// The base delay, µs.
    pub const fn base_us(&self) -> u64 {
        self.base_us
    }
    /// The cap, µs.
    pub const fn cap_us(&self) -> u64 {
        self.cap_us
    }

    /// `min(cap, base · 2^attempt)`, saturating at the cap.
    pub fn ceiling_us(&self, attempt: u32) -> u64 {
        1u64.checked_shl(attempt)
            .and_then(|m| self.base_us.checked_mul(m))
            .map_or(self.cap_us, |d| d.min(self.cap_us))
    }

    /// The delay before retry `attempt` when the previous delay was `prev_sleep_us` (only
    /// decorrelated jitter reads it), with the random part chosen by `pick(lo, hi)`, which must
    /// return a value in `[lo, hi]` (it is clamped there). `pick` is called only by the jittered
    /// strategies; its range is the uniform draw of the formula in the module docs, before any
    /// cap. [`BackoffState::next_delay_us`] passes a uniform draw; tests pass the ends.
    pub fn delay_us_with(
        &self,
        attempt: u32,
        prev_sleep_us: u64,
        pick: impl FnOnce(u64, u64) -> u64,
    ) -> u64 {
        let draw = |lo: u64, hi: u64| pick(lo, hi).clamp(lo, hi);
        match self.strategy {
            Strategy::None => 0,
            Strategy::Constant => self.base_us,
            Strategy::Linear => self
                .base_us
                .saturating_mul(u64::from(attempt) + 1)
                .min(self.cap_us),
            Strategy::Exponential => self.ceiling_us(attempt),
            Strategy::FullJitter => draw(0, self.ceiling_us(attempt)),
            Strategy::EqualJitter => {
                let ceiling = self.ceiling_us(attempt);
                let half = ceiling / 2;
                half + draw(0, ceiling - half)
            }
            Strategy::Decorrelated => {
                let hi = prev_sleep_us.saturating_mul(3).max(self.base_us);
                draw(self.base_us, hi).min(self.cap_us)
            }
        }
    }

    /// The smallest and largest delay retry `attempt` can get after a delay of `prev_sleep_us`.
    pub fn bounds_us(&self, attempt: u32, prev_sleep_us: u64) -> (u64, u64) {
        (
            self.delay_us_with(attempt, prev_sleep_us, |lo, _| lo),
            self.delay_us_with(attempt, prev_sleep_us, |_, hi| hi),
        )
    }

    /// A caller's state before its first retry.
    pub fn start(&self) -> BackoffState {
        BackoffState {
            backoff: *self,
            prev_sleep_us: self.base_us,
        }
    }
}

/// One caller's retry state: the policy and the delay it last slept (decorrelated jitter grows
/// from it). Each caller has its own, as each client object does in the published simulator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackoffState {
    backoff: Backoff,
    prev_sleep_us: u64,
}

impl BackoffState {
    /// The policy.
    pub const fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    /// The delay slept last (the base before any retry).
    pub const fn prev_sleep_us(&self) -> u64 {
        self.prev_sleep_us
    }

    /// The delay before retry `attempt`, drawn from `rng` for the jittered strategies (a uniform
    /// integer in the formula's range, both ends included), remembered as the previous delay.
    pub fn next_delay_us(&mut self, attempt: u32, rng: &mut SimRng) -> u64 {
        let delay = self
            .backoff
            .delay_us_with(attempt, self.prev_sleep_us, |lo, hi| {
                uniform_inclusive(rng, lo, hi)
            });
        self.prev_sleep_us = delay;
        delay
    }

    /// Forgets past retries (after a success).
    pub fn reset(&mut self) {
        self.prev_sleep_us = self.backoff.base_us;
    }
}

/// A uniform integer in `[lo, hi]`.
pub(crate) fn uniform_inclusive(rng: &mut SimRng, lo: u64, hi: u64) -> u64 {
    debug_assert!(lo <= hi, "an empty range [{lo}, {hi}]");
    match (hi - lo).checked_add(1) {
        Some(span) => lo + rng.below(span),
        None => rng.next_u64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_saturates_at_the_cap() {
        let b = Backoff::new(Strategy::Exponential, 5, 2_000).unwrap();
        assert_eq!(b.ceiling_us(0), 5);
        assert_eq!(b.ceiling_us(8), 1_280);
        assert_eq!(b.ceiling_us(9), 2_000);
        assert_eq!(b.ceiling_us(63), 2_000);
        assert_eq!(b.ceiling_us(64), 2_000);
        assert_eq!(b.ceiling_us(u32::MAX), 2_000);
    }

    #[test]
    fn rejects_a_cap_below_the_base() {
        assert_eq!(
            Backoff::new(Strategy::FullJitter, 10, 9),
            Err(BackoffError::CapBelowBase {
                base_us: 10,
                cap_us: 9
            })
        );
        assert_eq!(
            Backoff::new(Strategy::None, 0, 9),
            Err(BackoffError::ZeroBase)
        );
    }

    #[test]
    fn ids_round_trip() {
        for s in Strategy::ALL {
            assert_eq!(s.id().parse::<Strategy>(), Ok(s));
        }
        assert!("jitter".parse::<Strategy>().is_err());
    }

    #[test]
    fn uniform_covers_the_full_range() {
        let mut rng = SimRng::new(1);
        let _ = uniform_inclusive(&mut rng, 0, u64::MAX);
        let mut seen = [false; 3];
        for _ in 0..200 {
            seen[(uniform_inclusive(&mut rng, 7, 9) - 7) as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
