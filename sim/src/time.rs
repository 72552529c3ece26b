//! Virtual time.
//!
//! Simulated time is an integer count of microseconds since the start of a run. It never reads
//! the wall clock: the app converts wall time into simulated time through the speed control, the
//! simulation only ever sees these integers, so a run is the same on every machine.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A point in simulated time, in microseconds since the start of the run.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The latest representable time.
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// A time `us` microseconds after the start.
    pub const fn from_us(us: u64) -> Self {
        SimTime(us)
    }
    /// A time `ms` milliseconds after the start (saturating).
    pub const fn from_ms(ms: u64) -> Self {
        SimTime(ms.saturating_mul(1_000))
    }
    /// A time `s` seconds after the start (saturating).
    pub const fn from_secs(s: u64) -> Self {
        SimTime(s.saturating_mul(1_000_000))
    }
    /// Microseconds since the start.
    pub const fn as_us(self) -> u64 {
        self.0
    }
    /// Whole milliseconds since the start (rounded down).
    pub const fn as_ms(self) -> u64 {
        self.0 / 1_000
    }
    /// This time plus `us` microseconds, saturating at [`SimTime::MAX`].
    pub const fn plus_us(self, us: u64) -> Self {
        SimTime(self.0.saturating_add(us))
    }
    /// Microseconds from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl SimTime {
    /// Seconds for a log line: whole seconds bare (`12 s`), others to the millisecond (`12.345 s`).
    pub fn secs_text(self) -> String {
        if self.0 % 1_000_000 == 0 {
            format!("{} s", self.0 / 1_000_000)
        } else {
            format!("{:.3} s", self.0 as f64 / 1e6)
        }
    }
}

impl fmt::Display for SimTime {
    /// Seconds with millisecond precision, e.g. `2.500 s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:03} s",
            self.0 / 1_000_000,
            (self.0 / 1_000) % 1_000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secs_text_drops_the_millis_of_whole_seconds_and_rounds_the_rest() {
        assert_eq!(SimTime::from_secs(12).secs_text(), "12 s");
        assert_eq!(SimTime::from_us(10_260_680).secs_text(), "10.261 s");
        assert_eq!(SimTime::ZERO.secs_text(), "0 s");
    }

    #[test]
    fn conversions_round_trip() {
        assert_eq!(SimTime::from_ms(2_500).as_us(), 2_500_000);
        assert_eq!(SimTime::from_secs(3).as_ms(), 3_000);
        assert_eq!(SimTime::from_ms(1).since(SimTime::from_ms(3)), 0);
        assert_eq!(SimTime::MAX.plus_us(5), SimTime::MAX);
    }

    #[test]
    fn displays_seconds_with_millis() {
        assert_eq!(SimTime::from_ms(2_500).to_string(), "2.500 s");
        assert_eq!(SimTime::from_us(999).to_string(), "0.000 s");
    }
}
