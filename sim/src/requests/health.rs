//! Active health checks and slow start: how, and how late, a balancer learns that a server
//! died or came back, and how gently it lets a newcomer in.
//!
//! **Active checks** follow the `interval` / `timeout` / `fall` / `rise` of HAProxy's `check
//! inter … fall … rise …` and Tengine's `check interval= rise= fall= timeout=` (nginx Plus's
//! `health_check interval= fails= passes=` has the same meaning): every `interval` the
//! balancer probes each server; `fall` consecutive failures mark an up server down, `rise`
//! consecutive successes mark a down server up. Between, the verdict stands, so a server
//! killed just after a passing check keeps receiving traffic for up to about
//! `(fall − 1) · interval + timeout` plus the wait for the next probe, and every request sent
//! to it then fails.
//!
//! *Simplification*: a probe answers at once from a live server (up or draining, however
//! loaded or slow: a shallow liveness check) and fails `timeout` later from a killed one
//! (no answer). A probe sent to a killed server fails even if the server is revived before
//! its timeout. Probes do not occupy workers.
//!
//! **Slow start** follows nginx's `server … slow_start=time`: it "sets the time during which
//! the server will recover its weight from zero to a nominal value, when unhealthy server
//! becomes healthy, or when the server becomes available after a period of time it was
//! considered unavailable" (nginx, `ngx_http_upstream_module`, directive `server`; the
//! default, zero, disables it). The ramp is linear: the effective weight `t` after the start
//! of the ramp is `weight · min(1, t / slow_start)`, kept above zero (one thousandth) so a
//! ramping server can be picked at all. Here a ramp starts when the balancer's view turns
//! from unavailable to available: when health checks mark a server up again, and when a
//! server is added after time zero (added to a running group, as through nginx Plus's API).
//! Without active checks the balancer never considered a killed server unavailable, so its
//! revival starts no ramp. nginx ignores `slow_start` in a group of one server; so does this.
//! (Envoy's slow start differs: it scales by `(t / window)^(1/aggression)` with a floor of
//! `min_weight_percent`; Envoy docs, "Slow start mode".)

/// Active health check settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthCheckConfig {
    /// Time between probes to each server, microseconds.
    pub interval_us: u64,
    /// How long a probe waits for an answer before it counts as failed, microseconds.
    pub timeout_us: u64,
    /// Consecutive failures that mark an up server down (HAProxy `fall`, nginx `fails`).
    pub fall: u32,
    /// Consecutive successes that mark a down server up (HAProxy `rise`, nginx `passes`).
    pub rise: u32,
}

impl Default for HealthCheckConfig {
    /// nginx Plus's defaults: every 5 s, one failure marks down, one success up; a 1 s timeout
    /// (HAProxy's defaults are 2 s, `fall 3`, `rise 2`).
    fn default() -> Self {
        HealthCheckConfig {
            interval_us: 5_000_000,
            timeout_us: 1_000_000,
            fall: 1,
            rise: 1,
        }
    }
}

impl HealthCheckConfig {
    /// Checks the settings; the message says what to change.
    pub fn validate(&self) -> Result<(), String> {
        if !(1_000..=3_600_000_000).contains(&self.interval_us) {
            return Err(format!(
                "the health check interval must be between 1 ms and 1 h, got {} µs",
                self.interval_us
            ));
        }
        if !(1..=3_600_000_000).contains(&self.timeout_us) {
            return Err(format!(
                "the health check timeout must be between 1 µs and 1 h, got {} µs",
                self.timeout_us
            ));
        }
        if !(1..=100).contains(&self.fall) || !(1..=100).contains(&self.rise) {
            return Err(format!(
                "fall and rise must be between 1 and 100, got fall {} and rise {}",
                self.fall, self.rise
            ));
        }
        Ok(())
    }
}

/// One server's health as the balancer's checks see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthState {
    /// The current verdict.
    pub healthy: bool,
    /// Consecutive passing probes since the last failure.
    pub successes: u32,
    /// Consecutive failing probes since the last success.
    pub failures: u32,
}

/// What one probe result changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthChange {
    /// The verdict stands.
    None,
    /// `fall` failures in a row: now down.
    MarkedDown,
    /// `rise` successes in a row: now up.
    MarkedUp,
}

impl Default for HealthState {
    /// A new server is believed up until checks say otherwise.
    fn default() -> Self {
        HealthState {
            healthy: true,
            successes: 0,
            failures: 0,
        }
    }
}

impl HealthState {
    /// Counts one probe result under `config` and says whether the verdict flipped.
    pub fn record(&mut self, ok: bool, config: &HealthCheckConfig) -> HealthChange {
        if ok {
            self.successes = self.successes.saturating_add(1);
            self.failures = 0;
            if !self.healthy && self.successes >= config.rise {
                self.healthy = true;
                return HealthChange::MarkedUp;
            }
        } else {
            self.failures = self.failures.saturating_add(1);
            self.successes = 0;
            if self.healthy && self.failures >= config.fall {
                self.healthy = false;
                return HealthChange::MarkedDown;
            }
        }
        HealthChange::None
    }
}

/// The effective weight in thousandths of `weight`, `elapsed_us` into a linear slow start of
/// `slow_start_us` (see the module docs): `weight·1000·elapsed/slow_start`, at least 1, and
/// `weight·1000` once `elapsed ≥ slow_start` or when slow start is off (0).
pub fn slow_start_weight_milli(weight: u32, elapsed_us: u64, slow_start_us: u64) -> u64 {
    let full = u64::from(weight) * 1_000;
    if slow_start_us == 0 || elapsed_us >= slow_start_us {
        return full;
    }
    let w = u128::from(full) * u128::from(elapsed_us) / u128::from(slow_start_us);
    (w as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fall_failures_mark_down_and_rise_successes_mark_up() {
        let c = HealthCheckConfig {
            fall: 3,
            rise: 2,
            ..HealthCheckConfig::default()
        };
        let mut h = HealthState::default();
        assert_eq!(h.record(false, &c), HealthChange::None);
        assert_eq!(h.record(false, &c), HealthChange::None);
        // A success in between resets the count.
        assert_eq!(h.record(true, &c), HealthChange::None);
        assert_eq!(h.record(false, &c), HealthChange::None);
        assert_eq!(h.record(false, &c), HealthChange::None);
        assert_eq!(h.record(false, &c), HealthChange::MarkedDown);
        assert!(!h.healthy);
        assert_eq!(h.record(true, &c), HealthChange::None);
        assert_eq!(h.record(true, &c), HealthChange::MarkedUp);
        assert!(h.healthy);
    }

    #[test]
    fn slow_start_ramps_linearly_from_almost_zero() {
        assert_eq!(slow_start_weight_milli(5, 0, 10_000), 1);
        assert_eq!(slow_start_weight_milli(5, 2_500, 10_000), 1_250);
        assert_eq!(slow_start_weight_milli(5, 10_000, 10_000), 5_000);
        assert_eq!(slow_start_weight_milli(5, 99, 0), 5_000);
    }
}
