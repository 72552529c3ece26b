//! Retry budgets: a client-wide limit on retries, so a failing dependency sees roughly its
//! normal load instead of `max_attempts` times it.
//!
//! - [`GrpcRetryThrottle`]: gRPC's retry throttling, as specified in gRFC A6 ("gRPC Retry
//!   Design", section "Throttling Retry Attempts and Hedged RPCs"). A token count starts at
//!   `maxTokens`, stays within `[0, maxTokens]`, loses 1 on every failed attempt and gains
//!   `tokenRatio` on every successful one; a retry may go out only while the count is above
//!   `maxTokens / 2`. A6 allows `tokenRatio` three decimal places, so the count is kept in
//!   thousandths of a token, in integers.
//! - [`FinagleRetryBudget`]: Finagle's `RetryBudget` (`com.twitter.finagle.service.RetryBudget`,
//!   over `com.twitter.util.TokenBucket.newLeakyBucket` and `WindowedAdder`). Each request
//!   deposits 1000 units; a retry withdraws `⌊1000 / percentCanRetry⌋`; deposits and withdrawals
//!   expire after about `ttl` (a windowed sum over ten slices of `ttl / 10`); a fixed reserve of
//!   `minRetriesPerSec · ttl · withdrawal` units is always counted. The slice bookkeeping follows
//!   `WindowedAdder` (nine stored slices plus the current one, skipped slices zeroed, the slice
//!   start reset to the time of the roll) with simulated microseconds for its millisecond clock.
//!
//! Both are driven by the same four calls ([`RetryBudget`]): `deposit` when a new request starts,
//! `on_success` / `on_failure` after each attempt, and `try_withdraw` when a failed request wants
//! to retry, which answers and, if yes, charges the retry.

use crate::time::SimTime;
use std::fmt;

/// A limit on retries shared by every request of a client.
pub trait RetryBudget {
    /// A new request (not a retry) starts at `now`.
    fn deposit(&mut self, now: SimTime);
    /// An attempt succeeded at `now`.
    fn on_success(&mut self, now: SimTime);
    /// An attempt failed at `now` with a retryable error.
    fn on_failure(&mut self, now: SimTime);
    /// May a failed request retry at `now`? If so the retry is charged to the budget.
    fn try_withdraw(&mut self, now: SimTime) -> bool;
}

/// Why a budget could not be built.
#[derive(Clone, Debug, PartialEq)]
pub enum BudgetError {
    /// gRPC's `maxTokens` must be above zero.
    ZeroMaxTokens,
    /// gRPC's `tokenRatio` must be above zero.
    ZeroTokenRatio,
    /// Finagle's `ttl` must be 1 to 60 whole seconds.
    TtlOutOfRange {
        /// The ttl given, seconds.
        ttl_secs: u32,
    },
    /// Finagle's `percentCanRetry` must be a number in `[0, 1000]`.
    PercentOutOfRange {
        /// The value given.
        percent_can_retry: f64,
    },
}

impl fmt::Display for BudgetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BudgetError::ZeroMaxTokens => write!(f, "maxTokens must be greater than zero"),
            BudgetError::ZeroTokenRatio => write!(f, "tokenRatio must be greater than zero"),
            BudgetError::TtlOutOfRange { ttl_secs } => {
                write!(f, "ttl must be between 1 and 60 seconds, not {ttl_secs}")
            }
            BudgetError::PercentOutOfRange { percent_can_retry } => write!(
                f,
                "percentCanRetry must be between 0 and 1000, not {percent_can_retry}"
            ),
        }
    }
}

impl std::error::Error for BudgetError {}

/// gRPC retry throttling (gRFC A6), counted in thousandths of a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrpcRetryThrottle {
    max_milli_tokens: u64,
    token_ratio_milli: u64,
    milli_tokens: u64,
}

impl GrpcRetryThrottle {
    /// A full throttle with `maxTokens = max_tokens` and `tokenRatio = token_ratio_milli / 1000`.
    pub fn new(max_tokens: u32, token_ratio_milli: u32) -> Result<Self, BudgetError> {
        if max_tokens == 0 {
            return Err(BudgetError::ZeroMaxTokens);
        }
        if token_ratio_milli == 0 {
            return Err(BudgetError::ZeroTokenRatio);
        }
        let max_milli_tokens = u64::from(max_tokens) * 1000;
        Ok(GrpcRetryThrottle {
            max_milli_tokens,
            token_ratio_milli: u64::from(token_ratio_milli),
            milli_tokens: max_milli_tokens,
        })
    }

    /// A6's example: `maxTokens` 10, `tokenRatio` 0.1.
    pub fn a6_example() -> Self {
        GrpcRetryThrottle {
            max_milli_tokens: 10_000,
            token_ratio_milli: 100,
            milli_tokens: 10_000,
        }
    }

    /// The token count, in thousandths.
    pub const fn milli_tokens(&self) -> u64 {
        self.milli_tokens
    }

    /// The threshold, `maxTokens / 2`, in thousandths: retries need more than this.
    pub const fn threshold_milli(&self) -> u64 {
        self.max_milli_tokens / 2
    }

    /// True while retries are allowed (the count is above the threshold).
    pub const fn allows_retries(&self) -> bool {
        self.milli_tokens > self.threshold_milli()
    }
}

impl RetryBudget for GrpcRetryThrottle {
    /// Starting a request costs nothing.
    fn deposit(&mut self, _now: SimTime) {}
    fn on_success(&mut self, _now: SimTime) {
        self.milli_tokens = (self.milli_tokens + self.token_ratio_milli).min(self.max_milli_tokens);
    }
    fn on_failure(&mut self, _now: SimTime) {
        self.milli_tokens = self.milli_tokens.saturating_sub(1000);
    }
    /// Checks the count without spending it: in A6 only outcomes move the tokens.
    fn try_withdraw(&mut self, _now: SimTime) -> bool {
        self.allows_retries()
    }
}

/// The slices `WindowedAdder` keeps besides the current one (`slices − 1` with ten slices).
const STORED_SLICES: usize = 9;

/// Finagle's `RetryBudget`: deposits per request, withdrawals per retry, all expiring after
/// about `ttl`, over a fixed reserve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinagleRetryBudget {
    deposit_amount: i64,
    withdrawal_amount: i64,
    reserve: i64,
    window_us: u64,
    current: i64,
    stored: [i64; STORED_SLICES],
    head: usize,
    slice_start: SimTime,
}

impl FinagleRetryBudget {
    /// A budget created at `now`. `ttl_secs` in 1..=60; `min_retries_per_sec` retries per second
    /// always allowed; `percent_can_retry` retries per request on top (0.2 allows one retry per
    /// five requests), in `[0, 1000]`.
    pub fn new(
        ttl_secs: u32,
        min_retries_per_sec: u32,
        percent_can_retry: f64,
        now: SimTime,
    ) -> Result<Self, BudgetError> {
        if !(1..=60).contains(&ttl_secs) {
            return Err(BudgetError::TtlOutOfRange { ttl_secs });
        }
        if !(0.0..=1000.0).contains(&percent_can_retry) {
            return Err(BudgetError::PercentOutOfRange { percent_can_retry });
        }
        const SCALE: f64 = 1000.0;
        // With no percentage every request deposits nothing and a retry costs 1: all credit
        // comes from the reserve.
        let (deposit_amount, withdrawal_amount) = if percent_can_retry == 0.0 {
            (0, 1)
        } else {
            // One IEEE division, the same on every target; truncated as Finagle's `toInt`.
            (SCALE as i64, (SCALE / percent_can_retry) as i64)
        };
        let reserve = i64::from(min_retries_per_sec) * i64::from(ttl_secs) * withdrawal_amount;
        Ok(FinagleRetryBudget {
            deposit_amount,
            withdrawal_amount,
            reserve,
            window_us: u64::from(ttl_secs) * 1_000_000 / 10,
            current: 0,
            stored: [0; STORED_SLICES],
            head: 0,
            slice_start: now,
        })
    }

    /// Finagle's default, `RetryBudget()`: ttl 10 s, 10 retries a second, 20 % of requests.
    pub fn finagle_default(now: SimTime) -> Self {
        Self::new(10, 10, 0.2, now).expect("the default is valid")
    }

    /// Units a retry costs.
    pub const fn withdrawal_amount(&self) -> i64 {
        self.withdrawal_amount
    }

    /// The reserve, in units.
    pub const fn reserve(&self) -> i64 {
        self.reserve
    }

    /// The units in the bucket at `now` (reserve plus unexpired deposits minus withdrawals).
    pub fn count(&mut self, now: SimTime) -> i64 {
        self.roll(now);
        self.current + self.stored.iter().sum::<i64>() + self.reserve
    }

    /// Retries that could be made at `now` (Finagle's `balance`).
    pub fn balance(&mut self, now: SimTime) -> i64 {
        self.count(now) / self.withdrawal_amount
    }

    fn add(&mut self, now: SimTime, x: i64) {
        self.roll(now);
        self.current += x;
    }

    /// `WindowedAdder.expired()`: when a slice has passed, store the current one, zero any
    /// slices skipped entirely, and start the next slice now.
    fn roll(&mut self, now: SimTime) {
        let elapsed = now.since(self.slice_start);
        if elapsed < self.window_us {
            return;
        }
        self.stored[self.head] = std::mem::take(&mut self.current);
        self.head = (self.head + 1) % STORED_SLICES;
        let skipped = (elapsed / self.window_us - 1).min(STORED_SLICES as u64) as usize;
        for k in 0..skipped {
            self.stored[(self.head + k) % STORED_SLICES] = 0;
        }
        self.head = (self.head + skipped) % STORED_SLICES;
        self.slice_start = now;
    }
}

impl RetryBudget for FinagleRetryBudget {
    fn deposit(&mut self, now: SimTime) {
        self.add(now, self.deposit_amount);
    }
    /// Outcomes do not move a Finagle budget.
    fn on_success(&mut self, _now: SimTime) {}
    /// Outcomes do not move a Finagle budget.
    fn on_failure(&mut self, _now: SimTime) {}
    fn try_withdraw(&mut self, now: SimTime) -> bool {
        let ok = self.count(now) >= self.withdrawal_amount;
        if ok {
            self.add(now, -self.withdrawal_amount);
        }
        ok
    }
}
